"""Use cases of tracking: sources and their write keys, ingesting Segment messages, and the queue
of events identity resolution has not processed yet.

Ingestion is the hot path (tens of thousands of events a second), so a request costs one JSON
parse, one validating pass (``tracking_spec``), one write-key lookup that is usually answered from
memory, and one INSERT for all its messages, committed before the caller answers 200. No outbox
event is recorded per tracking event: identity resolution reads ``unresolved_events`` instead.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.db import Database
from unico.core.errors import NotFound, Unauthenticated, ValidationFailed
from unico.core.ids import new_id
from unico.customers import tracking_spec as spec
from unico.customers.privacy import suppressed_among
from unico.customers.tracking_store import insert_events, tracking_events, tracking_sources

SOURCE_KINDS = ("web", "app", "pos", "contact_center", "chat", "voice", "kiosk", "server", "social")

# A write key found valid is trusted for this long without asking the database again. Disabling a
# source takes effect at once in the process that disabled it, within this many seconds elsewhere.
WRITE_KEY_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class Source:
    source_id: str
    name: str
    kind: str
    created_at: datetime
    disabled: bool


@dataclass(frozen=True)
class IssuedSource:
    """A new source and its write key, which is shown this once (only its hash is kept)."""

    source: Source
    write_key: str


@dataclass(frozen=True)
class IngestResult:
    received: int
    stored: int  # the rest were duplicates of messages already stored (same messageId)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _source(row: Any) -> Source:
    return Source(
        source_id=row.source_id,
        name=row.name,
        kind=row.kind,
        created_at=row.created_at,
        disabled=bool(row.disabled),
    )


# --- sources --------------------------------------------------------------------------------------


def create_source(db: Database, *, name: str, kind: str) -> IssuedSource:
    """Register a source (a site, an app, a store's tills...) and issue its write key."""
    name = name.strip()
    if not name:
        raise ValidationFailed("a source needs a name", field="name")
    if len(name) > 120:
        raise ValidationFailed("a source name has at most 120 characters", field="name")
    if kind not in SOURCE_KINDS:
        raise ValidationFailed(f"unknown kind '{kind}' (one of {', '.join(SOURCE_KINDS)})", field="kind")
    write_key = secrets.token_urlsafe(24)
    with db.write() as conn:
        conn.execute(
            tracking_sources.insert().values(
                source_id=new_id("src"),
                name=name,
                kind=kind,
                write_key_hash=_sha256(write_key),
                created_at=clock.now(),
                disabled=False,
            )
        )
        row = conn.execute(
            select(tracking_sources).where(tracking_sources.c.write_key_hash == _sha256(write_key))
        ).one()
    return IssuedSource(source=_source(row), write_key=write_key)


def list_sources(db: Database) -> list[Source]:
    with db.read() as conn:
        rows = conn.execute(select(tracking_sources).order_by(tracking_sources.c.id)).all()
    return [_source(r) for r in rows]


def set_source_disabled(db: Database, source_id: str, disabled: bool) -> Source:
    """Stop (or resume) accepting events with this source's write key: 401 once disabled."""
    with db.write() as conn:
        row = conn.execute(
            update(tracking_sources)
            .where(tracking_sources.c.source_id == source_id)
            .values(disabled=disabled)
            .returning(*tracking_sources.c)
        ).first()
    if row is None:
        raise NotFound(
            f"no tracking source '{source_id}'", code="tracking.source_not_found", source=source_id
        )
    _key_cache(db).clear()
    return _source(row)


class _WriteKeyCache:
    """Valid write keys (by hash) -> source row id, each trusted for ``WRITE_KEY_CACHE_SECONDS``.
    Unknown keys are not cached, so a key is usable the moment its source is created."""

    def __init__(self) -> None:
        self._valid: dict[str, tuple[int, float]] = {}

    def get(self, key_hash: str) -> int | None:
        hit = self._valid.get(key_hash)
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, key_hash: str, source_pk: int) -> None:
        if len(self._valid) > 10_000:
            self._valid.clear()
        self._valid[key_hash] = (source_pk, time.monotonic() + WRITE_KEY_CACHE_SECONDS)

    def clear(self) -> None:
        self._valid.clear()


_caches: weakref.WeakKeyDictionary[Database, _WriteKeyCache] = weakref.WeakKeyDictionary()


def _key_cache(db: Database) -> _WriteKeyCache:
    cache = _caches.get(db)
    if cache is None:
        cache = _caches.setdefault(db, _WriteKeyCache())
    return cache


def authenticate_write_key(db: Database, write_key: str | None) -> int:
    """The internal id of the enabled source owning ``write_key``, or ``Unauthenticated``."""
    if not write_key:
        raise Unauthenticated(
            "a write key is required (HTTP Basic user, or writeKey in the body)",
            code="tracking.missing_write_key",
        )
    key_hash = _sha256(write_key)
    cache = _key_cache(db)
    source_pk = cache.get(key_hash)
    if source_pk is not None:
        return source_pk
    with db.read() as conn:
        row = conn.execute(
            select(tracking_sources.c.id, tracking_sources.c.disabled).where(
                tracking_sources.c.write_key_hash == key_hash
            )
        ).first()
    if row is None or row.disabled:
        raise Unauthenticated("unknown or disabled write key", code="tracking.invalid_write_key")
    cache.put(key_hash, int(row.id))
    return int(row.id)


# --- ingestion ------------------------------------------------------------------------------------


