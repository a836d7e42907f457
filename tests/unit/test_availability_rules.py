"""Which locations may serve which channel and method, and what they can promise."""

from __future__ import annotations

from unico.inventory.availability import (
    available_to_promise,
    network_availability,
    serving_locations,
    serving_rules,
)
from unico.inventory.geo import haversine_km
from unico.inventory.model import Capability, Channel, LocationRef, LocationType, Method

WAREHOUSE = LocationRef(1, "WH-PC", "Piacenza", LocationType.WAREHOUSE, frozenset(), 45.0, 9.6)
SHIPPING_STORE = LocationRef(
    2,
    "MI-01",
    "Milano",
    LocationType.STORE,
    frozenset({Capability.SHIP_FROM_STORE, Capability.PICKUP}),
    45.46,
    9.19,
)
PICKUP_STORE = LocationRef(3, "RM-01", "Roma", LocationType.STORE, frozenset({Capability.PICKUP}), 41.9, 12.5)
CLOSED_DOWN = LocationRef(
    4, "TO-01", "Torino", LocationType.WAREHOUSE, frozenset(), 45.07, 7.69, active=False
)
NETWORK = [WAREHOUSE, SHIPPING_STORE, PICKUP_STORE, CLOSED_DOWN]


def codes(channel: Channel, method: Method) -> list[str]:
    return [loc.code for loc in serving_locations(NETWORK, channel, method)]


def test_available_to_promise_never_below_zero() -> None:
    assert available_to_promise(10, 3, 2) == 5
    assert available_to_promise(2, 3, 0) == 0
    assert available_to_promise(4, 0, 5) == 0


def test_home_delivery_from_warehouses_and_shipping_stores() -> None:
    assert codes(Channel.WEB, Method.HOME_DELIVERY) == ["WH-PC", "MI-01"]


def test_marketplace_ships_from_warehouses_only_and_offers_no_pickup() -> None:
    assert codes(Channel.MARKETPLACE, Method.HOME_DELIVERY) == ["WH-PC"]
    assert codes(Channel.MARKETPLACE, Method.PICKUP) == []


def test_pickup_needs_the_capability() -> None:
    assert codes(Channel.APP, Method.PICKUP) == ["MI-01", "RM-01"]
    assert codes(Channel.WEB, Method.RESERVE_IN_STORE) == []


def test_network_sum_counts_only_serving_locations() -> None:
    serving = {1: ("WH-PC", LocationType.WAREHOUSE), 2: ("MI-01", LocationType.STORE)}
    rows = [
        ("SKU-1", 1, 8),
        ("SKU-1", 3, 5),
        ("SKU-1", 2, 2),
        ("SKU-3", 2, 1),
    ]  # 3 does not serve; SKU-3 not asked
    result = network_availability(["SKU-1", "SKU-2"], rows, serving)
    assert [(r.sku, r.available) for r in result] == [("SKU-1", 10), ("SKU-2", 0)]
    assert [(p.location, p.type, p.available) for p in result[0].locations] == [
        ("WH-PC", LocationType.WAREHOUSE, 8),
        ("MI-01", LocationType.STORE, 2),
    ]
    assert result[1].locations == ()
    totals_only = network_availability(["SKU-1"], rows, serving, include_locations=False)
    assert (totals_only[0].available, totals_only[0].locations) == (10, ())


def test_pairs_not_offered_have_no_rules() -> None:
    assert serving_rules(Channel.MARKETPLACE, Method.RESERVE_IN_STORE) == ()
    assert serving_rules(Channel.WEB, Method.CARRY_OUT) == ()


def test_milan_to_rome_is_about_477_km() -> None:
    assert round(haversine_km(45.4642, 9.19, 41.9028, 12.4964)) == 477
