"""Segment's HTTP Tracking API at /v1 and tracking sources, through real HTTP on both databases."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from tests.support import LiveServer, client_for
from unico.core import clock
from unico.core.db import Database
from unico.customers import tracking
from unico.customers.tracking_store import tracking_events

NOW = datetime(2026, 11, 22, 12, 0, 0, 250000, tzinfo=UTC)
CONTEXT = {
    "ip": "93.44.1.2",
    "locale": "it-IT",
    "page": {"path": "/scarpe", "url": "https://shop.example/scarpe"},
    "library": {"name": "analytics.js", "version": "2.11.1"},
}


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    frozen_clock = clock.FrozenClock(NOW)
    clock.set_clock(frozen_clock)
    yield frozen_clock
    clock.reset_clock()


@pytest.fixture
def write_key(admin: httpx.Client) -> str:
    created = admin.post("/api/v1/tracking/sources", json={"name": "Sito web", "kind": "web"})
    assert created.status_code == 201
    return str(created.json()["write_key"])


@pytest.fixture
def tracker(server: LiveServer, write_key: str) -> Iterator[httpx.Client]:
    """A client authenticating as Segment's libraries do: Basic auth, write key as the user."""
    with httpx.Client(base_url=server.url, auth=(write_key, ""), timeout=30.0) as client:
        yield client


def stored(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        rows = conn.execute(select(tracking_events).order_by(tracking_events.c.id)).mappings().all()
    return [dict(r) for r in rows]


def count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(tracking_events)).scalar_one())


