"""Notes on an order's timeline for what happens to it after the sale (returns, e-tickets), so
the order's history reads in one place."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.events import DomainEvent
from unico.orders.records import Journal


def record_on_order(conn: Connection, order_pk: int, event: DomainEvent, message: str, actor: str) -> None:
    """Record ``event`` in the outbox and as a line of the order's timeline, in this transaction."""
    journal = Journal(clock.now(), actor)
    journal.note(order_pk, event.type, message, event.payload, event=event)
    journal.flush(conn)
