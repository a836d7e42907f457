"""Shared network and helpers of the orders API tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from tests.factories import make_location, make_places, make_variants, receive
from unico.core.db import Database
from unico.core.events import outbox_events
from unico.inventory import service
from unico.inventory.model import Capability, LocationType
from unico.inventory.store import reservations

STORE_ALL = frozenset(
    {Capability.PICKUP, Capability.RESERVE_IN_STORE, Capability.SHIP_FROM_STORE, Capability.RETURNS}
)
PICKUP_ONLY = frozenset({Capability.PICKUP, Capability.RETURNS})
ADDRESS_MILANO = {
    "name": "Anna",
    "line1": "Via Roma 1",
    "city": "Milano",
    "postcode": "20121",
    "country": "IT",
    "latitude": 45.4642,
    "longitude": 9.19,
}


def build_network(db: Database) -> None:
    """MI-01 (ships, pickup, reserve), MI-02 3 km away (pickup only), MB-01 in Monza (ships,
    pickup), a warehouse in Torino. SKU-A/B/C stocked as the tests expect."""
    make_variants(db, "SKU-A", "SKU-B", "SKU-C")
    make_location(db, "MI-01", capabilities=STORE_ALL)
    make_location(db, "MI-02", offset_km=3, capabilities=PICKUP_ONLY)
    make_location(db, "MB-01", city="Monza", capabilities=STORE_ALL)
    make_location(db, "WH-01", type=LocationType.WAREHOUSE, capabilities=frozenset(), city="Torino")
    make_places(db)
    for sku, location, quantity in (
        ("SKU-A", "MI-01", 3),
        ("SKU-A", "MI-02", 2),
        ("SKU-A", "WH-01", 10),
        ("SKU-B", "MI-01", 1),
        ("SKU-B", "MB-01", 4),
        ("SKU-C", "WH-01", 5),
    ):
        receive(db, sku, location, quantity)


def stock(db: Database, sku: str, location: str) -> tuple[int, int]:
    """(on hand, reserved)."""
    level = service.stock_level(db, sku, location)
    return level.on_hand, level.reserved


def order_body(*lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"channel": "web", "lines": list(lines), "shipping_address": ADDRESS_MILANO}
    body.update(extra)
    return body


def line(
    sku: str, quantity: int = 1, method: str = "home_delivery", store: str | None = None, price: int = 1000
) -> dict[str, Any]:
    found: dict[str, Any] = {"sku": sku, "quantity": quantity, "unit_price": price, "method": method}
    if store:
        found["pickup_store"] = store
    return found


def place(client: httpx.Client, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    response = client.post("/api/v1/orders", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def tasks_at(client: httpx.Client, store: str, order_id: str | None = None) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/stores/{store}/tasks")
    assert response.status_code == 200, response.text
    return [t for t in response.json() if order_id is None or t["order_id"] == order_id]


def step(
    client: httpx.Client, task_id: str, action: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = client.post(f"/api/v1/tasks/{task_id}/{action}", json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def counts(db: Database, order_id: str) -> tuple[int, list[str]]:
    """Active reservations of the order and the types of its outbox events, in order."""
    with db.read() as conn:
        active = conn.execute(
            select(func.count()).where(reservations.c.owner_id == order_id, reservations.c.status == "active")
        ).scalar_one()
        types = (
            conn.execute(
                select(outbox_events.c.type)
                .where(outbox_events.c.aggregate_id == order_id)
                .order_by(outbox_events.c.id)
            )
            .scalars()
            .all()
        )
    return int(active), list(types)


def kinds(order: dict[str, Any]) -> list[str]:
    return [t["kind"] for t in order["timeline"]]
