"""Notes on an order's timeline for what happens to it after the sale (returns, e-tickets), so
the order's history reads in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.events import DomainEvent, record_event
from unico.orders.store import order_timeline

MESSAGE_MAX = 300


def note_on_order(
    conn: Connection, order_pk: int, kind: str, message: str, actor: str, detail: dict[str, Any]
) -> None:
    """One timeline row of the order ``order_pk``; ``kind`` is the event type it goes with."""
    conn.execute(
        order_timeline.insert().values(
            order_id=order_pk,
            at=clock.now(),
            kind=kind,
            message=message[:MESSAGE_MAX],
            actor=actor,
            detail=detail,
        )
    )


def record_on_order(conn: Connection, order_pk: int, event: DomainEvent, message: str, actor: str) -> None:
    """Record ``event`` in the outbox and as a line of the order's timeline, in this transaction."""
    record_event(conn, event)
    note_on_order(conn, order_pk, event.type, message, actor, event.payload)