def ingest(db: Database, *, endpoint: str, body: bytes, write_key: str | None = None) -> IngestResult:
    """Validate and store one request to ``/v1/<endpoint>`` (``batch`` or a message type).

    ``write_key`` is the HTTP Basic user; without it the body's ``writeKey`` is used. All or
    nothing: any invalid message raises ``MessageRejected`` and nothing is stored. On return the
    messages are committed; a ``messageId`` already stored for this source is not stored again."""
    if endpoint != "batch" and endpoint not in spec.MESSAGE_TYPES:
        raise NotFound(f"no tracking endpoint '{endpoint}'", code="tracking.unknown_endpoint")
    received_at = clock.now()
    if write_key:  # refuse an unknown key before reading what it sent
        source_pk = authenticate_write_key(db, write_key)
        payload, _ = spec.read_request(body, endpoint)
    else:
        payload, body_key = spec.read_request(body, endpoint)
        source_pk = authenticate_write_key(db, body_key)
    messages = spec.validate_request(payload, endpoint, len(body))
    place = spec.place_in_time
    rows = [
        (
            m.message_id,
            m.type,
            m.event,
            m.event_as_sent,
            m.category,
            m.user_id,
            m.anonymous_id,
            m.previous_id,
            m.group_id,
            m.properties,
            m.traits,
            m.context,
            m.extra,
            m.original_timestamp,
            place(m.original_timestamp, m.sent_at, received_at),
            m.sent_at,
            received_at,
        )
        for m in messages
    ]
    with db.write() as conn:
        stored = insert_events(conn, source_pk, _collectable(conn, messages, rows))
    return IngestResult(received=len(rows), stored=stored)


def _identifiers_of(m: spec.TrackedMessage) -> list[tuple[str, str]]:
    """The identifiers a message carries that the suppression list is keyed on."""
    pairs: list[tuple[str, str]] = []
    if m.user_id:
        pairs.append(("user_id", m.user_id))
    if m.anonymous_id:
        pairs.append(("anonymous_id", m.anonymous_id))
    if m.previous_id:
        pairs += [("user_id", m.previous_id), ("anonymous_id", m.previous_id)]
    for traits in (m.traits, m.context.get("traits")):
        if isinstance(traits, dict):
            for kind in ("email", "phone"):
                value = traits.get(kind)
                if isinstance(value, str) and value.strip():
                    pairs.append((kind, value))
    return pairs


def _collectable(conn: Connection, messages: list[spec.TrackedMessage], rows: list[Any]) -> list[Any]:
    """``rows`` without the messages about an erased or suppressed person (one query per request):
    once someone is on the suppression list, nothing more about them is collected."""
    carried = [_identifiers_of(m) for m in messages]
    suppressed = suppressed_among(conn, [pair for pairs in carried for pair in pairs])
    if not suppressed:
        return rows
    return [row for row, pairs in zip(rows, carried, strict=True) if suppressed.isdisjoint(pairs)]


# --- the queue of identity resolution -------------------------------------------------------------


@dataclass(frozen=True)
class UnresolvedEvent:
    """What identity resolution needs of one stored event (ids are internal row ids)."""

    id: int
    source_kind: str
    type: str
    event: str | None
    user_id: str | None
    anonymous_id: str | None
    previous_id: str | None
    group_id: str | None
    traits: dict[str, Any]
    properties: dict[str, Any]
    context: dict[str, Any]
    timestamp: datetime


def unresolved_events(conn: Connection, limit: int) -> list[UnresolvedEvent]:
    """Up to ``limit`` events not yet processed by identity resolution, oldest first (by the
    partial index ``ix_tracking_events_unresolved``), locked for the caller's transaction."""
    e, s = tracking_events, tracking_sources
    rows = conn.execute(
        select(
            e.c.id,
            s.c.kind,
            e.c.type,
            e.c.event,
            e.c.user_id,
            e.c.anonymous_id,
            e.c.previous_id,
            e.c.group_id,
            e.c.traits,
            e.c.properties,
            e.c.context,
            e.c.timestamp,
        )
        .select_from(e.join(s, s.c.id == e.c.source_id))
        .where(e.c.resolved_at.is_(None))
        .order_by(e.c.id)
        .limit(limit)
        # Two workers take different batches (PostgreSQL); SQLite has one writer anyway.
        .with_for_update(skip_locked=True, of=e)
    ).all()
    return [
        UnresolvedEvent(
            id=r.id,
            source_kind=r.kind,
            type=r.type,
            event=r.event,
            user_id=r.user_id,
            anonymous_id=r.anonymous_id,
            previous_id=r.previous_id,
            group_id=r.group_id,
            traits=r.traits,
            properties=r.properties,
            context=r.context,
            timestamp=r.timestamp,
        )
        for r in rows
    ]


def mark_events_resolved(conn: Connection, profiles: Mapping[int, str | None]) -> None:
    """Record the outcome of identity resolution: event row id -> its profile id (None when the
    event names nobody that can be resolved); each leaves the unresolved queue."""
    at = clock.now()
    by_profile: dict[str | None, list[int]] = {}
    for event_id, profile_id in profiles.items():
        by_profile.setdefault(profile_id, []).append(event_id)
    for profile_id, ids in by_profile.items():
        conn.execute(
            update(tracking_events)
            .where(tracking_events.c.id.in_(ids))
            .values(profile_id=profile_id, resolved_at=at)
        )
