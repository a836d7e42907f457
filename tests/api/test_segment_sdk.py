"""Segment's own Python SDK (segment-analytics-python) delivers to a running Unico."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from segment import analytics
from segment.analytics.version import VERSION
from sqlalchemy import select

from tests.support import LiveServer
from unico.core.db import Database
from unico.customers.jobs import resolve_all_identities
from unico.customers.tracking_store import tracking_events
from unico.settings import Settings
from unico.worker import Worker

LIBRARY = {"library": {"name": "analytics-python", "version": VERSION}}


@pytest.fixture
def write_key(admin: httpx.Client) -> str:
    created = admin.post("/api/v1/tracking/sources", json={"name": "Backend", "kind": "server"})
    return str(created.json()["write_key"])


@pytest.fixture
def sdk(server: LiveServer, write_key: str) -> Iterator[analytics.Client]:
    errors: list[Exception] = []
    client = analytics.Client(
        write_key=write_key,
        host=server.url,
        sync_mode=True,
        max_retries=0,
        on_error=lambda error, _batch: errors.append(error),
    )
    yield client
    assert errors == []


def rows(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        found = conn.execute(select(tracking_events).order_by(tracking_events.c.id)).mappings().all()
    return [dict(r) for r in found]


def test_identify_track_page_and_alias_from_the_sdk_are_stored(db: Database, sdk: analytics.Client) -> None:
    before = datetime.now(UTC)
    sdk.identify(
        "giulia-1",
        {"email": "giulia@example.it", "firstName": "Giulia"},
        anonymous_id="anon-1",
        message_id="sdk-identify",
    )
    sdk.track(
        "giulia-1",
        "Product Added",
        {"sku": "RUN-00168-ROS-38", "quantity": 1, "price": 89.9},
        context={"channel": "app"},
        message_id="sdk-track",
    )
    sdk.page("giulia-1", "Catalogo", "Scarpe", {"path": "/scarpe"}, message_id="sdk-page")
    sdk.alias("anon-1", "giulia-1", message_id="sdk-alias")
    after = datetime.now(UTC)

    stored = rows(db)
    assert [
        (
            r["message_id"],
            r["type"],
            r["event"],
            r["category"],
            r["user_id"],
            r["anonymous_id"],
            r["previous_id"],
        )
        for r in stored
    ] == [
        ("sdk-identify", "identify", None, None, "giulia-1", "anon-1", None),
        ("sdk-track", "track", "Product Added", "ecommerce", "giulia-1", None, None),
        ("sdk-page", "page", "Scarpe", None, "giulia-1", None, None),
        ("sdk-alias", "alias", None, None, "giulia-1", None, "anon-1"),
    ]
    assert stored[0]["traits"] == {"email": "giulia@example.it", "firstName": "Giulia"}
    assert stored[1]["properties"] == {"sku": "RUN-00168-ROS-38", "quantity": 1, "price": 89.9}
    assert stored[1]["context"] == {"channel": "app", **LIBRARY}
    assert stored[2]["properties"] == {"path": "/scarpe"}
    assert stored[2]["extra"] == {"category": "Catalogo", "integrations": {}}
    assert stored[3]["context"] == LIBRARY
    for row in stored:
        assert before <= row["sent_at"] <= row["received_at"] <= after
        assert row["timestamp"] <= row["received_at"]
        assert row["profile_id"] is None
        assert row["resolved_at"] is None


def test_the_sdk_batches_gzips_and_retries_without_duplicates(
    db: Database, server: LiveServer, write_key: str
) -> None:
    client = analytics.Client(write_key=write_key, host=server.url, gzip=True, upload_size=100)
    for i in range(250):
        client.track(
            anonymous_id=f"anon-{i % 7}", event="product viewed", properties={"i": i}, message_id=f"v-{i}"
        )
    client.flush()
    for i in range(0, 250, 50):  # a retry of messages already delivered
        client.track(anonymous_id="anon-0", event="Product Viewed", properties={"i": i}, message_id=f"v-{i}")
    client.shutdown()
    stored = rows(db)
    assert len(stored) == 250
    assert sorted(r["properties"]["i"] for r in stored) == list(range(250))
    assert {(r["event"], r["event_as_sent"]) for r in stored} == {("Product Viewed", "product viewed")}


def test_a_wrong_write_key_is_refused_to_the_sdk(db: Database, server: LiveServer) -> None:
    errors: list[Exception] = []
    client = analytics.Client(
        write_key="wrong",
        host=server.url,
        sync_mode=True,
        max_retries=0,
        on_error=lambda error, _batch: errors.append(error),
    )
    with pytest.raises(analytics.request.APIError) as refused:
        client.track("u", "Order Completed")
    assert refused.value.status == 401
    assert rows(db) == []


def test_what_the_sdk_sends_shows_on_one_profile(
    db: Database, sdk: analytics.Client, admin: httpx.Client, settings: Settings
) -> None:
    """Anonymous browsing, then a login: after the worker's identity resolution the profile holds
    the traits, every event in its timeline and the products viewed before logging in."""
    sdk.page(anonymous_id="anon-sdk", name="Scarpe", properties={"path": "/scarpe"}, message_id="m1")
    sdk.track(anonymous_id="anon-sdk", event="Product Viewed", properties={"sku": "RUN-1"}, message_id="m2")
    sdk.identify("giulia-1", {"email": "Giulia@Example.it", "firstName": "Giulia"}, message_id="m3")
    sdk.alias("anon-sdk", "giulia-1", message_id="m4")
    sdk.track("giulia-1", "Product Added", {"sku": "RUN-2", "quantity": 1}, message_id="m5")

    Worker(db, settings, periodic=[("resolve", resolve_all_identities)]).run_once()

    found = admin.get("/api/v1/customers", params={"q": "giulia@example.it"}).json()["items"]
    assert len(found) == 1
    profile = admin.get(f"/api/v1/customers/{found[0]['profile_id']}").json()
    assert profile["traits"] == {"email": "Giulia@Example.it", "first_name": "Giulia"}  # snake_case traits
    held = {(i["kind"], i["value"]) for i in profile["identifiers"]}
    assert {("user_id", "giulia-1"), ("anonymous_id", "anon-sdk"), ("email", "giulia@example.it")} <= held
    with db.read() as conn:
        owners = set(conn.execute(select(tracking_events.c.profile_id)).scalars())
    assert owners == {profile["profile_id"]}
    timeline = admin.get(f"/api/v1/customers/{profile['profile_id']}/timeline").json()["entries"]
    assert len(timeline) == 5
    continuity = admin.get(f"/api/v1/customers/{profile['profile_id']}/continuity").json()
    assert [p["sku"] for p in continuity["recently_viewed"]] == ["RUN-1"]
