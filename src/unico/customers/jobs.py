"""The customers domain's periodic jobs and outbox subscribers, run by the worker: identity
resolution of tracking events (``customers.resolution``), computed traits, and guest orders
joining their customer's profile."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.core.db import Database
from unico.core.outbox import OutboxEvent, Subscribers
from unico.customers.identity import normalise_identifiers
from unico.customers.privacy import suppressed_among
from unico.customers.resolution import (
    BATCH,
    MAX_BATCHES_PER_TICK,
    resolve_all_identities,
    resolve_identities,
)
from unico.customers.service import refresh_computed_traits
from unico.customers.stitching import stitch
from unico.customers.store import customer_profiles
from unico.orders.store import orders

__all__ = ["PERIODIC_JOBS", "resolve_all_identities", "resolve_identities", "subscribe"]


def resolve_identities_tick(db: Database) -> int:
    """The worker's periodic job: a bounded drain, so that other jobs still get their turn."""
    return resolve_all_identities(db, BATCH, max_batches=MAX_BATCHES_PER_TICK)


PERIODIC_JOBS: tuple[tuple[str, Callable[[Database], int]], ...] = (
    ("resolve_identities", resolve_identities_tick),
    ("refresh_computed_traits", refresh_computed_traits),
)


def subscribe(subscribers: Subscribers, db: Database) -> None:
    """Register this domain's in-process event handlers: an order changing makes its customer's
    computed traits (spend, favourite store...) stale."""

    def on_order_event(conn: Connection, event: OutboxEvent) -> None:
        customer = event.payload.get("customer_id")
        if isinstance(customer, str) and customer:
            conn.execute(
                customer_profiles.update()
                .where(customer_profiles.c.profile_id == customer)
                .values(computed_at=None)
            )

    subscribers.register("customers.computed_traits", on_order_event, ["order.*"])
    subscribers.register("customers.order_customer", link_order_customer, ["order.placed"])


def link_order_customer(conn: Connection, event: OutboxEvent) -> None:
    """A guest order (no ``customer_id``) that gives an email or a phone joins the profile those
    identify, created if need be: the web checkout, the contact center and the till then add up
    to one customer. Suppressed (erased) people are not brought back."""
    order_id = event.payload.get("order_id")
    row = conn.execute(
        select(orders.c.id, orders.c.channel, orders.c.customer_email, orders.c.customer_phone)
        .where(orders.c.order_id == order_id, orders.c.customer_id.is_(None))
        .with_for_update()
    ).first()
    if row is None:
        return
    given = {k: v for k, v in (("email", row.customer_email), ("phone", row.customer_phone)) if v}
    normal = normalise_identifiers(given.items())
    if not normal or suppressed_among(conn, given.items()):
        return
    profile_id = stitch(conn, normal, source=row.channel).profile_id
    if profile_id is None:
        return
    conn.execute(orders.update().where(orders.c.id == row.id).values(customer_id=profile_id))
    conn.execute(
        customer_profiles.update()
        .where(customer_profiles.c.profile_id == profile_id)
        .values(computed_at=None)
    )
