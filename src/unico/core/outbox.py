"""Relaying the outbox: fan events out to targets, deliver them with retries, park failures.

An event recorded with :func:`unico.core.events.record_event` becomes, once its transaction has
committed, one *delivery* per target: ``handler:<name>`` for each in-process subscriber and
``webhook:<subscription id>`` for each active webhook subscription whose event types match.

    fan_out        undispatched events, in id order  ->  event_deliveries rows (pending)
    deliver_due    pending deliveries that are due   ->  delivered | retried later | dead
    replay_dead_letter                               ->  a dead delivery is pending again

Concurrency: several workers may run at once (``unico worker`` processes, the loop embedded in
``unico serve``). On PostgreSQL they take rows with ``FOR UPDATE SKIP LOCKED``; on SQLite write
units are ``BEGIN IMMEDIATE`` and so already serialised. A claimed delivery is *leased* by moving
its ``next_attempt_at`` past the lease, so no other worker takes it while it is being sent; if the
worker dies, the lease lapses and the delivery is tried again (at-least-once for webhooks).

In-process handlers run inside the transaction that marks their delivery delivered, so what a
handler writes through the connection it is given is committed exactly once, or not at all.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound
from unico.core.events import dead_letters, event_deliveries, outbox_events, webhook_subscriptions

log = logging.getLogger("unico.outbox")

PENDING, DELIVERED, DEAD, CANCELLED = "pending", "delivered", "dead", "cancelled"
HANDLER_PREFIX, WEBHOOK_PREFIX = "handler:", "webhook:"

# Long enough to cover a batch of webhook calls; a worker that dies mid-batch delays a retry by it.
DEFAULT_LEASE = timedelta(minutes=5)
BACKOFF_BASE_SECONDS = 2
BACKOFF_CAP = timedelta(hours=1)

_HANDLER_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,100}$")


@dataclass(frozen=True)
class OutboxEvent:
    """A stored domain event as targets receive it. ``id`` is the outbox row id (the feed cursor)."""

    id: int
    event_id: str
    type: str
    aggregate_type: str
    aggregate_id: str
    payload: dict[str, Any]
    occurred_at: datetime


Handler = Callable[[Connection, OutboxEvent], None]
"""An in-process subscriber: runs inside the delivery's transaction; raise to fail the attempt."""


@dataclass(frozen=True)
class WebhookTarget:
    subscription_id: int
    url: str
    secret: str


WebhookSender = Callable[[WebhookTarget, OutboxEvent], None]
"""Carries one event to one webhook; raises (any exception) when the receiver did not accept it."""


class DeliveryFailed(Exception):
    """A target did not accept an event (non-2xx answer, timeout...); the message says why."""


def event_type_matches(pattern: str, event_type: str) -> bool:
    """``*`` matches every type, ``inventory.*`` every type of that area, else the exact type."""
    if pattern == "*" or pattern == event_type:
        return True
    return pattern.endswith(".*") and event_type.startswith(pattern[:-1])


