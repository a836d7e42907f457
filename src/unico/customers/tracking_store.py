"""Tables of tracking: sources (one write key each) and the Segment-compatible events they send.

``tracking_events`` is append-only for ingestion and written in bulk: ``insert_events`` stores a
whole request in one statement (``unnest`` arrays on PostgreSQL, ``executemany`` on SQLite), with
``ON CONFLICT DO NOTHING`` on ``(source_id, message_id)`` so a retried message is stored once.
Identity resolution later fills ``profile_id`` and ``resolved_at`` (null = not processed yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    String,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Connection

from unico.core.db import BigId, Json, UTCDateTime, metadata

tracking_sources = Table(
    "tracking_sources",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source_id", String(40), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
    Column("kind", String(24), nullable=False),  # web | app | pos | contact_center | chat | ...
    Column("write_key_hash", String(64), nullable=False, unique=True),  # sha256 hex of the key
    Column("created_at", UTCDateTime, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("source_id", BigId, ForeignKey("tracking_sources.id"), nullable=False),
    Column("message_id", String(255), nullable=False),
    Column("type", String(16), nullable=False),
    # Track: the canonical spec name when recognised (else as sent); page/screen: the name.
    Column("event", String(255), nullable=True),
    Column("event_as_sent", String(255), nullable=True),  # only when it differs from ``event``
    Column("category", String(16), nullable=True),  # track: ecommerce | store | custom
    Column("user_id", String(255), nullable=True),
    Column("anonymous_id", String(255), nullable=True),
    Column("previous_id", String(255), nullable=True),
    Column("group_id", String(255), nullable=True),
    Column("properties", Json, nullable=False),
    Column("traits", Json, nullable=False),
    Column("context", Json, nullable=False),
    Column("extra", Json, nullable=True),  # other top-level fields as sent (integrations, ...)
    Column("original_timestamp", UTCDateTime, nullable=True),  # the client's, uncorrected
    Column("timestamp", UTCDateTime, nullable=False),  # skew-corrected, never after received_at
    Column("sent_at", UTCDateTime, nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("profile_id", String(40), nullable=True),
    Column("resolved_at", UTCDateTime, nullable=True),
    UniqueConstraint("source_id", "message_id"),
    CheckConstraint(
        "type IN ('identify', 'track', 'page', 'screen', 'group', 'alias')",
        name="type",
    ),
    # Partial: events are stored unresolved, so ingestion does not pay for this index.
    Index(
        "ix_tracking_events_profile",
        "profile_id",
        "timestamp",
        sqlite_where=text("profile_id IS NOT NULL"),
        postgresql_where=text("profile_id IS NOT NULL"),
    ),
    Index(
        "ix_tracking_events_unresolved",
        "id",
        sqlite_where=text("resolved_at IS NULL"),
        postgresql_where=text("resolved_at IS NULL"),
    ),
)

# Column order of the rows handed to ``insert_events`` (after the source, which is shared).
EVENT_COLUMNS = (
    "message_id",
    "type",
    "event",
    "event_as_sent",
    "category",
    "user_id",
    "anonymous_id",
    "previous_id",
    "group_id",
    "properties",
    "traits",
    "context",
    "extra",
    "original_timestamp",
    "timestamp",
    "sent_at",
    "received_at",
)
_JSON_AT = frozenset(range(9, 13))
_TIME_AT = frozenset(range(13, 17))
_NAMES = ", ".join(f'"{c}"' if c == "timestamp" else c for c in ("source_id", *EVENT_COLUMNS))


def _pg_value(i: int) -> str:
    if i in _JSON_AT:
        return f"NULLIF(r->{i}, 'null'::jsonb)" if EVENT_COLUMNS[i] == "extra" else f"r->{i}"
    if i in _TIME_AT:
        return f"(r->>{i})::timestamptz"
    return f"r->>{i}"


# PostgreSQL: the whole request is one JSON array parameter, unpacked by the server; cheaper than
# adapting 17 array parameters value by value in Python.
_PG_INSERT = (
    f"INSERT INTO tracking_events ({_NAMES}) "
    f"SELECT %s, {', '.join(_pg_value(i) for i in range(len(EVENT_COLUMNS)))} "
    "FROM jsonb_array_elements(%s::jsonb) AS r "
    "ON CONFLICT (source_id, message_id) DO NOTHING"
)
_SQLITE_INSERT = (
    f"INSERT INTO tracking_events ({_NAMES}) VALUES (?, {', '.join('?' for _ in EVENT_COLUMNS)}) "
    "ON CONFLICT (source_id, message_id) DO NOTHING"
)


def _sqlite_value(i: int, value: Any) -> Any:
    """JSON as text, times as the UTC text SQLAlchemy's SQLite DateTime reads back."""
    if value is None:
        return None
    if i in _JSON_AT:
        return orjson.dumps(value).decode()
    if i in _TIME_AT:
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def insert_events(conn: Connection, source_pk: int, rows: Sequence[Sequence[Any]]) -> int:
    """Store ``rows`` of one source (values in ``EVENT_COLUMNS`` order: JSON columns as dicts,
    times aware UTC) in one statement within ``conn``'s transaction; returns how many were new
    (a message id the source already sent is skipped)."""
    if not rows:
        return 0
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if conn.dialect.name == "postgresql":
            cursor.execute(_PG_INSERT, (source_pk, orjson.dumps(rows).decode()))
        else:
            cursor.executemany(
                _SQLITE_INSERT,
                [(source_pk, *(_sqlite_value(i, v) for i, v in enumerate(row))) for row in rows],
            )
        return int(cursor.rowcount)
    finally:
        cursor.close()
