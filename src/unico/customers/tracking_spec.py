"""Segment messages: validation, normalisation, clock-skew correction, recognised event names. Pure.

What Unico accepts is Segment's HTTP Tracking API (https://segment.com/docs/connections/sources/
catalog/libraries/server/http-api/):

- ``identify``, ``track``, ``page``, ``screen``, ``group``, ``alias`` and ``batch`` bodies;
- 32 KB per message and 500 KB per batch request; beyond that, 400;
- every message names a ``userId`` or an ``anonymousId`` (``alias`` needs ``previousId`` and
  ``userId``, ``group`` a ``groupId``, ``track`` an ``event``); strings or numbers, as Segment's
  libraries send both;
- a batch is all or nothing: one invalid message rejects the request and stores none of it.

Time (``place_in_time``) follows Segment's spec: the client's ``timestamp`` is kept as
``original_timestamp`` and corrected for the device's clock skew,
``timestamp = receivedAt - (sentAt - originalTimestamp)``, when ``sentAt`` is given. Segment
does not publish a bound for timestamps in the future; Unico's rule is that an event cannot have
happened after it was received, so a (corrected) timestamp later than ``receivedAt`` is clamped
to ``receivedAt``. A message without a timestamp happened when it was received.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from unico.core.errors import UnicoError

MAX_MESSAGE_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
MAX_ID_LENGTH = 255

MESSAGE_TYPES = ("identify", "track", "page", "screen", "group", "alias")

# Segment's e-commerce spec (v2) and Unico's own store events, by canonical name.
ECOMMERCE_EVENTS = (
    "Products Searched",
    "Product List Viewed",
    "Product List Filtered",
    "Product Viewed",
    "Product Clicked",
    "Product Added",
    "Product Removed",
    "Cart Viewed",
    "Checkout Started",
    "Checkout Step Viewed",
    "Checkout Step Completed",
    "Payment Info Entered",
    "Order Completed",
    "Order Updated",
    "Order Refunded",
    "Order Cancelled",
    "Coupon Entered",
    "Coupon Applied",
    "Coupon Denied",
    "Coupon Removed",
    "Product Added to Wishlist",
    "Product Removed from Wishlist",
    "Wishlist Product Added to Cart",
    "Product Shared",
    "Cart Shared",
    "Product Reviewed",
    "Promotion Viewed",
    "Promotion Clicked",
)
STORE_EVENTS = ("Store Locator Clicked", "Store Visited", "E-ticket Opened", "Reservation Made")


class Category:
    """What a track event is: one of Segment's e-commerce events, one of Unico's store events, or
    the source's own."""

    ECOMMERCE = "ecommerce"
    STORE = "store"
    CUSTOM = "custom"


_SEPARATORS = re.compile(r"[\s_\-]+")


def _name_key(name: str) -> str:
    return _SEPARATORS.sub("", name).casefold()


_KNOWN_EVENTS: dict[str, tuple[str, str]] = {
    **{_name_key(n): (n, Category.ECOMMERCE) for n in ECOMMERCE_EVENTS},
    **{_name_key(n): (n, Category.STORE) for n in STORE_EVENTS},
}


_recognised: dict[str, tuple[str, str]] = {}


def recognise_event(name: str) -> tuple[str, str]:
    """``(canonical name, category)``: spec names match whatever their case, spaces, ``_`` or
    ``-`` ("product_viewed", "PRODUCT VIEWED" are "Product Viewed"); other names stay as sent,
    in the ``custom`` category."""
    found = _recognised.get(name)
    if found is None:
        found = _KNOWN_EVENTS.get(_name_key(name)) or (name, Category.CUSTOM)
        if len(_recognised) > 10_000:  # sources inventing names per event must not grow this
            _recognised.clear()
        _recognised[name] = found
    return found


class MessageRejected(UnicoError):
    """The request breaks the tracking API's rules (malformed, missing or mistyped field, too
    large); nothing of it is stored. ``details['field']`` names the field, e.g. ``batch[3].userId``."""

    status = 400
    default_code = "tracking.invalid_message"


