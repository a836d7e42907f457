"""Use cases of the store network: locations, opening hours, exceptions and the store locator."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.engine import Connection, Row

from unico.catalog.text import fold
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.inventory.availability import available_to_promise
from unico.inventory.geo import haversine_km, valid_coordinates
from unico.inventory.hours import Interval, OpeningHours, OpeningState, opening_state
from unico.inventory.model import Capability, LocationType
from unico.inventory.queries import location_by_code, require_variants
from unico.inventory.store import locations, opening_exceptions, opening_hours, places, stock


@dataclass(frozen=True)
class LocationDraft:
    code: str
    name: str
    type: LocationType
    latitude: float
    longitude: float
    address: str = ""
    city: str = ""
    province: str = ""
    postcode: str = ""
    phone: str = ""
    email: str = ""
    timezone: str = "Europe/Rome"
    capabilities: frozenset[Capability] = frozenset()
    pickup_capacity_per_day: int = 0
    hours: dict[int, tuple[tuple[str, str], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class LocationView:
    code: str
    name: str
    type: LocationType
    address: str
    city: str
    province: str
    postcode: str
    latitude: float
    longitude: float
    phone: str
    email: str
    capabilities: tuple[Capability, ...]
    pickup_capacity_per_day: int
    status: str
    hours: OpeningHours
    state: OpeningState


@dataclass(frozen=True)
class NearbyLocation:
    location: LocationView
    distance_km: float
    availability: dict[str, int]  # SKU -> available to promise there
    has_all: bool


@dataclass(frozen=True)
class Origin:
    latitude: float
    longitude: float
    label: str


# Other modules may keep opening hours in memory (orders cache them per process for a few
# seconds): they register here and are told, in this process, once a change is committed.
_hours_listeners: list[Callable[[], None]] = []


def on_hours_changed(listener: Callable[[], None]) -> None:
    """Call ``listener`` after any change of opening hours or exceptions made in this process."""
    _hours_listeners.append(listener)


def _hours_changed() -> None:
    for listener in _hours_listeners:
        listener()


def _check_draft(draft: LocationDraft) -> None:
    if not draft.code or len(draft.code) > 40:
        raise ValidationFailed("code must be 1-40 characters", field="code")
    if not valid_coordinates(draft.latitude, draft.longitude):
        raise ValidationFailed("coordinates out of range", field="latitude")
    if draft.type is LocationType.WAREHOUSE and draft.capabilities & {
        Capability.PICKUP,
        Capability.RESERVE_IN_STORE,
    }:
        raise ValidationFailed("a warehouse cannot offer pickup or reserve-in-store", field="capabilities")
    for weekday, spans in draft.hours.items():
        if weekday not in range(7):
            raise ValidationFailed("weekday must be 0 (Monday) to 6 (Sunday)", field="hours")
        parsed = sorted((Interval.parse(o, c, field_name="hours") for o, c in spans), key=lambda i: i.opens)
        for first, second in pairwise(parsed):
            if second.opens < first.closes:
                raise ValidationFailed(f"overlapping hours on weekday {weekday}", field="hours")


def create_location(db: Database, draft: LocationDraft, actor: str) -> LocationView:
    """Add a store or warehouse with its weekly hours."""
    _check_draft(draft)
    with db.write() as conn:
        if conn.execute(select(locations.c.id).where(locations.c.code == draft.code)).first():
            raise Conflict(
                f"location '{draft.code}' exists", code="inventory.location_exists", location=draft.code
            )
        result = conn.execute(
            locations.insert().values(
                code=draft.code,
                name=draft.name,
                type=draft.type.value,
                address=draft.address,
                city=draft.city,
                province=draft.province,
                postcode=draft.postcode,
                latitude=draft.latitude,
                longitude=draft.longitude,
                timezone=draft.timezone,
                phone=draft.phone,
                email=draft.email,
                pickup_capacity_per_day=draft.pickup_capacity_per_day,
                status="active",
                created_at=clock.now(),
                **{c.value: c in draft.capabilities for c in Capability},
            )
        )
        location_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        _write_hours(conn, location_id, draft.hours)
        record_event(
            conn,
            DomainEvent(
                "inventory.location_created", "location", draft.code, {"actor": actor, "type": draft.type}
            ),
        )
    _hours_changed()
    return get_location(db, draft.code)


def _write_hours(conn: Connection, location_id: int, hours: dict[int, tuple[tuple[str, str], ...]]) -> None:
    conn.execute(opening_hours.delete().where(opening_hours.c.location_id == location_id))
    rows = [
        {"location_id": location_id, "weekday": weekday, "opens": o, "closes": c}
        for weekday, spans in sorted(hours.items())
        for o, c in spans
    ]
    if rows:
        conn.execute(opening_hours.insert(), rows)


def set_hours(
    db: Database, code: str, hours: dict[int, tuple[tuple[str, str], ...]], actor: str
) -> LocationView:
    """Replace a location's weekly hours."""
    with db.read() as conn:
        row = location_by_code(conn, code)
    _check_draft(
        LocationDraft(
            code=code, name=row.name, type=LocationType(row.type), latitude=0, longitude=0, hours=hours
        )
    )
    with db.write() as conn:
        _write_hours(conn, int(row.id), hours)
        record_event(
            conn, DomainEvent("inventory.location_hours_changed", "location", code, {"actor": actor})
        )
    _hours_changed()
    return get_location(db, code)


