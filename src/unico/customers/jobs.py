"""The customers domain's periodic jobs and outbox subscribers, run by the worker.

``resolve_identities`` is identity resolution for tracking events: it takes the oldest events not
yet resolved (``resolved_at IS NULL``) in batches, stitches the identifiers each one carries onto
a profile (creating or merging profiles as the rules say), applies the traits of identify calls,
moves first/last seen, and stamps the events with ``profile_id`` and ``resolved_at``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.db import Database, UTCDateTime, among
from unico.core.events import DomainEvent, record_events
from unico.core.ids import new_id
from unico.core.outbox import OutboxEvent, Subscribers
from unico.customers.graph import identifier_rows_among, resolve_profile_id
from unico.customers.identity import (
    ETICKET_CODE_PROPERTIES,
    Identifier,
    decide_stitch,
    identifiers_of_message,
    normalise_identifier,
    normalise_identifiers,
)
from unico.customers.merges import merge_profiles
from unico.customers.privacy import suppressed_among
from unico.customers.service import refresh_computed_traits
from unico.customers.stitching import SYSTEM_ACTOR, stitch
from unico.customers.store import customer_identifiers, customer_profiles
from unico.customers.tracking import UnresolvedEvent, unresolved_events
from unico.customers.tracking_store import tracking_events
from unico.fulfillment.returns_store import etickets
from unico.orders.store import orders

BATCH = 500
MAX_BATCHES_PER_TICK = 20


@dataclass(frozen=True)
class _NewProfile:
    profile_id: str
    identifiers: tuple[Identifier, ...]
    seen: datetime
    source: str


@dataclass
class _Batch:
    """One batch in progress: who holds each identifier seen so far, and the outcomes to write
    back together at the end."""

    owners: dict[Identifier, str]
    assigned: dict[int, str | None] = field(default_factory=dict)
    seen: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    sightings: dict[Identifier, datetime] = field(default_factory=dict)
    # Profiles of first sightings (nothing known, no traits), created together by ``_flush``.
    pending: list[_NewProfile] = field(default_factory=list)

    def assign(
        self, event_id: int, profile_id: str | None, at: datetime, identifiers: list[Identifier]
    ) -> None:
        self.assigned[event_id] = profile_id
        if profile_id is None:
            return
        first, last = self.seen.get(profile_id, (at, at))
        self.seen[profile_id] = (min(first, at), max(last, at))
        for identifier in identifiers:
            if self.owners.get(identifier) == profile_id and self.sightings.get(identifier, at) <= at:
                self.sightings[identifier] = at

    def absorbed(self, survivor: str, merged: Iterable[str]) -> None:
        gone = set(merged)
        if gone:
            self.owners = {i: survivor if p in gone else p for i, p in self.owners.items()}


def resolve_identities(db: Database, batch: int = BATCH) -> int:
    """Resolve up to ``batch`` unresolved tracking events, oldest first; returns how many.

    Most events name identifiers already on one profile: those are assigned from one lookup of
    the whole batch, with no write until the batch is written back. Only events bringing a new
    identifier, traits, or identifiers of several profiles go through :func:`stitch`."""
    with db.write() as conn:
        rows = unresolved_events(conn, batch)
        messages = [(row, normalise_identifiers(_pairs(row))) for row in rows]
        wanted = {i for _, identifiers in messages for i in identifiers}
        state = _Batch(owners=_owners(conn, wanted))
        for row, identifiers in messages:
            state.assign(row.id, _resolve_one(conn, row, identifiers, state), row.timestamp, identifiers)
        _write_back(conn, state)
        return len(rows)


def _pairs(row: UnresolvedEvent) -> list[tuple[str, object]]:
    return identifiers_of_message(
        source_kind=row.source_kind,
        user_id=row.user_id,
        anonymous_id=row.anonymous_id,
        traits=_identify_traits(row) if row.type == "identify" else None,
        context=row.context,
    )


def _owners(conn: Connection, identifiers: set[Identifier]) -> dict[Identifier, str]:
    found: dict[Identifier, str] = {}
    ordered = sorted(identifiers)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for kind, value, profile_id in conn.execute(
            select(customer_identifiers.c.kind, customer_identifiers.c.value, customer_profiles.c.profile_id)
            .join(customer_profiles, customer_profiles.c.id == customer_identifiers.c.profile_id)
            .where(identifier_rows_among(conn, chunk))
        ):
            found[Identifier(kind, value)] = profile_id
    return {i: p for i, p in found.items() if i in identifiers}


def _resolve_one(
    conn: Connection, row: UnresolvedEvent, identifiers: list[Identifier], state: _Batch
) -> str | None:
    anchor: str | None = None
    if row.type == "alias" and row.previous_id is not None:
        _flush(conn, state)
        anchor = _alias_anchor(conn, row, state)
        if anchor is None:
            identifiers = normalise_identifiers(
                [*((i.kind, i.value) for i in identifiers), ("anonymous_id", row.previous_id)]
            )
    if row.event == "E-ticket Opened":
        _flush(conn, state)
        anchor, code = _eticket_holder(conn, row.properties or {})
        if code is not None:
            identifiers = normalise_identifiers(
                [*((i.kind, i.value) for i in identifiers), ("receipt_code", code)]
            )
    traits = _identify_traits(row) if row.type == "identify" else None
    holders = {state.owners.get(i) for i in identifiers}
    if anchor is None and not traits and len(holders) == 1 and None not in holders:
        return holders.pop()  # every identifier already on one profile: nothing to change
    if not identifiers and anchor is None:
        return None
    if anchor is None and not traits and holders == {None}:
        # A first sighting (an anonymous visitor, mostly): decided here, written in bulk later.
        decision = decide_stitch(identifiers, {}, {})
        profile_id = new_id("cus")
        state.pending.append(_NewProfile(profile_id, decision.add, row.timestamp, row.source_kind))
        state.owners.update(dict.fromkeys(decision.add, profile_id))
        return profile_id
    _flush(conn, state)
    result = stitch(
        conn,
        identifiers,
        traits=traits,
        source=row.source_kind,
        seen_at=row.timestamp,
        anchor=anchor,
        touch=False,
        known_new=anchor is None and holders == {None},
    )
    if result.profile_id is not None:
        state.absorbed(result.profile_id, result.merged)
        for identifier in identifiers:
            if identifier not in result.dropped:
                state.owners[identifier] = result.profile_id
    return result.profile_id


def _flush(conn: Connection, state: _Batch) -> None:
    """Create the pending first-sighting profiles with one statement per table. An identifier
    another transaction stored meanwhile (PostgreSQL) is stitched the ordinary way instead."""
    pending, state.pending = state.pending, []
    if not pending:
        return
    now = clock.now()
    conn.execute(
        customer_profiles.insert(),
        [
            {
                "profile_id": n.profile_id,
                "status": "active",
                "traits": {},
                "name_key": "",
                "first_seen_at": n.seen,
                "last_seen_at": n.seen,
                "created_at": now,
                "updated_at": now,
            }
            for n in pending
        ],
    )
    pks = dict(
        conn.execute(
            select(customer_profiles.c.profile_id, customer_profiles.c.id).where(
                among(conn, customer_profiles.c.profile_id, [n.profile_id for n in pending])
            )
        ).all()
    )
    wanted = [(pks[n.profile_id], i, n) for n in pending for i in n.identifiers]
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stored = {
        Identifier(r.kind, r.value)
        for r in conn.execute(
            insert(customer_identifiers)
            .on_conflict_do_nothing(index_elements=["kind", "value"])
            .returning(customer_identifiers.c.kind, customer_identifiers.c.value),
            [
                {
                    "profile_id": pk,
                    "kind": i.kind,
                    "value": i.value,
                    "source": n.source[:40],
                    "first_seen_at": n.seen,
                    "last_seen_at": n.seen,
                }
                for pk, i, n in wanted
            ],
        )
    }
    record_events(
        conn,
        [
            DomainEvent("customer.profile_created", "customer", n.profile_id, {"profile_id": n.profile_id})
            for n in pending
        ],
    )
    for n in pending:
        missed = [i for i in n.identifiers if i not in stored]
        if missed:
            result = stitch(conn, missed, source=n.source, seen_at=n.seen, anchor=n.profile_id, touch=False)
            if result.profile_id is not None:
                state.absorbed(result.profile_id, result.merged)


def _alias_anchor(conn: Connection, row: UnresolvedEvent, state: _Batch) -> str | None:
    """An alias whose previous id is a known user id joins two users: merge them (the older one
    survives) and anchor the event there. Otherwise the previous id is an anonymous id."""
    previous = normalise_identifier("user_id", row.previous_id)
    current = normalise_identifier("user_id", row.user_id)
    if previous is None:
        return None
    owners = {
        r.value: r.profile_id
        for r in conn.execute(
            select(customer_identifiers.c.value, customer_profiles.c.profile_id, customer_profiles.c.id)
            .join(customer_profiles, customer_profiles.c.id == customer_identifiers.c.profile_id)
            .where(
                customer_identifiers.c.kind == "user_id",
                among(conn, customer_identifiers.c.value, [v for v in (previous, current) if v]),
            )
        )
    }
    if previous not in owners:
        return None
    mine = owners[previous]
    theirs = owners.get(current) if current else None
    if theirs is not None and theirs != mine:
        survivor, merged = sorted((mine, theirs), key=lambda p: _age(conn, p))
        merge_profiles(conn, survivor, merged, "alias", SYSTEM_ACTOR, {"kinds": ["user_id"]})
        state.absorbed(survivor, [merged])
        return survivor
    return mine


def _age(conn: Connection, profile_id: str) -> int:
    return int(
        conn.execute(
            select(customer_profiles.c.id).where(customer_profiles.c.profile_id == profile_id)
        ).scalar_one()
    )


def _eticket_holder(conn: Connection, properties: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The profile whose order an opened e-ticket belongs to, and the ticket's code."""
    raw = next((properties[k] for k in ETICKET_CODE_PROPERTIES if properties.get(k)), None)
    code = normalise_identifier("receipt_code", raw) if isinstance(raw, str) else None
    if code is None:
        return None, None
    customer = conn.execute(
        select(orders.c.customer_id)
        .join(etickets, etickets.c.order_id == orders.c.id)
        .where(etickets.c.code == code)
    ).scalar_one_or_none()
    if customer is None:
        return None, code
    return resolve_profile_id(conn, customer), code


