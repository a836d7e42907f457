"""The orders domain's plain values: what a channel asks for and what it gets back. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from unico.inventory.model import Channel, Method

# Methods whose units are collected at a store, which must then be named.
STORE_METHODS = frozenset({Method.PICKUP, Method.RESERVE_IN_STORE, Method.SHIP_TO_STORE})
# Methods sourced over the network (the sourcing decision picks the location).
SOURCED_METHODS = frozenset({Method.HOME_DELIVERY, Method.SHIP_TO_STORE})


@dataclass(frozen=True)
class CustomerRef:
    customer_id: str | None = None
    email: str | None = None
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class LineRequest:
    """One line as a channel asks for it. ``unit_price`` None: the pricing engine prices it; a
    given price is a manual price, kept as is (see :mod:`unico.orders.quoting`)."""

    sku: str
    quantity: int
    unit_price: int | None = None
    method: Method = Method.HOME_DELIVERY
    pickup_store: str | None = None


@dataclass(frozen=True)
class OrderRequest:
    """An order as a channel sends it (``POST /api/v1/orders``); prices in minor units, VAT in."""

    channel: Channel
    lines: tuple[LineRequest, ...]
    store: str | None = None
    associate: str | None = None
    customer: CustomerRef = field(default_factory=CustomerRef)
    discount: int = 0
    currency: str = "EUR"
    shipping_address: dict[str, Any] | None = None
    cart_id: str | None = None
    max_locations: int | None = None
    coupons: tuple[str, ...] = ()  # codes the customer typed; they need engine-priced lines


@dataclass(frozen=True)
class AllocationView:
    location: str
    quantity: int
    reservation_id: str | None
    status: str


@dataclass(frozen=True)
class LineView:
    line_no: int
    sku: str
    quantity: int
    method: str
    pickup_store: str | None
    unit_price: int
    discount: int
    paid: int
    status: str
    quantity_cancelled: int
    allocations: tuple[AllocationView, ...]


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    message: str
    actor: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class OrderView:
    order_id: str
    status: str
    channel: str
    store: str | None
    associate: str | None
    customer_id: str | None
    currency: str
    subtotal: int
    discount: int
    total: int
    lines: tuple[LineView, ...]
    created_at: datetime
    expires_at: datetime | None = None
    cart_id: str | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    # How the engine priced the order (adjustments, explanations, VAT); None for manual prices.
    pricing: dict[str, Any] | None = None


@dataclass(frozen=True)
class OrderSummary:
    order_id: str
    status: str
    channel: str
    store: str | None
    customer_id: str | None
    total: int
    currency: str
    created_at: datetime
