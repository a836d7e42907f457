"""Webhook subscriptions: where outbound webhooks go, which event types, and the signing secret.

The secret is generated here and shown once, when the subscription is created; it is kept in the
clear because every delivery is signed with it (HMAC-SHA256, see ``unico.connectors.webhooks``).
Removing a subscription deactivates it and cancels its pending deliveries, so nothing is sent to
a receiver that was removed.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update

from unico.core import clock
from unico.core.db import Database
from unico.core.errors import NotFound, ValidationFailed
from unico.core.events import event_deliveries, webhook_subscriptions
from unico.core.outbox import CANCELLED, PENDING, WEBHOOK_PREFIX

log = logging.getLogger("unico.outbox")

SECRET_PREFIX = "whsec_"
_EVENT_PATTERN = re.compile(r"^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$")


@dataclass(frozen=True)
class WebhookSubscription:
    id: int
    url: str
    event_types: list[str]
    description: str
    created_at: datetime


@dataclass(frozen=True)
class CreatedSubscription:
    subscription: WebhookSubscription
    secret: str  # shown once


def check_webhook_url(url: str) -> str:
    """An absolute http(s) URL with a host, at most 500 characters."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed("a webhook URL must be an absolute http or https URL", field="url")
    if len(url) > 500:
        raise ValidationFailed("a webhook URL is at most 500 characters", field="url")
    return url


def check_event_types(event_types: Sequence[str]) -> list[str]:
    """Exact types (``inventory.stock_reserved``), area wildcards (``inventory.*``) or ``*``."""
    if not event_types:
        raise ValidationFailed("subscribe to at least one event type (or '*')", field="event_types")
    for pattern in event_types:
        if len(pattern) > 80 or not _EVENT_PATTERN.match(pattern):
            raise ValidationFailed(
                f"'{pattern}' is not an event type, 'area.*' or '*'", field="event_types", value=pattern
            )
    return list(dict.fromkeys(event_types))


def create_subscription(
    db: Database, *, url: str, event_types: Sequence[str], description: str = ""
) -> CreatedSubscription:
    """Subscribe ``url`` to ``event_types``; the returned secret is not retrievable afterwards."""
    url = check_webhook_url(url)
    types = check_event_types(event_types)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    created_at = clock.now()
    with db.write() as conn:
        result = conn.execute(
            webhook_subscriptions.insert().values(
                url=url,
                secret=secret,
                event_types=types,
                description=description.strip(),
                active=1,
                created_at=created_at,
            )
        )
        key = result.inserted_primary_key
        assert key is not None  # an INSERT of one row always has one
        new_id = key[0]
    subscription = WebhookSubscription(int(new_id), url, types, description.strip(), created_at)
    return CreatedSubscription(subscription, secret)


def list_subscriptions(db: Database) -> list[WebhookSubscription]:
    s = webhook_subscriptions
    with db.read() as conn:
        rows = conn.execute(
            select(s.c.id, s.c.url, s.c.event_types, s.c.description, s.c.created_at)
            .where(s.c.active == 1)
            .order_by(s.c.id)
        ).all()
    return [
        WebhookSubscription(int(r.id), r.url, list(r.event_types), r.description, r.created_at) for r in rows
    ]


def remove_subscription(db: Database, subscription_id: int) -> int:
    """Deactivate a subscription and cancel its pending deliveries; returns how many were cancelled."""
    s, d = webhook_subscriptions, event_deliveries
    with db.write() as conn:
        found = conn.execute(
            update(s).where(s.c.id == subscription_id, s.c.active == 1).values(active=0)
        ).rowcount
        if not found:
            raise NotFound(
                f"no webhook subscription {subscription_id}",
                code="webhooks.subscription_not_found",
                id=subscription_id,
            )
        cancelled = conn.execute(
            update(d)
            .where(d.c.target == f"{WEBHOOK_PREFIX}{subscription_id}", d.c.status == PENDING)
            .values(status=CANCELLED, last_error="webhook subscription removed")
        ).rowcount
    log.info(
        "webhook subscription %d removed, %d pending deliveries cancelled",
        subscription_id,
        cancelled,
        extra={"subscription_id": subscription_id, "cancelled": cancelled},
    )
    return int(cancelled)
