"""Idempotency keys: a retried request gets the first response back and changes nothing.

A service stores the response under ``(scope, key)`` with :func:`remember`, in the same
transaction as the change it answers; a retry finds it with :func:`stored_response`. The same key
sent with a different request is refused (409 ``idempotency.mismatch``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.errors import IdempotencyMismatch
from unico.core.events import idempotency_keys

_REMEMBER = {
    "postgresql": postgresql.insert(idempotency_keys)
    .on_conflict_do_nothing()
    .returning(idempotency_keys.c.key),
    "sqlite": sqlite.insert(idempotency_keys).on_conflict_do_nothing().returning(idempotency_keys.c.key),
}


def stored_response(
    conn: Connection, scope: str, key: str, digest: str, what: str
) -> tuple[int, dict[str, Any]] | None:
    """``(status, response)`` stored under the key, or None; ``digest`` fingerprints the request
    (``what`` names it in the refusal when the key came with another one)."""
    row = conn.execute(
        select(
            idempotency_keys.c.request_hash, idempotency_keys.c.status_code, idempotency_keys.c.response
        ).where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
    ).first()
    if row is None:
        return None
    if row.request_hash != digest:
        raise IdempotencyMismatch(
            f"this Idempotency-Key was used for a different {what}", code="idempotency.mismatch", key=key
        )
    return int(row.status_code), dict(row.response)


def remember(
    conn: Connection, scope: str, key: str, digest: str, response: dict[str, Any], status: int = 201
) -> bool:
    """Store ``response`` under the key in the caller's transaction; False when a concurrent
    request stored one first (the caller then rolls back and answers with that one)."""
    done = conn.execute(
        _REMEMBER[conn.dialect.name],
        {
            "scope": scope,
            "key": key,
            "request_hash": digest,
            "status_code": status,
            "response": response,
            "created_at": clock.now(),
        },
    ).first()
    return done is not None
