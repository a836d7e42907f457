"""The points ledger: immutable, double-entry postings, each idempotent by its source.

:func:`post_in` is the only way points move. In the caller's transaction it

1. inserts the transaction row with ``ON CONFLICT (source_kind, source_ref) DO NOTHING``: a
   source seen before returns ``None`` and changes nothing (an offline POS replaying its
   receipts, a redelivered event);
2. changes the account's cached balances with one conditional UPDATE: a debit of ``available``
   (or ``pending``) only succeeds while the bucket holds the points, so two channels spending the
   same points at once cannot both succeed, on SQLite and on PostgreSQL alike;
3. inserts the entries.

A refused debit raises ``Conflict`` (``loyalty.insufficient_points``); the caller's unit of work
then rolls back, so nothing is recorded. Postings are never updated or deleted; a correction is
another posting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.ids import new_id
from unico.loyalty.model import (
    AVAILABLE,
    BUCKETS,
    ISSUED,
    PENDING,
    Balance,
    Leg,
    PostingKind,
    Source,
)
from unico.loyalty.store import loyalty_accounts, loyalty_entries, loyalty_transactions

MAX_POINTS = 100_000_000


def check_legs(legs: Sequence[Leg]) -> dict[str, int]:
    """The legs merged per bucket; raises ``ValidationFailed`` unless they are integers of known
    buckets, move something, and sum to zero."""
    merged: dict[str, int] = defaultdict(int)
    for leg in legs:
        if leg.bucket not in BUCKETS:
            raise ValidationFailed(f"unknown bucket {leg.bucket!r}", code="loyalty.bad_posting", field="legs")
        if not isinstance(leg.points, int) or isinstance(leg.points, bool) or abs(leg.points) > MAX_POINTS:
            raise ValidationFailed("points must be whole numbers", code="loyalty.bad_posting", field="legs")
        merged[leg.bucket] += leg.points
    if sum(merged.values()) != 0:
        raise ValidationFailed(
            "the legs of a posting must sum to zero", code="loyalty.unbalanced_posting", field="legs"
        )
    moved = {bucket: points for bucket, points in merged.items() if points}
    if not moved:
        raise ValidationFailed("a posting must move points", code="loyalty.bad_posting", field="legs")
    return moved


# Statements of the hot path, built once: constructing them per posting cost more than running them.
_a = loyalty_accounts.c
_ACCOUNT_PK = select(_a.id).where(_a.account_id == bindparam("account_id"))
_INSERT_TRANSACTION = {
    "postgresql": postgresql.insert(loyalty_transactions)
    .on_conflict_do_nothing(index_elements=["source_kind", "source_ref"])
    .returning(loyalty_transactions.c.id),
    "sqlite": sqlite.insert(loyalty_transactions)
    .on_conflict_do_nothing(index_elements=["source_kind", "source_ref"])
    .returning(loyalty_transactions.c.id),
}
_d_available = bindparam("d_available", type_=Integer)
_d_pending = bindparam("d_pending", type_=Integer)
_MOVE = (
    loyalty_accounts.update()
    .where(_a.id == bindparam("pk"))
    .values(
        available=_a.available + _d_available,
        pending=_a.pending + _d_pending,
        lifetime_earned=_a.lifetime_earned + bindparam("d_earned", type_=Integer),
        last_activity_at=bindparam("at"),
        updated_at=bindparam("now"),
    )
)
# A debit only while the bucket holds the points (a credit is never refused).
_MOVE_IF_HELD = _MOVE.where(
    or_(_d_available >= 0, _a.available >= -_d_available),
    or_(_d_pending >= 0, _a.pending >= -_d_pending),
)
_INSERT_ENTRY = loyalty_entries.insert()


def account_pk_in(conn: Connection, account_id: str) -> int:
    """The internal id of account ``account_id``; 404 ``loyalty.account_not_found`` if unknown."""
    pk = conn.execute(_ACCOUNT_PK, {"account_id": account_id}).scalar_one_or_none()
    if pk is None:
        raise NotFound(
            f"no loyalty account {account_id}", code="loyalty.account_not_found", account_id=account_id
        )
    return int(pk)


def _insert_transaction(conn: Connection, values: dict[str, Any]) -> int | None:
    row = conn.execute(_INSERT_TRANSACTION[conn.dialect.name], values).first()
    return None if row is None else int(row[0])


def post_in(
    conn: Connection,
    account_id: str,
    kind: PostingKind,
    source: Source,
    legs: Sequence[Leg],
    *,
    actor: str,
    channel: str | None = None,
    store: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
    allow_negative: bool = False,
) -> str | None:
    """Post ``legs`` to ``account_id`` for ``source`` in the caller's transaction; returns the
    new ``txn_id``, or ``None`` when this source was already posted (nothing changes then).

    The legs must sum to zero (422 ``loyalty.unbalanced_posting``). A debit larger than the
    member bucket holds raises 409 ``loyalty.insufficient_points`` (details: bucket, available,
    requested) unless ``allow_negative`` (a return reversing points already spent); the caller
    must then roll back its transaction. Unknown accounts raise 404."""
    moved = check_legs(legs)
    if not source.kind or not source.ref or len(source.kind) > 24 or len(source.ref) > 120:
        raise ValidationFailed(
            "a posting needs a source kind and ref", code="loyalty.bad_posting", field="source"
        )
    account_pk = account_pk_in(conn, account_id)
    when = at or clock.now()
    txn_id = new_id("ltx")
    txn_pk = _insert_transaction(
        conn,
        {
            "txn_id": txn_id,
            "account_id": account_pk,
            "kind": str(kind),
            "source_kind": source.kind,
            "source_ref": source.ref,
            "points": sum(p for p in moved.values() if p > 0),
            "channel": channel,
            "store": store,
            "actor": actor[:160],
            "detail": detail or {},
            "at": when,
        },
    )
    if txn_pk is None:
        return None
    _apply_to_balances(conn, account_pk, account_id, moved, when, allow_negative=allow_negative)
    # executemany of one cached statement (a multi-row VALUES would be compiled every time)
    conn.execute(
        _INSERT_ENTRY,
        [
            {"transaction_id": txn_pk, "account_id": account_pk, "bucket": bucket, "points": points}
            for bucket, points in sorted(moved.items())
        ],
    )
    return txn_id


def _apply_to_balances(
    conn: Connection,
    account_pk: int,
    account_id: str,
    moved: dict[str, int],
    at: datetime,
    *,
    allow_negative: bool,
) -> None:
    d_available = moved.get(AVAILABLE, 0)
    d_pending = moved.get(PENDING, 0)
    d_earned = -moved.get(ISSUED, 0)
    a = loyalty_accounts.c
    statement = _MOVE if allow_negative else _MOVE_IF_HELD
    values = {
        "pk": account_pk,
        "d_available": d_available,
        "d_pending": d_pending,
        "d_earned": d_earned,
        "at": at,
        "now": clock.now(),
    }
    if conn.execute(statement, values).rowcount == 1:
        return
    row = conn.execute(select(a.available, a.pending).where(a.id == account_pk)).one()
    short_pending = d_pending < 0 and row.pending < -d_pending
    bucket = (
        PENDING if short_pending and not (d_available < 0 and row.available < -d_available) else AVAILABLE
    )
    held = row.pending if bucket == PENDING else row.available
    requested = -(d_pending if bucket == PENDING else d_available)
    raise Conflict(
        f"account {account_id} holds {held} {bucket} points, {requested} requested",
        code="loyalty.insufficient_points",
        account_id=account_id,
        bucket=bucket,
        available=held,
        requested=requested,
    )


def balance_in(conn: Connection, account_id: str) -> Balance:
    """The account's balances as of this transaction; 404 if the account is unknown."""
    a = loyalty_accounts.c
    row = conn.execute(
        select(a.available, a.pending, a.lifetime_earned, a.tier).where(a.account_id == account_id)
    ).first()
    if row is None:
        raise NotFound(
            f"no loyalty account {account_id}", code="loyalty.account_not_found", account_id=account_id
        )
    return Balance(
        available=int(row.available),
        pending=int(row.pending),
        lifetime_earned=int(row.lifetime_earned),
        tier=str(row.tier),
    )