def _identify_traits(row: UnresolvedEvent) -> dict[str, Any]:
    context_traits = (row.context or {}).get("traits") or {}
    return {**(context_traits if isinstance(context_traits, dict) else {}), **(row.traits or {})}


def _write_back(conn: Connection, state: _Batch) -> None:
    """Stamp the batch's events, and move first/last seen of profiles and identifiers, with one
    statement each (executemany)."""
    _flush(conn, state)
    current = _current_profiles(conn, {p for p in state.assigned.values() if p is not None})
    now = clock.now()
    if state.assigned:
        conn.execute(
            tracking_events.update()
            .where(tracking_events.c.id == bindparam("event_pk"))
            .values(profile_id=bindparam("profile"), resolved_at=now),
            [{"event_pk": e, "profile": current.get(p) if p else None} for e, p in state.assigned.items()],
        )
    seen: dict[str, tuple[datetime, datetime]] = {}
    for profile_id, (first, last) in state.seen.items():
        target = current[profile_id]
        old = seen.get(target, (first, last))
        seen[target] = (min(old[0], first), max(old[1], last))
    if seen:
        first_at = bindparam("first_at", type_=UTCDateTime())
        last_at = bindparam("last_at", type_=UTCDateTime())
        p = customer_profiles.c
        conn.execute(
            customer_profiles.update()
            .where(p.profile_id == bindparam("profile"))
            .values(
                first_seen_at=case(
                    (or_(p.first_seen_at.is_(None), p.first_seen_at > first_at), first_at),
                    else_=p.first_seen_at,
                ),
                last_seen_at=case(
                    (or_(p.last_seen_at.is_(None), p.last_seen_at < last_at), last_at), else_=p.last_seen_at
                ),
                computed_at=None,
            ),
            [{"profile": k, "first_at": f, "last_at": last} for k, (f, last) in seen.items()],
        )
    if state.sightings:
        at = bindparam("at", type_=UTCDateTime())
        i = customer_identifiers.c
        conn.execute(
            customer_identifiers.update()
            .where(i.kind == bindparam("k"), i.value == bindparam("v"), i.last_seen_at < at)
            .values(last_seen_at=at),
            [{"k": ident.kind, "v": ident.value, "at": t} for ident, t in state.sightings.items()],
        )


