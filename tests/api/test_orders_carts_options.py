"""Shared carts checked out across channels, fulfillment options, and what-if sourcing."""

from __future__ import annotations

import httpx
import pytest

from tests.api.orders_support import ADDRESS_MILANO, build_network, line, order_body, stock
from tests.support import LiveServer, client_for
from unico.core.db import Database


@pytest.fixture
def network(db: Database) -> Database:
    build_network(db)
    return db


def test_a_cart_started_in_the_app_is_checked_out_by_an_associate(
    network: Database, server: LiveServer, admin: httpx.Client
) -> None:
    cart = admin.post("/api/v1/carts", json={"anonymous_id": "anon-7", "channel": "app"}).json()
    cid = cart["cart_id"]
    admin.put(f"/api/v1/carts/{cid}/lines/SKU-A", json={"quantity": 2, "unit_price": 4990})
    admin.put(f"/api/v1/carts/{cid}/lines/SKU-C", json={"quantity": 1, "unit_price": 1500})
    admin.put(f"/api/v1/carts/{cid}/lines/SKU-C", json={"quantity": 0})
    missing = admin.put(f"/api/v1/carts/{cid}/lines/NOPE", json={"quantity": 1})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "catalog.sku_not_found")
    held = admin.post(f"/api/v1/carts/{cid}/reserve", json={"location": "MI-01", "ttl_seconds": 600}).json()
    assert held["reserved_until"] is not None and held["lines"][0]["reservation_id"]
    assert stock(network, "SKU-A", "MI-01") == (3, 2)
    with client_for(server, network, "store_associate", store="MI-01") as associate:
        [found] = associate.get("/api/v1/carts", params={"anonymous_id": "anon-7"}).json()
        assert [(ln["sku"], ln["quantity"]) for ln in found["lines"]] == [("SKU-A", 2)]
        checkout = associate.post(
            f"/api/v1/carts/{cid}/checkout",
            json={
                "channel": "store",
                "lines": [line("SKU-A", 2, "pickup", "MI-01", price=4990)],
            },
        )
        assert checkout.status_code == 201, checkout.text
    order = checkout.json()
    assert (order["cart_id"], order["store"], order["total"]) == (cid, "MI-01", 9980)
    # the soft hold was released and the order holds the same units: reserved stays 2
    assert stock(network, "SKU-A", "MI-01") == (3, 2)
    closed = admin.get(f"/api/v1/carts/{cid}").json()
    assert (closed["status"], closed["order_id"]) == ("checked_out", order["order_id"])
    again = admin.put(f"/api/v1/carts/{cid}/lines/SKU-A", json={"quantity": 1})
    assert (again.status_code, again.json()["error"]["code"]) == (409, "carts.closed")
    assert admin.post("/api/v1/carts", json={"channel": "web"}).status_code == 422


def test_fulfillment_options_per_method(network: Database, admin: httpx.Client) -> None:
    answer = admin.get(
        "/api/v1/fulfillment-options",
        params={"skus": "SKU-A:2,SKU-B:1", "latitude": 45.4642, "longitude": 9.19, "channel": "web"},
    )
    assert answer.status_code == 200, answer.text
    methods = {m["method"]: m for m in answer.json()["methods"]}
    assert list(methods) == ["home_delivery", "pickup", "reserve_in_store", "ship_to_store"]
    assert (methods["home_delivery"]["available"], methods["home_delivery"]["locations"]) == (True, ["MI-01"])
    pickup = methods["pickup"]
    assert pickup["available"] is True
    assert [(s["store"], s["has_all"]) for s in pickup["stores"]] == [("MI-01", True)]
    assert pickup["stores"][0]["available"] == {"SKU-A": 3, "SKU-B": 1}
    ship = {s["store"]: s for s in methods["ship_to_store"]["stores"]}
    assert ship["MI-02"]["available"] is True and ship["MI-02"]["by"] is not None
    near = admin.get("/api/v1/fulfillment-options", params={"skus": "SKU-C", "near": "Monza"}).json()
    near_methods = {m["method"]: m for m in near["methods"]}
    assert near["origin"]["label"] == "Monza (20900)"
    assert near_methods["pickup"]["available"] is False
    assert near_methods["home_delivery"]["locations"] == ["WH-01"]
    bad = admin.get("/api/v1/fulfillment-options", params={"skus": "SKU-A:x"})
    assert (bad.status_code, bad.json()["error"]["details"]["field"]) == (422, "skus")


def test_what_if_plan_reserves_nothing(network: Database, admin: httpx.Client) -> None:
    body = order_body(line("SKU-A", 2), line("SKU-C", 1), shipping_address=ADDRESS_MILANO)
    plan = admin.post("/api/v1/sourcing/plan", json=body)
    assert plan.status_code == 200, plan.text
    answer = plan.json()
    assert answer["complete"] is True
    assert sorted((a["sku"], a["location"], a["quantity"]) for a in answer["allocations"]) == [
        ("SKU-A", "WH-01", 2),
        ("SKU-C", "WH-01", 1),
    ]
    assert answer["plans"][0]["reasons"]
    assert stock(network, "SKU-A", "WH-01") == (10, 0)
    short = admin.post("/api/v1/sourcing/plan", json=order_body(line("SKU-C", 9))).json()
    assert (short["complete"], short["shortfall"]["available"]) == (False, 5)
