"""Each fulfillment method end to end through HTTP: order, sourcing, reservation, store tasks,
handover or shipment, completion; stock and ledger checked exactly."""

from __future__ import annotations

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
from unico.core.db import Database


@pytest.fixture
def network(db: Database) -> Database:
    build_network(db)
    return db


def test_home_delivery_from_the_nearest_shipping_store_to_delivery(
    network: Database, admin: httpx.Client
) -> None:
    order = place(admin, order_body(line("SKU-A", 2, price=4990), line("SKU-B", 1, price=1990), discount=500))
    assert order["status"] == "allocated"
    assert (order["subtotal"], order["discount"], order["total"]) == (11970, 500, 11470)
    assert [(ln["line_no"], ln["discount"], ln["paid"]) for ln in order["lines"]] == [
        (1, 417, 9563),
        (2, 83, 1907),
    ]
    # MI-01 (in Milan, ships from store) has both: one location, no split
    assert [
        [(a["location"], a["quantity"], a["status"]) for a in ln["allocations"]] for ln in order["lines"]
    ] == [
        [("MI-01", 2, "reserved")],
        [("MI-01", 1, "reserved")],
    ]
    assert stock(network, "SKU-A", "MI-01") == (3, 2)
    [task] = tasks_at(admin, "MI-01", order["order_id"])
    assert (task["kind"], task["status"]) == ("pick_for_shipment", "open")
    step(admin, task["task_id"], "pick")
    step(admin, task["task_id"], "pack")
    shipped = step(admin, task["task_id"], "ship", {"carrier": "BRT", "tracking_number": "BRT123"})
    assert (shipped["status"], shipped["tracking_number"]) == ("shipped", "BRT123")
    assert stock(network, "SKU-A", "MI-01") == (1, 0)
    assert stock(network, "SKU-B", "MI-01") == (0, 0)
    sales = admin.get("/api/v1/locations/MI-01/movements", params={"kind": "sale"}).json()
    assert sorted((m["sku"], m["quantity"]) for m in sales) == [("SKU-A", -2), ("SKU-B", -1)]
    assert admin.get(f"/api/v1/orders/{order['order_id']}").json()["status"] == "shipped"
    done = admin.post(f"/api/v1/orders/{order['order_id']}/delivered").json()
    assert done["status"] == "completed"
    assert kinds(done) == [
        "order.placed",
        "order.allocated",
        "fulfillment.task_created",
        "fulfillment.picked",
        "order.in_fulfillment",
        "fulfillment.packed",
        "fulfillment.shipped",
        "order.shipped",
        "order.delivered",
        "order.completed",
    ]
    active, types = counts(network, order["order_id"])
    assert active == 0
    assert types[:3] == ["order.placed", "order.allocated", "fulfillment.task_created"]
    assert types[-1] == "order.completed"


