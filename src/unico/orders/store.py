"""Tables of the orders domain: carts, orders, lines, allocations, timeline, sourcing decisions."""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)

from unico.core.db import BigId, Json, UTCDateTime, metadata

orders = Table(
    "orders",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(40), nullable=False, unique=True),
    Column("channel", String(20), nullable=False),
    Column("status", String(24), nullable=False),
    Column("customer_id", String(40), nullable=True),
    # Personal data: erasure sets these to NULL; events never carry them.
    Column("customer_email", String(254), nullable=True),
    Column("customer_name", String(200), nullable=True),
    Column("customer_phone", String(40), nullable=True),
    Column("shipping_address", Json, nullable=True),
    Column("origin_location_id", BigId, ForeignKey("locations.id"), nullable=True),
    Column("associate", String(120), nullable=True),
    Column("currency", String(3), nullable=False),
    Column("subtotal_minor", Integer, nullable=False),
    Column("discount_minor", Integer, nullable=False, default=0),
    Column("total_minor", Integer, nullable=False),
    Column("cart_id", String(40), nullable=True),
    # The deadline of an e-reservation or an uncollected pickup; the worker expires the order then.
    Column("expires_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # How the pricing engine priced the order: adjustments with their explanations, the VAT
    # breakdown, manual-price lines. NULL when every line came with its own price.
    Column("pricing", Json, nullable=True),
    Index("ix_orders_status_expires", "status", "expires_at"),
    Index("ix_orders_customer", "customer_id"),
    Index("ix_orders_origin", "origin_location_id", "id"),
    Index("ix_orders_created", "created_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", BigId, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("variant_id", BigId, ForeignKey("variants.id"), nullable=False),
    Column("sku", String(40), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("method", String(20), nullable=False),
    Column("pickup_location_id", BigId, ForeignKey("locations.id"), nullable=True),
    Column("unit_price_minor", Integer, nullable=False),
    Column("discount_minor", Integer, nullable=False, default=0),
    Column("paid_minor", Integer, nullable=False),
    Column("status", String(24), nullable=False),
    Column("quantity_cancelled", Integer, nullable=False, default=0),
    UniqueConstraint("order_id", "line_no", name="uq_order_lines_order_line_no"),
    CheckConstraint("quantity > 0", name="quantity"),
    CheckConstraint("quantity_cancelled >= 0 AND quantity_cancelled <= quantity", name="cancelled"),
)

order_allocations = Table(
    "order_allocations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("line_id", BigId, ForeignKey("order_lines.id", ondelete="CASCADE"), nullable=False),
    Column("location_id", BigId, ForeignKey("locations.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("reservation_id", String(40), nullable=True),
    # reserved | picked | packed | in_transit | received | ready | shipped | delivered | collected
    # | released | rejected | expired
    Column("status", String(16), nullable=False),
    Column("task_id", BigId, ForeignKey("fulfillment_tasks.id"), nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("quantity > 0", name="quantity"),
    Index("ix_order_allocations_line", "line_id"),
    Index("ix_order_allocations_task", "task_id"),
)

order_timeline = Table(
    "order_timeline",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", BigId, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(60), nullable=False),
    Column("message", String(300), nullable=False, default=""),
    Column("actor", String(160), nullable=False, default=""),
    Column("detail", Json, nullable=False),
    Index("ix_order_timeline_order", "order_id", "id"),
)

sourcing_decisions = Table(
    "sourcing_decisions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", BigId, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("line_refs", Json, nullable=False),
    Column("plan", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_sourcing_decisions_order", "order_id"),
)

carts = Table(
    "carts",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("cart_id", String(40), nullable=False, unique=True),
    Column("customer_id", String(40), nullable=True),
    Column("anonymous_id", String(120), nullable=True),
    Column("channel", String(20), nullable=False),
    Column("store_location_id", BigId, ForeignKey("locations.id"), nullable=True),
    Column("status", String(16), nullable=False),  # open | checked_out
    Column("order_id", String(40), nullable=True),
    Column("reserved_until", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_carts_customer", "customer_id", "status"),
    Index("ix_carts_anonymous", "anonymous_id", "status"),
)

cart_lines = Table(
    "cart_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("cart_id", BigId, ForeignKey("carts.id", ondelete="CASCADE"), nullable=False),
    Column("sku", String(40), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", Integer, nullable=False, default=0),
    Column("method", String(20), nullable=False, default="home_delivery"),
    Column("pickup_store", String(40), nullable=True),
    Column("reservation_id", String(40), nullable=True),
    UniqueConstraint("cart_id", "sku", name="uq_cart_lines_cart_sku"),
    CheckConstraint("quantity > 0", name="quantity"),
)