def add_exception(
    db: Database,
    code: str,
    day: date,
    *,
    closed: bool,
    opens: str | None,
    closes: str | None,
    note: str,
    actor: str,
) -> LocationView:
    """Close a location for a day, or give it special hours that day."""
    if not closed:
        if not opens or not closes:
            raise ValidationFailed("special hours need opens and closes", field="opens")
        Interval.parse(opens, closes, field_name="opens")
    with db.write() as conn:
        row = location_by_code(conn, code)
        conn.execute(
            opening_exceptions.insert().values(
                location_id=row.id,
                day=day,
                closed=closed,
                opens=None if closed else opens,
                closes=None if closed else closes,
                note=note,
            )
        )
        record_event(
            conn,
            DomainEvent(
                "inventory.location_exception_added",
                "location",
                code,
                {"day": day.isoformat(), "closed": closed, "actor": actor},
            ),
        )
    _hours_changed()
    return get_location(db, code)


def set_capabilities(
    db: Database, code: str, capabilities: frozenset[Capability], pickup_capacity: int | None, actor: str
) -> LocationView:
    with db.write() as conn:
        row = location_by_code(conn, code)
        if row.type == LocationType.WAREHOUSE and capabilities & {
            Capability.PICKUP,
            Capability.RESERVE_IN_STORE,
        }:
            raise ValidationFailed(
                "a warehouse cannot offer pickup or reserve-in-store", field="capabilities"
            )
        values: dict[str, object] = {c.value: c in capabilities for c in Capability}
        if pickup_capacity is not None:
            if pickup_capacity < 0:
                raise ValidationFailed("pickup capacity cannot be negative", field="pickup_capacity_per_day")
            values["pickup_capacity_per_day"] = pickup_capacity
        conn.execute(update(locations).where(locations.c.id == row.id).values(**values))
        record_event(
            conn,
            DomainEvent(
                "inventory.location_capabilities_changed",
                "location",
                code,
                {"capabilities": sorted(c.value for c in capabilities), "actor": actor},
            ),
        )
    return get_location(db, code)


