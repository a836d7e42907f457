"""Holding and letting go of stock for orders, in batches, inside the caller's transaction.

The same guarantees as :mod:`unico.inventory.reservations` (a conditional update never promises
a unit twice; a reservation ends once), done for all the lines of an order in one statement
each, because an order is placed in one short transaction. Rows are locked in (variant,
location) order, so two orders touching the same stock rows never deadlock.

Order reservations carry no expiry of their own (``expires_at`` NULL): the order's lifecycle
ends them (cancellation, expiry of the order by :mod:`unico.orders.jobs`, handover or shipment).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import TextClause, bindparam, select, text, update
from sqlalchemy.engine import Connection

from unico.core.db import among
from unico.inventory.model import ReservationStatus
from unico.inventory.store import reservations, stock


@lru_cache(maxsize=64)
def _hold_pg(pairs: int) -> TextClause:
    """The hold of ``pairs`` (variant, location) rows: one conditional update, rows locked in
    (variant, location) order. The wanted rows are a VALUES list, one text per number of rows:
    PostgreSQL then estimates them right in the generic plan of the prepared statement and keeps
    it, where an ``unnest`` of array parameters (estimated at ten rows) had it plan every hold."""
    rows = ", ".join(
        f"(CAST(:v{i} AS bigint), CAST(:l{i} AS bigint), CAST(:q{i} AS integer))" for i in range(pairs)
    )
    return text(
        f"""
        WITH wanted (variant_id, location_id, quantity) AS (VALUES {rows}),
        locked AS (
            SELECT s.variant_id, s.location_id, w.quantity
            FROM stock s JOIN wanted w ON s.variant_id = w.variant_id AND s.location_id = w.location_id
            ORDER BY s.variant_id, s.location_id
            FOR UPDATE OF s
        )
        UPDATE stock AS s SET reserved = s.reserved + l.quantity, updated_at = :at
        FROM locked l
        WHERE s.variant_id = l.variant_id AND s.location_id = l.location_id
          AND s.on_hand - s.reserved - s.safety_stock >= l.quantity
        RETURNING s.variant_id, s.location_id
        """
    )


_INSERT_RESERVATIONS = reservations.insert()


def hold_stock(
    conn: Connection, wanted: Iterable[tuple[int, int, int]], at: datetime
) -> list[tuple[int, int]]:
    """Add ``(variant id, location id, quantity)`` to reserved where that much is available.

    Returns the pairs that could NOT be held (empty: all held). The caller raises, which rolls
    back the ones that were.
    """
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for variant_id, location_id, quantity in wanted:
        totals[(variant_id, location_id)] += quantity
    keys = sorted(totals)
    if not keys:
        return []
    if conn.dialect.name == "postgresql":
        params: dict[str, object] = {"at": at}
        for i, (variant_id, location_id) in enumerate(keys):
            params[f"v{i}"], params[f"l{i}"] = variant_id, location_id
            params[f"q{i}"] = totals[(variant_id, location_id)]
        held = conn.execute(_hold_pg(len(keys)), params).all()
        done = {(int(v), int(loc)) for v, loc in held}
        return [k for k in keys if k not in done]
    failed = []
    for variant_id, location_id in keys:
        quantity = totals[(variant_id, location_id)]
        changed = conn.execute(
            update(stock)
            .where(
                stock.c.variant_id == variant_id,
                stock.c.location_id == location_id,
                stock.c.on_hand - stock.c.reserved - stock.c.safety_stock >= quantity,
            )
            .values(reserved=stock.c.reserved + quantity, updated_at=at)
        )
        if changed.rowcount != 1:
            failed.append((variant_id, location_id))
    return failed


def available_now(conn: Connection, variant_id: int, location_id: int) -> int:
    row = conn.execute(
        select(stock.c.on_hand - stock.c.reserved - stock.c.safety_stock).where(
            stock.c.variant_id == variant_id, stock.c.location_id == location_id
        )
    ).scalar()
    return max(int(row or 0), 0)


def give_back(conn: Connection, quantities: Iterable[tuple[int, int, int]], at: datetime) -> None:
    """Take ``quantity`` off reserved for each ``(variant id, location id, quantity)``."""
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for variant_id, location_id, quantity in quantities:
        totals[(variant_id, location_id)] += quantity
    if not totals:
        return
    conn.execute(
        update(stock)
        .where(stock.c.variant_id == bindparam("v"), stock.c.location_id == bindparam("l"))
        .values(reserved=stock.c.reserved - bindparam("q"), updated_at=at),
        [{"v": v, "l": loc, "q": q} for (v, loc), q in sorted(totals.items())],
    )


@dataclass(frozen=True, slots=True)
class NewReservation:
    reservation_id: str
    variant_id: int
    location_id: int
    quantity: int
    owner_type: str
    owner_id: str
    channel: str


def record_reservations(conn: Connection, made: Sequence[NewReservation], at: datetime) -> None:
    if not made:
        return
    conn.execute(
        _INSERT_RESERVATIONS,
        [
            {
                "reservation_id": r.reservation_id,
                "variant_id": r.variant_id,
                "location_id": r.location_id,
                "quantity": r.quantity,
                "owner_type": r.owner_type,
                "owner_id": r.owner_id,
                "channel": r.channel,
                "status": ReservationStatus.ACTIVE.value,
                "expires_at": None,
                "created_at": at,
                "end_reason": "",
            }
            for r in made
        ],
    )


def end_reservations(
    conn: Connection,
    reservation_ids: Sequence[str],
    status: ReservationStatus,
    reason: str,
    at: datetime,
    *,
    give_units_back: bool = True,
) -> int:
    """End the active ones among ``reservation_ids`` (each once); returns how many ended.

    ``give_units_back``: take their units off reserved. A fulfilled reservation does too (the
    units leave on hand through the sale movement the caller writes in the same transaction).
    """
    ids = [r for r in reservation_ids if r]
    if not ids:
        return 0
    ended = conn.execute(
        update(reservations)
        .where(
            among(conn, reservations.c.reservation_id, ids),
            reservations.c.status == ReservationStatus.ACTIVE.value,
        )
        .values(status=status.value, ended_at=at, end_reason=reason)
        .returning(reservations.c.variant_id, reservations.c.location_id, reservations.c.quantity)
    ).all()
    if give_units_back:
        give_back(conn, ((int(v), int(loc), int(q)) for v, loc, q in ended), at)
    return len(ended)


def shrink_reservation(conn: Connection, reservation_id: str, keep: int, at: datetime) -> int:
    """Keep only ``keep`` (> 0) units of an active reservation; the rest go back to available.
    Returns how many units were given back (0 when the reservation was not active)."""
    row = conn.execute(
        select(reservations.c.variant_id, reservations.c.location_id, reservations.c.quantity).where(
            reservations.c.reservation_id == reservation_id,
            reservations.c.status == ReservationStatus.ACTIVE.value,
        )
    ).first()
    if row is None or row.quantity <= keep:
        return 0
    conn.execute(
        update(reservations).where(reservations.c.reservation_id == reservation_id).values(quantity=keep)
    )
    freed = int(row.quantity) - keep
    give_back(conn, [(int(row.variant_id), int(row.location_id), freed)], at)
    return freed
