"""Where each line of a new order comes from. Pure: works on a loaded :class:`Snapshot`.

Lines at a named store (pickup, reserve in store, carry-out) take that store's own stock; the
lines the network serves (home delivery, ship to store) are grouped by destination and handed to
:func:`unico.fulfillment.sourcing.source`, over the locations the channel's rules allow, with
what the store-bound lines took already subtracted. Any problem raises before anything is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from unico.core.errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from unico.fulfillment.sourcing import Candidate, SourcingLine, SourcingPlan, SourcingPolicy, source
from unico.inventory.availability import DEFAULT_RULES, may_serve, serving_rules
from unico.inventory.hours import opening_state
from unico.inventory.model import Channel, Method
from unico.orders.model import SOURCED_METHODS, STORE_METHODS, LineRequest, OrderRequest
from unico.orders.network import Site, Snapshot

MAX_LINES = 200
MAX_QUANTITY = 100_000  # units of one line
MAX_PRICE = 100_000_000  # minor units of one unit (a million euro)


@dataclass(frozen=True, slots=True)
class Pick:
    """``quantity`` units of line ``line_no`` held at ``location_id``."""

    line_no: int
    location_id: int
    quantity: int


@dataclass(frozen=True)
class SourcedGroup:
    """Lines sourced together (same method and destination) and the plan that served them."""

    method: Method
    destination: str | None  # the pickup store for ship-to-store, else None (the address)
    line_nos: tuple[int, ...]
    plan: SourcingPlan


@dataclass(frozen=True)
class Placement:
    picks: tuple[Pick, ...]
    groups: tuple[SourcedGroup, ...]
    pickup_ids: dict[int, int | None]  # line_no -> the store the customer collects at
    origin: Site | None


def check_request(request: OrderRequest) -> None:
    """Shape rules that need no database: raise ``ValidationFailed`` naming the field."""
    if not request.lines:
        raise ValidationFailed("an order needs at least one line", field="lines")
    if len(request.lines) > MAX_LINES:
        raise ValidationFailed(f"at most {MAX_LINES} lines per order", field="lines")
    if len(request.currency) != 3 or not request.currency.isalpha() or not request.currency.isupper():
        raise ValidationFailed("currency must be an ISO 4217 code", field="currency")
    if request.discount < 0:
        raise ValidationFailed("discount cannot be negative", field="discount")
    if request.max_locations is not None and request.max_locations < 1:
        raise ValidationFailed("max_locations must be at least 1", field="max_locations")
    subtotal = 0
    for i, line in enumerate(request.lines):
        if line.quantity <= 0:
            raise ValidationFailed("quantity must be a positive number of units", field=f"lines.{i}.quantity")
        if line.unit_price is not None and line.unit_price < 0:
            raise ValidationFailed("unit_price cannot be negative", field=f"lines.{i}.unit_price")
        if line.method in STORE_METHODS and not line.pickup_store:
            raise ValidationFailed(f"{line.method} needs pickup_store", field=f"lines.{i}.pickup_store")
        if line.method is Method.CARRY_OUT and not request.store:
            raise ValidationFailed("a carry-out sale needs the store that sells it", field="store")
        if not serving_rules(request.channel, line.method):
            raise ValidationFailed(
                f"channel {request.channel} does not offer {line.method}",
                code="orders.method_not_offered",
                field=f"lines.{i}.method",
                channel=request.channel.value,
                method=line.method.value,
            )
        subtotal += (line.unit_price or 0) * line.quantity
    if request.discount > subtotal:
        raise ValidationFailed("discount exceeds the order subtotal", field="discount")


def store_of(line: LineRequest, request: OrderRequest) -> str | None:
    """The store whose shelves or counter a line involves."""
    return request.store if line.method is Method.CARRY_OUT else line.pickup_store


def require_site(snapshot: Snapshot, code: str) -> Site:
    site = snapshot.by_code.get(code)
    if site is None:
        raise NotFound(f"unknown location '{code}'", code="inventory.location_not_found", location=code)
    return site


def check_store_for(site: Site, method: Method, channel: Channel, snapshot: Snapshot, at: datetime) -> None:
    """The store may serve ``method``: it has the capability, is active and opens for a pickup."""
    # Ship-to-store lines are collected at the store: it needs the pickup counter.
    as_method = Method.PICKUP if method is Method.SHIP_TO_STORE else method
    rules = DEFAULT_RULES.get((channel, as_method), ())
    if not site.ref.active or not may_serve(site.ref, rules):
        raise ValidationFailed(
            f"{site.code} does not offer {method}",
            code="orders.capability_missing",
            location=site.code,
            method=method.value,
        )
    if method is Method.CARRY_OUT:
        return
    hours = snapshot.hours.get(site.id)
    if hours is None:
        return
    closed_always = not any(hours.weekly.values())
    local_day = at.astimezone(ZoneInfo(hours.timezone)).date()
    # A dated closure matters for collecting now; a ship-to-store line arrives days later.
    closed_today = (
        method is not Method.SHIP_TO_STORE
        and local_day in hours.exceptions
        and not hours.exceptions[local_day]
    )
    today = opening_state(hours, at)
    if closed_always or closed_today:
        raise Conflict(
            f"{site.code} is closed for pickups" + (" today" if closed_today else ""),
            code="orders.store_closed",
            location=site.code,
            next_opening=today.opens_at.isoformat() if today.opens_at else None,
        )


def _shortage(sku: str, wanted: int, available: int, location: str | None = None) -> InsufficientStock:
    where = f" at {location}" if location else ""
    return InsufficientStock(
        f"only {available} of {sku} available{where}, {wanted} requested",
        sku=sku,
        wanted=wanted,
        available=available,
        **({"location": location} if location else {}),
    )


def candidates_for(
    snapshot: Snapshot,
    channel: Channel,
    method: Method,
    skus: set[str],
    taken: dict[tuple[str, int], int],
    point: tuple[float, float] | None,
    exclude: frozenset[int] = frozenset(),
) -> list[Candidate]:
    """The locations the channel's rules let serve ``method`` that hold any of ``skus``."""
    rules = DEFAULT_RULES.get((channel, method), ())
    found = []
    for site in snapshot.sites.values():
        if site.id in exclude or not may_serve(site.ref, rules):
            continue
        available = {}
        for sku in skus:
            left = snapshot.available(sku, site.id) - taken.get((sku, site.id), 0)
            if left > 0:
                available[sku] = left
        if not available:
            continue
        found.append(
            Candidate(
                location_id=site.id,
                code=site.code,
                type=site.ref.type.value,
                distance_km=site.distance_to(point),
                available=available,
                capacity_left=snapshot.capacity_left(site),
            )
        )
    return found


