"""A person's rights over their data: export everything held on them, erase it, stop collecting.

Erasure removes personal data everywhere (:mod:`unico.customers.personal_data` says where) in one
transaction: the profile and every profile merged into it are blanked and marked ``erased``,
identifiers, events, carts, consents and merges are deleted, and orders stay as anonymised facts
(amounts, lines, stores) under the erased profile's pseudonymous id. What remains is a record that
an erasure happened and the *hashes* of the person's identifiers, so that data arriving later
about them is not collected again (:func:`is_suppressed`, :func:`suppressed_among`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from unico.access.model import Principal
from unico.core import clock
from unico.core.db import Database, among
from unico.core.events import DomainEvent, record_event
from unico.core.ids import new_id
from unico.customers.consent import current_state, load_history
from unico.customers.graph import MAX_MERGE_CHAIN, profile_family, profile_row, resolve_profile_id
from unico.customers.identity import IdentifierKind, normalise_identifier
from unico.customers.personal_data import CHUNK, Fate, Person, find_rows, in_schema_order
from unico.customers.privacy_store import erasures, suppressions
from unico.customers.store import customer_identifiers, customer_profiles
from unico.customers.tracking_store import tracking_events

PROFILE_KIND = "profile_id"


@dataclass(frozen=True, slots=True)
class ErasureView:
    erasure_id: str
    profile_id: str
    profiles: list[str]
    counts: dict[str, int]
    erased_at: datetime


@dataclass(frozen=True, slots=True)
class SuppressionView:
    profile_id: str
    identifiers: int  # hashes on the list for this person (new and already there)
    suppressed_at: datetime


# --- suppression ------------------------------------------------------------------------------


def suppression_hash(kind: str, value: str) -> str:
    """sha256 hex of ``kind:value``, the value normalised as the identity graph stores it."""
    canonical = normalise_identifier(kind, value) or value.strip()
    return hashlib.sha256(f"{kind}:{canonical}".encode()).hexdigest()


def is_suppressed(conn: Connection, kind: str, value: str) -> bool:
    """Whether data about this identifier must not be collected (erased or suppressed person)."""
    found = conn.execute(
        select(suppressions.c.id).where(suppressions.c.identifier_hash == suppression_hash(kind, value))
    ).first()
    return found is not None


def suppressed_among(conn: Connection, pairs: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """The ``(kind, value)`` pairs that are suppressed, in one query per 900 pairs (for batches)."""
    by_hash: dict[str, list[tuple[str, str]]] = {}
    for kind, value in pairs:
        by_hash.setdefault(suppression_hash(kind, value), []).append((kind, value))
    hashes = list(by_hash)
    hit: set[tuple[str, str]] = set()
    for start in range(0, len(hashes), CHUNK):
        rows = conn.execute(
            select(suppressions.c.identifier_hash).where(
                among(conn, suppressions.c.identifier_hash, hashes[start : start + CHUNK])
            )
        )
        for (digest,) in rows:
            hit.update(by_hash[digest])
    return hit


def suppressed_hashes(conn: Connection) -> frozenset[str]:
    """Every hash on the list, for a process that keeps the set in memory."""
    return frozenset(conn.execute(select(suppressions.c.identifier_hash)).scalars())


def _suppress(conn: Connection, person: Person, reason: str, actor: str) -> int:
    pairs = [*person.identifiers, *((PROFILE_KIND, pid) for pid in person.profile_ids)]
    rows = {suppression_hash(kind, value): kind for kind, value in pairs}
    hashes = list(rows)
    present: set[str] = set()
    for start in range(0, len(hashes), CHUNK):
        chunk = hashes[start : start + CHUNK]
        present.update(
            conn.execute(
                select(suppressions.c.identifier_hash).where(
                    among(conn, suppressions.c.identifier_hash, chunk)
                )
            ).scalars()
        )
        if reason == "erased":  # an erasure outranks an earlier suppression
            conn.execute(
                update(suppressions)
                .where(among(conn, suppressions.c.identifier_hash, chunk))
                .values(reason="erased")
            )
    at = clock.now()
    new = [
        {
            "identifier_hash": digest,
            "kind": kind,
            "profile_id": person.profile_id,
            "reason": reason,
            "actor": actor,
            "created_at": at,
        }
        for digest, kind in rows.items()
        if digest not in present
    ]
    if new:
        conn.execute(suppressions.insert(), new)
    return len(rows)


# --- who the person is ------------------------------------------------------------------------


def load_person(conn: Connection, profile_id: str, *, lock: bool = False) -> Person:
    """The person ``profile_id`` names (merged ids resolve to the survivor); 404 if unknown.

    Besides the identifiers of the identity graph, the user and anonymous ids seen on the
    person's events count: events not yet resolved may carry them."""
    survivor = resolve_profile_id(conn, profile_id)
    profile_row(conn, survivor, for_update=lock)
    family = profile_family(conn, survivor)
    rows = conn.execute(
        select(customer_profiles.c.id).where(among(conn, customer_profiles.c.profile_id, family))
    ).scalars()
    row_ids = tuple(sorted(int(r) for r in rows))
    identifiers: set[tuple[str, str]] = set(
        (kind, value)
        for kind, value in conn.execute(
            select(customer_identifiers.c.kind, customer_identifiers.c.value).where(
                among(conn, customer_identifiers.c.profile_id, row_ids)
            )
        )
    )
    e = tracking_events
    seen = conn.execute(
        select(e.c.user_id, e.c.anonymous_id).where(among(conn, e.c.profile_id, family)).distinct()
    )
    for user_id, anonymous_id in seen:
        if user_id:
            identifiers.add((IdentifierKind.USER_ID.value, user_id))
        if anonymous_id:
            identifiers.add((IdentifierKind.ANONYMOUS_ID.value, anonymous_id))
    return Person(survivor, tuple(family), row_ids, tuple(sorted(identifiers)))


