"""Pure decisions of the outbox: backoff, event-type matching, targets, signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from unico.connectors.webhooks import event_body, sign, verify_signature
from unico.core.outbox import OutboxEvent, Subscribers, backoff_delay, event_type_matches, targets_for


def test_backoff_doubles_from_two_seconds() -> None:
    assert [backoff_delay(n).total_seconds() for n in range(1, 8)] == [2, 4, 8, 16, 32, 64, 128]


def test_backoff_is_capped_at_one_hour() -> None:
    assert backoff_delay(11) == timedelta(seconds=2048)
    assert backoff_delay(12) == timedelta(hours=1)
    assert backoff_delay(1_000) == timedelta(hours=1)


def test_backoff_counts_attempts_from_one() -> None:
    with pytest.raises(ValueError):
        backoff_delay(0)


@pytest.mark.parametrize(
    ("pattern", "event_type", "expected"),
    [
        ("*", "inventory.stock_reserved", True),
        ("inventory.stock_reserved", "inventory.stock_reserved", True),
        ("inventory.*", "inventory.stock_reserved", True),
        ("inventory.*", "inventory_extra.stock_reserved", False),
        ("inventory.stock_reserved", "inventory.stock_released", False),
        ("catalog.*", "inventory.stock_reserved", False),
    ],
)
def test_event_type_matching(pattern: str, event_type: str, expected: bool) -> None:
    assert event_type_matches(pattern, event_type) is expected


def test_targets_are_matching_handlers_then_matching_webhooks() -> None:
    subscribers = Subscribers()
    subscribers.register("loyalty", lambda conn, event: None, ["order.placed"])
    subscribers.register("audit", lambda conn, event: None, ["*"])
    subscribers.register("stock", lambda conn, event: None, ["inventory.*"])
    webhooks = [(7, ["order.*"]), (9, ["inventory.stock_reserved"])]
    assert targets_for("order.placed", subscribers, webhooks) == [
        "handler:loyalty",
        "handler:audit",
        "webhook:7",
    ]
    assert targets_for("catalog.product_created", subscribers, webhooks) == ["handler:audit"]


def test_handler_names_are_unique_and_plain() -> None:
    subscribers = Subscribers()
    subscribers.register("loyalty", lambda conn, event: None, ["order.placed"])
    with pytest.raises(ValueError, match="already registered"):
        subscribers.register("loyalty", lambda conn, event: None, ["order.placed"])
    with pytest.raises(ValueError, match="lowercase"):
        subscribers.register("Loyalty Points", lambda conn, event: None, ["order.placed"])
    with pytest.raises(ValueError, match="no event type"):
        subscribers.register("empty", lambda conn, event: None, [])


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    # Reference: printf '1700000000.{}' | openssl dgst -sha256 -hmac whsec_k
    assert sign("whsec_k", "1700000000", b"{}") == (
        "sha256=8b20524faff2b12e1089e404a8cf60fbe577e5320e899ebff7329ebbcb9ada22"
    )


def test_verify_signature_accepts_only_the_exact_body_secret_and_timestamp() -> None:
    header = sign("whsec_k", "1700000000", b'{"a":1}')
    assert verify_signature("whsec_k", "1700000000", b'{"a":1}', header)
    assert not verify_signature("whsec_other", "1700000000", b'{"a":1}', header)
    assert not verify_signature("whsec_k", "1700000001", b'{"a":1}', header)
    assert not verify_signature("whsec_k", "1700000000", b'{"a":2}', header)
    assert not verify_signature("whsec_k", "1700000000", b'{"a":1}', header.removeprefix("sha256="))


def test_verify_signature_refuses_stale_timestamps_when_asked() -> None:
    header = sign("whsec_k", "1700000000", b"{}")
    assert verify_signature("whsec_k", "1700000000", b"{}", header, now=1700000299, max_age_seconds=300)
    assert not verify_signature("whsec_k", "1700000000", b"{}", header, now=1700000301, max_age_seconds=300)
    assert not verify_signature("whsec_k", "soon", b"{}", header, now=1700000000, max_age_seconds=300)


def test_event_body_is_compact_sorted_json() -> None:
    event = OutboxEvent(
        id=3,
        event_id="evt_1",
        type="inventory.stock_reserved",
        aggregate_type="stock",
        aggregate_id="SKU-1@MI01",
        payload={"quantity": 2, "sku": "SKU-1"},
        occurred_at=datetime(2026, 11, 22, 15, 0, tzinfo=UTC),
    )
    assert event_body(event) == (
        b'{"aggregate":{"id":"SKU-1@MI01","type":"stock"},"data":{"quantity":2,"sku":"SKU-1"},'
        b'"id":"evt_1","occurred_at":"2026-11-22T15:00:00+00:00","type":"inventory.stock_reserved"}'
    )
