"""Webhooks as an integrator sees them: subscribe over HTTP, receive signed POSTs on a real local
receiver, watch failures become dead letters, replay them, poll the event feed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from tests.support import LiveServer, client_for
from tests.webhook_receiver import WebhookReceiver
from unico.connectors.webhooks import verify_signature
from unico.core import clock
from unico.core.db import Database
from unico.core.events import DomainEvent, event_deliveries, record_event
from unico.settings import Settings
from unico.worker import Worker

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(status=204) as live:
        yield live


@pytest.fixture
def worker(db: Database, settings: Settings) -> Iterator[Worker]:
    relay = Worker(db, settings.model_copy(update={"webhook_max_attempts": 3}), periodic=())
    yield relay
    relay.close()


def _subscribe(admin: httpx.Client, url: str, event_types: list[str]) -> dict[str, object]:
    response = admin.post(
        "/api/v1/webhooks", json={"url": url, "event_types": event_types, "description": "ERP bridge"}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _record(db: Database) -> str:
    with db.write() as conn:
        return record_event(
            conn,
            DomainEvent("inventory.stock_reserved", "stock", "SKU-1@MI01", {"sku": "SKU-1", "quantity": 2}),
        )


def test_subscribing_returns_the_secret_once(admin: httpx.Client, receiver: WebhookReceiver) -> None:
    clock.set_clock(clock.FrozenClock(T0))
    created = _subscribe(admin, receiver.url, ["inventory.*"])
    assert str(created["secret"]).startswith("whsec_")
    assert created == {
        "id": created["id"],
        "url": receiver.url,
        "event_types": ["inventory.*"],
        "description": "ERP bridge",
        "created_at": "2026-11-22T09:00:00Z",
        "secret": created["secret"],
    }
    listed = admin.get("/api/v1/webhooks").json()
    assert listed == {
        "items": [
            {
                "id": created["id"],
                "url": receiver.url,
                "event_types": ["inventory.*"],
                "description": "ERP bridge",
                "created_at": "2026-11-22T09:00:00Z",
            }
        ]
    }


def test_a_receiver_gets_the_event_with_a_valid_signature(
    admin: httpx.Client, db: Database, receiver: WebhookReceiver, worker: Worker
) -> None:
    clock.set_clock(clock.FrozenClock(T0))
    secret = str(_subscribe(admin, receiver.url, ["inventory.stock_reserved"])["secret"])
    event_id = _record(db)

    report = worker.run_once()
    assert (report["dispatched"], report["delivered"]) == (1, 1)
    [got] = receiver.snapshot()
    assert got.path == "/hooks/unico"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-unico-event"] == "inventory.stock_reserved"
    assert got.headers["x-unico-event-id"] == event_id
    assert got.headers["x-unico-timestamp"] == str(int(T0.timestamp()))
    assert json.loads(got.body) == {
        "id": event_id,
        "type": "inventory.stock_reserved",
        "occurred_at": "2026-11-22T09:00:00+00:00",
        "aggregate": {"type": "stock", "id": "SKU-1@MI01"},
        "data": {"sku": "SKU-1", "quantity": 2},
    }
    timestamp, signature = got.headers["x-unico-timestamp"], got.headers["x-unico-signature"]
    assert verify_signature(secret, timestamp, got.body, signature)
    assert not verify_signature("whsec_someone_else", timestamp, got.body, signature)
    assert not verify_signature(secret, timestamp, got.body + b" ", signature)
    assert worker.run_once()["delivered"] == 0  # delivered once, not again


def test_a_failing_receiver_is_retried_then_dead_lettered_and_replayed(
    admin: httpx.Client, db: Database, receiver: WebhookReceiver, worker: Worker
) -> None:
    frozen = clock.FrozenClock(T0)
    clock.set_clock(frozen)
    receiver.status = 500
    subscription_id = _subscribe(admin, receiver.url, ["*"])["id"]
    event_id = _record(db)

    assert worker.run_once()["retried"] == 1
    assert worker.run_once()["retried"] == 0  # backoff: not due again yet
    frozen.advance(seconds=2)
    assert worker.run_once()["retried"] == 1
    frozen.advance(seconds=4)
    assert worker.run_once()["dead"] == 1
    assert len(receiver.snapshot()) == 3

    letters = admin.get("/api/v1/dead-letters").json()["items"]
    assert letters == [
        {
            "id": letters[0]["id"],
            "delivery_id": letters[0]["delivery_id"],
            "event_id": event_id,
            "event_type": "inventory.stock_reserved",
            "target": f"webhook:{subscription_id}",
            "attempts": 3,
            "last_error": "HTTP 500",
            "created_at": "2026-11-22T09:00:06Z",
            "replayed_at": None,
        }
    ]

    receiver.status = 200
    frozen.advance(minutes=5)
    replayed = admin.post(f"/api/v1/dead-letters/{letters[0]['id']}/replay")
    assert replayed.status_code == 202
    assert replayed.json()["replayed_at"] == "2026-11-22T09:05:06Z"
    assert worker.run_once()["delivered"] == 1
    assert [r.headers["x-unico-event-id"] for r in receiver.snapshot()] == [event_id] * 4
    assert admin.get("/api/v1/dead-letters").json() == {"items": []}
    assert len(admin.get("/api/v1/dead-letters", params={"include_replayed": True}).json()["items"]) == 1

    again = admin.post(f"/api/v1/dead-letters/{letters[0]['id']}/replay")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "outbox.already_replayed"


def test_a_removed_subscription_receives_nothing(
    admin: httpx.Client, db: Database, receiver: WebhookReceiver, worker: Worker
) -> None:
    subscription_id = _subscribe(admin, receiver.url, ["*"])["id"]
    _record(db)
    worker.run_once()
    assert admin.delete(f"/api/v1/webhooks/{subscription_id}").status_code == 204
    _record(db)
    worker.run_once()
    assert len(receiver.snapshot()) == 1
    assert admin.get("/api/v1/webhooks").json() == {"items": []}
    missing = admin.delete(f"/api/v1/webhooks/{subscription_id}")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "webhooks.subscription_not_found"


def test_a_slow_receiver_times_out_and_is_retried(
    admin: httpx.Client, db: Database, settings: Settings
) -> None:
    clock.set_clock(clock.FrozenClock(T0))
    impatient = Worker(db, settings.model_copy(update={"webhook_timeout_seconds": 0.2}), periodic=())
    with WebhookReceiver(status=200, delay=1.0) as slow:
        _subscribe(admin, slow.url, ["*"])
        _record(db)
        assert impatient.run_once()["retried"] == 1
    impatient.close()
    assert _last_errors(db) == ["timed out: ReadTimeout"]


def _last_errors(db: Database) -> list[str | None]:
    with db.read() as conn:
        return list(conn.execute(select(event_deliveries.c.last_error)).scalars())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://example.com/hook", "event_types": ["*"]}, "url"),
        ({"url": "/relative/hook", "event_types": ["*"]}, "url"),
        ({"url": "https://example.com/hook", "event_types": []}, "event_types"),
        ({"url": "https://example.com/hook", "event_types": ["Not An Event"]}, "event_types"),
        ({"url": "https://example.com/hook", "event_types": ["*"], "colour": "red"}, "colour"),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field(
    admin: httpx.Client, body: dict[str, object], field: str
) -> None:
    response = admin.post("/api/v1/webhooks", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == field


def test_the_event_feed_pages_by_position(admin: httpx.Client, db: Database) -> None:
    clock.set_clock(clock.FrozenClock(T0))
    ids = [_record(db) for _ in range(3)]
    first = admin.get("/api/v1/events", params={"limit": 2}).json()
    assert [e["event_id"] for e in first["items"]] == ids[:2]
    assert first["items"][0] == {
        "id": first["items"][0]["id"],
        "event_id": ids[0],
        "type": "inventory.stock_reserved",
        "occurred_at": "2026-11-22T09:00:00Z",
        "aggregate": {"type": "stock", "id": "SKU-1@MI01"},
        "data": {"sku": "SKU-1", "quantity": 2},
    }
    rest = admin.get("/api/v1/events", params={"after_id": first["next_after_id"]}).json()
    assert [e["event_id"] for e in rest["items"]] == ids[2:]
    empty = admin.get("/api/v1/events", params={"after_id": rest["next_after_id"]}).json()
    assert empty == {"items": [], "next_after_id": rest["next_after_id"]}


def test_analysts_may_not_manage_webhooks(server: LiveServer, db: Database) -> None:
    with client_for(server, db, "analyst") as analyst:
        for response in (
            analyst.get("/api/v1/webhooks"),
            analyst.post("/api/v1/webhooks", json={"url": "https://example.com/h", "event_types": ["*"]}),
            analyst.get("/api/v1/dead-letters"),
            analyst.get("/api/v1/events"),
        ):
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "auth.forbidden"