def bucket_sums_in(conn: Connection, account_id: str) -> dict[str, int]:
    """The sum of the account's entries per bucket (buckets never touched are absent)."""
    account_pk = account_pk_in(conn, account_id)
    e = loyalty_entries.c
    rows = conn.execute(
        select(e.bucket, func.sum(e.points)).where(e.account_id == account_pk).group_by(e.bucket)
    ).all()
    return {str(bucket): int(total) for bucket, total in rows}


def verify_in(conn: Connection, account_id: str) -> list[str]:
    """What is wrong with the account's ledger, in words; empty when the cached balances equal
    the sums of the entries (available, pending, and lifetime_earned == -issued) and every
    transaction's entries sum to zero."""
    sums = bucket_sums_in(conn, account_id)
    balance = balance_in(conn, account_id)
    problems = []
    for name, cached, summed in (
        ("available", balance.available, sums.get(AVAILABLE, 0)),
        ("pending", balance.pending, sums.get(PENDING, 0)),
        ("lifetime_earned", balance.lifetime_earned, -sums.get(ISSUED, 0)),
    ):
        if cached != summed:
            problems.append(f"{name}: balance {cached} != entries {summed}")
    e, t = loyalty_entries.c, loyalty_transactions.c
    unbalanced = conn.execute(
        select(t.txn_id)
        .select_from(loyalty_transactions.join(loyalty_entries, e.transaction_id == t.id))
        .where(t.account_id == account_pk_in(conn, account_id))
        .group_by(t.txn_id)
        .having(func.sum(e.points) != 0)
    ).all()
    problems.extend(f"transaction {r.txn_id} does not sum to zero" for r in unbalanced)
    return problems


def posted_in(conn: Connection, source: Source) -> str | None:
    """The ``txn_id`` posted for ``source``, or None."""
    t = loyalty_transactions.c
    found = conn.execute(
        select(t.txn_id).where(t.source_kind == source.kind, t.source_ref == source.ref)
    ).scalar_one_or_none()
    return None if found is None else str(found)