def _reject(field: str, message: str, code: str = "tracking.invalid_message") -> MessageRejected:
    return MessageRejected(f"{field}: {message}", code=code, field=field)


@dataclass(slots=True)  # not frozen: a frozen __init__ costs a microsecond per message
class TrackedMessage:
    """One validated message, ready to store; ``event`` is the canonical name for known events,
    ``event_as_sent`` the name as the client spelt it when that differs."""

    type: str
    message_id: str
    event: str | None
    event_as_sent: str | None
    category: str | None
    user_id: str | None
    anonymous_id: str | None
    previous_id: str | None
    group_id: str | None
    properties: dict[str, Any]
    traits: dict[str, Any]
    context: dict[str, Any]
    extra: dict[str, Any] | None  # top-level fields with no column (integrations, page category...)
    original_timestamp: datetime | None
    sent_at: datetime | None


# Fields with a column of their own, or that describe the request rather than the message.
_MAPPED = frozenset(
    {
        "type",
        "messageId",
        "event",
        "name",
        "userId",
        "anonymousId",
        "previousId",
        "groupId",
        "properties",
        "traits",
        "context",
        "timestamp",
        "sentAt",
        "receivedAt",
        "originalTimestamp",
        "writeKey",
    }
)


def parse_time(value: Any, field: str) -> datetime | None:
    """An ISO-8601 timestamp as aware UTC (a value without an offset is taken as UTC)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _reject(field, "must be an ISO-8601 date string")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _reject(field, f"'{value[:40]}' is not an ISO-8601 date") from None
    if parsed.tzinfo is UTC:  # "Z" and "+00:00", what SDKs send
        return parsed
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _identifier(message: Mapping[str, Any], key: str, where: str) -> str | None:
    value = message.get(key)
    if value is None:
        return None
    if value.__class__ is str and len(value) <= MAX_ID_LENGTH:  # the usual case, first
        return value or None
    if isinstance(value, str):
        if len(value) > MAX_ID_LENGTH:
            raise _reject(where + key, f"at most {MAX_ID_LENGTH} characters")
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _reject(where + key, "must be a string or a number")


def _object(message: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = message.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _reject(where + key, "must be a JSON object")
    return value


def validate_message(
    message: Any, message_type: str | None, *, where: str = "", sent_at: datetime | None = None
) -> TrackedMessage:
    """Check one message and normalise it. ``message_type`` comes from the endpoint
    (``/v1/track``); in a batch it is the message's own ``type``. ``where`` prefixes field names
    in errors (``batch[3].``); ``sent_at`` is the request's, used unless the message has its own."""
    if not isinstance(message, dict):
        raise _reject(where.rstrip(".") or "body", "must be a JSON object")
    kind = message_type or message.get("type")
    if kind not in MESSAGE_TYPES:
        raise _reject(where + "type", f"must be one of {', '.join(MESSAGE_TYPES)}")
    user_id = _identifier(message, "userId", where)
    anonymous_id = _identifier(message, "anonymousId", where)
    previous_id = group_id = event = as_sent = category = None
    if kind == "alias":
        previous_id = _identifier(message, "previousId", where)
        if previous_id is None:
            raise _reject(where + "previousId", "alias needs previousId")
        if user_id is None:
            raise _reject(where + "userId", "alias needs userId")
    elif user_id is None and anonymous_id is None:
        raise _reject(where + "userId", "userId or anonymousId is required")
    if kind == "group":
        group_id = _identifier(message, "groupId", where)
        if group_id is None:
            raise _reject(where + "groupId", "group needs groupId")
    if kind == "track":
        name = message.get("event")
        if not isinstance(name, str) or not name.strip():
            raise _reject(where + "event", "track needs an event name (a non-empty string)")
        if len(name) > MAX_ID_LENGTH:
            raise _reject(where + "event", f"at most {MAX_ID_LENGTH} characters")
        event, category = recognise_event(name)
        as_sent = name if event != name else None
    elif kind in ("page", "screen"):
        name = message.get("name")
        if name is not None and not isinstance(name, str):
            raise _reject(where + "name", "must be a string")
        if name and len(name) > MAX_ID_LENGTH:
            raise _reject(where + "name", f"at most {MAX_ID_LENGTH} characters")
        event = name or None
    message_id = _identifier(message, "messageId", where) or f"unico-{uuid.uuid4()}"
    extra = None if _MAPPED.issuperset(message) else {k: v for k, v in message.items() if k not in _MAPPED}
    own_sent_at = message.get("sentAt")
    return TrackedMessage(
        type=kind,
        message_id=message_id,
        event=event,
        event_as_sent=as_sent,
        category=category,
        user_id=user_id,
        anonymous_id=anonymous_id,
        previous_id=previous_id,
        group_id=group_id,
        properties=_object(message, "properties", where),
        traits=_object(message, "traits", where),
        context=_object(message, "context", where),
        extra=extra,
        original_timestamp=parse_time(message.get("timestamp"), where + "timestamp"),
        sent_at=parse_time(own_sent_at, where + "sentAt") if own_sent_at is not None else sent_at,
    )


