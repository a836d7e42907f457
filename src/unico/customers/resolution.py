"""Identity resolution of tracking events, run by the worker (see ``customers.jobs``).

``resolve_identities`` is identity resolution for tracking events: it takes the oldest events not
yet resolved (``resolved_at IS NULL``) in batches, stitches the identifiers each one carries onto
a profile (creating or merging profiles as the rules say), applies the traits of identify calls,
moves first/last seen, and stamps the events with ``profile_id`` and ``resolved_at``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import bindparam, case, func, or_, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from unico.core import clock
from unico.core.db import Database, UTCDateTime, among
from unico.core.events import DomainEvent, record_events
from unico.core.ids import new_id
from unico.customers.graph import identifier_rows_among, name_key, resolve_profile_id, snake_traits
from unico.customers.identity import (
    ETICKET_CODE_PROPERTIES,
    Holding,
    Identifier,
    decide_stitch,
    identifiers_of_message,
    normalise_identifier,
    normalise_identifiers,
)
from unico.customers.merges import merge_profiles
from unico.customers.stitching import SYSTEM_ACTOR, stitch
from unico.customers.store import customer_identifiers, customer_profiles
from unico.customers.tracking import UnresolvedEvent, unresolved_events
from unico.customers.tracking_store import tracking_events
from unico.fulfillment.returns_store import etickets
from unico.orders.store import orders

BATCH = 500
DEADLOCK_RETRIES = 2
MAX_BATCHES_PER_TICK = 20


@dataclass(frozen=True)
class _NewProfile:
    profile_id: str
    identifiers: tuple[Identifier, ...]
    seen: datetime
    source: str
    traits: Mapping[str, Any]


@dataclass(frozen=True)
class _Attachment:
    profile_id: str
    identifiers: tuple[Identifier, ...]
    seen: datetime
    source: str


@dataclass
class _Batch:
    """One batch in progress: who holds each identifier seen so far, what each of those profiles
    holds (for the limits), and the outcomes to write back together at the end."""

    owners: dict[Identifier, str]
    # Profile id -> (internal id, identifier count per kind); None until a profile's internal id
    # is known (created in this batch and not flushed yet).
    holdings: dict[str, tuple[int | None, dict[str, int]]] = field(default_factory=dict)
    assigned: dict[int, str | None] = field(default_factory=dict)
    seen: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)
    sightings: dict[Identifier, datetime] = field(default_factory=dict)
    # Decided in memory, written together by ``_flush`` (before anything reads the graph again):
    # new profiles, identifiers added to known profiles, traits to apply in arrival order.
    pending: list[_NewProfile] = field(default_factory=list)
    attachments: list[_Attachment] = field(default_factory=list)
    traits: list[tuple[str, Mapping[str, Any]]] = field(default_factory=list)
    # Identifiers this batch stores, and the last-seen time they are stored with.
    stored_at: dict[Identifier, datetime] = field(default_factory=dict)

    def assign(
        self, event_id: int, profile_id: str | None, at: datetime, identifiers: list[Identifier]
    ) -> None:
        self.assigned[event_id] = profile_id
        if profile_id is None:
            return
        first, last = self.seen.get(profile_id, (at, at))
        self.seen[profile_id] = (min(first, at), max(last, at))
        for identifier in identifiers:
            stored = self.stored_at.get(identifier)
            if stored is not None and at <= stored:
                continue  # this batch stores it with a last-seen time as late: nothing to move
            if self.owners.get(identifier) == profile_id and self.sightings.get(identifier, at) <= at:
                self.sightings[identifier] = at

    def absorbed(self, survivor: str, merged: Iterable[str]) -> None:
        gone = set(merged)
        if gone:
            self.owners = {i: survivor if p in gone else p for i, p in self.owners.items()}

    def holding(self, profile_id: str) -> Holding | None:
        """What ``profile_id`` holds, if known to this batch (its age: the internal id, and
        profiles created in this batch are the youngest)."""
        known = self.holdings.get(profile_id)
        if known is None:
            return None
        pk, counts = known
        return Holding(counts, pk if pk is not None else 2**62)

    def added(self, profile_id: str, identifiers: Iterable[Identifier], at: datetime) -> None:
        _, counts = self.holdings.setdefault(profile_id, (None, {}))
        for identifier in identifiers:
            self.stored_at[identifier] = at
            counts[identifier.kind] = counts.get(identifier.kind, 0) + 1
            self.owners[identifier] = profile_id


def resolve_identities(db: Database, batch: int = BATCH) -> int:
    """Resolve up to ``batch`` unresolved tracking events, oldest first; returns how many.

    The whole batch's identifiers are looked up at once (their profiles locked on PostgreSQL).
    The common outcomes are decided in memory by the same rules as :func:`stitch` and written
    together: identifiers all on one profile (assigned), all new (a profile created), new ones
    joining one known profile (attached, traits applied). Only events that merge profiles, alias
    or open an e-ticket go through :func:`stitch` one by one.

    On PostgreSQL one worker resolves at a time (a transaction-level advisory lock; a worker that
    finds it taken returns 0 and leaves the queue to the one holding it): two workers resolving
    events of the same person at once would create two profiles to merge, and could deadlock on
    each other's identifiers. A deadlock with another writer of the graph (an API call, an
    import) rolls the batch back whole and tries again, now seeing what the other committed."""
    for attempt in range(DEADLOCK_RETRIES + 1):
        try:
            return _resolve_batch(db, batch)
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != "40P01" or attempt == DEADLOCK_RETRIES:
                raise
    raise AssertionError("unreachable")


# The key of the advisory lock that lets one worker resolve at a time ("unico_id" in ASCII).
RESOLUTION_LOCK = 0x756E69636F5F6964


def _resolve_batch(db: Database, batch: int) -> int:
    with db.write() as conn:
        if (
            conn.dialect.name == "postgresql"
            and not conn.execute(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": RESOLUTION_LOCK}
            ).scalar_one()
        ):
            return 0
        rows = unresolved_events(conn, batch)
        messages = [(row, normalise_identifiers(_pairs(row))) for row in rows]
        wanted = {i for _, identifiers in messages for i in identifiers}
        owners, holdings = _locked_owners(conn, wanted)
        state = _Batch(owners=owners, holdings=holdings)
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


def _owners(conn: Connection, identifiers: set[Identifier]) -> dict[Identifier, tuple[str, int]]:
    """Identifier -> (profile id, its internal id) of those already in the graph."""
    found: dict[Identifier, tuple[str, int]] = {}
    ordered = sorted(identifiers)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        for kind, value, profile_id, pk in conn.execute(
            select(
                customer_identifiers.c.kind,
                customer_identifiers.c.value,
                customer_profiles.c.profile_id,
                customer_profiles.c.id,
            )
            .join(customer_profiles, customer_profiles.c.id == customer_identifiers.c.profile_id)
            .where(identifier_rows_among(conn, chunk))
        ):
            found[Identifier(kind, value)] = (profile_id, pk)
    return {i: p for i, p in found.items() if i in identifiers}


def _locked_owners(
    conn: Connection, identifiers: set[Identifier]
) -> tuple[dict[Identifier, str], dict[str, tuple[int | None, dict[str, int]]]]:
    """Owners of ``identifiers`` and what each owning profile holds. On PostgreSQL the owning
    profiles are locked first, in profile-id order as :func:`stitch` and merges lock them, and
    the graph read again: what this batch decides on cannot change under it (a concurrent worker
    attaching to the same profile waits, then sees our identifiers counted against the limits)."""
    found = _owners(conn, identifiers)
    if conn.dialect.name == "postgresql":
        locked: set[str] = set()
        for _ in range(8):
            needed = {p for p, _ in found.values()}
            if needed <= locked:
                break
            conn.execute(
                select(customer_profiles.c.id)
                .where(among(conn, customer_profiles.c.profile_id, sorted(needed - locked)))
                .order_by(customer_profiles.c.profile_id)
                .with_for_update()
            ).all()
            locked |= needed
            found = _owners(conn, identifiers)
    pks = {p: pk for p, pk in found.values()}
    return {i: p for i, (p, _) in found.items()}, _holdings(conn, pks)


def _holdings(conn: Connection, pks: Mapping[str, int]) -> dict[str, tuple[int | None, dict[str, int]]]:
    """Profile id -> (internal id, identifier count per kind), for the profiles of ``pks``."""
    holdings: dict[str, tuple[int | None, dict[str, int]]] = {p: (pk, {}) for p, pk in pks.items()}
    by_pk = {pk: p for p, pk in pks.items()}
    ordered = sorted(by_pk)
    for start in range(0, len(ordered), 1000):
        for pk, kind, count in conn.execute(
            select(customer_identifiers.c.profile_id, customer_identifiers.c.kind, func.count())
            .where(among(conn, customer_identifiers.c.profile_id, ordered[start : start + 1000]))
            .group_by(customer_identifiers.c.profile_id, customer_identifiers.c.kind)
        ):
            holdings[by_pk[pk]][1][kind] = int(count)
    return holdings


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
    if anchor is None and holders == {None}:
        # A first sighting (an anonymous visitor, mostly): decided here, written in bulk later.
        decision = decide_stitch(identifiers, {}, {})
        profile_id = new_id("cus")
        state.pending.append(
            _NewProfile(profile_id, decision.add, row.timestamp, row.source_kind, traits or {})
        )
        state.added(profile_id, decision.add, row.timestamp)
        return profile_id
    attached = _attach_in_memory(row, identifiers, traits, state) if anchor is None else None
    if attached is not None:
        return attached
    # What stitch will read and change is the graph of these profiles: only their pending writes
    # need to be in the database first.
    _flush(conn, state, only={p for p in holders if p is not None} | ({anchor} if anchor else set()))
    result = stitch(
        conn,
        identifiers,
        traits=traits,
        source=row.source_kind,
        seen_at=row.timestamp,
        anchor=anchor,
        touch=False,
    )
    if result.profile_id is not None:
        _stitched(conn, state, result.profile_id, result.merged)
        for identifier in identifiers:
            if identifier not in result.dropped:
                state.owners[identifier] = result.profile_id
    return result.profile_id


def _attach_in_memory(
    row: UnresolvedEvent, identifiers: list[Identifier], traits: dict[str, Any] | None, state: _Batch
) -> str | None:
    """The event's identifiers are on one profile, some new, or it brings traits: if the rules
    attach them (no merge), record that for ``_flush`` and return the profile; else None."""
    known = {state.owners[i] for i in identifiers if i in state.owners}
    if len(known) != 1:
        return None
    [profile_id] = known
    holding = state.holding(profile_id)
    if holding is None:
        return None
    owners = {i: profile_id for i in identifiers if i in state.owners}
    decision = decide_stitch(identifiers, owners, {profile_id: holding})
    if decision.action != "attach" or decision.profile != profile_id:
        return None
    if decision.add:
        state.attachments.append(_Attachment(profile_id, decision.add, row.timestamp, row.source_kind))
        state.added(profile_id, decision.add, row.timestamp)
    if traits:
        state.traits.append((profile_id, traits))
    return profile_id


def _stitched(conn: Connection, state: _Batch, survivor: str, merged: Iterable[str]) -> None:
    """After a :func:`stitch`: profiles it merged are gone, and what the survivor holds is read
    again (a merge or a demotion changed it)."""
    gone = set(merged)
    state.absorbed(survivor, gone)
    for profile_id in gone:
        state.holdings.pop(profile_id, None)
    pk = conn.execute(
        select(customer_profiles.c.id).where(customer_profiles.c.profile_id == survivor)
    ).scalar_one()
    state.holdings.update(_holdings(conn, {survivor: pk}))


_Pending = TypeVar("_Pending", _NewProfile, _Attachment)


def _split(items: list[_Pending], profiles: set[str]) -> tuple[list[_Pending], list[_Pending]]:
    """``items`` of ``profiles``, and the others."""
    return [i for i in items if i.profile_id in profiles], [i for i in items if i.profile_id not in profiles]


def _flush(conn: Connection, state: _Batch, only: set[str] | None = None) -> None:
    """Write what was decided in memory (for the profiles ``only``, else all), one statement per
    table: new profiles (with their traits), their identifiers and those attached to known
    profiles, then the traits of later identify calls. An identifier another transaction stored
    meanwhile (PostgreSQL) is stitched the ordinary way instead, which joins its profile to ours."""
    if only is None:
        pending, state.pending = state.pending, []
        attachments, state.attachments = state.attachments, []
        traits, state.traits = state.traits, []
    else:
        pending, state.pending = _split(state.pending, only)
        attachments, state.attachments = _split(state.attachments, only)
        traits = [t for t in state.traits if t[0] in only]
        state.traits = [t for t in state.traits if t[0] not in only]
    if not pending and not attachments and not traits:
        return
    now = clock.now()
    if pending:
        created = [(n, snake_traits(n.traits)) for n in pending]
        conn.execute(
            customer_profiles.insert(),
            [
                {
                    "profile_id": n.profile_id,
                    "status": "active",
                    "traits": clean,
                    "name_key": name_key(clean),
                    "first_seen_at": n.seen,
                    "last_seen_at": n.seen,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, clean in created
            ],
        )
    groups: list[_NewProfile | _Attachment] = [*pending, *attachments]
    pks = dict(
        conn.execute(
            select(customer_profiles.c.profile_id, customer_profiles.c.id).where(
                among(conn, customer_profiles.c.profile_id, sorted({g.profile_id for g in groups}))
            )
        ).all()
    )
    for n in pending:
        state.holdings[n.profile_id] = (pks[n.profile_id], state.holdings[n.profile_id][1])
    # In (kind, value) order, as a concurrent worker inserts its own: each then waits for the
    # other on a shared identifier in the same order, instead of deadlocking.
    wanted = sorted(((pks[g.profile_id], i, g) for g in groups for i in g.identifiers), key=lambda w: w[1])
    stored = _insert_identifiers(conn, wanted) if wanted else set()
    record_events(
        conn,
        [
            DomainEvent("customer.profile_created", "customer", n.profile_id, {"profile_id": n.profile_id})
            for n in pending
        ],
    )
    _apply_traits(conn, traits, now)
    for g in groups:
        missed = [i for i in g.identifiers if i not in stored]
        if missed:
            for identifier in missed:
                state.stored_at.pop(identifier, None)
            anchor = resolve_profile_id(conn, g.profile_id)
            result = stitch(conn, missed, source=g.source, seen_at=g.seen, anchor=anchor, touch=False)
            if result.profile_id is not None:
                _stitched(conn, state, result.profile_id, result.merged)


# PostgreSQL: the rows as six array parameters, one statement text whatever their number (so it
# is prepared once), instead of a multi-row VALUES list rebuilt and parsed for every flush.
_PG_INSERT_IDENTIFIERS = text(
    "INSERT INTO customer_identifiers (profile_id, kind, value, source, first_seen_at, last_seen_at) "
    "SELECT * FROM unnest(CAST(:pks AS bigint[]), CAST(:kinds AS varchar[]), "
    "CAST(:vals AS varchar[]), CAST(:sources AS varchar[]), CAST(:ats AS timestamptz[]), "
    "CAST(:ats AS timestamptz[])) "
    "ON CONFLICT (kind, value) DO NOTHING RETURNING kind, value"
)


def _insert_identifiers(
    conn: Connection, wanted: list[tuple[int, Identifier, _NewProfile | _Attachment]]
) -> set[Identifier]:
    """Store ``(profile pk, identifier, where it came from)`` rows; returns those stored (one
    another transaction holds already is skipped)."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(
            _PG_INSERT_IDENTIFIERS,
            {
                "pks": [pk for pk, _, _ in wanted],
                "kinds": [i.kind for _, i, _ in wanted],
                "vals": [i.value for _, i, _ in wanted],
                "sources": [g.source[:40] for _, _, g in wanted],
                "ats": [g.seen for _, _, g in wanted],
            },
        )
    else:
        rows = conn.execute(
            sqlite.insert(customer_identifiers)
            .on_conflict_do_nothing(index_elements=["kind", "value"])
            .returning(customer_identifiers.c.kind, customer_identifiers.c.value),
            [
                {
                    "profile_id": pk,
                    "kind": i.kind,
                    "value": i.value,
                    "source": g.source[:40],
                    "first_seen_at": g.seen,
                    "last_seen_at": g.seen,
                }
                for pk, i, g in wanted
            ],
        )
    return {Identifier(r.kind, r.value) for r in rows}