def suppress_customer(db: Database, profile_id: str, principal: Principal) -> SuppressionView:
    """Stop collecting data about this person without erasing what is held: every identifier
    they hold (and their profile ids) goes on the suppression list."""
    with db.write() as conn:
        person = load_person(conn, profile_id, lock=True)
        count = _suppress(conn, person, "suppressed", principal.actor)
        record_event(
            conn,
            DomainEvent(
                "customer.suppressed", "customer", person.profile_id, {"profile_id": person.profile_id}
            ),
        )
    return SuppressionView(person.profile_id, count, clock.now())


# --- export -----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def export_customer(db: Database, profile_id: str) -> dict[str, Any]:
    """Everything held on the person, as JSON-ready data: the rows of every table that holds
    any (``data``, by table, in schema order) and the current consents."""
    with db.read() as conn:
        person = load_person(conn, profile_id)
        data: dict[str, list[dict[str, Any]]] = {}
        for found in in_schema_order(find_rows(conn, person)):
            key = next(iter(found.table.primary_key.columns))
            rows: list[dict[str, Any]] = []
            for start in range(0, len(found.keys), CHUNK):
                chunk = found.keys[start : start + CHUNK]
                query = select(found.table).where(among(conn, key, chunk)).order_by(key)
                rows.extend({k: _plain(v) for k, v in r._mapping.items()} for r in conn.execute(query))
            data[found.table.name] = rows
        consents = current_state(load_history(conn, person.row_ids))
    return {
        "profile_id": person.profile_id,
        "profiles": list(person.profile_ids),
        "exported_at": clock.now().isoformat(),
        "consents": {
            purpose.value: None
            if record is None
            else {
                "granted": record.granted,
                "source": record.source.value,
                "recorded_at": record.recorded_at.isoformat(),
            }
            for purpose, record in consents.items()
        },
        "identifiers": [{"kind": k, "value": v} for k, v in person.identifiers],
        "data": data,
    }


# --- erasure ----------------------------------------------------------------------------------


def _erasure(row: Any) -> ErasureView:
    return ErasureView(row.erasure_id, row.profile_id, list(row.profiles), dict(row.counts), row.erased_at)


def _earlier_erasure(conn: Connection, profile_id: str) -> ErasureView | None:
    """The erasure that already took this profile (asked for directly or merged into the one
    that was), if any. Erased profiles keep ``merged_into``, so the chain still leads there."""
    current: str | None = profile_id
    for _ in range(MAX_MERGE_CHAIN):
        row = profile_row(conn, current) if current else None
        if row is None or row.status != "erased":
            return None
        if row.merged_into is None:
            done = conn.execute(
                select(erasures)
                .where(erasures.c.profile_id == row.profile_id)
                .order_by(erasures.c.id.desc())
                .limit(1)
            ).first()
            return None if done is None else _erasure(done)
        current = row.merged_into
    return None


def erase_customer(db: Database, profile_id: str, principal: Principal) -> ErasureView:
    """Erase the person ``profile_id`` names and every profile merged into it (see module doc).

    404 for an unknown id. Erasing an erased person again changes nothing and returns the first
    erasure. Records ``customer.erased`` with only the profile id."""
    with db.write() as conn:
        person = load_person(conn, profile_id, lock=True)  # a concurrent erasure waits here
        done = _earlier_erasure(conn, profile_id)
        if done is not None:
            return done
        _suppress(conn, person, "erased", principal.actor)
        found = find_rows(conn, person)
        counts: dict[str, int] = {}
        at = clock.now()
        for item in reversed(in_schema_order(found)):  # children before parents
            if item.fate is Fate.KEEP:
                continue
            key = next(iter(item.table.primary_key.columns))
            for start in range(0, len(item.keys), CHUNK):
                chunk = item.keys[start : start + CHUNK]
                if item.fate is Fate.DELETE:
                    conn.execute(delete(item.table).where(among(conn, key, chunk)))
                else:
                    values = dict(item.blank)
                    if "updated_at" in item.table.c:
                        values["updated_at"] = at
                    conn.execute(update(item.table).where(among(conn, key, chunk)).values(**values))
            counts[item.table.name] = len(item.keys)
        erasure_id = new_id("era")
        conn.execute(
            erasures.insert().values(
                erasure_id=erasure_id,
                profile_id=person.profile_id,
                profiles=list(person.profile_ids),
                counts=counts,
                actor=principal.actor,
                erased_at=at,
            )
        )
        record_event(
            conn,
            DomainEvent("customer.erased", "customer", person.profile_id, {"profile_id": person.profile_id}),
        )
    return ErasureView(erasure_id, person.profile_id, list(person.profile_ids), counts, at)
