"""This domain's worker hooks: periodic jobs and outbox subscribers (see ``unico.worker``).

``order.completed`` earns the order's points (pending) when its customer is a member;
``return.created`` takes back the points of the returned units. Both run inside the delivery's
transaction and are idempotent by their ledger source, so a redelivered event changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection

from unico.core.db import Database
from unico.core.outbox import OutboxEvent, Subscribers
from unico.loyalty.expiry import expire_inactive
from unico.loyalty.maturity import mature_pending
from unico.loyalty.purchases import earn_for_order_in, reverse_return_in
from unico.loyalty.tiers import recompute_tiers

PERIODIC_JOBS: tuple[tuple[str, Callable[[Database], int]], ...] = (
    ("loyalty_mature_pending", mature_pending),
    ("loyalty_recompute_tiers", recompute_tiers),
    ("loyalty_expire_inactive", expire_inactive),
)

EARN_HANDLER = "loyalty.earn_on_completion"
REVERSE_HANDLER = "loyalty.reverse_on_return"


def earn_on_completion(conn: Connection, event: OutboxEvent) -> None:
    """``order.completed`` -> pending points for the order's member (if any)."""
    payload = event.payload
    customer = payload.get("customer_id")
    if not isinstance(customer, str) or not customer:
        return
    earn_for_order_in(
        conn,
        str(payload["order_id"]),
        customer_id=customer,
        channel=str(payload.get("channel") or ""),
        store=payload.get("store"),
    )


def reverse_on_return(conn: Connection, event: OutboxEvent) -> None:
    """``return.created`` -> the returned units' points taken back."""
    payload = event.payload
    reverse_return_in(
        conn, str(payload["return_id"]), str(payload["order_id"]), list(payload.get("lines") or [])
    )


def subscribe(subscribers: Subscribers, db: Database) -> None:
    """Register this domain's in-process event handlers."""
    subscribers.register(EARN_HANDLER, earn_on_completion, ["order.completed"])
    subscribers.register(REVERSE_HANDLER, reverse_on_return, ["return.created"])
