"""Merging two profiles into one, and undoing it.

A merge moves the merged profile's identifiers, tracking events, orders and carts to the
survivor, fills the survivor's missing traits from it, and marks it ``merged`` with
``merged_into`` so its id keeps resolving. The merge row records exactly what moved; undo moves
those things back (only those still held by the survivor's current profile), removes the traits
the merge filled in, and reactivates the merged profile. A merge can be undone once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from unico.core import clock
from unico.core.db import among
from unico.core.errors import Conflict, NotFound
from unico.core.events import DomainEvent, record_event
from unico.core.ids import new_id
from unico.customers.graph import (
    MAX_MERGE_CHAIN,
    name_key,
    profile_family,
    profile_row,
    resolve_profile_id,
)
from unico.customers.store import customer_identifiers, customer_profiles, identity_merges
from unico.customers.tracking_store import tracking_events
from unico.orders.store import carts, orders


def merge_profiles(
    conn: Connection,
    survivor: str,
    merged: str,
    reason: str,
    actor: str,
    evidence: dict[str, Any] | None = None,
) -> str:
    """Merge profile ``merged`` into ``survivor`` (either may be an already merged id: both are
    resolved first); returns the merge id. 409 if they are already one profile or not active."""
    for _ in range(MAX_MERGE_CHAIN):
        keep_id = resolve_profile_id(conn, survivor)
        gone_id = resolve_profile_id(conn, merged)
        if keep_id == gone_id:
            raise Conflict(
                "these profiles are already one",
                code="customers.already_merged",
                survivor=keep_id,
                merged=gone_id,
            )
        # Lock both rows in one fixed order so that two concurrent merges cannot deadlock.
        locked = {pid: profile_row(conn, pid, for_update=True) for pid in sorted((keep_id, gone_id))}
        keep, gone = locked[keep_id], locked[gone_id]
        # A concurrent merge may have absorbed one of them while we waited for its lock: follow it.
        if "merged" not in (keep.status, gone.status):
            break
    for row in (keep, gone):
        if row.status != "active":
            raise Conflict(
                f"profile {row.profile_id} is {row.status}",
                code="customers.profile_inactive",
                profile_id=row.profile_id,
            )
    now = clock.now()
    moved_identifiers = _move(
        conn, customer_identifiers, "id", customer_identifiers.c.profile_id, gone.id, keep.id
    )
    moved_events = _move(conn, tracking_events, "id", tracking_events.c.profile_id, gone_id, keep_id)
    moved_orders = _move(conn, orders, "order_id", orders.c.customer_id, gone_id, keep_id)
    moved_carts = _move(conn, carts, "cart_id", carts.c.customer_id, gone_id, keep_id)

    filled = {k: v for k, v in gone.traits.items() if k not in keep.traits}
    traits = {**keep.traits, **filled}
    first_seen = _earliest(keep.first_seen_at, gone.first_seen_at)
    last_seen = _latest(keep.last_seen_at, gone.last_seen_at)
    conn.execute(
        customer_profiles.update()
        .where(customer_profiles.c.id == keep.id)
        .values(
            traits=traits,
            name_key=name_key(traits),
            first_seen_at=first_seen,
            last_seen_at=last_seen,
            computed_at=None,
            updated_at=now,
        )
    )
    conn.execute(
        customer_profiles.update()
        .where(customer_profiles.c.id == gone.id)
        .values(status="merged", merged_into=keep_id, computed_at=None, updated_at=now)
    )
    merge_id = new_id("mrg")
    conn.execute(
        identity_merges.insert().values(
            merge_id=merge_id,
            survivor=keep_id,
            merged=gone_id,
            reason=reason[:200],
            actor=actor[:120],
            evidence=evidence,
            moved={
                "identifiers": moved_identifiers,
                "events": moved_events,
                "orders": moved_orders,
                "carts": moved_carts,
                "traits_filled": sorted(filled),
                "seen_before": [_iso(keep.first_seen_at), _iso(keep.last_seen_at)],
                "seen_after": [_iso(first_seen), _iso(last_seen)],
            },
            created_at=now,
        )
    )
    record_event(
        conn,
        DomainEvent(
            "customer.profiles_merged",
            "customer",
            keep_id,
            {"merge_id": merge_id, "survivor": keep_id, "merged": gone_id, "actor": actor},
        ),
    )
    return merge_id


def undo_merge(conn: Connection, merge_id: str, actor: str) -> dict[str, Any]:
    """Give the merged profile back what the merge took from it and reactivate it; returns the
    merge as :func:`merge_view` shows it. 409 if already undone or the merged profile has changed
    state since (erased, or merged elsewhere)."""
    merge = conn.execute(select(identity_merges).where(identity_merges.c.merge_id == merge_id)).first()
    if merge is None:
        raise NotFound(f"no merge {merge_id}", code="customers.merge_not_found", merge_id=merge_id)
    if merge.undone_at is not None:
        raise Conflict(
            f"merge {merge_id} was already undone", code="customers.merge_already_undone", merge_id=merge_id
        )
    gone = profile_row(conn, merge.merged, for_update=True)
    if gone.status != "merged" or gone.merged_into != merge.survivor:
        raise Conflict(
            f"profile {merge.merged} is no longer merged into {merge.survivor}",
            code="customers.merge_not_undoable",
            merge_id=merge_id,
        )
    keep = profile_row(conn, merge.survivor, for_update=True)
    # Things moved by this merge sit with whoever holds the survivor now (itself, unless it was
    # merged again later); anything that has moved on since is left where it is.
    holder = profile_row(conn, resolve_profile_id(conn, merge.survivor))
    moved = merge.moved
    _move_back(
        conn,
        customer_identifiers,
        customer_identifiers.c.id,
        moved["identifiers"],
        customer_identifiers.c.profile_id,
        holder.id,
        gone.id,
    )
    _move_back(
        conn,
        tracking_events,
        tracking_events.c.id,
        moved["events"],
        tracking_events.c.profile_id,
        holder.profile_id,
        gone.profile_id,
    )
    _move_back(
        conn,
        orders,
        orders.c.order_id,
        moved["orders"],
        orders.c.customer_id,
        holder.profile_id,
        gone.profile_id,
    )
    _move_back(
        conn, carts, carts.c.cart_id, moved["carts"], carts.c.customer_id, holder.profile_id, gone.profile_id
    )

    traits = dict(keep.traits)
    for key in moved["traits_filled"]:
        if key in traits and traits[key] == gone.traits.get(key):
            del traits[key]
    values: dict[str, Any] = {"traits": traits, "name_key": name_key(traits), "computed_at": None}
    (first_before, last_before), (first_after, last_after) = moved["seen_before"], moved["seen_after"]
    if _iso(keep.first_seen_at) == first_after:
        values["first_seen_at"] = _parse(first_before)
    if _iso(keep.last_seen_at) == last_after:
        values["last_seen_at"] = _parse(last_before)
    now = clock.now()
    conn.execute(
        customer_profiles.update().where(customer_profiles.c.id == keep.id).values(**values, updated_at=now)
    )
    conn.execute(
        customer_profiles.update()
        .where(customer_profiles.c.id == gone.id)
        .values(status="active", merged_into=None, computed_at=None, updated_at=now)
    )
    conn.execute(
        identity_merges.update()
        .where(identity_merges.c.id == merge.id)
        .values(undone_at=now, undone_by=actor[:120])
    )
    record_event(
        conn,
        DomainEvent(
            "customer.merge_undone",
            "customer",
            merge.merged,
            {"merge_id": merge_id, "survivor": merge.survivor, "merged": merge.merged, "actor": actor},
        ),
    )
    row = conn.execute(select(identity_merges).where(identity_merges.c.id == merge.id)).one()
    return merge_view(row)


def list_merges(conn: Connection, profile_id: str) -> list[dict[str, Any]]:
    """Every merge that involved the profile ``profile_id`` resolves to, or any profile merged
    into it, newest first."""
    family = profile_family(conn, resolve_profile_id(conn, profile_id))
    rows = conn.execute(
        select(identity_merges)
        .where(
            among(conn, identity_merges.c.survivor, family) | among(conn, identity_merges.c.merged, family)
        )
        .order_by(identity_merges.c.id.desc())
    ).all()
    return [merge_view(r) for r in rows]


def merge_view(row: Row[Any]) -> dict[str, Any]:
    moved = row.moved
    return {
        "merge_id": row.merge_id,
        "survivor": row.survivor,
        "merged": row.merged,
        "reason": row.reason,
        "actor": row.actor,
        "evidence": row.evidence,
        "created_at": row.created_at,
        "undone_at": row.undone_at,
        "undone_by": row.undone_by,
        "moved": {k: len(moved[k]) for k in ("identifiers", "events", "orders", "carts")},
    }


def _move(conn: Connection, table: Any, key: str, owner: Any, old: Any, new: Any) -> list[Any]:
    """Hand every row of ``table`` owned by ``old`` to ``new``; returns their keys."""
    keys = [r[0] for r in conn.execute(select(table.c[key]).where(owner == old).order_by(table.c[key])).all()]
    if keys:
        conn.execute(table.update().where(owner == old).values({owner.name: new}))
    return keys


def _move_back(
    conn: Connection, table: Any, key: Any, keys: list[Any], owner: Any, holder: Any, back_to: Any
) -> None:
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        conn.execute(
            table.update().where(among(conn, key, chunk), owner == holder).values({owner.name: back_to})
        )


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((t for t in (a, b) if t is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None
