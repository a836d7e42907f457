"""Tables of the access domain."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, String, Table

from unico.core.db import BigId, UTCDateTime, metadata

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key_id", String(24), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("name", String(120), nullable=False),
    Column("role", String(24), nullable=False),
    Column("store_id", BigId, ForeignKey("locations.id"), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("role", String(24), nullable=False),
    Column("store_id", BigId, ForeignKey("locations.id"), nullable=True),
    Column("locale", String(5), nullable=False, default="it"),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("user_id", BigId, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
)
