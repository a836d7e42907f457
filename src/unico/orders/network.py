"""What an order decision reads of the network, in a handful of queries.

:func:`load_snapshot` answers, inside the caller's transaction: the variant id of each SKU, what
every active location can promise of them (one query, from the promisable-stock index), the
locations the order names (pickup stores, the originating store), their opening hours when a
pickup needs them (kept per process for a few seconds: :func:`cached_hours`), and how many
fulfillment tasks each store got today (its capacity used).
"""

from __future__ import annotations

import threading
import time as monotonic_time
import weakref
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, literal_column, select
from sqlalchemy.engine import Connection, Engine

from unico.catalog.store import variants
from unico.core.db import among
from unico.fulfillment.store import fulfillment_load
from unico.inventory.geo import haversine_km
from unico.inventory.hours import Interval, OpeningHours
from unico.inventory.locations import on_hours_changed
from unico.inventory.model import Capability, LocationRef, LocationType
from unico.inventory.store import locations, opening_exceptions, opening_hours, places, stock

LOCATION_COLUMNS = (
    locations.c.id,
    locations.c.code,
    locations.c.name,
    locations.c.type,
    locations.c.latitude,
    locations.c.longitude,
    locations.c.pickup,
    locations.c.reserve_in_store,
    locations.c.ship_from_store,
    locations.c.returns,
    locations.c.status,
    locations.c.pickup_capacity_per_day,
    locations.c.timezone,
)

DEFAULT_TIMEZONE = "Europe/Rome"


def _snapshot_query(sku_clause: Any) -> Any:
    """What every location with something to promise holds of the SKUs asked, with the
    location's attributes and its task count today: one statement, built once.

    The SKUs are an expanding IN, one parameter each, and the constants are written in the
    text: on PostgreSQL the statement text is then the same for every order of as many SKUs, so
    psycopg prepares it, and PostgreSQL's generic plan (which estimates the right number of SKUs
    and can use the promisable-stock partial index) is as cheap as a custom one; it keeps it
    instead of planning the join again on every order (an array parameter, estimated at ten
    values, made the generic plan look dearer, and planning cost ~0.4 ms of the server's CPU)."""
    atp = stock.c.on_hand - stock.c.reserved - stock.c.safety_stock
    return (
        select(
            variants.c.sku,
            stock.c.variant_id,
            stock.c.location_id,
            atp.label("atp"),
            fulfillment_load.c.tasks.label("tasks_today"),
            *LOCATION_COLUMNS,
        )
        .select_from(
            variants.join(stock, stock.c.variant_id == variants.c.id)
            .join(locations, locations.c.id == stock.c.location_id)
            .outerjoin(
                fulfillment_load,
                and_(
                    fulfillment_load.c.location_id == locations.c.id,
                    fulfillment_load.c.day == bindparam("today"),
                ),
            )
        )
        .where(sku_clause, atp > literal_column("0"), locations.c.status == literal_column("'active'"))
    )


_SNAPSHOT_OFFSET = 5  # sku, variant_id, location_id, atp, tasks_today come first
_SNAPSHOT_QUERY = _snapshot_query(variants.c.sku.in_(bindparam("skus", expanding=True)))


@dataclass(frozen=True, slots=True)
class Site:
    """A location as orders see it: its reference plus daily capacity and time zone."""

    ref: LocationRef
    capacity_per_day: int
    timezone: str

    @property
    def id(self) -> int:
        return self.ref.id

    @property
    def code(self) -> str:
        return self.ref.code

    def distance_to(self, point: tuple[float, float] | None) -> float:
        if point is None:
            return 0.0
        return round(haversine_km(point[0], point[1], self.ref.latitude, self.ref.longitude), 2)


@dataclass
class Snapshot:
    variant_ids: dict[str, int]
    atp: dict[tuple[str, int], int]  # (sku, location id) -> available to promise (> 0 only)
    sites: dict[int, Site]  # every location with stock of a SKU asked, plus the named ones
    by_code: dict[str, Site]
    hours: dict[int, OpeningHours] = field(default_factory=dict)
    tasks_today: dict[int, int] = field(default_factory=dict)

    def available(self, sku: str, location_id: int) -> int:
        return self.atp.get((sku, location_id), 0)

    def capacity_left(self, site: Site) -> int | None:
        """Tasks the store can still take today; None when it sets no daily limit (0)."""
        if site.ref.type is not LocationType.STORE or site.capacity_per_day <= 0:
            return None
        return max(site.capacity_per_day - self.tasks_today.get(site.id, 0), 0)


