"""Edits before picking, short picks re-sourced, and expiry of what nobody collected."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.api.orders_support import (
    build_network,
    counts,
    kinds,
    line,
    order_body,
    place,
    step,
    stock,
    tasks_at,
)
from unico.core import clock
from unico.core.db import Database
from unico.orders import jobs
from unico.settings import Settings
from unico.worker import Worker


@pytest.fixture
def network(db: Database) -> Database:
    build_network(db)
    return db


def test_cancel_a_line_then_the_order_releases_their_stock(network: Database, admin: httpx.Client) -> None:
    order = place(admin, order_body(line("SKU-C", 2), line("SKU-A", 1, "pickup", "MI-02")))
    oid = order["order_id"]
    assert stock(network, "SKU-C", "WH-01") == (5, 2)
    after = admin.post(f"/api/v1/orders/{oid}/lines/1/cancel", json={"reason": "changed mind"}).json()
    assert [(ln["status"], ln["quantity_cancelled"]) for ln in after["lines"]] == [
        ("cancelled", 2),
        ("allocated", 0),
    ]
    assert after["status"] == "allocated"
    assert stock(network, "SKU-C", "WH-01") == (5, 0)
    assert tasks_at(admin, "WH-01", oid) == []
    again = admin.post(f"/api/v1/orders/{oid}/lines/1/cancel")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "orders.transition_forbidden")
    cancelled = admin.post(f"/api/v1/orders/{oid}/cancel").json()
    assert cancelled["status"] == "cancelled"
    assert stock(network, "SKU-A", "MI-02") == (2, 0)
    assert kinds(cancelled) == [
        "order.placed",
        "order.allocated",
        "fulfillment.task_created",
        "fulfillment.task_created",
        "order.line_cancelled",
        "order.cancelled",
    ]
    active, types = counts(network, oid)
    assert active == 0
    assert types.count("order.line_cancelled") == 1 and types[-1] == "order.cancelled"
    late = admin.post(f"/api/v1/orders/{oid}/cancel")
    assert (late.status_code, late.json()["error"]["code"]) == (409, "orders.transition_forbidden")


def test_no_cancel_once_picked(network: Database, admin: httpx.Client) -> None:
    order = place(admin, order_body(line("SKU-A", 1, "pickup", "MI-02")))
    [task] = tasks_at(admin, "MI-02", order["order_id"])
    step(admin, task["task_id"], "pick")
    refused = admin.post(f"/api/v1/orders/{order['order_id']}/cancel")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "orders.transition_forbidden")
    assert stock(network, "SKU-A", "MI-02") == (2, 1)


def test_change_the_pickup_store_moves_the_hold(network: Database, admin: httpx.Client) -> None:
    order = place(admin, order_body(line("SKU-A", 2, "pickup", "MI-02")))
    oid = order["order_id"]
    lacking = admin.post(f"/api/v1/orders/{oid}/pickup-store", json={"store": "MB-01"})
    assert (lacking.status_code, lacking.json()["error"]["code"]) == (409, "inventory.insufficient_stock")
    assert stock(network, "SKU-A", "MI-02") == (2, 2)
    unknown = admin.post(f"/api/v1/orders/{oid}/pickup-store", json={"store": "XX-1"})
    assert unknown.status_code == 404
    moved = admin.post(f"/api/v1/orders/{oid}/pickup-store", json={"store": "MI-01"})
    assert moved.status_code == 200, moved.text
    body = moved.json()
    assert body["lines"][0]["pickup_store"] == "MI-01"
    assert [(a["location"], a["status"]) for a in body["lines"][0]["allocations"]] == [
        ("MI-02", "released"),
        ("MI-01", "reserved"),
    ]
    assert stock(network, "SKU-A", "MI-02") == (2, 0)
    assert stock(network, "SKU-A", "MI-01") == (3, 2)
    assert tasks_at(admin, "MI-02", oid) == []
    [task] = tasks_at(admin, "MI-01", oid)
    assert task["kind"] == "pick_for_pickup"
    assert "order.pickup_store_changed" in kinds(body)


def test_a_short_pick_is_resourced_to_another_store(network: Database, admin: httpx.Client) -> None:
    # home delivery of 3 x SKU-A from MI-01; the store finds only 1
    order = place(admin, order_body(line("SKU-A", 3)))
    oid = order["order_id"]
    assert [(a["location"], a["quantity"]) for a in order["lines"][0]["allocations"]] == [("MI-01", 3)]
    [task] = tasks_at(admin, "MI-01", oid)
    picked = step(admin, task["task_id"], "pick", {"lines": [{"line_no": 1, "picked": 1}]})
    assert picked["status"] == "picked"
    assert stock(network, "SKU-A", "MI-01") == (1, 1)  # 2 written off as damaged
    after = admin.get(f"/api/v1/orders/{oid}").json()
    assert [(a["location"], a["quantity"], a["status"]) for a in after["lines"][0]["allocations"]] == [
        ("MI-01", 1, "picked"),
        ("MI-01", 2, "rejected"),
        ("WH-01", 2, "reserved"),
    ]
    assert stock(network, "SKU-A", "WH-01") == (10, 2)
    [wh_task] = tasks_at(admin, "WH-01", oid)
    assert wh_task["kind"] == "pick_for_shipment"
    assert "order.resourced" in kinds(after) and "fulfillment.short_picked" in kinds(after)
    sourcing = admin.get(f"/api/v1/orders/{oid}/sourcing").json()
    assert len(sourcing) == 2 and sourcing[1]["plan"][0]["assignments"][0]["location"] == "WH-01"


def test_a_short_pick_nobody_can_cover_cancels_the_missing_units(
    network: Database, admin: httpx.Client
) -> None:
    order = place(admin, order_body(line("SKU-B", 1, "pickup", "MI-01")))
    oid = order["order_id"]
    # the only other SKU-B is at MB-01, which ships: it is sent to MI-01 instead
    [task] = tasks_at(admin, "MI-01", oid)
    step(admin, task["task_id"], "pick", {"lines": [{"line_no": 1, "picked": 0}]})
    after = admin.get(f"/api/v1/orders/{oid}").json()
    assert [(a["location"], a["status"]) for a in after["lines"][0]["allocations"]] == [
        ("MI-01", "rejected"),
        ("MB-01", "reserved"),
    ]
    [transfer] = tasks_at(admin, "MB-01", oid)
    assert (transfer["kind"], transfer["destination"]) == ("pick_for_transfer", "MI-01")
    step(admin, transfer["task_id"], "pick", {"lines": [{"line_no": 1, "picked": 0}]})
    final = admin.get(f"/api/v1/orders/{oid}").json()
    assert final["lines"][0]["quantity_cancelled"] == 1
    assert final["status"] == "cancelled"
    assert "order.line_cancelled" in kinds(final)


def test_expiry_releases_uncollected_reservations(
    network: Database, admin: httpx.Client, settings: Settings
) -> None:
    frozen = clock.FrozenClock(datetime.now(UTC))
    clock.set_clock(frozen)
    e_reservation = place(admin, order_body(line("SKU-B", 1, "reserve_in_store", "MI-01")))
    pickup = place(admin, order_body(line("SKU-A", 2, "pickup", "MI-02")))
    [task] = tasks_at(admin, "MI-02", pickup["order_id"])
    step(admin, task["task_id"], "pick")
    step(admin, task["task_id"], "ready")
    frozen.advance(hours=47)
    assert jobs.expire_orders(network) == 0
    frozen.advance(hours=2)
    report = Worker(network, settings, periodic=jobs.PERIODIC_JOBS).run_once()
    assert report["expire_orders"] == 1
    gone = admin.get(f"/api/v1/orders/{e_reservation['order_id']}").json()
    assert gone["status"] == "expired"
    assert stock(network, "SKU-B", "MI-01") == (1, 0)
    assert stock(network, "SKU-A", "MI-02") == (2, 2)  # the pickup waits 7 days
    frozen.advance(days=6)
    assert jobs.expire_orders(network) == 1
    assert admin.get(f"/api/v1/orders/{pickup['order_id']}").json()["status"] == "expired"
    assert stock(network, "SKU-A", "MI-02") == (2, 0)
    assert tasks_at(admin, "MI-02", pickup["order_id"]) == []
    _active, types = counts(network, pickup["order_id"])
    assert types[-1] == "order.expired"


def test_ship_to_store_follows_a_new_pickup_store(network: Database, admin: httpx.Client) -> None:
    order = place(
        admin, {"channel": "store", "store": "MI-02", "lines": [line("SKU-C", 1, "ship_to_store", "MI-02")]}
    )
    moved = admin.post(f"/api/v1/orders/{order['order_id']}/pickup-store", json={"store": "MB-01"}).json()
    assert moved["lines"][0]["pickup_store"] == "MB-01"
    assert [(a["location"], a["status"]) for a in moved["lines"][0]["allocations"]] == [
        ("WH-01", "released"),
        ("WH-01", "reserved"),
    ]
    [transfer] = tasks_at(admin, "WH-01", order["order_id"])
    assert transfer["destination"] == "MB-01"
    assert stock(network, "SKU-C", "WH-01") == (5, 1)


def test_a_mixed_order_moves_through_partial_states(network: Database, admin: httpx.Client) -> None:
    order = place(admin, order_body(line("SKU-C", 1), line("SKU-A", 1, "pickup", "MI-02")))
    oid = order["order_id"]
    [ship_task] = tasks_at(admin, "WH-01", oid)
    [pickup_task] = tasks_at(admin, "MI-02", oid)
    step(admin, pickup_task["task_id"], "pick")
    code = step(admin, pickup_task["task_id"], "ready")["pickup_code"]
    assert admin.get(f"/api/v1/orders/{oid}").json()["status"] == "in_fulfillment"
    step(admin, ship_task["task_id"], "pick")
    step(admin, ship_task["task_id"], "ship", {"carrier": "SDA", "tracking_number": "S1"})
    assert admin.get(f"/api/v1/orders/{oid}").json()["status"] == "partially_shipped"
    step(admin, pickup_task["task_id"], "handover", {"code": code})
    assert admin.get(f"/api/v1/orders/{oid}").json()["status"] == "shipped"
    final = admin.post(f"/api/v1/orders/{oid}/delivered").json()
    assert final["status"] == "completed"
    assert [ln["status"] for ln in final["lines"]] == ["completed", "completed"]


def test_an_uncollected_transfer_becomes_the_pickup_store_stock(
    network: Database, admin: httpx.Client
) -> None:
    frozen = clock.FrozenClock(datetime.now(UTC))
    clock.set_clock(frozen)
    order = place(
        admin, {"channel": "store", "store": "MI-02", "lines": [line("SKU-C", 2, "ship_to_store", "MI-02")]}
    )
    [transfer] = tasks_at(admin, "WH-01", order["order_id"])
    step(admin, transfer["task_id"], "pick")
    step(admin, transfer["task_id"], "ship", {"carrier": "GLS", "tracking_number": "G1"})
    [receipt] = tasks_at(admin, "MI-02", order["order_id"])
    step(admin, receipt["task_id"], "receive")
    step(admin, receipt["task_id"], "ready")
    frozen.advance(days=7, seconds=1)
    assert jobs.expire_orders(network) == 1
    assert admin.get(f"/api/v1/orders/{order['order_id']}").json()["status"] == "expired"
    assert stock(network, "SKU-C", "WH-01") == (3, 0)
    assert stock(network, "SKU-C", "MI-02") == (2, 0)
    [back] = admin.get("/api/v1/locations/MI-02/movements", params={"kind": "receipt", "sku": "SKU-C"}).json()
    assert (back["sku"], back["quantity"], back["reason"]) == ("SKU-C", 2, "uncollected order")
