"""Where personal data lives: a registry of the tables that hold a person's rows, how to find
them, and what erasure does with each (delete, anonymise, or keep as a fact without personal data).

Export and erasure both walk it, so a table listed here is exported and erased alike. Tables a
later issue adds are found without being listed:

- a table with a foreign key to ``customer_profiles.id``, or a text column named ``profile_id``
  or ``customer_id``, holds rows about the person: exported, and deleted on erasure;
- a table with a foreign key to a table already holding the person's rows (order lines of their
  orders, lines of their carts) is exported with it, and deleted on erasure only if its parent is.

A new table with personal data in other columns (an email kept beside an order, say) needs an
entry in :data:`REGISTRY`; the erasure test scans every table of the schema to catch one missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, String, Table, false, func, or_, select
from sqlalchemy.engine import Connection

from unico.core.db import among, metadata
from unico.customers.identity import IdentifierKind
from unico.customers.matching_store import match_reviews
from unico.customers.privacy_store import customer_consents, erasures, suppressions
from unico.customers.store import (
    customer_identifiers,
    customer_profiles,
    customer_relations,
    identity_merges,
)
from unico.customers.tracking_store import tracking_events
from unico.fulfillment.returns_store import etickets
from unico.orders.store import carts, orders

CHUNK = 900


@dataclass(frozen=True)
class Person:
    """One person as the database knows them: the profile asked for, every profile merged into
    it (``profile_ids``, ``row_ids`` their internal ids), and every identifier they hold."""

    profile_id: str
    profile_ids: tuple[str, ...]
    row_ids: tuple[int, ...]
    identifiers: tuple[tuple[str, str], ...]

    def values(self, *kinds: str) -> list[str]:
        return sorted({value for kind, value in self.identifiers if kind in kinds})


class Fate(StrEnum):
    """What erasure does to a table's rows of the person."""

    DELETE = "delete"
    ANONYMISE = "anonymise"  # set ``Entry.blank`` columns; the row stays as a fact
    KEEP = "keep"  # no personal data in it: exported, left alone


Where = Callable[[Connection, Person], ColumnElement[bool]]


@dataclass(frozen=True)
class Entry:
    table: Table
    where: Where
    fate: Fate
    blank: dict[str, Any] = field(default_factory=dict)


