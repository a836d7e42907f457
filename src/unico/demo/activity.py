"""Sixty days of the demo retailer's trade, planned as plain values. Pure.

``plan_orders`` decides every order: when, on which channel, for whom, which SKUs by which
method, and what happened to it afterwards (``steps``: picked, packed, shipped, handed over,
delivered, cancelled, returned), each step at its own time. Steps later than ``now`` are left
out, so recent orders are naturally still in the stores' queues. The runner
(:mod:`unico.demo.trade`) carries the plan out through the orders and fulfillment services.
SKUs are chosen where the opening stock holds them, minus what earlier planned orders took.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from unico.demo.model import DemoData, Location
from unico.demo.people import Person

ORDERS_AT_SCALE_1 = 500
DAYS = 60
ROME = ZoneInfo("Europe/Rome")

# Every channel and method appears in the first orders, whatever the scale.
COVERAGE: tuple[tuple[str, str], ...] = (
    ("web", "home_delivery"),
    ("store", "carry_out"),
    ("web", "pickup"),
    ("app", "reserve_in_store"),
    ("store", "ship_to_store"),
    ("contact_center", "home_delivery"),
    ("marketplace", "home_delivery"),
    ("app", "ship_to_store"),
    ("contact_center", "reserve_in_store"),
    ("store", "home_delivery"),
    ("app", "home_delivery"),
    ("web", "reserve_in_store"),
)
CHANNEL_WEIGHTS = {"web": 30, "app": 20, "store": 32, "contact_center": 7, "marketplace": 11}
METHOD_WEIGHTS: dict[str, dict[str, int]] = {
    "web": {"home_delivery": 50, "pickup": 25, "reserve_in_store": 15, "ship_to_store": 10},
    "app": {"home_delivery": 45, "pickup": 25, "reserve_in_store": 20, "ship_to_store": 10},
    "store": {"carry_out": 80, "ship_to_store": 12, "home_delivery": 8},
    "contact_center": {"home_delivery": 60, "pickup": 15, "reserve_in_store": 25},
    "marketplace": {"home_delivery": 100},
}
CARRIERS = ("BRT", "GLS", "Poste Italiane", "SDA")
RETURN_REASONS = ("taglia sbagliata", "colore diverso dalla foto", "non mi piace", "difettoso")
STAFF = ("giulia", "marco", "sara", "luca", "chiara", "davide", "elena", "matteo")
STORE_METHODS = frozenset({"pickup", "reserve_in_store", "carry_out"})


@dataclass(frozen=True, slots=True)
class PlannedLine:
    sku: str
    quantity: int
    method: str
    pickup_store: str | None


@dataclass(frozen=True, slots=True)
class PlannedOrder:
    number: int
    placed_at: datetime
    channel: str
    store: str | None  # the store that sold it (store channel) or took it
    associate: str | None
    person: str | None  # a Person key; None for an anonymous till sale
    lines: tuple[PlannedLine, ...]
    fate: str  # completed | open | expiring | cancelled | returned
    steps: tuple[tuple[datetime, str], ...]
    return_store: str | None = None
    return_reason: str = ""


def order_count(scale: float) -> int:
    return max(len(COVERAGE) + 8, round(ORDERS_AT_SCALE_1 * scale))


class _Shelves:
    """What the plan may still take: store shelves per (sku, store), warehouses per sku."""

    def __init__(self, data: DemoData) -> None:
        self.store: dict[tuple[str, str], int] = {}
        self.network: dict[str, int] = defaultdict(int)
        self.by_store: dict[str, list[str]] = defaultdict(list)
        kinds = {loc.code: loc.type for loc in data.locations}
        for level in data.stock:
            free = level.on_hand - level.safety_stock
            if free <= 0:
                continue
            if kinds[level.location] == "store":
                self.store[(level.sku, level.location)] = free
                self.by_store[level.location].append(level.sku)
            else:
                self.network[level.sku] += free
        self.sourced = sorted(sku for sku, free in self.network.items() if free >= 3)

    def take_at(self, rng: random.Random, store: str) -> str | None:
        skus = self.by_store.get(store, [])
        for _ in range(12):
            if not skus:
                return None
            sku = rng.choice(skus)
            if self.store.get((sku, store), 0) > 0:
                self.store[(sku, store)] -= 1
                return sku
        return None

    def take_sourced(self, rng: random.Random) -> str | None:
        for _ in range(12):
            if not self.sourced:
                return None
            sku = rng.choice(self.sourced)
            if self.network[sku] > 1:
                self.network[sku] -= 1
                return sku
        return None


def _serves(store: Location, method: str) -> bool:
    if method in ("pickup", "ship_to_store"):
        return store.pickup
    if method == "reserve_in_store":
        return store.reserve_in_store
    return True


def _steps(method: str, placed: datetime, rng: random.Random) -> list[tuple[datetime, str]]:
    h = timedelta(hours=1)
    if method == "carry_out":
        return [(placed + timedelta(seconds=30), "eticket")]
    if method in ("pickup", "reserve_in_store"):
        collected = placed + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 5))
        return [
            (placed + 0.6 * h, "pick"),
            (placed + 1.5 * h, "ready"),
            (collected, "handover"),
            (collected + timedelta(seconds=30), "eticket"),
        ]
    if method == "ship_to_store":
        arrived = placed + timedelta(days=2)
        collected = arrived + timedelta(days=rng.randint(1, 3), hours=rng.randint(0, 5))
        return [
            (placed + 3 * h, "pick"),
            (placed + 3.5 * h, "pack"),
            (placed + 5 * h, "ship"),
            (arrived, "receive"),
            (arrived + h, "ready"),
            (collected, "handover"),
            (collected + timedelta(seconds=30), "eticket"),
        ]
    delivered = placed + timedelta(days=rng.randint(1, 3), hours=rng.randint(2, 8))
    return [
        (placed + 2 * h, "pick"),
        (placed + 3 * h, "pack"),
        (placed + 6 * h, "ship"),
        (delivered, "deliver"),
    ]


def _placed_at(rng: random.Random, now: datetime, days_ago: int) -> datetime:
    local_day = (now - timedelta(days=days_ago)).astimezone(ROME).date()
    local = datetime(local_day.year, local_day.month, local_day.day, rng.randint(9, 19), rng.randint(0, 59))
    return local.replace(tzinfo=ROME).astimezone(now.tzinfo)


def _before_closures(store: Location, placed: datetime) -> datetime:
    """``placed``, or as many days earlier as it takes to avoid the store's closed days (a store
    takes no pickup order on a day it is closed)."""
    closed = {e.day for e in store.exceptions if e.closed}
    while placed.astimezone(ROME).date() in closed:
        placed -= timedelta(days=1)
    return placed


def plan_orders(data: DemoData, people: list[Person], now: datetime, seed: int) -> list[PlannedOrder]:
    """The demo's orders, oldest first. ``now`` is when the load runs (aware UTC)."""
    rng = random.Random(f"orders-{seed}")
    shelves = _Shelves(data)
    stores = data.stores
    by_code = {s.code: s for s in stores}
    returning = [s.code for s in stores if s.returns]
    online = [p for p in people if p.user_id]
    count = order_count(data.scale)
    special = ["open"] * max(3, count // 16) + ["expiring"] * max(2, count // 40)
    special += ["cancelled"] * max(1, count // 35) + ["returned"] * max(2, count // 20)
    rest = special + ["completed"] * (count - len(COVERAGE) - len(special))
    rng.shuffle(rest)
    fates = ["completed"] * len(COVERAGE) + rest  # the coverage orders keep their method
    planned: list[PlannedOrder] = []
    for number in range(count):
        fate = fates[number]
        if number < len(COVERAGE):
            channel, method = COVERAGE[number]
        else:
            channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
            method = rng.choices(list(METHOD_WEIGHTS[channel]), list(METHOD_WEIGHTS[channel].values()))[0]
        if fate == "expiring":
            channel, method = rng.choice(("web", "app", "contact_center")), "reserve_in_store"
        if fate == "returned" and method == "carry_out" and rng.random() < 0.5:
            channel, method = "web", "home_delivery"
        person = rng.choice(online if channel in ("web", "app") and online else people)
        person_key = None if channel == "store" and rng.random() < 0.35 else person.key  # anonymous till sale
        home = by_code[person.home_store]
        store = home if _serves(home, method) and rng.random() < 0.8 else rng.choice(stores)
        if not _serves(store, method):
            store = next((s for s in stores if _serves(s, method)), store)
        lines: list[PlannedLine] = []
        for _ in range(rng.choices((1, 2, 3), (60, 30, 10))[0]):
            sku = shelves.take_at(rng, store.code) if method in STORE_METHODS else shelves.take_sourced(rng)
            if sku is not None and all(line.sku != sku for line in lines):
                pickup = store.code if method in ("pickup", "reserve_in_store", "ship_to_store") else None
                lines.append(PlannedLine(sku, 1, method, pickup))
        if not lines:
            continue
        if fate == "open":
            placed = now - timedelta(minutes=rng.randint(20, 300))
        elif fate == "expiring":
            placed = now - timedelta(hours=48) + timedelta(minutes=rng.randint(60, 240))
        else:
            placed = _placed_at(rng, now, rng.randint(3 if fate == "returned" else 1, DAYS - 1))
        if method in ("pickup", "reserve_in_store") and fate not in ("open", "expiring"):
            placed = _before_closures(store, placed)
        steps = _steps(method, placed, rng)
        if fate == "open" and method != "carry_out":
            steps = steps[: rng.randint(0, 2)]
        elif fate == "expiring":
            steps = [s for s in steps if s[1] in ("pick", "ready")][: rng.randint(0, 2)]
        elif fate == "cancelled":
            steps = [] if method == "carry_out" else [(placed + timedelta(minutes=25), "cancel")]
        return_store = None
        reason = ""
        if fate == "returned" and steps:
            last = max(at for at, _ in steps)
            others = [code for code in returning if code != store.code] or returning
            return_store = rng.choice(others)
            reason = rng.choice(RETURN_REASONS)
            steps.append((last + timedelta(days=rng.randint(1, 5), hours=2), "return"))
        steps = [(at, step) for at, step in steps if at < now - timedelta(minutes=1)]
        if return_store is not None and (
            not steps or steps[-1][1] != "return"
        ):  # it would come back after today
            fate, return_store, reason = "completed", None, ""
        planned.append(
            PlannedOrder(
                number=number,
                placed_at=placed,
                channel=channel,
                store=store.code if channel == "store" or method == "carry_out" else None,
                associate=f"{rng.choice(STAFF)}.{store.code.lower()}" if channel == "store" else None,
                person=person_key,
                lines=tuple(lines),
                fate=fate,
                steps=tuple(steps),
                return_store=return_store,
                return_reason=reason,
            )
        )
    planned.sort(key=lambda o: o.placed_at)
    return planned


def carrier_for(number: int) -> tuple[str, str]:
    """A carrier and a tracking number for planned order ``number`` (deterministic)."""
    return CARRIERS[number % len(CARRIERS)], f"IT{number:06d}{(number * 7919) % 100000:05d}"
