"""Builders for the returns and e-ticket tests: a small network and orders in a known state.

Orders are written as rows (as the orders service stores them) when a test needs one in a state
that would take a long HTTP walk to reach, e.g. a web order already shipped from the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from tests.factories import make_location, make_variants, receive
from unico.catalog.store import variants
from unico.core import clock
from unico.core.db import Database
from unico.core.events import outbox_events
from unico.fulfillment.returns_store import (
    eticket_opens,
    etickets,
    quarantine_stock,
    refunds,
    return_exchange_lines,
    return_lines,
    returns,
)
from unico.inventory.model import Capability, LocationType
from unico.inventory.store import locations, stock, stock_movements
from unico.orders.store import order_allocations, order_lines, orders


def make_returns_network(db: Database) -> None:
    """MI-01 and MI-02 take returns, RM-01 does not, WH-01 is a warehouse.

    SKU-A and SKU-B are sizes of one product, SKU-C another product. Stock: SKU-A 10 at WH-01 and
    3 at MI-02; SKU-B 5 at MI-01.
    """
    make_variants(db, "SKU-A", "SKU-B", product_code="P-RUN", name="Scarpa da corsa")
    make_variants(db, "SKU-C", product_code="P-BAG", name="Borsa")
    make_location(
        db,
        "MI-01",
        capabilities=frozenset({Capability.PICKUP, Capability.RESERVE_IN_STORE, Capability.RETURNS}),
    )
    make_location(db, "MI-02", offset_km=3, capabilities=frozenset({Capability.RETURNS}))
    make_location(db, "RM-01", city="Roma", capabilities=frozenset({Capability.PICKUP}))
    make_location(db, "WH-01", type=LocationType.WAREHOUSE, capabilities=frozenset(), city="Torino")
    receive(db, "SKU-A", "WH-01", 10)
    receive(db, "SKU-A", "MI-02", 3)
    receive(db, "SKU-B", "MI-01", 5)


@dataclass(frozen=True)
class Alloc:
    location: str
    quantity: int
    status: str = "shipped"


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int
    unit_price: int
    discount: int = 0
    method: str = "home_delivery"
    pickup: str | None = None
    allocations: tuple[Alloc, ...] = ()
    status: str = "shipped"
    cancelled: int = 0

    @property
    def paid(self) -> int:
        return self.unit_price * self.quantity - self.discount


@dataclass(frozen=True)
class Order:
    order_id: str
    lines: tuple[Line, ...]
    channel: str = "web"
    status: str = "completed"
    origin: str | None = None
    currency: str = "EUR"
    extra: dict[str, Any] = field(default_factory=dict)


def insert_order(db: Database, order: Order) -> None:
    """Store ``order`` as the orders service would have left it."""
    at = clock.now()
    with db.write() as conn:
        loc = dict(conn.execute(select(locations.c.code, locations.c.id)).all())
        variant = dict(conn.execute(select(variants.c.sku, variants.c.id)).all())
        subtotal = sum(x.unit_price * x.quantity for x in order.lines)
        discount = sum(x.discount for x in order.lines)
        pk = conn.execute(
            orders.insert()
            .values(
                order_id=order.order_id,
                channel=order.channel,
                status=order.status,
                customer_id=None,
                customer_email="someone@example.com",
                customer_name="Maria Rossi",
                origin_location_id=loc[order.origin] if order.origin else None,
                associate=None,
                currency=order.currency,
                subtotal_minor=subtotal,
                discount_minor=discount,
                total_minor=subtotal - discount,
                created_at=at,
                updated_at=at,
                **order.extra,
            )
            .returning(orders.c.id)
        ).scalar_one()
        for no, line in enumerate(order.lines, start=1):
            line_pk = conn.execute(
                order_lines.insert()
                .values(
                    order_id=pk,
                    line_no=no,
                    variant_id=variant[line.sku],
                    sku=line.sku,
                    quantity=line.quantity,
                    method=line.method,
                    pickup_location_id=loc[line.pickup] if line.pickup else None,
                    unit_price_minor=line.unit_price,
                    discount_minor=line.discount,
                    paid_minor=line.paid,
                    status=line.status,
                    quantity_cancelled=line.cancelled,
                )
                .returning(order_lines.c.id)
            ).scalar_one()
            for a in line.allocations:
                conn.execute(
                    order_allocations.insert().values(
                        line_id=line_pk,
                        location_id=loc[a.location],
                        quantity=a.quantity,
                        status=a.status,
                        updated_at=at,
                    )
                )


def shipped_web_order(order_id: str, quantity: int = 2, unit_price: int = 8990, discount: int = 0) -> Order:
    """A web order of SKU-A shipped home from WH-01."""
    return Order(
        order_id,
        (Line("SKU-A", quantity, unit_price, discount, allocations=(Alloc("WH-01", quantity),)),),
    )


COUNTED = {
    "returns": returns,
    "return_lines": return_lines,
    "return_exchange_lines": return_exchange_lines,
    "refunds": refunds,
    "quarantine_stock": quarantine_stock,
    "stock_movements": stock_movements,
    "outbox_events": outbox_events,
    "orders": orders,
    "etickets": etickets,
    "eticket_opens": eticket_opens,
}


def counts(db: Database) -> dict[str, int]:
    """Rows per table touched by returns, and the total units on hand (to prove 'no change')."""
    with db.read() as conn:
        found = {
            name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for name, t in COUNTED.items()
        }
        found["on_hand"] = int(conn.execute(select(func.coalesce(func.sum(stock.c.on_hand), 0))).scalar_one())
    return found


def events(db: Database, prefix: str) -> list[tuple[str, dict[str, Any]]]:
    """(type, payload) of the outbox events whose type starts with ``prefix``, in order."""
    with db.read() as conn:
        rows = conn.execute(
            select(outbox_events.c.type, outbox_events.c.payload)
            .where(outbox_events.c.type.startswith(prefix))
            .order_by(outbox_events.c.id)
        ).all()
    return [(t, dict(p)) for t, p in rows]
