"""Domain events and the transactional outbox.

A service records an event with :func:`record_event` inside its unit of work, so the event is
stored if and only if the change is. The worker (``unico worker``) fans each stored event out to
in-process subscribers and to webhook subscriptions as *deliveries*, retried with exponential
backoff and parked in ``dead_letters`` when they keep failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.db import BigId, Json, UTCDateTime, metadata
from unico.core.ids import new_id

outbox_events = Table(
    "outbox_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(40), nullable=False, unique=True),
    Column("type", String(80), nullable=False),
    Column("aggregate_type", String(40), nullable=False),
    Column("aggregate_id", String(80), nullable=False),
    Column("payload", Json, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("dispatched_at", UTCDateTime, nullable=True),
    Index("ix_outbox_events_pending", "dispatched_at", "id"),
)

event_deliveries = Table(
    "event_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", BigId, ForeignKey("outbox_events.id", ondelete="CASCADE"), nullable=False),
    Column("target", String(120), nullable=False),
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Column("delivered_at", UTCDateTime, nullable=True),
    UniqueConstraint("event_id", "target", name="uq_event_deliveries_event_target"),
    Index("ix_event_deliveries_due", "status", "next_attempt_at"),
)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", BigId, ForeignKey("event_deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", String(40), nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("target", String(120), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("replayed_at", UTCDateTime, nullable=True),
)

webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("url", String(500), nullable=False),
    Column("secret", String(128), nullable=False),
    Column("event_types", Json, nullable=False),
    Column("description", String(200), nullable=False, default=""),
    Column("active", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(80), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", Json, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class DomainEvent:
    """A past-tense fact: ``type`` like ``inventory.stock_reserved``, about one aggregate."""

    type: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any] = field(default_factory=dict)


def record_event(conn: Connection, event: DomainEvent) -> str:
    """Store ``event`` in the outbox inside the caller's transaction; returns its event id."""
    event_id = new_id("evt")
    conn.execute(
        outbox_events.insert().values(
            event_id=event_id,
            type=event.type,
            aggregate_type=event.aggregate_type,
            aggregate_id=event.aggregate_id,
            payload=event.payload,
            occurred_at=clock.now(),
        )
    )
    return event_id


def record_events(conn: Connection, events: list[DomainEvent]) -> None:
    """Store many events with one statement (imports, batches)."""
    if not events:
        return
    at = clock.now()
    conn.execute(
        outbox_events.insert(),
        [
            {
                "event_id": new_id("evt"),
                "type": e.type,
                "aggregate_type": e.aggregate_type,
                "aggregate_id": e.aggregate_id,
                "payload": e.payload,
                "occurred_at": at,
            }
            for e in events
        ],
    )
