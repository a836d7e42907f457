"""The fulfillment domain's outbox subscribers, run by the worker (``unico.worker``)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from unico.core.db import Database
from unico.core.outbox import OutboxEvent, Subscribers
from unico.fulfillment.etickets import issue_for_order

ETICKET_HANDLER = "fulfillment.issue_eticket"


def issue_eticket_on_completion(conn: Connection, event: OutboxEvent) -> None:
    """``order.completed`` -> the order's e-ticket, if it is a store sale (idempotent, so it does
    not matter whether the orders service already issued it when the order completed)."""
    issue_for_order(conn, str(event.payload["order_id"]))


def subscribe(subscribers: Subscribers, db: Database) -> None:
    """Register this domain's in-process event handlers."""
    subscribers.register(ETICKET_HANDLER, issue_eticket_on_completion, ["order.completed"])