_SITES: dict[tuple[Any, ...], Site] = {}


def site_of(row: Any, offset: int = 0) -> Site:
    """The Site of a row whose location columns start at ``offset``; equal rows share one
    (immutable) Site, so a busy order flow does not rebuild the network on every order."""
    key = tuple(row[offset : offset + len(LOCATION_COLUMNS)])
    site = _SITES.get(key)
    if site is None:
        if len(_SITES) > 20_000:
            _SITES.clear()
        site = _SITES[key] = _make_site(row)
    return site


def _make_site(row: Any) -> Site:
    ref = LocationRef(
        id=int(row.id),
        code=row.code,
        name=row.name,
        type=LocationType(row.type),
        capabilities=frozenset(c for c in Capability if getattr(row, c.value)),
        latitude=row.latitude,
        longitude=row.longitude,
        active=row.status == "active",
    )
    return Site(ref, row.pickup_capacity_per_day, row.timezone or DEFAULT_TIMEZONE)


def load_snapshot(
    conn: Connection,
    skus: Sequence[str],
    codes: Iterable[str] = (),
    *,
    hours_for: Iterable[str] = (),
    at: datetime,
    with_capacity: bool = True,
) -> Snapshot:
    """Read what an order decision needs (see the module docstring); unknown codes are absent."""
    wanted = list(dict.fromkeys(skus))
    today = local_day(at)
    rows = conn.execute(_SNAPSHOT_QUERY, {"skus": wanted, "today": today}).all()
    variant_ids: dict[str, int] = {}
    atp: dict[tuple[str, int], int] = {}
    sites: dict[int, Site] = {}
    load: dict[int, int] = {}
    for r in rows:
        variant_ids[r.sku] = int(r.variant_id)
        location_id = int(r.location_id)
        atp[(r.sku, location_id)] = int(r.atp)
        if location_id not in sites:
            sites[location_id] = site_of(r, _SNAPSHOT_OFFSET)
            if r.tasks_today:
                load[location_id] = int(r.tasks_today)
    nowhere = [sku for sku in wanted if sku not in variant_ids]
    if nowhere:  # nothing to promise anywhere, or unknown: look them up
        variant_ids.update(
            (sku, int(vid))
            for sku, vid in conn.execute(
                select(variants.c.sku, variants.c.id).where(among(conn, variants.c.sku, nowhere))
            )
        )
    named = [c for c in dict.fromkeys(codes) if c]
    by_code = {s.code: s for s in sites.values()}
    missing = [c for c in named if c not in by_code]
    if missing:
        for r in conn.execute(select(*LOCATION_COLUMNS).where(locations.c.code.in_(missing))):
            site = site_of(r)
            sites[site.id] = site
            by_code[site.code] = site
    snapshot = Snapshot(variant_ids, atp, sites, by_code, tasks_today=load)
    hour_sites = [by_code[c] for c in dict.fromkeys(hours_for) if c in by_code]
    if hour_sites:
        snapshot.hours = cached_hours(conn, hour_sites, at)
    if missing and with_capacity:
        extra = [by_code[c].id for c in missing if c in by_code]
        if extra:
            snapshot.tasks_today.update(tasks_today(conn, extra, at))
    return snapshot


def day_start(at: datetime, timezone: str = DEFAULT_TIMEZONE) -> datetime:
    """Midnight of ``at``'s local day in ``timezone`` (what 'today' means for a store's capacity)."""
    local = at.astimezone(ZoneInfo(timezone))
    return datetime.combine(local.date(), time(0), local.tzinfo)


def local_day(at: datetime, timezone: str = DEFAULT_TIMEZONE) -> date:
    """The local date of ``at``: the day a store's capacity is counted in."""
    return at.astimezone(ZoneInfo(timezone)).date()


def tasks_today(conn: Connection, location_ids: Sequence[int], at: datetime) -> dict[int, int]:
    """Fulfillment tasks each location was given today (its daily capacity used)."""
    rows = conn.execute(
        select(fulfillment_load.c.location_id, fulfillment_load.c.tasks).where(
            among(conn, fulfillment_load.c.location_id, list(location_ids)),
            fulfillment_load.c.day == local_day(at),
        )
    ).all()
    return {int(location_id): int(n) for location_id, n in rows}


