"""Idempotency, refusals that change nothing, and the associate's store boundary."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from tests.api.orders_support import build_network, counts, line, order_body, place, stock
from tests.support import LiveServer, client_for
from unico.core import clock
from unico.core.db import Database
from unico.core.events import outbox_events
from unico.inventory import locations as network_service
from unico.inventory.store import reservations
from unico.orders.store import orders


@pytest.fixture
def network(db: Database) -> Database:
    build_network(db)
    return db


def _orders_and_holds(db: Database) -> tuple[int, int]:
    with db.read() as conn:
        n = conn.execute(select(func.count()).select_from(orders)).scalar_one()
        held = conn.execute(select(func.count()).select_from(reservations)).scalar_one()
    return int(n), int(held)


def test_a_retry_with_the_same_key_returns_the_first_response(network: Database, admin: httpx.Client) -> None:
    body = order_body(line("SKU-A", 1))
    first = admin.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-1"})
    again = admin.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert _orders_and_holds(network) == (1, 1)
    other = admin.post(
        "/api/v1/orders", json=order_body(line("SKU-A", 2)), headers={"Idempotency-Key": "k-1"}
    )
    assert (other.status_code, other.json()["error"]["code"]) == (409, "idempotency.mismatch")
    assert _orders_and_holds(network) == (1, 1)


def test_more_than_available_is_409_naming_the_sku_and_nothing_is_held(
    network: Database, admin: httpx.Client
) -> None:
    # SKU-A: 3 at MI-01 + 10 at the warehouse can ship (MI-02 does not ship): 13 at most
    refused = admin.post("/api/v1/orders", json=order_body(line("SKU-C", 1), line("SKU-A", 14)))
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "inventory.insufficient_stock"
    assert (error["details"]["sku"], error["details"]["wanted"], error["details"]["available"]) == (
        "SKU-A",
        14,
        13,
    )
    pickup = admin.post("/api/v1/orders", json=order_body(line("SKU-A", 3, "pickup", "MI-02")))
    assert pickup.json()["error"]["details"] == {
        "sku": "SKU-A",
        "wanted": 3,
        "available": 2,
        "location": "MI-02",
    }
    assert _orders_and_holds(network) == (0, 0)
    assert stock(network, "SKU-C", "WH-01") == (5, 0)


BAD = [
    (order_body(line("SKU-A", 1, "pickup", "XX-99")), 404, "inventory.location_not_found"),
    (order_body(line("NOPE", 1)), 404, "catalog.sku_not_found"),
    (order_body(line("SKU-A", 0)), 422, "validation.failed"),
    (order_body(line("SKU-A", -2)), 422, "validation.failed"),
    (order_body(line("SKU-A", 1, "reserve_in_store", "MI-02")), 422, "orders.capability_missing"),
    (order_body(line("SKU-A", 1, "pickup", "WH-01")), 422, "orders.capability_missing"),
    (order_body(line("SKU-A", 1, "pickup")), 422, "validation.failed"),
    (order_body(line("SKU-A", 1, "carry_out"), store="MI-01"), 422, "orders.method_not_offered"),
    (
        order_body(line("SKU-A", 1, "pickup", "MI-01"), channel="marketplace"),
        422,
        "orders.method_not_offered",
    ),
    (order_body(line("SKU-A", 1), discount=5000), 422, "validation.failed"),
    (order_body(line("SKU-A", 1), colour="red"), 422, "validation.failed"),
]


def test_bad_input_is_a_clear_4xx_and_changes_nothing(network: Database, admin: httpx.Client) -> None:
    answers = []
    for body, _status, _code in BAD:
        response = admin.post("/api/v1/orders", json=body)
        answers.append((response.status_code, response.json()["error"]["code"]))
    assert answers == [(status, code) for _body, status, code in BAD]
    assert _orders_and_holds(network) == (0, 0)
    assert stock(network, "SKU-A", "MI-01") == (3, 0)


def test_a_store_closed_today_or_without_hours_refuses_pickups(
    network: Database, admin: httpx.Client
) -> None:
    network_service.add_exception(
        network,
        "MI-02",
        clock.now().date(),
        closed=True,
        opens=None,
        closes=None,
        note="inventario",
        actor="t",
    )
    closed = admin.post("/api/v1/orders", json=order_body(line("SKU-A", 1, "pickup", "MI-02")))
    assert (closed.status_code, closed.json()["error"]["code"]) == (409, "orders.store_closed")
    network_service.set_hours(network, "MI-01", {}, "t")
    never = admin.post("/api/v1/orders", json=order_body(line("SKU-A", 1, "reserve_in_store", "MI-01")))
    assert (never.status_code, never.json()["error"]["code"]) == (409, "orders.store_closed")
    assert _orders_and_holds(network) == (0, 0)


def test_associates_work_only_their_own_store(
    network: Database, server: LiveServer, admin: httpx.Client
) -> None:
    order = place(admin, order_body(line("SKU-A", 1, "pickup", "MI-02")))
    [task] = admin.get("/api/v1/stores/MI-02/tasks").json()
    with client_for(server, network, "store_associate", store="MI-01") as other:
        assert other.get("/api/v1/stores/MI-02/tasks").status_code == 403
        denied = other.post(f"/api/v1/tasks/{task['task_id']}/pick", json={})
        assert (denied.status_code, denied.json()["error"]["code"]) == (403, "auth.other_store")
        elsewhere = other.post(
            "/api/v1/orders", json=order_body(line("SKU-A", 1), channel="store", store="MI-02")
        )
        assert elsewhere.status_code == 403
        # an associate's endless-aisle order is credited to their store
        own = other.post(
            "/api/v1/orders", json=order_body(line("SKU-C", 1), channel="store", associate="luca")
        )
        assert own.status_code == 201, own.text
        assert (own.json()["store"], own.json()["associate"]) == ("MI-01", "luca")
    with client_for(server, network, "store_associate", store="MI-02") as mine:
        assert mine.post(f"/api/v1/tasks/{task['task_id']}/pick", json={}).status_code == 200
    assert admin.get(f"/api/v1/orders/{order['order_id']}").json()["status"] == "in_fulfillment"


def test_search_orders_by_status_channel_store_and_customer(network: Database, admin: httpx.Client) -> None:
    web = place(
        admin, order_body(line("SKU-C", 1), customer={"customer_id": "cus_1", "email": "Anna@Example.it"})
    )
    till = place(admin, {"channel": "store", "store": "MI-01", "lines": [line("SKU-B", 1, "carry_out")]})

    def ids(**params: str) -> list[str]:
        response = admin.get("/api/v1/orders", params=params)
        assert response.status_code == 200
        return [o["order_id"] for o in response.json()]

    assert ids() == [till["order_id"], web["order_id"]]
    assert ids(status="completed") == [till["order_id"]]
    assert ids(channel="web") == [web["order_id"]]
    assert ids(store="MI-01") == [till["order_id"]]
    assert ids(customer_id="cus_1") == [web["order_id"]]
    assert ids(q="anna@example") == [web["order_id"]]
    assert ids(q=till["order_id"]) == [till["order_id"]]
    missing = admin.get("/api/v1/orders/ord_nope")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "orders.not_found")
    _active, types = counts(network, web["order_id"])
    assert types == ["order.placed", "order.allocated", "fulfillment.task_created"]


def test_order_events_carry_ids_and_amounts_but_no_personal_data(
    network: Database, admin: httpx.Client
) -> None:
    customer = {
        "customer_id": "cus_9",
        "email": "anna@example.it",
        "name": "Anna Rossi",
        "phone": "+39 333 1234567",
    }
    order = place(admin, order_body(line("SKU-C", 2, price=1500), customer=customer, associate="giulia"))
    with network.read() as conn:
        payloads = conn.execute(
            select(outbox_events.c.type, outbox_events.c.payload).where(
                outbox_events.c.aggregate_id == order["order_id"]
            )
        ).all()
    placed = next(p for t, p in payloads if t == "order.placed")
    assert placed == {
        "order_id": order["order_id"],
        "channel": "web",
        "customer_id": "cus_9",
        "store": None,
        "total_minor": 3000,
        "currency": "EUR",
        "lines": [
            {"line_no": 1, "sku": "SKU-C", "quantity": 2, "method": "home_delivery", "paid_minor": 3000}
        ],
    }
    text = json.dumps([p for _t, p in payloads])
    for secret in ("anna", "Anna", "Rossi", "333", "Via Roma", "giulia"):
        assert secret not in text