def _current_profiles(conn: Connection, profile_ids: set[str]) -> dict[str, str]:
    """Each profile id -> the profile it lives in now (a merge may have absorbed it meanwhile)."""
    current = {p: p for p in profile_ids}
    merged = (
        [
            r.profile_id
            for r in conn.execute(
                select(customer_profiles.c.profile_id).where(
                    among(conn, customer_profiles.c.profile_id, sorted(profile_ids)),
                    customer_profiles.c.status == "merged",
                )
            )
        ]
        if profile_ids
        else []
    )
    for profile_id in merged:
        current[profile_id] = resolve_profile_id(conn, profile_id)
    return current


def resolve_all_identities(db: Database, batch: int = BATCH, max_batches: int | None = None) -> int:
    """Resolve pending events batch after batch until none is left (or ``max_batches`` ran);
    returns how many."""
    total, runs = 0, 0
    while max_batches is None or runs < max_batches:
        done = resolve_identities(db, batch)
        total, runs = total + done, runs + 1
        if done < batch:
            break
    return total


def resolve_identities_tick(db: Database) -> int:
    """The worker's periodic job: a bounded drain, so that other jobs still get their turn."""
    return resolve_all_identities(db, BATCH, max_batches=MAX_BATCHES_PER_TICK)


PERIODIC_JOBS: tuple[tuple[str, Callable[[Database], int]], ...] = (
    ("resolve_identities", resolve_identities_tick),
    ("refresh_computed_traits", refresh_computed_traits),
)