def decide(
    request: OrderRequest,
    snapshot: Snapshot,
    *,
    home_point: tuple[float, float] | None,
    at: datetime,
) -> Placement:
    """Every line's locations, or the first reason the order cannot be taken (nothing written)."""
    unknown = [line.sku for line in request.lines if line.sku not in snapshot.variant_ids]
    if unknown:
        missing = list(dict.fromkeys(unknown))
        label = missing[0] if len(missing) == 1 else f"{missing[0]} and {len(missing) - 1} more"
        raise NotFound(f"unknown SKU {label}", code="catalog.sku_not_found", skus=missing)
    origin = require_site(snapshot, request.store) if request.store else None
    pickup_ids: dict[int, int | None] = {}
    fixed: dict[tuple[str, int], int] = defaultdict(int)
    picks: list[Pick] = []
    grouped: dict[tuple[Method, str | None], list[int]] = defaultdict(list)
    for no, line in enumerate(request.lines, start=1):
        code = store_of(line, request)
        site = require_site(snapshot, code) if code else None
        if site is not None:
            check_store_for(site, line.method, request.channel, snapshot, at)
        pickup_ids[no] = site.id if site is not None and line.method in STORE_METHODS else None
        if line.method in SOURCED_METHODS:
            grouped[(line.method, line.pickup_store if line.method is Method.SHIP_TO_STORE else None)].append(
                no
            )
        else:
            assert site is not None
            fixed[(line.sku, site.id)] += line.quantity
            picks.append(Pick(no, site.id, line.quantity))
    for (sku, location_id), wanted in fixed.items():
        available = snapshot.available(sku, location_id)
        if available < wanted:
            raise _shortage(sku, wanted, available, snapshot.sites[location_id].code)
    taken = dict(fixed)
    policy = SourcingPolicy(max_locations=request.max_locations or SourcingPolicy().max_locations)
    groups = []
    for (method, destination), line_nos in grouped.items():
        point = home_point
        if destination is not None:
            ref = snapshot.by_code[destination].ref
            point = (ref.latitude, ref.longitude)
        lines = [request.lines[no - 1] for no in line_nos]
        skus = {line.sku for line in lines}
        candidates = candidates_for(snapshot, request.channel, method, skus, taken, point)
        plan = source(
            [
                SourcingLine(str(no), line.sku, line.quantity)
                for no, line in zip(line_nos, lines, strict=True)
            ],
            candidates,
            policy,
        )
        if not plan.complete:
            short = plan.shortfalls[0]
            raise _shortage(short.sku, short.wanted, short.available)
        for a in plan.assignments:
            picks.append(Pick(int(a.line_ref), a.location_id, a.quantity))
            taken[(a.sku, a.location_id)] = taken.get((a.sku, a.location_id), 0) + a.quantity
        groups.append(SourcedGroup(method, destination, tuple(line_nos), plan))
    return Placement(tuple(picks), tuple(groups), pickup_ids, origin)