def load_hours(
    conn: Connection, location_ids: Sequence[int], timezones: dict[int, str], at: datetime
) -> dict[int, OpeningHours]:
    """Weekly hours and the exceptions from today on, per location."""
    weekly: dict[int, dict[int, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    for r in conn.execute(
        select(opening_hours)
        .where(opening_hours.c.location_id.in_(list(location_ids)))
        .order_by(opening_hours.c.opens)
    ):
        weekly[int(r.location_id)][r.weekday].append(Interval.parse(r.opens, r.closes))
    exceptions: dict[int, dict[date, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    first_day = at.date().toordinal() - 1  # time zones: the local 'today' may be yesterday in UTC
    for r in conn.execute(
        select(opening_exceptions).where(
            and_(
                opening_exceptions.c.location_id.in_(list(location_ids)),
                opening_exceptions.c.day >= date.fromordinal(first_day),
            )
        )
    ):
        spans = exceptions[int(r.location_id)][r.day]
        if not r.closed and r.opens and r.closes:
            spans.append(Interval.parse(r.opens, r.closes))
    return {
        i: OpeningHours(
            weekly={d: tuple(v) for d, v in weekly[i].items()},
            exceptions={d: tuple(sorted(v, key=lambda x: x.opens)) for d, v in exceptions[i].items()},
            timezone=timezones.get(i, DEFAULT_TIMEZONE),
        )
        for i in location_ids
    }


HOURS_CACHE_SECONDS = 5.0


class _HoursCache:
    """Opening hours of one database's locations, kept for :data:`HOURS_CACHE_SECONDS`.

    Hours and exceptions change rarely, and a pickup order would otherwise read them with two
    statements. A change made through :mod:`unico.inventory.locations` in this process empties
    the cache once committed; another process sees it within :data:`HOURS_CACHE_SECONDS` (an
    order placed in that window may promise a pickup slot by the old hours, as it could if it
    had been placed a moment before the change). A read that began before a change is not kept.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.generation = 0
        self.entries: dict[tuple[int, str, str, date], tuple[float, OpeningHours]] = {}

    def forget(self) -> None:
        with self.lock:
            self.generation += 1
            self.entries.clear()


_hours_caches: weakref.WeakKeyDictionary[Engine, _HoursCache] = weakref.WeakKeyDictionary()
_hours_caches_lock = threading.Lock()


def _forget_all_hours() -> None:
    with _hours_caches_lock:
        caches = list(_hours_caches.values())
    for cache in caches:
        cache.forget()


on_hours_changed(_forget_all_hours)


def _hours_cache(engine: Engine) -> _HoursCache:
    cache = _hours_caches.get(engine)
    if cache is None:
        with _hours_caches_lock:
            cache = _hours_caches.setdefault(engine, _HoursCache())
    return cache


def cached_hours(conn: Connection, sites: Sequence[Site], at: datetime) -> dict[int, OpeningHours]:
    """:func:`load_hours` of ``sites``, from this process's cache when read in the last few
    seconds (see :class:`_HoursCache`)."""
    cache = _hours_cache(conn.engine)
    first_day = date.fromordinal(at.date().toordinal() - 1)
    now = monotonic_time.monotonic()
    found: dict[int, OpeningHours] = {}
    missing: list[Site] = []
    for site in sites:
        entry = cache.entries.get((site.id, site.code, site.timezone, first_day))
        if entry is not None and entry[0] > now:
            found[site.id] = entry[1]
        else:
            missing.append(site)
    if missing:
        generation = cache.generation
        loaded = load_hours(conn, [s.id for s in missing], {s.id: s.timezone for s in missing}, at)
        found.update(loaded)
        with cache.lock:
            if cache.generation == generation:
                if len(cache.entries) > 10_000:
                    cache.entries.clear()
                for site in missing:
                    key = (site.id, site.code, site.timezone, first_day)
                    cache.entries[key] = (now + HOURS_CACHE_SECONDS, loaded[site.id])
    return found


def destination_point(conn: Connection, address: dict[str, Any] | None) -> tuple[float, float] | None:
    """Coordinates of a shipping address: given ones, else its postcode's or city's, else None."""
    if not address:
        return None
    lat, lon = address.get("latitude"), address.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lat), float(lon)
    postcode = str(address.get("postcode") or "").strip()
    if postcode:
        row = conn.execute(
            select(places.c.latitude, places.c.longitude).where(places.c.postcode == postcode).limit(1)
        ).first()
        if row is not None:
            return float(row.latitude), float(row.longitude)
    return None