def fields(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row without its surrogate keys."""
    return {k: v for k, v in row.items() if k not in ("id", "source_id")}


def ok(response: httpx.Response) -> None:
    assert (response.status_code, response.json()) == (200, {"success": True}), response.text


def test_every_endpoint_stores_exactly_what_was_sent(
    db: Database, tracker: httpx.Client, frozen: clock.FrozenClock
) -> None:
    ok(
        tracker.post(
            "/v1/identify",
            json={
                "userId": "u-1",
                "anonymousId": "a-1",
                "traits": {"email": "giulia@example.it", "firstName": "Giulia", "loyalty": {"card": "L1"}},
                "context": CONTEXT,
                "messageId": "m-identify",
                "timestamp": "2026-11-22T11:59:00Z",
            },
        )
    )
    ok(
        tracker.post(
            "/v1/track",
            json={
                "anonymousId": "a-1",
                "event": "product viewed",
                "properties": {"product_id": "RUN-1", "sku": "RUN-1-38", "price": 89.9, "tags": ["run"]},
                "context": CONTEXT,
                "integrations": {"All": True},
                "messageId": "m-track",
            },
        )
    )
    ok(
        tracker.post(
            "/v1/page",
            json={
                "userId": "u-1",
                "name": "Scarpe",
                "category": "Catalogo",
                "properties": {"path": "/scarpe"},
                "messageId": "m-page",
            },
        )
    )
    ok(tracker.post("/v1/screen", json={"userId": "u-1", "name": "Cart", "messageId": "m-screen"}))
    ok(
        tracker.post(
            "/v1/group",
            json={
                "userId": "u-1",
                "groupId": "famiglia-rossi",
                "traits": {"size": 4},
                "messageId": "m-group",
            },
        )
    )
    ok(tracker.post("/v1/alias", json={"previousId": "a-1", "userId": "u-1", "messageId": "m-alias"}))

    base = {
        "event": None,
        "event_as_sent": None,
        "category": None,
        "user_id": "u-1",
        "anonymous_id": None,
        "previous_id": None,
        "group_id": None,
        "properties": {},
        "traits": {},
        "context": {},
        "extra": None,
        "original_timestamp": None,
        "timestamp": NOW,
        "sent_at": None,
        "received_at": NOW,
        "profile_id": None,
        "resolved_at": None,
    }
    assert [fields(r) for r in stored(db)] == [
        {
            **base,
            "message_id": "m-identify",
            "type": "identify",
            "anonymous_id": "a-1",
            "traits": {"email": "giulia@example.it", "firstName": "Giulia", "loyalty": {"card": "L1"}},
            "context": CONTEXT,
            "original_timestamp": datetime(2026, 11, 22, 11, 59, tzinfo=UTC),
            "timestamp": datetime(2026, 11, 22, 11, 59, tzinfo=UTC),
        },
        {
            **base,
            "message_id": "m-track",
            "type": "track",
            "event": "Product Viewed",
            "event_as_sent": "product viewed",
            "category": "ecommerce",
            "user_id": None,
            "anonymous_id": "a-1",
            "properties": {"product_id": "RUN-1", "sku": "RUN-1-38", "price": 89.9, "tags": ["run"]},
            "context": CONTEXT,
            "extra": {"integrations": {"All": True}},
        },
        {
            **base,
            "message_id": "m-page",
            "type": "page",
            "event": "Scarpe",
            "properties": {"path": "/scarpe"},
            "extra": {"category": "Catalogo"},
        },
        {**base, "message_id": "m-screen", "type": "screen", "event": "Cart"},
        {
            **base,
            "message_id": "m-group",
            "type": "group",
            "group_id": "famiglia-rossi",
            "traits": {"size": 4},
        },
        {**base, "message_id": "m-alias", "type": "alias", "previous_id": "a-1"},
    ]


def test_batch_corrects_clock_skew_and_clamps_the_future(
    db: Database, tracker: httpx.Client, frozen: clock.FrozenClock
) -> None:
    # The phone's clock is 2 hours fast; it queued events for 10 minutes before sending.
    ok(
        tracker.post(
            "/v1/batch",
            json={
                "sentAt": "2026-11-22T14:10:00Z",
                "batch": [
                    {
                        "type": "track",
                        "userId": "u",
                        "event": "Store Visited",
                        "timestamp": "2026-11-22T14:00:00Z",
                    },
                    {
                        "type": "track",
                        "userId": "u",
                        "event": "Cart Viewed",
                        "timestamp": "2026-11-22T14:09:59.5Z",
                    },
                    {"type": "page", "userId": "u", "timestamp": "2026-11-22T14:20:00Z"},
                    {"type": "screen", "userId": "u"},
                ],
            },
        )
    )
    # A server-side import without sentAt: kept as sent, unless it is in the future.
    ok(
        tracker.post(
            "/v1/batch",
            json={
                "batch": [
                    {"type": "identify", "userId": "v", "timestamp": "2025-01-31T09:00:00+01:00"},
                    {"type": "identify", "userId": "v", "timestamp": "2027-01-01T00:00:00Z"},
                ]
            },
        )
    )
    rows = stored(db)
    sent = datetime(2026, 11, 22, 14, 10, tzinfo=UTC)
    assert [(r["timestamp"], r["sent_at"], r["received_at"]) for r in rows] == [
        (NOW - timedelta(minutes=10), sent, NOW),
        (NOW - timedelta(seconds=0.5), sent, NOW),
        (NOW, sent, NOW),  # 10 minutes after it was sent: in the future, clamped
        (NOW, sent, NOW),  # no timestamp: when it was received
        (datetime(2025, 1, 31, 8, 0, tzinfo=UTC), None, NOW),
        (NOW, None, NOW),
    ]
    assert [r["category"] for r in rows[:2]] == ["store", "ecommerce"]
    assert rows[2]["original_timestamp"] == datetime(2026, 11, 22, 14, 20, tzinfo=UTC)


def test_write_keys_unknown_missing_or_disabled_are_401(
    db: Database, server: LiveServer, admin: httpx.Client, write_key: str
) -> None:
    message = {"userId": "u", "event": "Product Viewed"}
    nobody = httpx.post(f"{server.url}/v1/track", json=message)
    assert (nobody.status_code, nobody.json()["error"]["code"]) == (401, "tracking.missing_write_key")
    wrong = httpx.post(f"{server.url}/v1/track", json=message, auth=("not-a-key", ""))
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "tracking.invalid_write_key")
    in_body = httpx.post(f"{server.url}/v1/batch", json={"writeKey": "nope", "batch": [message]})
    assert in_body.status_code == 401
    # Segment also takes the key in the body.
    ok(httpx.post(f"{server.url}/v1/track", json={**message, "writeKey": write_key}))
    assert count(db) == 1
    assert stored(db)[0]["extra"] is None  # the key is not kept with the event

    source_id = admin.get("/api/v1/tracking/sources").json()[0]["source_id"]
    disabled = admin.post(f"/api/v1/tracking/sources/{source_id}/disable")
    assert disabled.json()["disabled"] is True
    refused = httpx.post(f"{server.url}/v1/track", json=message, auth=(write_key, ""))
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "tracking.invalid_write_key")
    admin.post(f"/api/v1/tracking/sources/{source_id}/enable")
    ok(httpx.post(f"{server.url}/v1/track", json=message, auth=(write_key, "")))
    assert count(db) == 2


def _padded(size: int, **fields: Any) -> dict[str, Any]:
    message: dict[str, Any] = {"userId": "u", "event": "E", **fields, "properties": {"p": ""}}
    message["properties"] = {"p": "x" * (size - len(orjson.dumps(message)))}
    return message


def test_size_limits_are_400_just_over_32_kb_and_500_kb(db: Database, tracker: httpx.Client) -> None:
    ok(tracker.post("/v1/track", content=orjson.dumps(_padded(32 * 1024))))
    over = tracker.post("/v1/track", content=orjson.dumps(_padded(32 * 1024 + 1)))
    assert over.status_code == 400
    assert over.json()["error"]["code"] == "tracking.too_large"
    assert over.json()["error"]["message"] == "body: 32769 bytes is more than the 32 KB allowed"

    one_big = {"batch": [_padded(200, type="track"), _padded(32 * 1024 + 1, type="track")]}
    refused = tracker.post("/v1/batch", content=orjson.dumps(one_big))
    assert (refused.status_code, refused.json()["error"]["details"]["field"]) == (400, "batch[1]")

    batch = {"batch": [_padded(30_000, type="track") for _ in range(17)]}
    filler = 500 * 1024 - len(orjson.dumps(batch))
    batch["context"] = {"f": "x" * (filler - len(b',"context":{"f":""}'))}
    assert len(orjson.dumps(batch)) == 500 * 1024
    ok(tracker.post("/v1/batch", content=orjson.dumps(batch)))
    batch["context"] = {"f": "x" * (filler - len(b',"context":{"f":""}') + 1)}
    too_big = tracker.post("/v1/batch", content=orjson.dumps(batch))
    assert (too_big.status_code, too_big.json()["error"]["code"]) == (400, "tracking.too_large")
    chunked = tracker.post("/v1/batch", content=iter([b" " * 100_000] * 6))  # no Content-Length
    assert (chunked.status_code, chunked.json()["error"]["code"]) == (400, "tracking.too_large")
    bomb = gzip.compress(b'{"batch": [' + b" " * 5_000_000 + b"]}")
    inflated = tracker.post("/v1/batch", content=bomb, headers={"content-encoding": "gzip"})
    assert (inflated.status_code, inflated.json()["error"]["code"]) == (400, "tracking.too_large")
    assert count(db) == 1 + 17


def test_a_malformed_batch_stores_nothing(db: Database, tracker: httpx.Client) -> None:
    good = {"type": "track", "anonymousId": "a", "event": "Product Added"}
    bad = tracker.post("/v1/batch", json={"batch": [good, good, {"type": "track", "event": "X"}, good]})
    assert bad.status_code == 400
    assert bad.json()["error"] == {
        "code": "tracking.invalid_message",
        "message": "batch[2].userId: userId or anonymousId is required",
        "details": {"field": "batch[2].userId"},
    }
    wrong_type = tracker.post("/v1/batch", json={"batch": [good, {**good, "properties": "red"}]})
    assert wrong_type.json()["error"]["details"]["field"] == "batch[1].properties"
    broken = tracker.post(
        "/v1/batch", content=b'{"batch": [{"type": "track",', headers={"content-type": "application/json"}
    )
    assert (broken.status_code, broken.json()["error"]["code"]) == (400, "tracking.malformed_json")
    nul = tracker.post("/v1/identify", json={"userId": "u", "traits": {"name": "a\x00"}})
    assert (nul.status_code, nul.json()["error"]["details"]["field"]) == (400, "body")
    assert tracker.post("/v1/alias", json={"userId": "u"}).json()["error"]["details"]["field"] == "previousId"
    assert tracker.post("/v1/group", json={"userId": "u"}).json()["error"]["details"]["field"] == "groupId"
    assert count(db) == 0


def test_a_message_id_is_stored_once_per_source(
    db: Database, admin: httpx.Client, tracker: httpx.Client
) -> None:
    message = {"type": "track", "userId": "u", "event": "Order Completed", "messageId": "m-1"}
    ok(tracker.post("/v1/batch", json={"batch": [message, message, {**message, "messageId": "m-2"}]}))
    ok(tracker.post("/v1/track", json=message))  # the client retried
    assert [r["message_id"] for r in stored(db)] == ["m-1", "m-2"]
    other_key = admin.post("/api/v1/tracking/sources", json={"name": "App", "kind": "app"}).json()[
        "write_key"
    ]
    ok(tracker.post("/v1/track", json=message, auth=(other_key, "")))
    assert count(db) == 3


def test_gzipped_bodies_are_accepted(db: Database, tracker: httpx.Client) -> None:
    body = gzip.compress(orjson.dumps({"batch": [{"type": "identify", "userId": "u", "traits": {"a": 1}}]}))
    ok(tracker.post("/v1/batch", content=body, headers={"content-encoding": "gzip"}))
    assert stored(db)[0]["traits"] == {"a": 1}


def test_sources_are_managed_by_admins_and_integrations_only(
    db: Database, server: LiveServer, admin: httpx.Client
) -> None:
    created = admin.post("/api/v1/tracking/sources", json={"name": "Casse Milano", "kind": "pos"})
    body = created.json()
    assert body["source_id"].startswith("src_")
    assert (body["name"], body["kind"], body["disabled"]) == ("Casse Milano", "pos", False)
    assert len(body["write_key"]) == 32
    listed = admin.get("/api/v1/tracking/sources").json()
    assert [(s["source_id"], "write_key" in s) for s in listed] == [(body["source_id"], False)]
    bad_kind = admin.post("/api/v1/tracking/sources", json={"name": "X", "kind": "fax"})
    assert (bad_kind.status_code, bad_kind.json()["error"]["details"]["field"]) == (422, "kind")
    missing = admin.post("/api/v1/tracking/sources/src_nope/disable")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "tracking.source_not_found")
    with client_for(server, db, "analyst") as analyst:
        assert analyst.get("/api/v1/tracking/sources").status_code == 403
    assert tracking.list_sources(db)[0].name == "Casse Milano"


def test_cli_creates_a_source_and_prints_its_key_once(db: Database, server: LiveServer) -> None:
    env = {**os.environ, "UNICO_DATABASE_URL": db.url, "UNICO_LOG_JSON": "false", "COLUMNS": "200"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "unico.cli",
            "tracking-source",
            "create",
            "Contact center",
            "--kind",
            "contact_center",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    key = done.stdout.strip().splitlines()[-1]
    ok(httpx.post(f"{server.url}/v1/identify", json={"userId": "u"}, auth=(key, "")))
    assert [(s.name, s.kind) for s in tracking.list_sources(db)] == [("Contact center", "contact_center")]
