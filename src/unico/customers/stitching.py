"""Deterministic stitching: putting identifiers, and what came with them, on the right profile.

The decision is :func:`unico.customers.identity.decide_stitch` (Segment's flat matching logic with
limits and priorities); this module loads the part of the graph it needs and carries it out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.db import among
from unico.core.errors import ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.core.ids import new_id
from unico.customers.graph import (
    create_profile_row,
    identifier_rows_among,
    identifiers_from_traits,
    insert_identifiers,
    profile_row,
    resolve_profile_id,
    snake_traits,
    touch_profile,
)
from unico.customers.identity import Holding, Identifier, decide_stitch, normalise_identifiers
from unico.customers.merges import merge_profiles
from unico.customers.store import customer_identifiers, customer_profiles

SYSTEM_ACTOR = "system:identity-resolution"


@dataclass(frozen=True)
class Stitched:
    """Where some identifiers ended up: the profile (None if nothing usable came in), how
    (create | attach | merge | none), the profiles merged into it, the identifiers demoted."""

    profile_id: str | None
    action: str
    merged: tuple[str, ...] = ()
    dropped: tuple[Identifier, ...] = ()


def find_or_create_profile(
    conn: Connection, identifiers: Mapping[str, str], traits: Mapping[str, Any], source: str
) -> str:
    """The profile these identifiers (``{kind: value}``) belong to, created or merged as needed,
    with ``traits`` applied (identifier traits such as ``email`` count as identifiers too).
    Blocked or malformed values are ignored; if nothing usable is left, 422."""
    pairs = list(identifiers.items()) + identifiers_from_traits(snake_traits(traits))
    result = stitch(conn, normalise_identifiers(pairs), traits=traits, source=source)
    if result.profile_id is None:
        raise ValidationFailed(
            "no usable identifier (all blocked, malformed or of unknown kinds)",
            code="customers.no_identifier",
            field="identifiers",
        )
    return result.profile_id


def stitch(
    conn: Connection,
    identifiers: Sequence[Identifier],
    *,
    traits: Mapping[str, Any] | None = None,
    source: str = "",
    seen_at: datetime | None = None,
    anchor: str | None = None,
    actor: str = SYSTEM_ACTOR,
    touch: bool = True,
) -> Stitched:
    """Apply the flat matching logic to normalised ``identifiers`` (and ``anchor``, a profile they
    are being added to) and save the outcome: create a profile, attach the new identifiers, or
    merge the matching profiles into the oldest; then apply ``traits`` and (if ``touch``)
    ``seen_at``."""
    seen = seen_at or clock.now()
    outcome = Stitched(None, "none")
    for _ in range(3):
        outcome, conflicted = _stitch_once(conn, identifiers, anchor, source, seen, actor, traits, touch)
        if not conflicted:
            break
        # Another transaction stored one of our new identifiers first (PostgreSQL waits for it
        # to commit before skipping the row): match again, now finding its profile.
        anchor = outcome.profile_id
    created_now = outcome.action == "create"
    if outcome.profile_id is not None and not created_now and (traits or touch):
        touch_profile(conn, outcome.profile_id, traits=traits, seen_at=seen if touch else None)
    return outcome


def add_identifiers(
    conn: Connection, profile_id: str, identifiers: Sequence[Identifier], source: str, actor: str
) -> Stitched:
    """Attach ``identifiers`` to a known profile. One already on another profile makes the two one
    person (a loyalty card shown at the till): they are merged by the same rules, the older
    profile surviving; identifiers that would break a limit are demoted and reported."""
    current = resolve_profile_id(conn, profile_id)
    row = profile_row(conn, current)
    if row.status != "active":
        raise ValidationFailed(
            f"profile {current} is {row.status}", code="customers.profile_inactive", profile_id=current
        )
    return stitch(conn, identifiers, source=source, anchor=current, actor=actor)


def _stitch_once(
    conn: Connection,
    identifiers: Sequence[Identifier],
    anchor: str | None,
    source: str,
    seen: datetime,
    actor: str,
    traits: Mapping[str, Any] | None,
    touch: bool,
) -> tuple[Stitched, bool]:
    owners, internal, holdings = _locked_graph_around(conn, identifiers, anchor)
    decision = decide_stitch(identifiers, owners, holdings, anchor)
    if decision.action == "none" or (decision.action == "create" and not decision.add):
        return Stitched(None, "none", dropped=decision.dropped), False
    if decision.action == "create":
        profile_id = new_id("cus")
        profile_pk = create_profile_row(conn, profile_id, traits or {}, seen)
        record_event(
            conn, DomainEvent("customer.profile_created", "customer", profile_id, {"profile_id": profile_id})
        )
    else:
        assert decision.profile is not None
        profile_id = decision.profile
        profile_pk = internal[profile_id]
        for other in decision.merge:
            kinds = sorted({i.kind for i in identifiers if owners.get(i) == other})
            merge_profiles(conn, profile_id, other, "shared identifiers", actor, {"kinds": kinds})
        if touch:
            touch_identifiers(
                conn, [i for i in identifiers if i in owners and i not in decision.dropped], seen
            )
    stored = insert_identifiers(conn, profile_pk, decision.add, source, seen)
    conflicted = len(stored) < len(decision.add)
    return Stitched(profile_id, decision.action, decision.merge, decision.dropped), conflicted


def _locked_graph_around(
    conn: Connection, identifiers: Sequence[Identifier], anchor: str | None
) -> tuple[dict[Identifier, str], dict[str, int], dict[str, Holding]]:
    """The graph around ``identifiers`` with every profile in it locked (PostgreSQL), so that what
    we decide on cannot change under us. Profiles are locked before any identifier row, in
    profile-id order, as merges lock them: concurrent stitches wait instead of deadlocking."""
    graph = _graph_around(conn, identifiers, anchor)
    if conn.dialect.name != "postgresql":
        return graph  # SQLite write transactions are serialised already
    locked: set[str] = set()
    for _ in range(8):
        needed = set(graph[1])
        if needed <= locked:
            break
        conn.execute(
            select(customer_profiles.c.id)
            .where(among(conn, customer_profiles.c.profile_id, sorted(needed - locked)))
            .order_by(customer_profiles.c.profile_id)
            .with_for_update()
        ).all()
        locked |= needed
        # What we waited for may have moved identifiers between profiles: read again.
        graph = _graph_around(conn, identifiers, anchor)
    return graph


def _graph_around(
    conn: Connection, identifiers: Sequence[Identifier], anchor: str | None
) -> tuple[dict[Identifier, str], dict[str, int], dict[str, Holding]]:
    """Owners of the incoming identifiers and what each owning profile (and ``anchor``) holds."""
    owners: dict[Identifier, str] = {}
    internal: dict[str, int] = {}
    if identifiers:
        rows = conn.execute(
            select(
                customer_identifiers.c.kind,
                customer_identifiers.c.value,
                customer_profiles.c.id,
                customer_profiles.c.profile_id,
            )
            .join(customer_profiles, customer_profiles.c.id == customer_identifiers.c.profile_id)
            .where(identifier_rows_among(conn, identifiers))
        ).all()
        wanted = set(identifiers)
        rows = [r for r in rows if Identifier(r.kind, r.value) in wanted]
        owners = {Identifier(r.kind, r.value): r.profile_id for r in rows}
        internal = {r.profile_id: r.id for r in rows}
    if anchor is not None and anchor not in internal:
        internal[anchor] = profile_row(conn, anchor).id
    counts: dict[str, dict[str, int]] = {p: {} for p in internal}
    if internal:
        by_pk = {pk: p for p, pk in internal.items()}
        for pk, kind, count in conn.execute(
            select(customer_identifiers.c.profile_id, customer_identifiers.c.kind, func.count())
            .where(among(conn, customer_identifiers.c.profile_id, list(by_pk)))
            .group_by(customer_identifiers.c.profile_id, customer_identifiers.c.kind)
        ).all():
            counts[by_pk[pk]][kind] = int(count)
    return owners, internal, {p: Holding(counts[p], internal[p]) for p in internal}


def touch_identifiers(conn: Connection, identifiers: Sequence[Identifier], seen: datetime) -> None:
    """Move the identifiers' last-seen time forward to ``seen``."""
    if not identifiers:
        return
    c = customer_identifiers.c
    conn.execute(
        customer_identifiers.update()
        .where(c.kind == bindparam("k"), c.value == bindparam("v"), c.last_seen_at < seen)
        .values(last_seen_at=seen),
        [{"k": i.kind, "v": i.value} for i in identifiers],
    )
