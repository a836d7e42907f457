"""Tables of store and warehouse fulfillment: one task per order, location and kind of work."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, String, Table

from unico.core.db import BigId, UTCDateTime, metadata

fulfillment_tasks = Table(
    "fulfillment_tasks",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("task_id", String(40), nullable=False, unique=True),
    Column("order_id", BigId, ForeignKey("orders.id", ondelete="CASCADE"), nullable=False),
    Column("location_id", BigId, ForeignKey("locations.id"), nullable=False),
    # pick_for_pickup | pick_for_shipment | pick_for_transfer | receive_for_pickup
    Column("kind", String(24), nullable=False),
    # open | picked | packed | ready | handed_over | shipped | in_transit | received | cancelled
    Column("status", String(16), nullable=False),
    Column("destination_location_id", BigId, ForeignKey("locations.id"), nullable=True),
    Column("pickup_code", String(6), nullable=True),
    Column("carrier", String(60), nullable=True),
    Column("tracking_number", String(80), nullable=True),
    Column("due_by", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_fulfillment_tasks_queue", "location_id", "status", "id"),
    Index("ix_fulfillment_tasks_order", "order_id"),
    Index("ix_fulfillment_tasks_day", "location_id", "created_at"),
)

# Tasks each location was given per local day: what its daily capacity is measured against.
# A counter (upserted when tasks open) keeps the sourcing read O(1) however busy the day is.
fulfillment_load = Table(
    "fulfillment_load",
    metadata,
    Column("location_id", BigId, ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("tasks", Integer, nullable=False, default=0),
)