def subscribe(subscribers: Subscribers, db: Database) -> None:
    """Register this domain's in-process event handlers: an order changing makes its customer's
    computed traits (spend, favourite store...) stale."""

    def on_order_event(conn: Connection, event: OutboxEvent) -> None:
        customer = event.payload.get("customer_id")
        if isinstance(customer, str) and customer:
            conn.execute(
                customer_profiles.update()
                .where(customer_profiles.c.profile_id == customer)
                .values(computed_at=None)
            )

    subscribers.register("customers.computed_traits", on_order_event, ["order.*"])
    subscribers.register("customers.order_customer", link_order_customer, ["order.placed"])


def link_order_customer(conn: Connection, event: OutboxEvent) -> None:
    """A guest order (no ``customer_id``) that gives an email or a phone joins the profile those
    identify, created if need be: the web checkout, the contact center and the till then add up
    to one customer. Suppressed (erased) people are not brought back."""
    order_id = event.payload.get("order_id")
    row = conn.execute(
        select(orders.c.id, orders.c.channel, orders.c.customer_email, orders.c.customer_phone)
        .where(orders.c.order_id == order_id, orders.c.customer_id.is_(None))
        .with_for_update()
    ).first()
    if row is None:
        return
    given = {k: v for k, v in (("email", row.customer_email), ("phone", row.customer_phone)) if v}
    normal = normalise_identifiers(given.items())
    if not normal or suppressed_among(conn, given.items()):
        return
    profile_id = stitch(conn, normal, source=row.channel).profile_id
    if profile_id is None:
        return
    conn.execute(orders.update().where(orders.c.id == row.id).values(customer_id=profile_id))
    conn.execute(
        customer_profiles.update()
        .where(customer_profiles.c.profile_id == profile_id)
        .values(computed_at=None)
    )
