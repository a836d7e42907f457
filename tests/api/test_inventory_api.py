"""Availability, stock, movements, reservations and the store locator through real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.factories import make_location, make_places, make_variants, receive
from tests.support import LiveServer, client_for
from unico.core import clock
from unico.core.db import Database
from unico.inventory import service
from unico.inventory.model import Capability, LocationType

SHIP_AND_PICKUP = frozenset({Capability.PICKUP, Capability.SHIP_FROM_STORE, Capability.RETURNS})


@pytest.fixture
def network(db: Database) -> Database:
    """Two Milan stores (one ships), a Rome store, a warehouse; SKU-A stocked unevenly."""
    make_variants(db, "SKU-A", "SKU-B")
    make_location(db, "MI-01", capabilities=SHIP_AND_PICKUP)
    make_location(db, "MI-02", offset_km=3)
    make_location(db, "RM-01", city="Roma")
    make_location(db, "WH-01", type=LocationType.WAREHOUSE, capabilities=frozenset(), city="Torino")
    make_places(db)
    for location, quantity in (("MI-01", 2), ("MI-02", 5), ("RM-01", 1), ("WH-01", 40)):
        receive(db, "SKU-A", location, quantity)
    return db


def test_network_availability_per_channel_and_method(network: Database, admin: httpx.Client) -> None:
    home = admin.post("/api/v1/availability", json={"skus": ["SKU-A", "SKU-B"], "channel": "web"})
    assert home.status_code == 200
    assert home.json()["items"] == [
        {
            "sku": "SKU-A",
            "available": 42,
            "locations": [
                {"location": "WH-01", "type": "warehouse", "available": 40},
                {"location": "MI-01", "type": "store", "available": 2},
            ],
        },
        {"sku": "SKU-B", "available": 0, "locations": []},
    ]
    market = admin.get("/api/v1/availability", params={"sku": "SKU-A", "channel": "marketplace"})
    assert market.json()["items"][0]["available"] == 40
    pickup = admin.post(
        "/api/v1/availability",
        json={"skus": ["SKU-A"], "channel": "app", "method": "pickup", "locations": ["MI-02"]},
    )
    assert pickup.json()["items"][0]["locations"] == [{"location": "MI-02", "type": "store", "available": 5}]


def test_unknown_sku_and_location_are_404_with_their_codes(network: Database, admin: httpx.Client) -> None:
    sku = admin.post("/api/v1/availability", json={"skus": ["SKU-A", "NOPE", "NADA"]})
    assert sku.status_code == 404
    assert sku.json()["error"] == {
        "code": "catalog.sku_not_found",
        "message": "unknown SKU NOPE and 1 more",
        "details": {"skus": ["NOPE", "NADA"]},
    }
    loc = admin.get("/api/v1/locations/XX-00/stock")
    assert (loc.status_code, loc.json()["error"]["code"]) == (404, "inventory.location_not_found")
    assert admin.get("/api/v1/stock/NOPE").json()["error"]["code"] == "catalog.sku_not_found"


def test_basket_limit_and_bad_quantities_are_422_naming_the_field(
    network: Database, admin: httpx.Client
) -> None:
    too_many = admin.post("/api/v1/availability", json={"skus": [f"S{i}" for i in range(1001)]})
    assert (too_many.status_code, too_many.json()["error"]["details"]["field"]) == (422, "skus")
    zero = admin.post(
        "/api/v1/reservations",
        json={"sku": "SKU-A", "location": "MI-01", "quantity": 0, "owner_type": "cart", "owner_id": "c1"},
    )
    assert (zero.status_code, zero.json()["error"]["details"]["field"]) == (422, "quantity")
    negative = admin.post(
        "/api/v1/stock/movements",
        json={
            "movements": [
                {"movement_id": "m", "sku": "SKU-A", "location": "MI-01", "kind": "receipt", "quantity": -1}
            ]
        },
    )
    assert (negative.status_code, negative.json()["error"]["details"]["field"]) == (
        422,
        "movements.0.quantity",
    )
    extra = admin.post(
        "/api/v1/stock/movements",
        json={
            "movements": [
                {
                    "movement_id": "m",
                    "sku": "SKU-A",
                    "location": "MI-01",
                    "kind": "receipt",
                    "quantity": 1,
                    "colour": "red",
                }
            ]
        },
    )
    assert (extra.status_code, extra.json()["error"]["details"]["field"]) == (422, "movements.0.colour")
    assert service.stock_level(network, "SKU-A", "MI-01").on_hand == 2


def test_stock_everywhere_lists_every_location(network: Database, admin: httpx.Client) -> None:
    body = admin.get("/api/v1/stock/SKU-A").json()
    assert (body["total_on_hand"], body["total_available"]) == (48, 48)
    assert [(r["location"], r["on_hand"]) for r in body["locations"]] == [
        ("WH-01", 40),
        ("MI-01", 2),
        ("MI-02", 5),
        ("RM-01", 1),
    ]


def test_movements_deltas_and_idempotent_repeat(network: Database, admin: httpx.Client) -> None:
    batch = {
        "movements": [
            {"movement_id": "pos-9", "sku": "SKU-A", "location": "MI-02", "kind": "sale", "quantity": 2}
        ]
    }
    first = admin.post("/api/v1/stock/movements", json=batch)
    assert first.status_code == 201
    assert first.json()[0] == {
        "movement_id": "pos-9",
        "sku": "SKU-A",
        "location": "MI-02",
        "kind": "sale",
        "quantity": -2,
        "on_hand": 3,
        "available": 3,
        "applied": True,
        "to": None,
    }
    repeat = admin.post("/api/v1/stock/movements", json=batch)
    assert (repeat.status_code, repeat.json()[0]["applied"], repeat.json()[0]["on_hand"]) == (200, False, 3)
    ledger = admin.get("/api/v1/locations/MI-02/movements").json()
    assert [(m["movement_id"], m["quantity"], m["on_hand_after"]) for m in ledger] == [
        ("pos-9", -2, 3),
        ("rcv-SKU-A-MI-02-5", 5, 5),
    ]


def test_reservation_conflict_says_what_is_available(network: Database, admin: httpx.Client) -> None:
    body = {
        "sku": "SKU-A",
        "location": "MI-01",
        "quantity": 2,
        "owner_type": "e_reservation",
        "owner_id": "r-1",
    }
    made = admin.post("/api/v1/reservations", json=body)
    assert made.status_code == 201
    assert made.json()["status"] == "active"
    refused = admin.post("/api/v1/reservations", json=body | {"owner_id": "r-2", "quantity": 1})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "inventory.insufficient_stock"
    assert refused.json()["error"]["details"] == {
        "sku": "SKU-A",
        "location": "MI-01",
        "requested": 1,
        "available": 0,
    }
    released = admin.delete(f"/api/v1/reservations/{made.json()['reservation_id']}")
    assert released.json()["status"] == "released"
    assert service.stock_level(network, "SKU-A", "MI-01").available == 2


@pytest.fixture
def associate(network: Database, server: LiveServer) -> Iterator[httpx.Client]:
    with client_for(server, network, "store_associate", store="MI-01") as client:
        yield client


def test_an_associate_cannot_change_another_stores_stock(network: Database, associate: httpx.Client) -> None:
    own = {"movement_id": "a-1", "sku": "SKU-A", "location": "MI-01", "kind": "receipt", "quantity": 1}
    assert associate.post("/api/v1/stock/movements", json={"movements": [own]}).status_code == 201
    other = own | {"movement_id": "a-2", "location": "MI-02"}
    refused = associate.post("/api/v1/stock/movements", json={"movements": [other]})
    assert refused.status_code == 403
    assert refused.json()["error"] == {
        "code": "auth.other_store",
        "message": "an associate of MI-01 may not change MI-02",
        "details": {"location": "MI-02", "own_store": "MI-01"},
    }
    mixed = associate.post(
        "/api/v1/stock/movements", json={"movements": [own | {"movement_id": "a-3"}, other]}
    )
    assert mixed.status_code == 403
    hold = associate.post(
        "/api/v1/reservations",
        json={"sku": "SKU-A", "location": "MI-02", "quantity": 1, "owner_type": "cart", "owner_id": "c"},
    )
    assert hold.status_code == 403
    assert service.stock_level(network, "SKU-A", "MI-01").on_hand == 3
    level = service.stock_level(network, "SKU-A", "MI-02")
    assert (level.on_hand, level.reserved) == (5, 0)
    assert associate.get("/api/v1/stock/SKU-A").status_code == 200  # reading every store is allowed


def test_store_locator_by_city_with_availability(network: Database, admin: httpx.Client) -> None:
    clock.set_clock(clock.FrozenClock(datetime(2026, 11, 23, 21, 30, tzinfo=UTC)))  # 22:30 in Milan
    closed = admin.get("/api/v1/stores/nearest", params={"near": "Milano", "limit": 1}).json()["results"][0]
    assert closed["location"]["opening"] == {
        "open_now": False,
        "closes_at": None,
        "opens_at": "2026-11-24T09:00:00+01:00",
        "today": ["09:00–20:00"],
    }
    assert (
        admin.get("/api/v1/stores/nearest", params={"near": "Milano", "open_now": True}).json()["results"]
        == []
    )
    clock.set_clock(clock.FrozenClock(datetime(2026, 11, 23, 10, 0, tzinfo=UTC)))  # 11:00 in Milan
    found = admin.get("/api/v1/stores/nearest", params={"near": "Milano", "sku": "SKU-A", "limit": 3})
    assert found.status_code == 200
    results = found.json()["results"]
    assert [(r["location"]["code"], r["availability"], r["has_all"]) for r in results] == [
        ("MI-01", {"SKU-A": 2}, True),
        ("MI-02", {"SKU-A": 5}, True),
        ("RM-01", {"SKU-A": 1}, True),
    ]
    assert [round(r["distance_km"]) for r in results] == [0, 3, 477]
    assert results[0]["location"]["opening"]["open_now"] is True
    by_cap = admin.get(
        "/api/v1/stores/nearest", params={"lat": 41.9, "lon": 12.5, "capability": "ship_from_store"}
    )
    assert [r["location"]["code"] for r in by_cap.json()["results"]] == ["MI-01"]
    by_postcode = admin.get("/api/v1/stores/nearest", params={"near": "00184", "limit": 1})
    assert by_postcode.json()["results"][0]["location"]["code"] == "RM-01"
    unknown = admin.get("/api/v1/stores/nearest", params={"near": "Atlantide"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "inventory.place_not_found")


def test_location_with_lunch_break_hours_round_trips(network: Database, admin: httpx.Client) -> None:
    created = admin.post(
        "/api/v1/locations",
        json={
            "code": "BG-01",
            "name": "Bergamo Città Alta",
            "type": "store",
            "latitude": 45.7037,
            "longitude": 9.6623,
            "city": "Bergamo",
            "capabilities": ["pickup", "reserve_in_store"],
            "pickup_capacity_per_day": 25,
            "hours": {"mon": [{"opens": "09:30", "closes": "13:00"}, {"opens": "15:30", "closes": "19:30"}]},
        },
    )
    assert created.status_code == 201
    assert created.json()["hours"] == {"mon": ["09:30–13:00", "15:30–19:30"]}
    assert created.json()["capabilities"] == ["pickup", "reserve_in_store"]
    bad = admin.post(
        "/api/v1/locations",
        json={
            "code": "WH-9",
            "name": "x",
            "type": "warehouse",
            "latitude": 45,
            "longitude": 9,
            "capabilities": ["pickup"],
        },
    )
    assert (bad.status_code, bad.json()["error"]["details"]["field"]) == (422, "capabilities")
    overlap = admin.put(
        "/api/v1/locations/BG-01/hours",
        json={
            "hours": {"tue": [{"opens": "09:00", "closes": "14:00"}, {"opens": "13:00", "closes": "18:00"}]}
        },
    )
    assert (overlap.status_code, overlap.json()["error"]["message"]) == (
        422,
        "overlapping hours on weekday 1",
    )
    assert admin.get("/api/v1/locations/BG-01").json()["hours"] == {"mon": ["09:30–13:00", "15:30–19:30"]}