def backoff_delay(attempt: int) -> timedelta:
    """Wait after the ``attempt``-th failure: 2, 4, 8... seconds, never more than an hour."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    if attempt >= 12:  # 2**12 s is already past the cap; avoids huge powers
        return BACKOFF_CAP
    return min(timedelta(seconds=BACKOFF_BASE_SECONDS**attempt), BACKOFF_CAP)


class Subscribers:
    """The in-process subscribers of one worker: stable names, each with the event types it wants."""

    def __init__(self) -> None:
        self._handlers: dict[str, tuple[Handler, tuple[str, ...]]] = {}

    def register(self, name: str, handler: Handler, event_types: Sequence[str]) -> None:
        """Subscribe ``handler`` as ``handler:<name>`` to ``event_types`` (exact, ``area.*`` or ``*``).

        The name is stored in each delivery, so keep it stable across releases.
        """
        if not _HANDLER_NAME.match(name):
            raise ValueError(f"handler name {name!r} must be lowercase letters, digits, '_', '.', '-'")
        if name in self._handlers:
            raise ValueError(f"a handler named {name!r} is already registered")
        if not event_types:
            raise ValueError(f"handler {name!r} subscribes to no event type")
        self._handlers[name] = (handler, tuple(event_types))

    def subscribe(self, name: str, *event_types: str) -> Callable[[Handler], Handler]:
        """Decorator form of :meth:`register`."""

        def decorate(handler: Handler) -> Handler:
            self.register(name, handler, event_types)
            return handler

        return decorate

    def names_for(self, event_type: str) -> list[str]:
        return [
            name
            for name, (_h, patterns) in self._handlers.items()
            if any(event_type_matches(p, event_type) for p in patterns)
        ]

    def get(self, name: str) -> Handler | None:
        entry = self._handlers.get(name)
        return entry[0] if entry else None

    def __len__(self) -> int:
        return len(self._handlers)


def targets_for(
    event_type: str, subscribers: Subscribers, webhooks: Iterable[tuple[int, Sequence[str]]]
) -> list[str]:
    """The delivery targets of one event: matching handlers, then matching webhook subscriptions."""
    targets = [HANDLER_PREFIX + name for name in subscribers.names_for(event_type)]
    targets += [
        f"{WEBHOOK_PREFIX}{sub_id}"
        for sub_id, patterns in webhooks
        if any(event_type_matches(p, event_type) for p in patterns)
    ]
    return targets


def fan_out(db: Database, subscribers: Subscribers, *, now: datetime | None = None, batch: int = 500) -> int:
    """Turn up to ``batch`` undispatched events into pending deliveries; returns how many events."""
    now = now or clock.now()
    with db.write() as conn:
        query = (
            select(outbox_events.c.id, outbox_events.c.type)
            .where(outbox_events.c.dispatched_at.is_(None))
            .order_by(outbox_events.c.id)
            .limit(batch)
        )
        if db.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True)
        events = conn.execute(query).all()
        if not events:
            return 0
        webhooks = [
            (int(r.id), list(r.event_types))
            for r in conn.execute(
                select(webhook_subscriptions.c.id, webhook_subscriptions.c.event_types).where(
                    webhook_subscriptions.c.active == 1
                )
            )
        ]
        rows = [
            {"event_id": e.id, "target": target, "status": PENDING, "attempts": 0, "next_attempt_at": now}
            for e in events
            for target in targets_for(e.type, subscribers, webhooks)
        ]
        if rows:
            insert = pg_insert if db.dialect == "postgresql" else sqlite_insert
            conn.execute(
                insert(event_deliveries).on_conflict_do_nothing(index_elements=["event_id", "target"]), rows
            )
        conn.execute(
            update(outbox_events)
            .where(outbox_events.c.id.in_([e.id for e in events]))
            .values(dispatched_at=now)
        )
    return len(events)


@dataclass(frozen=True)
class Senders:
    """Who carries deliveries to their targets, and how many attempts each kind gets."""

    subscribers: Subscribers
    webhook: WebhookSender | None = None
    handler_max_attempts: int = 5
    webhook_max_attempts: int = 8


@dataclass
class DeliveryReport:
    """What one :func:`deliver_due` call did with the deliveries it claimed."""

    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    cancelled: int = 0
    skipped: int = 0  # settled meanwhile by another worker


@dataclass(frozen=True)
class _Due:
    delivery_id: int
    target: str
    event: OutboxEvent


def _event_from(row: Row[Any]) -> OutboxEvent:
    return OutboxEvent(
        id=int(row.id),
        event_id=row.event_id,
        type=row.type,
        aggregate_type=row.aggregate_type,
        aggregate_id=row.aggregate_id,
        payload=dict(row.payload),
        occurred_at=row.occurred_at,
    )


def _claim_due(db: Database, now: datetime, limit: int, lease: timedelta) -> list[_Due]:
    d, e = event_deliveries, outbox_events
    with db.write() as conn:
        query = (
            select(d.c.id.label("delivery_id"), d.c.target, *e.c)
            .join(e, e.c.id == d.c.event_id)
            .where(d.c.status == PENDING, d.c.next_attempt_at <= now)
            .order_by(d.c.next_attempt_at, d.c.id)
            .limit(limit)
        )
        if db.dialect == "postgresql":
            query = query.with_for_update(skip_locked=True, of=d)
        rows = conn.execute(query).all()
        if rows:
            conn.execute(
                update(d).where(d.c.id.in_([r.delivery_id for r in rows])).values(next_attempt_at=now + lease)
            )
    return [_Due(int(r.delivery_id), r.target, _event_from(r)) for r in rows]


def _mark_delivered(conn: Connection, delivery_id: int, now: datetime) -> bool:
    d = event_deliveries
    result = conn.execute(
        update(d)
        .where(d.c.id == delivery_id, d.c.status == PENDING)
        .values(status=DELIVERED, delivered_at=now, next_attempt_at=now, attempts=d.c.attempts + 1)
    )
    return result.rowcount == 1


def _record_failure(
    db: Database,
    due: _Due,
    error: str,
    now: datetime,
    max_attempts: int,
    exc: BaseException | None = None,
) -> str:
    """One more failed attempt: retry later with backoff, or dead-letter it. Returns the outcome.

    ``exc``, when given, puts its traceback in the log (handler bugs need one; HTTP errors do not).
    """
    d = event_deliveries
    with db.write() as conn:
        row = conn.execute(
            select(d.c.status, d.c.attempts).where(d.c.id == due.delivery_id).with_for_update()
        ).first()
        if row is None or row.status != PENDING:
            log.info(
                "failed attempt of %s to %s ignored: another worker settled it meanwhile",
                due.event.event_id,
                due.target,
                extra={"event_id": due.event.event_id, "target": due.target},
            )
            return "skipped"
        attempts = row.attempts + 1
        if attempts >= max_attempts:
            conn.execute(
                update(d)
                .where(d.c.id == due.delivery_id)
                .values(status=DEAD, attempts=attempts, last_error=error)
            )
            conn.execute(
                dead_letters.insert().values(
                    delivery_id=due.delivery_id,
                    event_id=due.event.event_id,
                    event_type=due.event.type,
                    target=due.target,
                    attempts=attempts,
                    last_error=error,
                    created_at=now,
                )
            )
            outcome = "dead"
        else:
            retry_at = now + backoff_delay(attempts)
            conn.execute(
                update(d)
                .where(d.c.id == due.delivery_id)
                .values(attempts=attempts, last_error=error, next_attempt_at=retry_at)
            )
            outcome = "retried"
    log.log(
        logging.ERROR if outcome == "dead" else logging.WARNING,
        "delivery of %s to %s failed (attempt %d of %d%s): %s",
        due.event.event_id,
        due.target,
        attempts,
        max_attempts,
        ", dead-lettered" if outcome == "dead" else "",
        error,
        exc_info=exc,
        extra={
            "event_id": due.event.event_id,
            "event_type": due.event.type,
            "target": due.target,
            "attempt": attempts,
            "outcome": outcome,
        },
    )
    return outcome


def _cancel(db: Database, due: _Due, reason: str) -> None:
    d = event_deliveries
    with db.write() as conn:
        conn.execute(
            update(d)
            .where(d.c.id == due.delivery_id, d.c.status == PENDING)
            .values(status=CANCELLED, last_error=reason)
        )
    log.warning(
        "delivery of %s to %s cancelled: %s",
        due.event.event_id,
        due.target,
        reason,
        extra={"event_id": due.event.event_id, "target": due.target},
    )


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, DeliveryFailed) else f"{type(exc).__name__}: {text}"


def _deliver_to_handler(db: Database, senders: Senders, due: _Due, now: datetime) -> str:
    name = due.target.removeprefix(HANDLER_PREFIX)
    handler = senders.subscribers.get(name)
    if handler is None:
        error = f"no handler named {name!r} is registered in this worker"
        return _record_failure(db, due, error, now, senders.handler_max_attempts)
    try:
        with db.write() as conn:
            if not _mark_delivered(conn, due.delivery_id, now):
                return "skipped"
            handler(conn, due.event)
    except Exception as exc:  # any handler failure is one failed attempt, recorded below
        return _record_failure(db, due, _describe(exc), now, senders.handler_max_attempts, exc)
    return "delivered"


def _webhook_target(db: Database, subscription_id: int) -> WebhookTarget | None:
    s = webhook_subscriptions
    with db.read() as conn:
        row = conn.execute(
            select(s.c.id, s.c.url, s.c.secret).where(s.c.id == subscription_id, s.c.active == 1)
        ).first()
    return WebhookTarget(int(row.id), row.url, row.secret) if row else None


def _deliver_to_webhook(db: Database, senders: Senders, due: _Due, now: datetime) -> str:
    raw_id = due.target.removeprefix(WEBHOOK_PREFIX)
    target = _webhook_target(db, int(raw_id)) if raw_id.isdigit() else None
    if target is None:
        _cancel(db, due, f"webhook subscription {raw_id} no longer exists")
        return "cancelled"
    if senders.webhook is None:
        return _record_failure(db, due, "no webhook sender configured", now, senders.webhook_max_attempts)
    try:
        senders.webhook(target, due.event)
    except Exception as exc:  # network errors, timeouts, non-2xx: one failed attempt
        return _record_failure(db, due, _describe(exc), now, senders.webhook_max_attempts)
    with db.write() as conn:
        return "delivered" if _mark_delivered(conn, due.delivery_id, now) else "skipped"


def deliver_due(
    db: Database,
    senders: Senders,
    *,
    now: datetime | None = None,
    limit: int = 100,
    lease: timedelta = DEFAULT_LEASE,
) -> DeliveryReport:
    """Claim up to ``limit`` due deliveries and carry each to its target; failures are retried
    with :func:`backoff_delay` and dead-lettered after the target kind's maximum attempts."""
    now = now or clock.now()
    report = DeliveryReport()
    claimed = _claim_due(db, now, limit, lease)
    report.claimed = len(claimed)
    for due in claimed:
        if due.target.startswith(HANDLER_PREFIX):
            outcome = _deliver_to_handler(db, senders, due, now)
        elif due.target.startswith(WEBHOOK_PREFIX):
            outcome = _deliver_to_webhook(db, senders, due, now)
        else:
            _cancel(db, due, f"unknown kind of target {due.target!r}")
            outcome = "cancelled"
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


