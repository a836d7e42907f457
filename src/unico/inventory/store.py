"""Tables of the inventory domain: the store network, stock, its ledger and reservations."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from unico.core.db import BigId, UTCDateTime, metadata

locations = Table(
    "locations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("type", String(16), nullable=False),  # store | warehouse
    Column("address", String(200), nullable=False, default=""),
    Column("city", String(80), nullable=False, default=""),
    Column("province", String(4), nullable=False, default=""),
    Column("postcode", String(10), nullable=False, default=""),
    Column("country", String(2), nullable=False, default="IT"),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("timezone", String(40), nullable=False, default="Europe/Rome"),
    Column("phone", String(30), nullable=False, default=""),
    Column("email", String(254), nullable=False, default=""),
    Column("pickup", Boolean, nullable=False, default=False),
    Column("reserve_in_store", Boolean, nullable=False, default=False),
    Column("ship_from_store", Boolean, nullable=False, default=False),
    Column("returns", Boolean, nullable=False, default=False),
    Column("pickup_capacity_per_day", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False, default="active"),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("type IN ('store', 'warehouse')", name="type"),
    CheckConstraint("pickup_capacity_per_day >= 0", name="pickup_capacity"),
)

opening_hours = Table(
    "opening_hours",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("location_id", BigId, ForeignKey("locations.id", ondelete="CASCADE"), nullable=False),
    Column("weekday", Integer, nullable=False),  # 0 = Monday, as datetime.weekday()
    Column("opens", String(5), nullable=False),  # local "HH:MM"
    Column("closes", String(5), nullable=False),
    Index("ix_opening_hours_location", "location_id"),
)

opening_exceptions = Table(
    "opening_exceptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("location_id", BigId, ForeignKey("locations.id", ondelete="CASCADE"), nullable=False),
    Column("day", Date, nullable=False),
    Column("closed", Boolean, nullable=False, default=True),
    Column("opens", String(5), nullable=True),
    Column("closes", String(5), nullable=True),
    Column("note", String(200), nullable=False, default=""),
    Index("ix_opening_exceptions_location_day", "location_id", "day"),
)

places = Table(
    "places",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(80), nullable=False),
    Column("name_key", String(80), nullable=False),
    Column("postcode", String(10), nullable=False),
    Column("province", String(4), nullable=False),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Index("ix_places_name_key", "name_key"),
    Index("ix_places_postcode", "postcode"),
)

stock = Table(
    "stock",
    metadata,
    Column("variant_id", BigId, ForeignKey("variants.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", BigId, ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True),
    Column("on_hand", Integer, nullable=False, default=0),
    Column("reserved", Integer, nullable=False, default=0),
    Column("safety_stock", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("on_hand >= 0", name="on_hand"),
    CheckConstraint("reserved >= 0", name="reserved"),
    CheckConstraint("safety_stock >= 0", name="safety_stock"),
    Index("ix_stock_location", "location_id"),
    # Availability reads only rows with something to promise; this index holds just those and
    # covers the quantities, so a basket never touches the table.
    Index(
        "ix_stock_promisable",
        "variant_id",
        "location_id",
        "on_hand",
        "reserved",
        "safety_stock",
        sqlite_where=text("on_hand - reserved - safety_stock > 0"),
        postgresql_where=text("on_hand - reserved - safety_stock > 0"),
    ),
)

stock_movements = Table(
    "stock_movements",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("movement_id", String(80), nullable=False, unique=True),
    Column("variant_id", BigId, ForeignKey("variants.id", ondelete="CASCADE"), nullable=False),
    Column("location_id", BigId, ForeignKey("locations.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("quantity", Integer, nullable=False),  # signed change of on_hand
    Column("on_hand_after", Integer, nullable=False),
    Column("reason", String(200), nullable=False, default=""),
    Column("reference", String(120), nullable=False, default=""),
    Column("counterpart_location_id", BigId, ForeignKey("locations.id"), nullable=True),
    Column("actor", String(120), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_stock_movements_location_time", "location_id", "id"),
    Index("ix_stock_movements_variant", "variant_id", "location_id"),
)

reservations = Table(
    "reservations",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("reservation_id", String(40), nullable=False, unique=True),
    Column("variant_id", BigId, ForeignKey("variants.id", ondelete="CASCADE"), nullable=False),
    Column("location_id", BigId, ForeignKey("locations.id", ondelete="CASCADE"), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("owner_type", String(16), nullable=False),  # cart | order | e_reservation
    Column("owner_id", String(80), nullable=False),
    Column("channel", String(20), nullable=False, default=""),
    Column("status", String(16), nullable=False, default="active"),  # active|released|expired|fulfilled
    Column("expires_at", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime, nullable=True),
    Column("end_reason", Text, nullable=False, default=""),
    CheckConstraint("quantity > 0", name="quantity"),
    Index("ix_reservations_due", "status", "expires_at"),
    Index("ix_reservations_owner", "owner_type", "owner_id"),
)
