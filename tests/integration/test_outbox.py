"""The outbox relay on SQLite and PostgreSQL: fan-out, retries with backoff, dead letters, replay,
and several worker processes draining one outbox."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from tests.webhook_receiver import WebhookReceiver
from unico.connectors.webhooks import HttpWebhookSender
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound
from unico.core.events import DomainEvent, dead_letters, event_deliveries, outbox_events, record_event
from unico.core.outbox import (
    OutboxEvent,
    Senders,
    Subscribers,
    deliver_due,
    fan_out,
    list_dead_letters,
    replay_dead_letter,
)
from unico.core.webhook_subscriptions import create_subscription, remove_subscription

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _record(db: Database, event_type: str = "test.pinged", aggregate_id: str = "A1") -> str:
    with db.write() as conn:
        return record_event(conn, DomainEvent(event_type, "thing", aggregate_id, {"n": 1}))


def _deliveries(db: Database) -> list[dict[str, Any]]:
    d = event_deliveries
    with db.read() as conn:
        rows = conn.execute(
            select(d.c.target, d.c.status, d.c.attempts, d.c.next_attempt_at, d.c.last_error).order_by(d.c.id)
        ).all()
    return [dict(r._mapping) for r in rows]


def _frozen() -> clock.FrozenClock:
    frozen = clock.FrozenClock(T0)
    clock.set_clock(frozen)
    return frozen


class Recorder:
    """An in-process handler that remembers what it got and fails while ``failing`` is set."""

    def __init__(self, failing: bool = False) -> None:
        self.failing = failing
        self.calls: list[OutboxEvent] = []

    def __call__(self, conn: Connection, event: OutboxEvent) -> None:
        self.calls.append(event)
        # A handler's own writes share the delivery's transaction: follow-up event as the witness.
        record_event(conn, DomainEvent("test.handled", "thing", event.event_id, {}))
        if self.failing:
            raise RuntimeError("loyalty is down")


def _senders(handler: Recorder, max_attempts: int = 3) -> Senders:
    subscribers = Subscribers()
    subscribers.register("recorder", handler, ["test.pinged"])
    return Senders(subscribers=subscribers, handler_max_attempts=max_attempts)


def _handled_count(db: Database) -> int:
    with db.read() as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(outbox_events).where(outbox_events.c.type == "test.handled")
            ).scalar_one()
        )


def test_events_of_a_rolled_back_unit_of_work_are_never_delivered(db: Database) -> None:
    handler = Recorder()
    senders = _senders(handler)
    with pytest.raises(RuntimeError), db.write() as conn:
        record_event(conn, DomainEvent("test.pinged", "thing", "lost", {}))
        raise RuntimeError("the use case failed after recording its event")

    assert fan_out(db, senders.subscribers) == 0
    assert deliver_due(db, senders).claimed == 0
    assert handler.calls == []
    assert _deliveries(db) == []


def test_a_committed_event_reaches_its_handler_once(db: Database) -> None:
    _frozen()
    handler = Recorder()
    senders = _senders(handler)
    event_id = _record(db)

    assert fan_out(db, senders.subscribers) == 1
    report = deliver_due(db, senders)
    assert (report.claimed, report.delivered) == (1, 1)
    assert len(handler.calls) == 1
    got = handler.calls[0]
    assert (got.event_id, got.type, got.aggregate_type, got.aggregate_id, got.payload, got.occurred_at) == (
        event_id,
        "test.pinged",
        "thing",
        "A1",
        {"n": 1},
        T0,
    )
    assert _deliveries(db) == [
        {
            "target": "handler:recorder",
            "status": "delivered",
            "attempts": 1,
            "next_attempt_at": T0,
            "last_error": None,
        }
    ]
    # Fanning out and delivering again finds nothing: the follow-up event has no subscriber.
    assert fan_out(db, senders.subscribers) == 1
    assert deliver_due(db, senders).claimed == 0
    assert len(handler.calls) == 1
    assert _handled_count(db) == 1


def test_a_failing_handler_is_retried_with_backoff_then_dead_lettered(db: Database) -> None:
    frozen = _frozen()
    handler = Recorder(failing=True)
    senders = _senders(handler, max_attempts=3)
    event_id = _record(db)
    fan_out(db, senders.subscribers)

    assert deliver_due(db, senders).retried == 1
    error = "RuntimeError: loyalty is down"
    assert _deliveries(db) == [
        {
            "target": "handler:recorder",
            "status": "pending",
            "attempts": 1,
            "next_attempt_at": T0 + timedelta(seconds=2),
            "last_error": error,
        }
    ]
    frozen.advance(seconds=1)
    assert deliver_due(db, senders).claimed == 0  # not due yet

    frozen.advance(seconds=1)
    assert deliver_due(db, senders).retried == 1
    assert _deliveries(db)[0]["attempts"] == 2
    assert _deliveries(db)[0]["next_attempt_at"] == T0 + timedelta(seconds=2 + 4)

    frozen.advance(seconds=4)
    assert deliver_due(db, senders).dead == 1
    assert _deliveries(db)[0]["status"] == "dead"
    assert _deliveries(db)[0]["attempts"] == 3

    frozen.advance(hours=2)
    assert deliver_due(db, senders).claimed == 0  # the dead are not retried
    assert len(handler.calls) == 3
    assert _handled_count(db) == 0  # each failed attempt rolled back the handler's own writes

    [letter] = list_dead_letters(db)
    assert (letter.event_id, letter.event_type, letter.target, letter.attempts, letter.last_error) == (
        event_id,
        "test.pinged",
        "handler:recorder",
        3,
        error,
    )
    assert (letter.created_at, letter.replayed_at) == (T0 + timedelta(seconds=6), None)


def test_replaying_a_dead_letter_delivers_it_again(db: Database) -> None:
    frozen = _frozen()
    handler = Recorder(failing=True)
    senders = _senders(handler, max_attempts=1)
    _record(db)
    fan_out(db, senders.subscribers)
    assert deliver_due(db, senders).dead == 1
    [letter] = list_dead_letters(db)

    frozen.advance(minutes=10)
    handler.failing = False
    replayed = replay_dead_letter(db, letter.id)
    assert replayed.replayed_at == T0 + timedelta(minutes=10)
    assert _deliveries(db)[0]["status"] == "pending"
    assert _deliveries(db)[0]["attempts"] == 0

    assert deliver_due(db, senders).delivered == 1
    assert _deliveries(db)[0]["status"] == "delivered"
    assert _handled_count(db) == 1
    assert list_dead_letters(db) == []
    assert [d.id for d in list_dead_letters(db, include_replayed=True)] == [letter.id]

    with pytest.raises(Conflict) as again:
        replay_dead_letter(db, letter.id)
    assert again.value.code == "outbox.already_replayed"
    with pytest.raises(NotFound) as missing:
        replay_dead_letter(db, letter.id + 1000)
    assert missing.value.code == "outbox.dead_letter_not_found"


def test_a_delivery_to_a_handler_this_worker_lacks_fails_loudly(db: Database) -> None:
    _frozen()
    _record(db)
    fan_out(db, _senders(Recorder()).subscribers)  # a worker that has "recorder"...
    report = deliver_due(db, Senders(subscribers=Subscribers(), handler_max_attempts=5))  # ...and one without
    assert report.retried == 1
    assert _deliveries(db)[0]["last_error"] == "no handler named 'recorder' is registered in this worker"


def test_removing_a_subscription_cancels_its_pending_deliveries(db: Database) -> None:
    created = create_subscription(db, url="http://127.0.0.1:9/hooks", event_types=["test.*"])
    _record(db)
    fan_out(db, Subscribers())
    assert [d["target"] for d in _deliveries(db)] == [f"webhook:{created.subscription.id}"]

    assert remove_subscription(db, created.subscription.id) == 1
    assert _deliveries(db)[0]["status"] == "cancelled"
    assert _deliveries(db)[0]["last_error"] == "webhook subscription removed"
    with pytest.raises(NotFound):
        remove_subscription(db, created.subscription.id)


def test_an_event_nobody_wants_is_dispatched_without_deliveries(db: Database) -> None:
    _frozen()
    _record(db, event_type="test.ignored")
    assert fan_out(db, _senders(Recorder()).subscribers) == 1
    assert _deliveries(db) == []
    with db.read() as conn:
        assert conn.execute(select(outbox_events.c.dispatched_at)).scalar_one() == T0


# --- several workers, each in its own OS process ------------------------------------------------

EVENTS = 60


def _ledger_handler(conn: Connection, event: OutboxEvent) -> None:
    time.sleep(0.002)  # long enough for the other worker to be active at the same time
    record_event(conn, DomainEvent("test.handled", "thing", event.event_id, {"pid": os.getpid()}))


def _drain(url: str, start: Any, timeout_seconds: float) -> None:
    """A worker process: fan out and deliver in small batches until nothing is left to do."""
    db = Database(url, pool_size=2)
    subscribers = Subscribers()
    subscribers.register("ledger", _ledger_handler, ["test.pinged"])
    sender = HttpWebhookSender(timeout_seconds=5)
    senders = Senders(subscribers=subscribers, webhook=sender)
    start.wait()
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        fan_out(db, subscribers, batch=7)
        deliver_due(db, senders, limit=5)
        with db.read() as conn:
            undispatched = conn.execute(
                select(func.count()).select_from(outbox_events).where(outbox_events.c.dispatched_at.is_(None))
            ).scalar_one()
            pending = conn.execute(
                select(func.count())
                .select_from(event_deliveries)
                .where(event_deliveries.c.status == "pending")
            ).scalar_one()
        if undispatched == 0 and pending == 0:
            break
    sender.close()
    db.dispose()


def test_two_worker_processes_deliver_each_event_once_per_target(db: Database) -> None:
    with WebhookReceiver(status=200) as receiver:
        create_subscription(db, url=receiver.url, event_types=["test.pinged"])
        event_ids = [_record(db, aggregate_id=f"A{n}") for n in range(EVENTS)]

        ctx = multiprocessing.get_context("spawn")
        start = ctx.Barrier(2)
        workers = [ctx.Process(target=_drain, args=(db.url, start, 90.0)) for _ in range(2)]
        for process in workers:
            process.start()
        for process in workers:
            process.join(timeout=120)
        assert [p.exitcode for p in workers] == [0, 0]
        received = receiver.snapshot()

    assert Counter(r.headers["x-unico-event-id"] for r in received) == Counter(event_ids)
    with db.read() as conn:
        handled = conn.execute(
            select(outbox_events.c.aggregate_id, outbox_events.c.payload).where(
                outbox_events.c.type == "test.handled"
            )
        ).all()
        dead = conn.execute(select(func.count()).select_from(dead_letters)).scalar_one()
    assert Counter(row.aggregate_id for row in handled) == Counter(event_ids)
    assert {row.payload["pid"] for row in handled} == {p.pid for p in workers}  # both took part
    statuses = Counter((d["target"].split(":")[0], d["status"], d["attempts"]) for d in _deliveries(db))
    assert statuses == {("handler", "delivered", 1): EVENTS, ("webhook", "delivered", 1): EVENTS}
    assert dead == 0
