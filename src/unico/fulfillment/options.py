"""Fulfillment options for a basket and a position, and what-if sourcing. Read-only.

The promise ("by when") follows one simple, documented rule:

- pickup and reserve in store: ready two hours after the order if the store is open for at
  least two more hours today and has pickup capacity left today; otherwise two hours after its
  next opening (capacity full today: the next opening of another day);
- home delivery: one day from a store that ships, two from a warehouse, one more beyond 300 km;
  the latest of the locations the plan uses;
- ship to store: the home-delivery promise of the plan that sends it to that store, plus one day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from unico.core import clock
from unico.core.db import Database
from unico.core.errors import InsufficientStock, ValidationFailed
from unico.fulfillment.sourcing import SourcingLine, SourcingPlan, SourcingPolicy, source
from unico.inventory import locations as network
from unico.inventory.availability import DEFAULT_RULES
from unico.inventory.hours import OpeningHours, opening_state
from unico.inventory.model import Capability, Channel, LocationType, Method
from unico.inventory.queries import require_variants
from unico.inventory.store import locations as locations_table
from unico.orders.allocation import candidates_for, check_request, decide
from unico.orders.model import OrderRequest
from unico.orders.network import (
    LOCATION_COLUMNS,
    Site,
    Snapshot,
    day_start,
    destination_point,
    load_hours,
    load_snapshot,
    site_of,
    tasks_today,
)
from unico.orders.service import plan_document

PREP = timedelta(hours=2)
_COUNTER = frozenset({Capability.PICKUP, Capability.RESERVE_IN_STORE})
FAR_KM = 300.0
MAX_BASKET = 100


def parse_basket(text: str) -> list[tuple[str, int]]:
    """``"A:2,B:1"`` -> ``[("A", 2), ("B", 1)]`` (a bare SKU means one unit)."""
    basket: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        sku, _, qty = part.partition(":")
        try:
            quantity = int(qty) if qty else 1
        except ValueError:
            raise ValidationFailed(f"bad quantity in '{part}'", field="skus") from None
        if not sku or quantity <= 0:
            raise ValidationFailed(f"each item needs a SKU and a positive quantity: '{part}'", field="skus")
        basket[sku] = basket.get(sku, 0) + quantity
    if not basket or len(basket) > MAX_BASKET:
        raise ValidationFailed(f"give 1 to {MAX_BASKET} SKUs as SKU:quantity", field="skus")
    return list(basket.items())


def pickup_ready_at(hours: OpeningHours | None, capacity_left: int | None, at: datetime) -> datetime | None:
    """When a pickup could be ready (see the module docstring); None when the store never opens."""
    if hours is None:
        return None
    state = opening_state(hours, at)
    if state.is_open and state.closes_at is not None and capacity_left != 0 and state.closes_at - at >= PREP:
        return at + PREP
    probe = at if not state.is_open else (state.closes_at or at)
    if capacity_left == 0:
        probe = max(probe, _next_midnight(at, hours.timezone))
    nxt = opening_state(hours, probe)
    if nxt.is_open:  # the probe fell inside tomorrow's hours
        return probe + PREP
    return nxt.opens_at + PREP if nxt.opens_at else None


def _next_midnight(at: datetime, timezone: str) -> datetime:
    return day_start(at, timezone) + timedelta(days=1)


def delivery_days(plan: SourcingPlan, sites: dict[int, Site], distance: dict[int, float]) -> int:
    days = 0
    for a in plan.assignments:
        site = sites[a.location_id]
        d = 1 if site.ref.type is LocationType.STORE else 2
        days = max(days, d + (1 if distance.get(a.location_id, 0.0) > FAR_KM else 0))
    return days


def fulfillment_options(
    db: Database,
    basket: Sequence[tuple[str, int]],
    *,
    channel: Channel,
    latitude: float | None = None,
    longitude: float | None = None,
    near: str | None = None,
    limit: int = 5,
) -> dict[str, Any]:
    """Per method: available or not, from where (nearest first) and by when."""
    at = clock.now()
    origin: dict[str, Any] | None = None
    point: tuple[float, float] | None = None
    if latitude is not None and longitude is not None:
        point = (latitude, longitude)
        origin = {"latitude": latitude, "longitude": longitude, "label": None}
    elif near:
        place = network.resolve_place(db, near)
        point = (place.latitude, place.longitude)
        origin = {"latitude": place.latitude, "longitude": place.longitude, "label": place.label}
    skus = [sku for sku, _q in basket]
    wanted = dict(basket)
    lines = [SourcingLine(sku, sku, q) for sku, q in basket]
    with db.read() as conn:
        require_variants(conn, skus)
        snapshot = load_snapshot(conn, skus, at=at)
        stores = [
            site_of(r)
            for r in conn.execute(
                select(*LOCATION_COLUMNS).where(
                    locations_table.c.status == "active", locations_table.c.type == LocationType.STORE.value
                )
            )
        ]
        for s in stores:
            snapshot.sites.setdefault(s.id, s)
        stores.sort(key=lambda s: (s.distance_to(point), s.code))
        counter = [s for s in stores if s.ref.capabilities & _COUNTER][: limit * 3]
        snapshot.tasks_today.update(tasks_today(conn, [s.id for s in counter], at) if counter else {})
        hours = load_hours(conn, [s.id for s in counter], {s.id: s.timezone for s in counter}, at)
    methods = []
    home_rules = (channel, Method.HOME_DELIVERY)
    if home_rules in DEFAULT_RULES:
        candidates = candidates_for(snapshot, channel, Method.HOME_DELIVERY, set(skus), {}, point)
        plan = source(lines, candidates, SourcingPolicy())
        distance = {c.location_id: c.distance_km for c in candidates}
        days = delivery_days(plan, snapshot.sites, distance)
        methods.append(
            {
                "method": Method.HOME_DELIVERY.value,
                "available": plan.complete,
                "by": (at + timedelta(days=days)).date().isoformat() if plan.complete else None,
                "locations": list(plan.locations),
                "reasons": list(plan.reasons),
            }
        )
    for method in (Method.PICKUP, Method.RESERVE_IN_STORE):
        if (channel, method) not in DEFAULT_RULES:
            continue
        offer = [s for s in counter if method.value in {c.value for c in s.ref.capabilities}]
        found = [_store_option(s, snapshot, wanted, hours.get(s.id), at, point) for s in offer]
        found = [f for f in found if f["has_all"]][:limit] or found[:limit]
        methods.append(
            {
                "method": method.value,
                "available": any(f["has_all"] for f in found),
                "by": min((f["ready_by"] for f in found if f["has_all"] and f["ready_by"]), default=None),
                "stores": found,
            }
        )
    if (channel, Method.SHIP_TO_STORE) in DEFAULT_RULES:
        offer = [s for s in counter if "pickup" in {c.value for c in s.ref.capabilities}][:limit]
        found = []
        for s in offer:
            dest = (s.ref.latitude, s.ref.longitude)
            candidates = candidates_for(snapshot, channel, Method.SHIP_TO_STORE, set(skus), {}, dest)
            plan = source(lines, candidates, SourcingPolicy())
            distance = {c.location_id: c.distance_km for c in candidates}
            days = delivery_days(plan, snapshot.sites, distance) + 1
            found.append(
                {
                    "store": s.code,
                    "name": s.ref.name,
                    "distance_km": s.distance_to(point),
                    "available": plan.complete,
                    "by": (at + timedelta(days=days)).date().isoformat() if plan.complete else None,
                    "from": list(plan.locations),
                }
            )
        methods.append(
            {
                "method": Method.SHIP_TO_STORE.value,
                "available": any(f["available"] for f in found),
                "by": min((f["by"] for f in found if f["by"]), default=None),
                "stores": found,
            }
        )
    return {
        "channel": channel.value,
        "origin": origin,
        "items": [{"sku": sku, "quantity": q} for sku, q in basket],
        "methods": methods,
    }


def _store_option(
    site: Site,
    snapshot: Snapshot,
    wanted: dict[str, int],
    hours: OpeningHours | None,
    at: datetime,
    point: tuple[float, float] | None,
) -> dict[str, Any]:
    available = {sku: snapshot.available(sku, site.id) for sku in wanted}
    has_all = all(available[sku] >= q for sku, q in wanted.items())
    state = opening_state(hours, at) if hours else None
    ready_by = pickup_ready_at(hours, snapshot.capacity_left(site), at) if has_all else None
    return {
        "store": site.code,
        "name": site.ref.name,
        "distance_km": site.distance_to(point),
        "available": available,
        "has_all": has_all,
        "open_now": bool(state and state.is_open),
        "next_opening": state.opens_at.isoformat() if state and state.opens_at else None,
        "capacity_left": snapshot.capacity_left(site),
        "ready_by": ready_by.isoformat() if ready_by else None,
    }


def plan_order(db: Database, request: OrderRequest) -> dict[str, Any]:
    """What-if: the plan ``POST /orders`` would follow now, with reasons; nothing is held."""
    check_request(request)
    at = clock.now()
    codes = [request.store or "", *(line.pickup_store or "" for line in request.lines)]
    with db.read() as conn:
        snapshot = load_snapshot(conn, [line.sku for line in request.lines], codes, hours_for=codes, at=at)
        point = destination_point(conn, request.shipping_address)
    try:
        placement = decide(request, snapshot, home_point=point, at=at)
    except InsufficientStock as refused:
        return {"complete": False, "shortfall": refused.details, "message": refused.message, "plans": []}
    return {
        "complete": True,
        "plans": plan_document(placement),
        "allocations": [
            {
                "line_no": p.line_no,
                "sku": request.lines[p.line_no - 1].sku,
                "location": snapshot.sites[p.location_id].code,
                "quantity": p.quantity,
            }
            for p in placement.picks
        ],
    }