def _load_hours(conn: Connection, ids: Sequence[int]) -> dict[int, OpeningHours]:
    weekly: dict[int, dict[int, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    for r in conn.execute(
        select(opening_hours).where(opening_hours.c.location_id.in_(ids)).order_by(opening_hours.c.opens)
    ):
        weekly[r.location_id][r.weekday].append(Interval.parse(r.opens, r.closes))
    exceptions: dict[int, dict[date, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    today = clock.now().date()
    for r in conn.execute(
        select(opening_exceptions).where(
            and_(opening_exceptions.c.location_id.in_(ids), opening_exceptions.c.day >= today)
        )
    ):
        spans = exceptions[r.location_id][r.day]
        if not r.closed and r.opens and r.closes:
            spans.append(Interval.parse(r.opens, r.closes))
    return {
        i: OpeningHours(
            weekly={d: tuple(v) for d, v in weekly[i].items()},
            exceptions={d: tuple(sorted(v, key=lambda x: x.opens)) for d, v in exceptions[i].items()},
        )
        for i in ids
    }


def _views(conn: Connection, rows: Sequence[Row[Any]], at: datetime) -> list[LocationView]:
    hours = _load_hours(conn, [int(r.id) for r in rows])
    views = []
    for r in rows:
        h = hours[int(r.id)]
        h = OpeningHours(weekly=h.weekly, exceptions=h.exceptions, timezone=r.timezone)
        views.append(
            LocationView(
                code=r.code,
                name=r.name,
                type=LocationType(r.type),
                address=r.address,
                city=r.city,
                province=r.province,
                postcode=r.postcode,
                latitude=r.latitude,
                longitude=r.longitude,
                phone=r.phone,
                email=r.email,
                capabilities=tuple(c for c in Capability if getattr(r, c.value)),
                pickup_capacity_per_day=r.pickup_capacity_per_day,
                status=r.status,
                hours=h,
                state=opening_state(h, at),
            )
        )
    return views


def get_location(db: Database, code: str) -> LocationView:
    with db.read() as conn:
        row = location_by_code(conn, code)
        return _views(conn, [row], clock.now())[0]


def list_locations(
    db: Database, *, type: LocationType | None = None, city: str | None = None
) -> list[LocationView]:
    """Every active location (optionally of one type or city), ordered by city then name."""
    query = select(locations).where(locations.c.status == "active")
    if type is not None:
        query = query.where(locations.c.type == type.value)
    if city:
        query = query.where(locations.c.city == city)
    with db.read() as conn:
        rows = conn.execute(query.order_by(locations.c.city, locations.c.name)).all()
        return _views(conn, rows, clock.now())


def resolve_place(db: Database, near: str) -> Origin:
    """An Italian city name or postcode (CAP) from the places table, as coordinates."""
    key = near.strip()
    with db.read() as conn:
        if key.isdigit():
            row = conn.execute(select(places).where(places.c.postcode == key).limit(1)).first()
        else:
            row = conn.execute(
                select(places).where(places.c.name_key == fold(key)).order_by(places.c.postcode).limit(1)
            ).first()
    if row is None:
        raise NotFound(f"unknown place '{near}'", code="inventory.place_not_found", near=near)
    return Origin(row.latitude, row.longitude, f"{row.name} ({row.postcode})")


def nearest_locations(
    db: Database,
    origin: Origin,
    *,
    skus: Sequence[str] = (),
    capability: Capability | None = None,
    type: LocationType = LocationType.STORE,
    open_now: bool = False,
    only_available: bool = False,
    max_km: float | None = None,
    limit: int = 5,
) -> list[NearbyLocation]:
    """The nearest locations to ``origin``, with distance, opening state and availability of ``skus``."""
    at = clock.now()
    with db.read() as conn:
        ids = require_variants(conn, skus) if skus else {}
        query = select(locations).where(locations.c.status == "active", locations.c.type == type.value)
        if capability is not None:
            query = query.where(locations.c[capability.value].is_(True))
        rows = list(conn.execute(query).all())
        distances = {
            int(r.id): haversine_km(origin.latitude, origin.longitude, r.latitude, r.longitude) for r in rows
        }
        if max_km is not None:
            rows = [r for r in rows if distances[int(r.id)] <= max_km]
        rows.sort(key=lambda r: (distances[int(r.id)], r.code))
        available: dict[int, dict[str, int]] = defaultdict(dict)
        if ids and rows:
            by_variant = {v: s for s, v in ids.items()}
            for s in conn.execute(
                select(stock).where(
                    stock.c.variant_id.in_(list(ids.values())),
                    stock.c.location_id.in_([int(r.id) for r in rows]),
                )
            ):
                available[s.location_id][by_variant[s.variant_id]] = available_to_promise(
                    s.on_hand, s.reserved, s.safety_stock
                )
        views = _views(conn, rows, at)
    found = []
    for row, view in zip(rows, views, strict=True):
        if open_now and not view.state.is_open:
            continue
        there = {sku: available[int(row.id)].get(sku, 0) for sku in ids}
        has_all = all(v > 0 for v in there.values())
        if only_available and not has_all:
            continue
        found.append(NearbyLocation(view, round(distances[int(row.id)], 2), there, has_all))
        if len(found) >= limit:
            break
    return found