def place_in_time(original: datetime | None, sent_at: datetime | None, received_at: datetime) -> datetime:
    """When the event happened, corrected for the device's clock skew (see the module doc):
    ``received_at - (sent_at - original)`` when ``sent_at`` is known, never after ``received_at``."""
    if original is None:
        return received_at
    try:
        happened = received_at - (sent_at - original) if sent_at is not None else original
    except OverflowError:  # absurd clocks (year 1 against year 9999): trust our own
        return received_at
    return min(happened, received_at)


def _load(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _reject("body", f"malformed JSON ({exc})", "tracking.malformed_json") from None


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False


def read_request(body: bytes, endpoint: str) -> tuple[dict[str, Any], str | None]:
    """The JSON object of one request to ``/v1/<endpoint>`` and the write key given in it, if
    any; raises ``MessageRejected`` if it is too large or not a JSON object."""
    limit = MAX_BATCH_BYTES if endpoint == "batch" else MAX_MESSAGE_BYTES
    if len(body) > limit:
        raise _reject(
            "body", f"{len(body)} bytes is more than the {limit // 1024} KB allowed", "tracking.too_large"
        )
    payload = _load(body)
    if not isinstance(payload, dict):
        raise _reject("body", "must be a JSON object")
    if b"\\u0000" in body and _holds_nul(payload):
        # PostgreSQL cannot store NUL in text or jsonb; refused on both databases alike.
        raise _reject("body", "text may not contain NUL characters (\\u0000)")
    write_key = payload.get("writeKey")
    if write_key is not None and not isinstance(write_key, str):
        raise _reject("writeKey", "must be a string")
    return payload, write_key


def validate_request(payload: dict[str, Any], endpoint: str, body_size: int) -> list[TrackedMessage]:
    """Every message of a request read by ``read_request``, validated; all or nothing."""
    sent_at = parse_time(payload.get("sentAt"), "sentAt")
    if endpoint != "batch":
        return [validate_message(payload, endpoint, sent_at=sent_at)]
    batch = payload.get("batch")
    if not isinstance(batch, list):
        raise _reject("batch", "must be a list of messages")
    shared_context = _object(payload, "context", "")
    # No message can be over the limit if the whole body is not (saves re-serialising each).
    check_sizes = body_size > MAX_MESSAGE_BYTES
    messages = []
    for index, item in enumerate(batch):
        where = f"batch[{index}]."
        if check_sizes and isinstance(item, dict) and len(orjson.dumps(item)) > MAX_MESSAGE_BYTES:
            raise _reject(
                where.rstrip("."),
                f"a message may be at most {MAX_MESSAGE_BYTES // 1024} KB",
                "tracking.too_large",
            )
        if shared_context and isinstance(item, dict):
            item = {**item, "context": {**shared_context, **_object(item, "context", where)}}
        messages.append(validate_message(item, None, where=where, sent_at=sent_at))
    return messages


def parse_request(body: bytes, endpoint: str) -> tuple[str | None, list[TrackedMessage]]:
    """``read_request`` then ``validate_request``: the body's write key and its messages."""
    payload, write_key = read_request(body, endpoint)
    return write_key, validate_request(payload, endpoint, len(body))