def test_click_and_collect_from_the_store_own_stock_with_pickup_code(
    network: Database, admin: httpx.Client
) -> None:
    order = place(
        admin, order_body(line("SKU-A", 2, "pickup", "MI-02"), shipping_address=None, channel="app")
    )
    assert [(a["location"], a["quantity"]) for a in order["lines"][0]["allocations"]] == [("MI-02", 2)]
    assert order["lines"][0]["pickup_store"] == "MI-02"
    assert stock(network, "SKU-A", "MI-02") == (2, 2)
    [task] = tasks_at(admin, "MI-02", order["order_id"])
    assert task["kind"] == "pick_for_pickup"
    early = admin.post(f"/api/v1/tasks/{task['task_id']}/handover", json={"code": "000000"})
    assert (early.status_code, early.json()["error"]["code"]) == (409, "orders.transition_forbidden")
    step(admin, task["task_id"], "pick")
    ready = step(admin, task["task_id"], "ready")
    code = ready["pickup_code"]
    assert len(code) == 6 and code.isdigit()
    after_ready = admin.get(f"/api/v1/orders/{order['order_id']}").json()
    assert after_ready["status"] == "ready_for_pickup"
    wrong = admin.post(
        f"/api/v1/tasks/{task['task_id']}/handover", json={"code": "999999" if code != "999999" else "111111"}
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (422, "fulfillment.pickup_code_mismatch")
    assert stock(network, "SKU-A", "MI-02") == (2, 2)
    handed = step(admin, task["task_id"], "handover", {"code": code})
    assert handed["status"] == "handed_over"
    assert stock(network, "SKU-A", "MI-02") == (0, 0)
    final = admin.get(f"/api/v1/orders/{order['order_id']}").json()
    assert final["status"] == "completed"
    assert final["lines"][0]["allocations"][0]["status"] == "collected"
    _active, types = counts(network, order["order_id"])
    ready_events = [t for t in types if t == "order.ready_for_pickup"]
    assert ready_events == ["order.ready_for_pickup"]
    assert "fulfillment.handed_over" in types and types[-1] == "order.completed"


def test_ship_to_store_endless_aisle_is_received_then_collected(
    network: Database, admin: httpx.Client
) -> None:
    # ordered at MI-02, which has no SKU-C: the warehouse sends it to the store
    order = place(
        admin,
        {
            "channel": "store",
            "store": "MI-02",
            "associate": "giulia",
            "lines": [line("SKU-C", 2, "ship_to_store", "MI-02")],
        },
    )
    assert (order["store"], order["associate"]) == ("MI-02", "giulia")
    assert [(a["location"], a["quantity"]) for a in order["lines"][0]["allocations"]] == [("WH-01", 2)]
    [transfer] = tasks_at(admin, "WH-01", order["order_id"])
    assert (transfer["kind"], transfer["destination"]) == ("pick_for_transfer", "MI-02")
    step(admin, transfer["task_id"], "pick")
    step(admin, transfer["task_id"], "ship", {"carrier": "GLS", "tracking_number": "GLS-9"})
    assert stock(network, "SKU-C", "WH-01") == (3, 0)
    [receipt] = tasks_at(admin, "MI-02", order["order_id"])
    assert (receipt["kind"], receipt["status"]) == ("receive_for_pickup", "in_transit")
    assert admin.get(f"/api/v1/orders/{order['order_id']}").json()["status"] == "in_fulfillment"
    step(admin, receipt["task_id"], "receive")
    code = step(admin, receipt["task_id"], "ready")["pickup_code"]
    step(admin, receipt["task_id"], "handover", {"code": code})
    final = admin.get(f"/api/v1/orders/{order['order_id']}").json()
    assert final["status"] == "completed"
    # sold once, at the warehouse when shipped; nothing moves at the pickup store
    assert stock(network, "SKU-C", "WH-01") == (3, 0)
    assert stock(network, "SKU-C", "MI-02") == (0, 0)
    sales = admin.get("/api/v1/locations/WH-01/movements", params={"kind": "sale"}).json()
    assert [(m["sku"], m["quantity"]) for m in sales] == [("SKU-C", -2)]


def test_carry_out_is_a_till_sale_completed_at_once(network: Database, admin: httpx.Client) -> None:
    order = place(admin, {"channel": "store", "store": "MI-01", "lines": [line("SKU-B", 1, "carry_out")]})
    assert order["status"] == "completed"
    assert order["lines"][0]["allocations"] == [
        {"location": "MI-01", "quantity": 1, "reservation_id": None, "status": "collected"}
    ]
    assert stock(network, "SKU-B", "MI-01") == (0, 0)
    [sale] = admin.get("/api/v1/locations/MI-01/movements", params={"kind": "sale"}).json()
    assert (sale["sku"], sale["quantity"], sale["reference"]) == ("SKU-B", -1, order["order_id"])
    assert tasks_at(admin, "MI-01", order["order_id"]) == []
    _active, types = counts(network, order["order_id"])
    assert types == ["order.placed", "order.allocated", "order.completed"]


def test_reserve_in_store_holds_until_collected(network: Database, admin: httpx.Client) -> None:
    order = place(
        admin, order_body(line("SKU-B", 1, "reserve_in_store", "MI-01"), shipping_address=None, channel="web")
    )
    assert order["expires_at"] is not None
    [task] = tasks_at(admin, "MI-01", order["order_id"])
    step(admin, task["task_id"], "pick")
    code = step(admin, task["task_id"], "ready")["pickup_code"]
    step(admin, task["task_id"], "handover", {"code": code})
    assert stock(network, "SKU-B", "MI-01") == (0, 0)
    assert admin.get(f"/api/v1/orders/{order['order_id']}").json()["status"] == "completed"
