"""The orders domain's periodic jobs and outbox subscribers, run by the worker.

``expire_orders`` ends what customers did not come for: an e-reservation past its hold (48 h by
default) and a pickup left at the counter past its deadline (7 days after it was ready). Held
units go back to available stock; units that came to the store by transfer (already sold at
their source) become the store's stock again with a ``receipt``. Each expiry is one unit of work
with an ``order.expired`` event (``order.pickup_expired`` when other lines of the order live on).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update

from unico.access.model import SYSTEM
from unico.core import clock
from unico.core.db import Database
from unico.core.outbox import Subscribers
from unico.inventory import ledger
from unico.inventory.model import MovementKind, MovementRequest
from unico.orders.editing import close_idle_tasks, release_allocations
from unico.orders.lifecycle import AllocationStatus, OrderStatus
from unico.orders.model import STORE_METHODS
from unico.orders.records import Journal, load_order, save_allocations, settle_status
from unico.orders.store import order_lines, orders

_WAITING = (
    OrderStatus.ALLOCATED.value,
    OrderStatus.IN_FULFILLMENT.value,
    OrderStatus.READY_FOR_PICKUP.value,
    OrderStatus.PARTIALLY_SHIPPED.value,
)
_UNCLAIMED = frozenset(
    {
        AllocationStatus.RESERVED,
        AllocationStatus.PICKED,
        AllocationStatus.PACKED,
        AllocationStatus.RECEIVED,
        AllocationStatus.READY,
    }
)
_ARRIVED = frozenset({AllocationStatus.RECEIVED, AllocationStatus.READY})
_STORE_METHODS = frozenset(m.value for m in STORE_METHODS)


def expire_orders(db: Database, *, limit: int = 200) -> int:
    """Expire the store lines of orders past their deadline; returns how many orders."""
    at = clock.now()
    with db.read() as conn:
        due = (
            conn.execute(
                select(orders.c.order_id)
                .where(orders.c.status.in_(_WAITING), orders.c.expires_at <= at)
                .order_by(orders.c.expires_at)
                .limit(limit)
            )
            .scalars()
            .all()
        )
    expired = 0
    for order_id in due:
        with db.write() as conn:
            state = load_order(conn, order_id, lock=True)
            if state.expires_at is None or state.expires_at > at or state.status.value not in _WAITING:
                continue  # another worker got there first
            journal = Journal(at, SYSTEM.actor)
            lapsed = [
                a
                for line in state.lines
                if line.method in _STORE_METHODS
                for a in line.allocations
                if a.status in _UNCLAIMED
            ]
            line_of = {line.id: line for line in state.lines}
            # units that came by transfer were sold at their source when shipped: they become
            # the pickup store's stock; every other unit is still held where it is
            arrived = [
                a
                for a in lapsed
                if a.status in _ARRIVED and a.location_id != line_of[a.line_id].pickup_location_id
            ]
            held = [a for a in lapsed if a not in arrived]
            release_allocations(conn, held, AllocationStatus.EXPIRED, "not collected in time", at)
            for a in arrived:
                line = line_of[a.line_id]
                ledger.apply_movement_in(
                    conn,
                    MovementRequest(
                        f"{order_id}/{a.id}/unclaimed",
                        line.sku,
                        line.pickup_store or a.location,
                        MovementKind.RECEIPT,
                        a.quantity,
                        reason="uncollected order",
                        reference=order_id,
                    ),
                    SYSTEM,
                )
                a.status = AllocationStatus.EXPIRED
            save_allocations(conn, arrived, at)
            lines = [line for line in state.lines if any(a in lapsed for a in line.allocations)]
            for line in lines:
                line.quantity_cancelled = line.quantity
                conn.execute(
                    update(order_lines)
                    .where(order_lines.c.id == line.id)
                    .values(quantity_cancelled=line.quantity)
                )
            conn.execute(update(orders).where(orders.c.id == state.id).values(expires_at=None))
            close_idle_tasks(conn, state, at)
            settle_status(conn, state, journal, expired=True)
            if state.status is not OrderStatus.EXPIRED:
                journal.order_event(
                    state,
                    "order.pickup_expired",
                    "not collected in time",
                    lines=[line.line_no for line in lines],
                )
            journal.flush(conn)
            expired += 1
    return expired


PERIODIC_JOBS: tuple[tuple[str, Callable[[Database], int]], ...] = (("expire_orders", expire_orders),)


def subscribe(subscribers: Subscribers, db: Database) -> None:
    """Register this domain's in-process event handlers (none yet: orders only publish)."""
