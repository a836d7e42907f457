"""Segment message rules: required fields, types, sizes, event names and clock-skew correction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from unico.customers.tracking_spec import (
    ECOMMERCE_EVENTS,
    MAX_BATCH_BYTES,
    MAX_MESSAGE_BYTES,
    STORE_EVENTS,
    MessageRejected,
    parse_request,
    place_in_time,
    recognise_event,
    validate_message,
)

RECEIVED = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)


def rejected(body: dict[str, object] | bytes, endpoint: str = "batch") -> MessageRejected:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    with pytest.raises(MessageRejected) as caught:
        parse_request(raw, endpoint)
    return caught.value


@pytest.mark.parametrize(
    ("sent", "canonical", "category"),
    [
        ("Product Viewed", "Product Viewed", "ecommerce"),
        ("product viewed", "Product Viewed", "ecommerce"),
        ("PRODUCT_VIEWED", "Product Viewed", "ecommerce"),
        ("  Product   Added to  wishlist ", "Product Added to Wishlist", "ecommerce"),
        ("order-completed", "Order Completed", "ecommerce"),
        ("e-ticket opened", "E-ticket Opened", "store"),
        ("EticketOpened", "E-ticket Opened", "store"),
        ("store visited", "Store Visited", "store"),
        ("Newsletter Signed Up", "Newsletter Signed Up", "custom"),
    ],
)
def test_event_names_match_the_spec_whatever_their_case_and_spacing(
    sent: str, canonical: str, category: str
) -> None:
    assert recognise_event(sent) == (canonical, category)


def test_every_spec_name_is_its_own_canonical_form() -> None:
    for name in ECOMMERCE_EVENTS:
        assert recognise_event(name) == (name, "ecommerce")
    for name in STORE_EVENTS:
        assert recognise_event(name) == (name, "store")
    assert len(ECOMMERCE_EVENTS) == 28


def test_a_track_message_is_normalised_and_keeps_the_name_as_sent() -> None:
    message = validate_message(
        {
            "userId": 42,
            "event": "product_added",
            "properties": {"sku": "A", "price": 10.5},
            "context": {"ip": "1.2.3.4"},
            "integrations": {"All": False},
            "messageId": "m-1",
            "timestamp": "2026-11-22T11:00:00+01:00",
        },
        "track",
    )
    assert message.type == "track"
    assert (message.event, message.event_as_sent, message.category) == (
        "Product Added",
        "product_added",
        "ecommerce",
    )
    assert message.user_id == "42"
    assert message.anonymous_id is None
    assert message.properties == {"sku": "A", "price": 10.5}
    assert message.context == {"ip": "1.2.3.4"}
    assert message.extra == {"integrations": {"All": False}}
    assert message.original_timestamp == datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
    assert message.message_id == "m-1"


def test_a_missing_message_id_is_generated() -> None:
    first = validate_message({"anonymousId": "a"}, "page")
    second = validate_message({"anonymousId": "a"}, "page")
    assert first.message_id.startswith("unico-")
    assert first.message_id != second.message_id


@pytest.mark.parametrize(
    ("endpoint", "body", "field"),
    [
        ("track", {"event": "X"}, "userId"),
        ("track", {"userId": "", "anonymousId": None, "event": "X"}, "userId"),
        ("track", {"userId": "u"}, "event"),
        ("track", {"userId": "u", "event": 5}, "event"),
        ("identify", {"userId": ["u"]}, "userId"),
        ("identify", {"userId": True}, "userId"),
        ("identify", {"anonymousId": {"a": 1}}, "anonymousId"),
        ("identify", {"userId": "u", "traits": "vip"}, "traits"),
        ("track", {"userId": "u", "event": "X", "properties": [1]}, "properties"),
        ("page", {"userId": "u", "context": 3}, "context"),
        ("page", {"userId": "u", "name": 3}, "name"),
        ("page", {"userId": "u", "timestamp": "yesterday"}, "timestamp"),
        ("page", {"userId": "u", "timestamp": 1700000000}, "timestamp"),
        ("alias", {"userId": "u"}, "previousId"),
        ("alias", {"previousId": "p", "anonymousId": "a"}, "userId"),
        ("group", {"userId": "u"}, "groupId"),
        ("identify", {"userId": "u" * 256}, "userId"),
        ("identify", {"userId": "u", "sentAt": "nope"}, "sentAt"),
    ],
)
def test_bad_messages_are_rejected_naming_the_field(
    endpoint: str, body: dict[str, object], field: str
) -> None:
    error = rejected(body, endpoint)
    assert error.status == 400
    assert error.details["field"] == field
    assert error.message.startswith(f"{field}: ")


def test_a_batch_names_the_bad_message_by_position() -> None:
    error = rejected(
        {"batch": [{"type": "track", "userId": "u", "event": "A"}, {"type": "track", "event": "B"}]}
    )
    assert error.details["field"] == "batch[1].userId"
    assert rejected({"batch": [{"type": "hello", "userId": "u"}]}).details["field"] == "batch[0].type"
    assert rejected({"batch": ["x"]}).details["field"] == "batch[0]"
    assert rejected({"batch": {"type": "track"}}).details["field"] == "batch"
    assert rejected({"sentAt": "2026-01-01T00:00:00Z"}).details["field"] == "batch"


def test_malformed_json_and_non_objects_are_rejected() -> None:
    assert rejected(b'{"batch": [', "batch").code == "tracking.malformed_json"
    assert rejected(b"[1, 2]", "track").details["field"] == "body"
    assert rejected({"userId": "u", "writeKey": 7}, "identify").details["field"] == "writeKey"


def _padded(size: int) -> dict[str, object]:
    """A track message whose JSON is exactly ``size`` bytes."""
    message: dict[str, object] = {"type": "track", "userId": "u", "event": "E", "properties": {"p": ""}}
    overhead = len(orjson.dumps(message))
    message["properties"] = {"p": "x" * (size - overhead)}
    assert len(orjson.dumps(message)) == size
    return message


def test_size_limits_are_32_kb_a_message_and_500_kb_a_batch() -> None:
    assert len(parse_request(orjson.dumps(_padded(MAX_MESSAGE_BYTES)), "track")[1]) == 1
    assert rejected(_padded(MAX_MESSAGE_BYTES + 1), "track").code == "tracking.too_large"
    in_batch = rejected({"batch": [_padded(100), _padded(MAX_MESSAGE_BYTES + 1)]})
    assert (in_batch.code, in_batch.details["field"]) == ("tracking.too_large", "batch[1]")
    messages = [_padded(30_000) for _ in range(17)]
    assert len(orjson.dumps({"batch": messages})) < MAX_BATCH_BYTES
    assert len(parse_request(orjson.dumps({"batch": messages}), "batch")[1]) == 17
    big = rejected({"batch": [*messages, _padded(2_000)]})
    assert big.code == "tracking.too_large"
    assert big.details["field"] == "body"


def test_batch_context_and_sent_at_apply_to_every_message() -> None:
    key, messages = parse_request(
        orjson.dumps(
            {
                "writeKey": "wk",
                "sentAt": "2026-11-22T12:00:00Z",
                "context": {"library": {"name": "x"}, "ip": "1.1.1.1"},
                "batch": [
                    {"type": "track", "userId": "u", "event": "A", "context": {"ip": "2.2.2.2"}},
                    {"type": "page", "anonymousId": "a", "sentAt": "2026-11-22T12:00:05Z"},
                ],
            }
        ),
        "batch",
    )
    assert key == "wk"
    assert messages[0].context == {"library": {"name": "x"}, "ip": "2.2.2.2"}
    assert messages[1].context == {"library": {"name": "x"}, "ip": "1.1.1.1"}
    assert messages[0].sent_at == datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert messages[1].sent_at == datetime(2026, 11, 22, 12, 0, 5, tzinfo=UTC)


def test_clock_skew_is_corrected_with_sent_at() -> None:
    # The device clock runs 1 hour fast: it stamped the event at 13:00 and sent it at 13:05.
    original = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)
    sent = datetime(2026, 11, 22, 13, 5, tzinfo=UTC)
    assert place_in_time(original, sent, RECEIVED) == RECEIVED - timedelta(minutes=5)
    # A slow clock (2 days behind) is corrected forward just as well.
    assert place_in_time(
        original - timedelta(days=2, hours=1), sent - timedelta(days=2, hours=1), RECEIVED
    ) == RECEIVED - timedelta(minutes=5)


def test_timestamps_are_never_after_they_were_received() -> None:
    future = RECEIVED + timedelta(days=30)
    assert place_in_time(future, None, RECEIVED) == RECEIVED
    assert place_in_time(future, future - timedelta(seconds=1), RECEIVED) == RECEIVED
    assert place_in_time(None, None, RECEIVED) == RECEIVED
    past = RECEIVED - timedelta(days=3)
    assert place_in_time(past, None, RECEIVED) == past


def test_nul_characters_are_refused_but_an_escaped_backslash_is_not() -> None:
    error = rejected(b'{"userId": "u", "traits": {"name": "a\\u0000b"}}', "identify")
    assert (error.details["field"], error.message) == (
        "body",
        "body: text may not contain NUL characters (\\u0000)",
    )
    assert rejected(b'{"userId": "u", "traits": {"a\\u0000": 1}}', "identify").details["field"] == "body"
    _, [message] = parse_request(b'{"userId": "u", "traits": {"path": "C:\\\\u0000"}}', "identify")
    assert message.traits == {"path": "C:\\u0000"}


def test_absurd_clocks_fall_back_to_the_time_received() -> None:
    assert (
        place_in_time(datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, tzinfo=UTC), RECEIVED) == RECEIVED
    )
