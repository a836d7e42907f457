"""The identity graph in the database: profile rows, resolving merged ids, storing identifiers.

Every function takes the caller's connection and works inside its transaction. Stitching and
merging build on these (:mod:`unico.customers.stitching`, :mod:`unico.customers.merges`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, and_, bindparam, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from unico.core import clock
from unico.core.db import among
from unico.core.errors import NotFound, ValidationFailed
from unico.customers.identity import Identifier
from unico.customers.store import customer_identifiers, customer_profiles

MAX_MERGE_CHAIN = 64
SYSTEM_ACTOR = "system:identity-resolution"

# Segment's reserved traits arrive in camelCase; profiles keep snake_case keys.
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")
# Traits that are also identifiers (after snake-casing), and the kind they become.
TRAIT_IDENTIFIERS = {
    "email": "email",
    "phone": "phone",
    "loyalty_card": "loyalty_card",
    "erp_id": "erp_id",
    "customer_number": "erp_id",
}


def snake_traits(traits: Mapping[str, Any]) -> dict[str, Any]:
    """``{"firstName": ..}`` -> ``{"first_name": ..}``; empty keys and null values are left out."""
    return {
        _CAMEL.sub(r"_\1", key).lower(): value
        for key, value in traits.items()
        if key and value is not None and key != "id"
    }


def identifiers_from_traits(traits: Mapping[str, Any]) -> list[tuple[str, object]]:
    return [(kind, traits[key]) for key, kind in TRAIT_IDENTIFIERS.items() if key in traits]


def name_key(traits: Mapping[str, Any]) -> str:
    """Lower-cased name words for search by name."""
    parts = [traits.get("first_name"), traits.get("last_name")]
    full = " ".join(str(p).strip() for p in parts if p)
    if not full and traits.get("name"):
        full = str(traits["name"]).strip()
    return " ".join(full.lower().split())[:200]


# --- resolving ids ----------------------------------------------------------------------------


def profile_row(conn: Connection, profile_id: str, *, for_update: bool = False) -> Row[Any]:
    query = select(customer_profiles).where(customer_profiles.c.profile_id == profile_id)
    if for_update and conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"no customer profile {profile_id}", code="customers.not_found", profile_id=profile_id)
    return row


def resolve_profile_id(conn: Connection, profile_id: str) -> str:
    """The profile ``profile_id`` now lives in: itself, or the survivor of the merges it went
    through (followed to the end of the chain). Unknown ids raise ``NotFound``."""
    current = profile_id
    for _ in range(MAX_MERGE_CHAIN):
        row = conn.execute(
            select(customer_profiles.c.status, customer_profiles.c.merged_into).where(
                customer_profiles.c.profile_id == current
            )
        ).first()
        if row is None:
            raise NotFound(
                f"no customer profile {profile_id}", code="customers.not_found", profile_id=profile_id
            )
        if row.status != "merged" or row.merged_into is None:
            return current
        current = row.merged_into
    raise ValidationFailed("merge chain too long", code="customers.merge_chain", profile_id=profile_id)


def profile_family(conn: Connection, profile_id: str) -> list[str]:
    """``profile_id`` and every profile merged into it, directly or through others."""
    family = [profile_id]
    frontier = [profile_id]
    while frontier:
        rows = conn.execute(
            select(customer_profiles.c.profile_id).where(
                among(conn, customer_profiles.c.merged_into, frontier),
                customer_profiles.c.status == "merged",
            )
        ).all()
        frontier = [r.profile_id for r in rows if r.profile_id not in family]
        family.extend(frontier)
    return family


def create_profile_row(conn: Connection, profile_id: str, traits: Mapping[str, Any], seen: datetime) -> int:
    now = clock.now()
    clean = snake_traits(traits)
    return conn.execute(
        customer_profiles.insert()
        .returning(customer_profiles.c.id)
        .values(
            profile_id=profile_id,
            status="active",
            traits=clean,
            name_key=name_key(clean),
            first_seen_at=seen,
            last_seen_at=seen,
            created_at=now,
            updated_at=now,
        )
    ).scalar_one()


def insert_identifiers(
    conn: Connection, profile_pk: int, identifiers: Iterable[Identifier], source: str, seen: datetime
) -> list[Identifier]:
    """Store new identifiers on a profile; returns those stored (one already taken is skipped)."""
    rows = [
        {
            "profile_id": profile_pk,
            "kind": i.kind,
            "value": i.value,
            "source": source[:40],
            "first_seen_at": seen,
            "last_seen_at": seen,
        }
        for i in identifiers
    ]
    if not rows:
        return []
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    # One cached statement run for each row (executemany); the returned rows are those stored.
    statement = (
        insert(customer_identifiers)
        .on_conflict_do_nothing(index_elements=["kind", "value"])
        .returning(customer_identifiers.c.kind, customer_identifiers.c.value)
    )
    return [Identifier(r.kind, r.value) for r in conn.execute(statement, rows).all()]


def identifier_rows_among(conn: Connection, identifiers: Iterable[Identifier]) -> ColumnElement[bool]:
    """A condition matching at least the rows of ``identifiers``, one cached statement whatever
    their number; callers keep the exact pairs. On PostgreSQL the exact pairs, from two array
    parameters (``(kind, value) IN (SELECT * FROM unnest(..))``): one unique-index probe per
    pair, where ``kind = ANY(..) AND value = ANY(..)`` would read every identifier of those kinds.
    On SQLite ``kind IN .. AND value IN ..``, which probes the same index for each combination."""
    pairs = list(identifiers)
    c = customer_identifiers.c
    if conn.dialect.name == "postgresql":
        wanted = (
            func.unnest(
                bindparam(None, [i.kind for i in pairs], type_=ARRAY(String())),
                bindparam(None, [i.value for i in pairs], type_=ARRAY(String())),
            )
            .table_valued("kind", "value")
            .render_derived()
        )
        return tuple_(c.kind, c.value).in_(select(wanted.c.kind, wanted.c.value))
    return and_(
        among(conn, c.kind, sorted({i.kind for i in pairs})),
        among(conn, c.value, sorted({i.value for i in pairs})),
    )


def touch_profile(
    conn: Connection,
    profile_id: str,
    *,
    traits: Mapping[str, Any] | None = None,
    seen_at: datetime | None = None,
    first_seen_at: datetime | None = None,
) -> None:
    """Apply new trait values (later values win) and widen first/last seen to include the times
    given."""
    row = profile_row(conn, profile_id)
    values: dict[str, Any] = {}
    if traits:
        merged = {**row.traits, **snake_traits(traits)}
        if merged != row.traits:
            values.update(traits=merged, name_key=name_key(merged), computed_at=None)
    first = first_seen_at or seen_at
    if first is not None and (row.first_seen_at is None or first < row.first_seen_at):
        values["first_seen_at"] = first
    if seen_at is not None and (row.last_seen_at is None or seen_at > row.last_seen_at):
        values["last_seen_at"] = seen_at
    if values:
        values["updated_at"] = clock.now()
        conn.execute(customer_profiles.update().where(customer_profiles.c.id == row.id).values(**values))
