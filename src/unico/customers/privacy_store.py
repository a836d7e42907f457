"""Tables of consent and privacy: consent history, suppressions, erasures, and segments.

``customer_consents`` is append-only: each change of a purpose is a new row, and the current
state of a purpose is its latest row. ``suppressions`` holds only hashes (sha256 of
``kind:value``), so the list of people who asked not to be tracked is itself no personal data.
``erasures`` records that an erasure happened, with the pseudonymous profile ids and row counts.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
)

from unico.core.db import BigId, Json, UTCDateTime, metadata

customer_consents = Table(
    "customer_consents",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("profile_id", BigId, ForeignKey("customer_profiles.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(16), nullable=False),  # email | sms | push | profiling | proximity
    Column("granted", Boolean, nullable=False),
    Column("source", String(40), nullable=False),  # the channel it was given on: web, app, store...
    Column("location_id", BigId, ForeignKey("locations.id"), nullable=True),  # the store, if any
    Column("actor", String(120), nullable=False, default=""),
    Column("recorded_at", UTCDateTime, nullable=False),
    CheckConstraint("purpose IN ('email', 'sms', 'push', 'profiling', 'proximity')", name="purpose"),
    Index("ix_customer_consents_profile_purpose", "profile_id", "purpose", "id"),
)

suppressions = Table(
    "suppressions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("identifier_hash", String(64), nullable=False, unique=True),  # sha256("kind:value")
    Column("kind", String(20), nullable=False),
    Column("profile_id", String(40), nullable=True),  # the profile it came from, if any
    Column("reason", String(16), nullable=False),  # erased | suppressed
    Column("actor", String(120), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    CheckConstraint("reason IN ('erased', 'suppressed')", name="reason"),
    Index("ix_suppressions_profile", "profile_id"),
)

erasures = Table(
    "erasures",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("erasure_id", String(40), nullable=False, unique=True),
    Column("profile_id", String(40), nullable=False),  # the profile asked for
    Column("profiles", Json, nullable=False),  # every profile erased with it (merged ones too)
    Column("counts", Json, nullable=False),  # table -> rows deleted or anonymised
    Column("actor", String(120), nullable=False, default=""),
    Column("erased_at", UTCDateTime, nullable=False),
    Index("ix_erasures_profile", "profile_id"),
)

segments = Table(
    "segments",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("segment_id", String(40), nullable=False, unique=True),
    Column("name", String(120), nullable=False, unique=True),
    Column("description", String(500), nullable=False, default=""),
    Column("definition", Json, nullable=False),
    Column("created_by", String(120), nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