@dataclass(frozen=True)
class DeadLetter:
    id: int
    delivery_id: int
    event_id: str
    event_type: str
    target: str
    attempts: int
    last_error: str
    created_at: datetime
    replayed_at: datetime | None


def _dead_letter_from(row: Row[Any]) -> DeadLetter:
    return DeadLetter(**{k: row._mapping[k] for k in DeadLetter.__dataclass_fields__})


def list_dead_letters(db: Database, *, include_replayed: bool = False, limit: int = 100) -> list[DeadLetter]:
    """Parked deliveries, newest first; replayed ones only when asked for."""
    query = select(dead_letters).order_by(dead_letters.c.id.desc()).limit(limit)
    if not include_replayed:
        query = query.where(dead_letters.c.replayed_at.is_(None))
    with db.read() as conn:
        return [_dead_letter_from(r) for r in conn.execute(query)]


def replay_dead_letter(db: Database, dead_letter_id: int) -> DeadLetter:
    """Give a dead delivery a fresh set of attempts, due now; a dead letter is replayed once."""
    now = clock.now()
    with db.write() as conn:
        row = conn.execute(select(dead_letters).where(dead_letters.c.id == dead_letter_id)).first()
        if row is None:
            raise NotFound(
                f"no dead letter {dead_letter_id}", code="outbox.dead_letter_not_found", id=dead_letter_id
            )
        if row.replayed_at is not None:
            raise Conflict(
                f"dead letter {dead_letter_id} was already replayed",
                code="outbox.already_replayed",
                replayed_at=row.replayed_at.isoformat(),
            )
        conn.execute(update(dead_letters).where(dead_letters.c.id == dead_letter_id).values(replayed_at=now))
        conn.execute(
            update(event_deliveries)
            .where(event_deliveries.c.id == row.delivery_id)
            .values(status=PENDING, attempts=0, next_attempt_at=now)
        )
        replayed = conn.execute(select(dead_letters).where(dead_letters.c.id == dead_letter_id)).one()
    log.info(
        "dead letter %d replayed (%s to %s)",
        dead_letter_id,
        row.event_id,
        row.target,
        extra={"event_id": row.event_id, "target": row.target},
    )
    return _dead_letter_from(replayed)


def list_events(db: Database, *, after_id: int = 0, limit: int = 100) -> list[OutboxEvent]:
    """The outbox as a feed for integrators who poll: events with ``id > after_id``, oldest first.

    Ids are taken when an event is inserted, but transactions commit in any order: on PostgreSQL
    a poller can see id 12 before id 11 has committed. Pollers that must not miss an event should
    re-read a short window behind their cursor and de-duplicate on ``event_id`` (or use webhooks).
    """
    query = (
        select(outbox_events).where(outbox_events.c.id > after_id).order_by(outbox_events.c.id).limit(limit)
    )
    with db.read() as conn:
        return [_event_from(r) for r in conn.execute(query)]