_PG_SET_TRAITS = text(
    "UPDATE customer_profiles AS p SET traits = CAST(v.traits AS jsonb), name_key = v.name_key, "
    "computed_at = NULL, updated_at = :now "
    "FROM unnest(CAST(:pks AS bigint[]), CAST(:traits AS text[]), CAST(:names AS varchar[])) "
    "AS v(pk, traits, name_key) WHERE p.id = v.pk"
)


def _apply_traits(conn: Connection, updates: list[tuple[str, Mapping[str, Any]]], now: datetime) -> None:
    """Apply identify traits to their profiles in arrival order (later values win), as
    ``touch_profile`` does one by one: one read, and one write per profile that changed."""
    if not updates:
        return
    p = customer_profiles.c
    rows = conn.execute(
        select(p.id, p.profile_id, p.traits).where(
            among(conn, p.profile_id, sorted({profile_id for profile_id, _ in updates}))
        )
    ).all()
    before = {r.profile_id: (r.id, r.traits) for r in rows}
    after = {profile_id: traits for profile_id, (_, traits) in before.items()}
    for profile_id, traits in updates:
        after[profile_id] = {**after[profile_id], **snake_traits(traits)}
    changed = [
        {"pk": before[k][0], "traits": v, "name_key": name_key(v)}
        for k, v in after.items()
        if v != before[k][1]
    ]
    if changed and conn.dialect.name == "postgresql":
        conn.execute(
            _PG_SET_TRAITS,
            {
                "now": now,
                "pks": [c["pk"] for c in changed],
                "traits": [orjson.dumps(c["traits"]).decode() for c in changed],
                "names": [c["name_key"] for c in changed],
            },
        )
    elif changed:
        conn.execute(
            customer_profiles.update()
            .where(p.id == bindparam("pk"))
            .values(
                traits=bindparam("traits", type_=customer_profiles.c.traits.type),
                name_key=bindparam("name_key"),
                computed_at=None,
                updated_at=now,
            ),
            changed,
        )


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
    statement each: on PostgreSQL one ``UPDATE .. FROM unnest(arrays)`` (an executemany would
    still send one statement per row), on SQLite an executemany."""
    _flush(conn, state)
    current = _current_profiles(conn, {p for p in state.assigned.values() if p is not None})
    now = clock.now()
    stamps = [(e, current.get(p) if p else None) for e, p in state.assigned.items()]
    seen: dict[str, tuple[datetime, datetime]] = {}
    for profile_id, (first, last) in state.seen.items():
        target = current[profile_id]
        old = seen.get(target, (first, last))
        seen[target] = (min(old[0], first), max(old[1], last))
    sightings = list(state.sightings.items())
    if conn.dialect.name == "postgresql":
        _write_back_pg(conn, stamps, seen, sightings, now)
        return
    if stamps:
        conn.execute(
            tracking_events.update()
            .where(tracking_events.c.id == bindparam("event_pk"))
            .values(profile_id=bindparam("profile"), resolved_at=now),
            [{"event_pk": e, "profile": p} for e, p in stamps],
        )
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
    if sightings:
        at = bindparam("at", type_=UTCDateTime())
        i = customer_identifiers.c
        conn.execute(
            customer_identifiers.update()
            .where(i.kind == bindparam("k"), i.value == bindparam("v"), i.last_seen_at < at)
            .values(last_seen_at=at),
            [{"k": ident.kind, "v": ident.value, "at": t} for ident, t in sightings],
        )


_PG_STAMP_EVENTS = text(
    "UPDATE tracking_events AS t SET profile_id = v.profile, resolved_at = :now "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:profiles AS varchar[])) AS v(id, profile) "
    "WHERE t.id = v.id"
)
_PG_WIDEN_SEEN = text(
    "UPDATE customer_profiles AS p SET "
    "first_seen_at = CASE WHEN p.first_seen_at IS NULL OR p.first_seen_at > v.first_at "
    "THEN v.first_at ELSE p.first_seen_at END, "
    "last_seen_at = CASE WHEN p.last_seen_at IS NULL OR p.last_seen_at < v.last_at "
    "THEN v.last_at ELSE p.last_seen_at END, "
    "computed_at = NULL "
    "FROM unnest(CAST(:profiles AS varchar[]), CAST(:firsts AS timestamptz[]), "
    "CAST(:lasts AS timestamptz[])) AS v(profile, first_at, last_at) "
    "WHERE p.profile_id = v.profile"
)
_PG_SIGHTINGS = text(
    "UPDATE customer_identifiers AS i SET last_seen_at = v.at "
    "FROM unnest(CAST(:kinds AS varchar[]), CAST(:vals AS varchar[]), CAST(:ats AS timestamptz[])) "
    "AS v(kind, value, at) "
    "WHERE i.kind = v.kind AND i.value = v.value AND i.last_seen_at < v.at"
)


def _write_back_pg(
    conn: Connection,
    stamps: list[tuple[int, str | None]],
    seen: Mapping[str, tuple[datetime, datetime]],
    sightings: list[tuple[Identifier, datetime]],
    now: datetime,
) -> None:
    if stamps:
        conn.execute(
            _PG_STAMP_EVENTS,
            {"now": now, "ids": [e for e, _ in stamps], "profiles": [p for _, p in stamps]},
        )
    if seen:
        conn.execute(
            _PG_WIDEN_SEEN,
            {
                "profiles": list(seen),
                "firsts": [f for f, _ in seen.values()],
                "lasts": [last for _, last in seen.values()],
            },
        )
    if sightings:
        conn.execute(
            _PG_SIGHTINGS,
            {
                "kinds": [i.kind for i, _ in sightings],
                "vals": [i.value for i, _ in sightings],
                "ats": [t for _, t in sightings],
            },
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
