"""Outbound webhooks over HTTP, signed with HMAC-SHA256.

Each delivery is one ``POST`` of a JSON body::

    {"id": "evt_...", "type": "inventory.stock_reserved", "occurred_at": "2026-11-22T15:10:45+00:00",
     "aggregate": {"type": "stock", "id": "..."}, "data": {...the event payload...}}

with these headers:

    X-Unico-Event         the event type
    X-Unico-Event-Id      the event id; the same event may arrive more than once, so receivers
                          should de-duplicate on it
    X-Unico-Timestamp     Unix seconds when this attempt was signed
    X-Unico-Signature     ``sha256=`` + hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` keyed by the
                          subscription's secret

A receiver checks a request with :func:`verify_signature` over the *raw* body bytes, and should
also refuse timestamps far from its own clock (replays); ``max_age_seconds`` does both. Any 2xx
answer is success; any other answer, a timeout or a connection error is a failed attempt, retried
with backoff by the worker.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

import unico
from unico.core import clock
from unico.core.outbox import DeliveryFailed, OutboxEvent, WebhookTarget

SIGNATURE_SCHEME = "sha256="
_MAX_ERROR_BODY = 200


def event_body(event: OutboxEvent) -> bytes:
    """The JSON body of a delivery, compact and with sorted keys (stable bytes to sign)."""
    document: dict[str, Any] = {
        "id": event.event_id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "aggregate": {"type": event.aggregate_type, "id": event.aggregate_id},
        "data": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Unico-Signature`` value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_SCHEME + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: str,
    body: bytes,
    header: str,
    *,
    now: float | None = None,
    max_age_seconds: float | None = None,
) -> bool:
    """True when ``header`` is the signature of ``body`` at ``timestamp`` under ``secret``.

    For receivers: pass the ``X-Unico-Timestamp`` and ``X-Unico-Signature`` headers and the raw
    request body. With ``max_age_seconds`` (and ``now``, Unix seconds), a timestamp further than
    that from ``now`` is refused too. The comparison takes constant time.
    """
    if max_age_seconds is not None:
        try:
            sent_at = int(timestamp)
        except ValueError:
            return False
        if now is None or abs(now - sent_at) > max_age_seconds:
            return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


class HttpWebhookSender:
    """Posts signed events with httpx; pass ``transport`` (e.g. ``httpx.MockTransport``) in tests."""

    def __init__(self, *, timeout_seconds: float, transport: httpx.BaseTransport | None = None) -> None:
        self._client = httpx.Client(
            timeout=timeout_seconds,
            transport=transport,
            follow_redirects=False,
            headers={"User-Agent": f"Unico-Webhooks/{unico.__version__}"},
        )

    def __call__(self, target: WebhookTarget, event: OutboxEvent) -> None:
        body = event_body(event)
        timestamp = str(int(clock.now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "X-Unico-Event": event.type,
            "X-Unico-Event-Id": event.event_id,
            "X-Unico-Timestamp": timestamp,
            "X-Unico-Signature": sign(target.secret, timestamp, body),
        }
        try:
            response = self._client.post(target.url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise DeliveryFailed(f"timed out: {type(exc).__name__}") from exc
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            excerpt = response.text[:_MAX_ERROR_BODY]
            raise DeliveryFailed(f"HTTP {response.status_code}" + (f": {excerpt}" if excerpt else ""))

    def close(self) -> None:
        self._client.close()
