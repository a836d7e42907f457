"""Tables of returns, refunds, exchanges, quarantined stock and e-tickets.

A return belongs to one order and is taken at one location (a store's returns desk, or a
warehouse receiving it by post). Its lines point at order lines; the units of an order line in
returns that are not cancelled never exceed what was delivered of it (checked under the order
line's row lock, see ``returns.py``). Damaged units go to ``quarantine_stock``, never to the
promisable ``stock``.
"""

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

from unico.core.db import BigId, UTCDateTime, metadata

returns = Table(
    "returns",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("return_id", String(40), nullable=False, unique=True),
    Column("order_id", BigId, ForeignKey("orders.id"), nullable=False),
    Column("location_id", BigId, ForeignKey("locations.id"), nullable=False),
    Column("channel", String(8), nullable=False),  # store | post
    Column("status", String(16), nullable=False),  # expected | received
    Column("currency", String(3), nullable=False),
    Column("exchange_order_id", String(40), nullable=True),  # the replacement carry-out order
    Column("actor", String(120), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("received_at", UTCDateTime, nullable=True),
    CheckConstraint("channel IN ('store', 'post')", name="channel"),
    CheckConstraint("status IN ('expected', 'received')", name="status"),
    Index("ix_returns_order", "order_id"),
    Index("ix_returns_location_time", "location_id", "created_at"),
)

return_lines = Table(
    "return_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("return_id", BigId, ForeignKey("returns.id", ondelete="CASCADE"), nullable=False),
    Column("order_line_id", BigId, ForeignKey("order_lines.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("variant_id", BigId, ForeignKey("variants.id"), nullable=False),
    Column("sku", String(40), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("reason", String(200), nullable=False, default=""),
    Column("condition", String(16), nullable=True),  # sellable | damaged; null until inspected
    Column("refund_minor", Integer, nullable=False),
    CheckConstraint("quantity > 0", name="quantity"),
    CheckConstraint("condition IN ('sellable', 'damaged')", name="condition"),
    UniqueConstraint("return_id", "order_line_id", name="uq_return_lines_return_order_line"),
    Index("ix_return_lines_order_line", "order_line_id"),
)

return_exchange_lines = Table(
    "return_exchange_lines",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("return_id", BigId, ForeignKey("returns.id", ondelete="CASCADE"), nullable=False),
    Column("variant_id", BigId, ForeignKey("variants.id"), nullable=False),
    Column("sku", String(40), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_minor", Integer, nullable=False),
    CheckConstraint("quantity > 0", name="quantity"),
    CheckConstraint("unit_price_minor >= 0", name="unit_price"),
    Index("ix_return_exchange_lines_return", "return_id"),
)

refunds = Table(
    "refunds",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("refund_id", String(40), nullable=False, unique=True),
    Column("return_id", BigId, ForeignKey("returns.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("order_id", BigId, ForeignKey("orders.id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("gross_minor", Integer, nullable=False),  # paid for the returned units
    Column("exchange_minor", Integer, nullable=False),  # value of the replacement items
    Column("amount_minor", Integer, nullable=False),  # paid back
    Column("balance_due_minor", Integer, nullable=False),  # paid by the customer for an exchange
    Column("status", String(16), nullable=False),  # recorded (payment happens outside Unico)
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("amount_minor >= 0 AND balance_due_minor >= 0", name="amounts"),
    Index("ix_refunds_order", "order_id"),
)

quarantine_stock = Table(
    "quarantine_stock",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("location_id", BigId, ForeignKey("locations.id"), nullable=False),
    Column("variant_id", BigId, ForeignKey("variants.id"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("return_line_id", BigId, ForeignKey("return_lines.id", ondelete="CASCADE"), nullable=True),
    Column("reason", String(200), nullable=False, default=""),
    Column("status", String(16), nullable=False, default="held"),  # held | released | written_off
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("quantity > 0", name="quantity"),
    Index("ix_quarantine_stock_location_variant", "location_id", "variant_id"),
)

etickets = Table(
    "etickets",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(12), nullable=False, unique=True),
    Column("order_id", BigId, ForeignKey("orders.id"), nullable=False, unique=True),
    Column("location_id", BigId, ForeignKey("locations.id"), nullable=True),
    Column("issued_at", UTCDateTime, nullable=False),
)

eticket_opens = Table(
    "eticket_opens",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("eticket_id", BigId, ForeignKey("etickets.id", ondelete="CASCADE"), nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("user_agent", String(300), nullable=False, default=""),
    Index("ix_eticket_opens_eticket", "eticket_id"),
)
