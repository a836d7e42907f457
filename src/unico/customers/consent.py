"""Consent per purpose, with its source and time. The history is append-only; the current state
of a purpose is its latest record, and a purpose never recorded is not granted.

Other domains ask :func:`has_consent` before messaging or profiling someone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.access.model import Principal
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_events
from unico.customers.graph import profile_row, resolve_profile_id
from unico.customers.privacy_store import customer_consents
from unico.inventory.store import locations


class Purpose(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    PROFILING = "profiling"
    PROXIMITY = "proximity"  # offers near a store


class ConsentSource(StrEnum):
    """Where the person said yes or no."""

    WEB = "web"
    APP = "app"
    STORE = "store"
    CONTACT_CENTER = "contact_center"
    CHAT = "chat"
    VOICE = "voice"
    SOCIAL = "social"
    EMAIL = "email"  # e.g. an unsubscribe link
    SMS = "sms"
    IMPORT = "import"


@dataclass(frozen=True, slots=True)
class ConsentRecord:
    purpose: Purpose
    granted: bool
    source: ConsentSource
    store: str | None
    actor: str
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class Consents:
    """A profile's consents: the state of every purpose (None = never asked) and the history,
    oldest first."""

    profile_id: str
    current: dict[Purpose, ConsentRecord | None]
    history: list[ConsentRecord]

    def granted(self, purpose: Purpose) -> bool:
        record = self.current[purpose]
        return record is not None and record.granted


@dataclass(frozen=True, slots=True)
class ProfileRef:
    id: int
    profile_id: str
    status: str


# --- pure -------------------------------------------------------------------------------------


def current_state(history: Iterable[ConsentRecord]) -> dict[Purpose, ConsentRecord | None]:
    """The latest record of each purpose in ``history`` (oldest first)."""
    state: dict[Purpose, ConsentRecord | None] = dict.fromkeys(Purpose)
    for record in history:
        state[record.purpose] = record
    return state


def changed_choices(
    current: Mapping[Purpose, ConsentRecord | None], choices: Mapping[Purpose, bool]
) -> dict[Purpose, bool]:
    """The choices that change something: a repeat of the current state is not recorded again."""
    return {
        purpose: granted
        for purpose, granted in choices.items()
        if (record := current.get(purpose)) is None or record.granted != granted
    }


# --- profiles ---------------------------------------------------------------------------------


def require_profile(conn: Connection, profile_id: str) -> ProfileRef:
    """The profile ``profile_id`` names, following merges to the survivor; 404 if unknown."""
    row = profile_row(conn, resolve_profile_id(conn, profile_id))
    return ProfileRef(int(row.id), row.profile_id, row.status)


def require_live_profile(conn: Connection, profile_id: str) -> ProfileRef:
    """As :func:`require_profile`, and 409 ``privacy.profile_erased`` if it was erased."""
    profile = require_profile(conn, profile_id)
    if profile.status == "erased":
        raise Conflict(
            f"customer {profile.profile_id} was erased", code="privacy.profile_erased", profile_id=profile_id
        )
    return profile


# --- use cases --------------------------------------------------------------------------------


def load_history(conn: Connection, row_ids: Sequence[int]) -> list[ConsentRecord]:
    """The consent records of these profiles (internal ids), oldest first."""
    rows = conn.execute(
        select(customer_consents, locations.c.code)
        .select_from(
            customer_consents.outerjoin(locations, locations.c.id == customer_consents.c.location_id)
        )
        .where(customer_consents.c.profile_id.in_(list(row_ids)))
        .order_by(customer_consents.c.id)
    )
    return [
        ConsentRecord(
            Purpose(r.purpose), bool(r.granted), ConsentSource(r.source), r.code, r.actor, r.recorded_at
        )
        for r in rows
    ]


def _store_id(conn: Connection, store: str | None, principal: Principal) -> int | None:
    if store is None:
        return None
    row = conn.execute(select(locations.c.id, locations.c.type).where(locations.c.code == store)).first()
    if row is None:
        raise NotFound(f"unknown location '{store}'", code="inventory.location_not_found", location=store)
    if row.type != "store":
        raise ValidationFailed(f"{store} is not a store", code="privacy.not_a_store", field="store")
    principal.require_store(int(row.id), store)
    return int(row.id)


def record_consents(
    db: Database,
    profile_id: str,
    choices: Mapping[Purpose, bool],
    *,
    source: ConsentSource,
    store: str | None,
    principal: Principal,
) -> Consents:
    """Record the person's choices; only changes are appended, each with source, store and time.

    A store associate records consents given at their own store only. Each change is an outbox
    event ``customer.consent_changed`` carrying the profile id and purpose, never personal data.
    """
    if not choices:
        raise ValidationFailed("give at least one purpose", code="privacy.no_purpose", field="body")
    if source is ConsentSource.STORE and store is None:
        store = principal.store_code
    at = clock.now()
    with db.write() as conn:
        profile = require_live_profile(conn, profile_id)
        location_id = _store_id(conn, store, principal)
        changes = changed_choices(current_state(load_history(conn, [profile.id])), choices)
        if changes:
            conn.execute(
                customer_consents.insert(),
                [
                    {
                        "profile_id": profile.id,
                        "purpose": purpose.value,
                        "granted": granted,
                        "source": source.value,
                        "location_id": location_id,
                        "actor": principal.actor,
                        "recorded_at": at,
                    }
                    for purpose, granted in changes.items()
                ],
            )
            record_events(
                conn,
                [
                    DomainEvent(
                        "customer.consent_changed",
                        "customer",
                        profile.profile_id,
                        {
                            "profile_id": profile.profile_id,
                            "purpose": purpose.value,
                            "granted": granted,
                            "source": source.value,
                            "store": store,
                        },
                    )
                    for purpose, granted in changes.items()
                ],
            )
        history = load_history(conn, [profile.id])
    return Consents(profile.profile_id, current_state(history), history)


def get_consents(db: Database, profile_id: str) -> Consents:
    """The current consents of a profile (merged ids resolve to the survivor) and their history."""
    with db.read() as conn:
        profile = require_profile(conn, profile_id)
        history = load_history(conn, [profile.id])
    return Consents(profile.profile_id, current_state(history), history)


def has_consent(conn: Connection, profile_id: str, purpose: Purpose) -> bool:
    """Whether the profile currently grants ``purpose`` (False when never asked or erased)."""
    profile = require_profile(conn, profile_id)
    latest = conn.execute(
        select(customer_consents.c.granted)
        .where(customer_consents.c.profile_id == profile.id, customer_consents.c.purpose == purpose.value)
        .order_by(customer_consents.c.id.desc())
        .limit(1)
    ).scalar()
    return bool(latest)