def _in(conn: Connection, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    return among(conn, column, values) if values else false()


def _profiles(conn: Connection, p: Person) -> ColumnElement[bool]:
    return _in(conn, customer_profiles.c.id, p.row_ids)


def _events(conn: Connection, p: Person) -> ColumnElement[bool]:
    e = tracking_events
    users = p.values(IdentifierKind.USER_ID)
    anonymous = p.values(IdentifierKind.ANONYMOUS_ID)
    return or_(
        _in(conn, e.c.profile_id, p.profile_ids),
        _in(conn, e.c.user_id, users),
        _in(conn, e.c.anonymous_id, anonymous),
        _in(conn, e.c.previous_id, users + anonymous),
    )


def _orders(conn: Connection, p: Person) -> ColumnElement[bool]:
    # Guest orders carry the email but no profile: they are the person's too.
    return or_(
        _in(conn, orders.c.customer_id, p.profile_ids),
        _in(conn, func.lower(orders.c.customer_email, type_=String), p.values(IdentifierKind.EMAIL)),
    )


def _person_orders(conn: Connection, p: Person) -> Any:
    return select(orders.c.id).where(_orders(conn, p))


# Order matters only for readability: erasure acts children-first by the schema's own order.
REGISTRY: tuple[Entry, ...] = (
    Entry(
        customer_profiles,
        _profiles,
        Fate.ANONYMISE,
        {"traits": {}, "name_key": "", "computed": None, "computed_at": None, "status": "erased"},
    ),
    Entry(
        customer_identifiers, lambda c, p: _in(c, customer_identifiers.c.profile_id, p.row_ids), Fate.DELETE
    ),
    Entry(
        customer_relations,
        lambda c, p: or_(
            _in(c, customer_relations.c.profile_id, p.row_ids),
            _in(c, customer_relations.c.other_profile_id, p.row_ids),
        ),
        Fate.DELETE,
    ),
    Entry(
        identity_merges,
        lambda c, p: or_(
            _in(c, identity_merges.c.survivor, p.profile_ids), _in(c, identity_merges.c.merged, p.profile_ids)
        ),
        Fate.DELETE,
    ),
    Entry(customer_consents, lambda c, p: _in(c, customer_consents.c.profile_id, p.row_ids), Fate.DELETE),
    Entry(tracking_events, _events, Fate.DELETE),
    Entry(
        orders,
        _orders,
        Fate.ANONYMISE,
        {"customer_email": None, "customer_name": None, "customer_phone": None, "shipping_address": None},
    ),
    Entry(
        carts,
        lambda c, p: or_(
            _in(c, carts.c.customer_id, p.profile_ids),
            _in(c, carts.c.anonymous_id, p.values(IdentifierKind.ANONYMOUS_ID)),
        ),
        Fate.DELETE,
    ),
    Entry(
        match_reviews,
        lambda c, p: or_(
            _in(c, match_reviews.c.survivor, p.profile_ids), _in(c, match_reviews.c.candidate, p.profile_ids)
        ),
        Fate.DELETE,
    ),
    # The digital receipt was sent to the person and its code is one of their identifiers.
    Entry(etickets, lambda c, p: etickets.c.order_id.in_(_person_orders(c, p)), Fate.DELETE),
    # Hashes and pseudonymous ids only; they must outlive the erasure.
    Entry(suppressions, lambda c, p: _in(c, suppressions.c.profile_id, p.profile_ids), Fate.KEEP),
    Entry(erasures, lambda c, p: _in(c, erasures.c.profile_id, p.profile_ids), Fate.KEEP),
)


def _linked_roots(known: set[str]) -> list[Entry]:
    """Tables not in the registry that point at a profile: rows about the person, deleted."""
    found = []
    for table in metadata.sorted_tables:
        if table.name in known:
            continue
        fks = [
            fk.parent
            for fk in table.foreign_keys
            if fk.column.table is customer_profiles and fk.column.name == "id"
        ]
        named = [
            c
            for c in table.columns
            if c.name in ("profile_id", "customer_id") and isinstance(c.type, String) and not c.foreign_keys
        ]
        if not fks and not named:
            continue

        def where(
            conn: Connection, p: Person, fks: list[Any] = fks, named: list[Any] = named
        ) -> ColumnElement[bool]:
            return or_(*(_in(conn, c, p.row_ids) for c in fks), *(_in(conn, c, p.profile_ids) for c in named))

        found.append(Entry(table, where, Fate.DELETE))
    return found


def entries() -> list[Entry]:
    """The registry plus the tables discovered to point at a profile."""
    return [*REGISTRY, *_linked_roots({e.table.name for e in REGISTRY})]


# --- finding a person's rows ------------------------------------------------------------------


@dataclass
class Found:
    """A table's rows of the person, by primary key, and what erasure does with them."""

    table: Table
    fate: Fate
    keys: list[Any]
    blank: dict[str, Any] = field(default_factory=dict)


def _single_key(table: Table) -> Any | None:
    keys = list(table.primary_key.columns)
    return keys[0] if len(keys) == 1 else None


def find_rows(conn: Connection, person: Person) -> dict[str, Found]:
    """Every row of the person in the schema, by table name.

    Roots come from :func:`entries`; children are followed through foreign keys to tables with
    rows already found, until nothing new turns up. A child is deleted if its parent is, else kept.
    """
    found: dict[str, Found] = {}
    for entry in entries():
        key = _single_key(entry.table)
        if key is None:
            continue
        keys = list(conn.execute(select(key).where(entry.where(conn, person)).order_by(key)).scalars())
        if keys:
            found[entry.table.name] = Found(entry.table, entry.fate, keys, entry.blank)
    registered = {e.table.name for e in REGISTRY}
    changed = True
    while changed:
        changed = False
        for table in metadata.sorted_tables:
            key = _single_key(table)
            if key is None or table.name in registered:
                continue
            for fk in table.foreign_keys:
                parent = found.get(fk.column.table.name)
                if parent is None or parent.table is table:
                    continue
                fate = Fate.DELETE if parent.fate is Fate.DELETE else Fate.KEEP
                children: set[Any] = set()
                for start in range(0, len(parent.keys), CHUNK):
                    chunk = parent.keys[start : start + CHUNK]
                    children.update(conn.execute(select(key).where(among(conn, fk.parent, chunk))).scalars())
                mine = found.get(table.name)
                if mine is None:
                    if children:
                        found[table.name] = Found(table, fate, sorted(children))
                        changed = True
                    continue
                new = children - set(mine.keys)
                if new or (fate is Fate.DELETE and mine.fate is not Fate.DELETE):
                    mine.keys = sorted(set(mine.keys) | children)
                    if fate is Fate.DELETE and mine.fate is Fate.KEEP:
                        mine.fate = Fate.DELETE
                    changed = True
    return found


def in_schema_order(found: dict[str, Found]) -> list[Found]:
    """Parents before children (reverse it to delete)."""
    order = {t.name: i for i, t in enumerate(metadata.sorted_tables)}
    return sorted(found.values(), key=lambda f: order[f.table.name])
