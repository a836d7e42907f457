"""Read models of the staff console that the order services do not offer. Read-only.

- :func:`order_desk_facts`: an order's customer contact, address and store tasks (the order
  detail page; the public ``OrderView`` keeps personal data out on purpose);
- :func:`returnable_lines`: how many units of each line can still come back (the returns desk);
- :func:`store_deadlines`: the e-reservations and pickups at a store whose hold ends today, or
  has already ended without the worker having released them yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from unico.core import clock
from unico.core.db import Database
from unico.core.errors import NotFound
from unico.fulfillment.returns import DELIVERED
from unico.fulfillment.returns_store import return_lines
from unico.fulfillment.store import fulfillment_tasks
from unico.inventory.queries import location_by_code
from unico.inventory.store import locations
from unico.orders.lifecycle import OrderStatus
from unico.orders.network import DEFAULT_TIMEZONE, day_start
from unico.orders.store import order_allocations, order_lines, orders

# Orders still waiting for the customer at a store counter (what the expiry job also looks at).
WAITING = (
    OrderStatus.ALLOCATED.value,
    OrderStatus.IN_FULFILLMENT.value,
    OrderStatus.READY_FOR_PICKUP.value,
    OrderStatus.PARTIALLY_SHIPPED.value,
)
_COUNTER_METHODS = ("pickup", "reserve_in_store", "ship_to_store")


@dataclass(frozen=True)
class OrderTask:
    task_id: str
    location: str
    kind: str
    status: str
    destination: str | None
    carrier: str | None
    tracking_number: str | None
    due_by: datetime | None


@dataclass(frozen=True)
class OrderDeskFacts:
    customer_name: str | None
    customer_email: str | None
    customer_phone: str | None
    shipping_address: dict[str, Any] | None
    tasks: tuple[OrderTask, ...]


def order_desk_facts(db: Database, order_id: str) -> OrderDeskFacts:
    """Contact, address and store tasks of one order (staff only; never put into events)."""
    destination = locations.alias("destination")
    with db.read() as conn:
        head = conn.execute(select(orders).where(orders.c.order_id == order_id)).first()
        if head is None:
            raise NotFound(f"unknown order '{order_id}'", code="orders.not_found", order_id=order_id)
        rows = conn.execute(
            select(fulfillment_tasks, locations.c.code, destination.c.code.label("destination_code"))
            .select_from(
                fulfillment_tasks.join(
                    locations, locations.c.id == fulfillment_tasks.c.location_id
                ).outerjoin(destination, destination.c.id == fulfillment_tasks.c.destination_location_id)
            )
            .where(fulfillment_tasks.c.order_id == head.id)
            .order_by(fulfillment_tasks.c.id)
        ).all()
    return OrderDeskFacts(
        head.customer_name,
        head.customer_email,
        head.customer_phone,
        head.shipping_address,
        tuple(
            OrderTask(
                r.task_id,
                r.code,
                r.kind,
                r.status,
                r.destination_code,
                r.carrier,
                r.tracking_number,
                r.due_by,
            )
            for r in rows
        ),
    )


@dataclass(frozen=True)
class ReturnableLine:
    line_no: int
    sku: str
    quantity: int
    delivered: int
    returned: int
    paid: int

    @property
    def returnable(self) -> int:
        return max(min(self.delivered, self.quantity) - self.returned, 0)


def returnable_lines(db: Database, order_id: str) -> list[ReturnableLine]:
    """Each line with the units that reached the customer and those already returned (the same
    counts ``returns.plan_return`` checks a return against)."""
    with db.read() as conn:
        pk = conn.execute(select(orders.c.id).where(orders.c.order_id == order_id)).scalar()
        if pk is None:
            raise NotFound(f"unknown order '{order_id}'", code="orders.not_found", order_id=order_id)
        lines = conn.execute(
            select(order_lines).where(order_lines.c.order_id == pk).order_by(order_lines.c.line_no)
        ).all()
        delivered = dict(
            conn.execute(
                select(order_allocations.c.line_id, func.sum(order_allocations.c.quantity))
                .join(order_lines, order_lines.c.id == order_allocations.c.line_id)
                .where(order_lines.c.order_id == pk, order_allocations.c.status.in_(DELIVERED))
                .group_by(order_allocations.c.line_id)
            ).all()
        )
        returned = dict(
            conn.execute(
                select(return_lines.c.order_line_id, func.sum(return_lines.c.quantity))
                .join(order_lines, order_lines.c.id == return_lines.c.order_line_id)
                .where(order_lines.c.order_id == pk)
                .group_by(return_lines.c.order_line_id)
            ).all()
        )
    return [
        ReturnableLine(
            int(r.line_no),
            r.sku,
            int(r.quantity),
            int(delivered.get(r.id, 0)),
            int(returned.get(r.id, 0)),
            int(r.paid_minor),
        )
        for r in lines
    ]


@dataclass(frozen=True)
class StoreDeadline:
    order_id: str
    status: str
    e_reservation: bool  # a reserve-in-store line (paid at pickup), else a pickup waiting
    customer_name: str | None
    expires_at: datetime
    overdue: bool
    items: tuple[tuple[str, int], ...]  # (sku, quantity) of the lines collected at this store
    total: int
    currency: str


def store_deadlines(db: Database, store: str) -> list[StoreDeadline]:
    """Orders collected at ``store`` whose hold ends before the store's local midnight tonight,
    soonest first; ``overdue`` ones have passed it (the expiry job releases them)."""
    at = clock.now()
    with db.read() as conn:
        loc = location_by_code(conn, store)
        timezone = loc.timezone or DEFAULT_TIMEZONE
        tonight = day_start(at, timezone) + timedelta(days=1)
        rows = conn.execute(
            select(orders, order_lines.c.sku, order_lines.c.quantity, order_lines.c.method)
            .join(order_lines, order_lines.c.order_id == orders.c.id)
            .where(
                orders.c.status.in_(WAITING),
                orders.c.expires_at.is_not(None),
                orders.c.expires_at < tonight,
                order_lines.c.pickup_location_id == loc.id,
                order_lines.c.method.in_(_COUNTER_METHODS),
                order_lines.c.quantity > order_lines.c.quantity_cancelled,
            )
            .order_by(orders.c.expires_at, orders.c.id, order_lines.c.line_no)
        ).all()
    found: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = found.setdefault(
            r.order_id,
            {"row": r, "items": [], "e_reservation": False},
        )
        entry["items"].append((r.sku, int(r.quantity)))
        entry["e_reservation"] = entry["e_reservation"] or r.method == "reserve_in_store"
    return [
        StoreDeadline(
            order_id,
            e["row"].status,
            e["e_reservation"],
            e["row"].customer_name,
            e["row"].expires_at,
            e["row"].expires_at <= at,
            tuple(e["items"]),
            int(e["row"].total_minor),
            e["row"].currency,
        )
        for order_id, e in found.items()
    ]
