"""Returns anywhere through real HTTP: restocking the store that takes them, quarantine, refunds
from what was paid, the by-post flow, exchanges, and every bad input refused with no change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.returns_support import (
    Alloc,
    Line,
    Order,
    counts,
    events,
    insert_order,
    make_returns_network,
    shipped_web_order,
)
from tests.support import LiveServer, client_for
from unico.core.db import Database


@pytest.fixture
def network(db: Database) -> Database:
    make_returns_network(db)
    return db


def _stock(client: httpx.Client, sku: str) -> dict[str, tuple[int, int]]:
    """location -> (on hand, available) of ``sku``."""
    body = client.get(f"/api/v1/stock/{sku}").json()
    return {r["location"]: (r["on_hand"], r["available"]) for r in body["locations"]}


def _return(
    client: httpx.Client,
    order_id: str,
    location: str,
    lines: list[dict[str, object]],
    channel: str = "store",
    **extra: object,
) -> httpx.Response:
    return client.post(
        "/api/v1/returns",
        json={"order_id": order_id, "location": location, "channel": channel, "lines": lines, **extra},
    )


def _line(
    line_no: int, quantity: int, condition: str | None = "sellable", reason: str = ""
) -> dict[str, object]:
    line: dict[str, object] = {"line_no": line_no, "quantity": quantity, "reason": reason}
    if condition is not None:
        line["condition"] = condition
    return line


def test_web_order_returned_in_another_store_restocks_that_store(
    network: Database, admin: httpx.Client
) -> None:
    insert_order(network, shipped_web_order("ord_WEB1"))
    assert _stock(admin, "SKU-A")["MI-02"] == (3, 3)

    response = _return(admin, "ord_WEB1", "MI-02", [_line(1, 1, reason="troppo piccola")])

    assert response.status_code == 201
    body = response.json()
    return_id = body["return_id"]
    assert return_id.startswith("ret_")
    assert (body["order_id"], body["location"], body["channel"], body["status"]) == (
        "ord_WEB1",
        "MI-02",
        "store",
        "received",
    )
    assert body["lines"] == [
        {
            "line_no": 1,
            "sku": "SKU-A",
            "quantity": 1,
            "reason": "troppo piccola",
            "condition": "sellable",
            "refund": 8990,
        }
    ]
    refund = body["refund"]
    assert refund["refund_id"].startswith("rfd_")
    assert (
        refund["currency"],
        refund["gross"],
        refund["exchange"],
        refund["amount"],
        refund["balance_due"],
    ) == (
        "EUR",
        8990,
        0,
        8990,
        0,
    )
    assert refund["status"] == "recorded"
    # The store that took it holds the unit now; the warehouse that shipped it is untouched.
    stock = _stock(admin, "SKU-A")
    assert (stock["MI-02"], stock["WH-01"]) == ((4, 4), (10, 10))
    ledger = admin.get("/api/v1/locations/MI-02/movements", params={"kind": "return"}).json()
    assert [
        (m["movement_id"], m["sku"], m["kind"], m["quantity"], m["on_hand_after"], m["reference"])
        for m in ledger
    ] == [(f"{return_id}/1", "SKU-A", "return", 1, 4, return_id)]
    assert admin.get(f"/api/v1/returns/{return_id}").json() == body
    assert [r["return_id"] for r in admin.get("/api/v1/returns", params={"order_id": "ord_WEB1"}).json()] == [
        return_id
    ]
    assert [t for t, _ in events(network, "return.")] == [
        "return.created",
        "return.received",
        "return.refund_recorded",
    ]
    _created, received, recorded = (p for _, p in events(network, "return."))
    assert received == {
        "return_id": return_id,
        "order_id": "ord_WEB1",
        "location": "MI-02",
        "lines": [{"line_no": 1, "sku": "SKU-A", "quantity": 1, "condition": "sellable"}],
        "restocked": 1,
        "quarantined": 0,
    }
    assert recorded["amount_minor"] == 8990
    timeline = admin.get("/api/v1/orders/ord_WEB1").json()["timeline"]
    assert [t["kind"] for t in timeline] == ["return.created", "return.received", "return.refund_recorded"]
    payloads = str(events(network, "return."))
    assert "Maria" not in payloads and "example.com" not in payloads


def test_a_web_order_placed_shipped_and_delivered_through_http_is_returned_in_a_store(
    network: Database, admin: httpx.Client
) -> None:
    address = {
        "name": "Anna",
        "line1": "Via Roma 1",
        "city": "Milano",
        "postcode": "20121",
        "country": "IT",
        "latitude": 45.4642,
        "longitude": 9.19,
    }
    placed = admin.post(
        "/api/v1/orders",
        json={
            "channel": "web",
            "lines": [{"sku": "SKU-A", "quantity": 2, "unit_price": 4990, "method": "home_delivery"}],
            "discount": 500,
            "shipping_address": address,
        },
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    assert placed.json()["lines"][0]["paid"] == 9480
    [task] = [t for t in admin.get("/api/v1/stores/WH-01/tasks").json() if t["order_id"] == order_id]
    refused = _return(admin, order_id, "MI-02", [_line(1, 1)])
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "returns.not_delivered")
    for action, body in (
        ("pick", None),
        ("pack", None),
        ("ship", {"carrier": "BRT", "tracking_number": "B1"}),
    ):
        assert admin.post(f"/api/v1/tasks/{task['task_id']}/{action}", json=body).status_code == 200
    assert admin.post(f"/api/v1/orders/{order_id}/delivered").json()["status"] == "completed"
    assert _stock(admin, "SKU-A")["WH-01"] == (8, 8)

    first = _return(admin, order_id, "MI-02", [_line(1, 1)])
    rest = _return(admin, order_id, "MI-01", [_line(1, 1, "damaged")])

    assert (first.status_code, rest.status_code) == (201, 201)
    assert (first.json()["refund"]["amount"], rest.json()["refund"]["amount"]) == (4740, 4740)
    stock = _stock(admin, "SKU-A")
    assert (stock["MI-02"], stock["MI-01"], stock["WH-01"]) == ((4, 4), (0, 0), (8, 8))
    timeline = admin.get(f"/api/v1/orders/{order_id}").json()["timeline"]
    assert [t["kind"] for t in timeline][-6:] == [
        "return.created",
        "return.received",
        "return.refund_recorded",
    ] * 2


def test_damaged_units_go_to_quarantine_and_are_never_promisable(
    network: Database, admin: httpx.Client
) -> None:
    insert_order(network, shipped_web_order("ord_WEB2"))

    response = _return(admin, "ord_WEB2", "MI-02", [_line(1, 2, "damaged", "cucitura aperta")])

    assert response.status_code == 201
    return_id = response.json()["return_id"]
    assert response.json()["refund"]["amount"] == 17980  # a damaged item is refunded all the same
    assert _stock(admin, "SKU-A")["MI-02"] == (3, 3)
    availability = admin.post(
        "/api/v1/availability",
        json={"skus": ["SKU-A"], "channel": "store", "method": "carry_out", "locations": ["MI-02"]},
    ).json()
    assert availability["items"][0]["available"] == 3
    ledger = admin.get("/api/v1/locations/MI-02/movements", params={"sku": "SKU-A"}).json()
    assert [(m["movement_id"], m["kind"], m["quantity"], m["on_hand_after"]) for m in ledger[:2]] == [
        (f"{return_id}/1/quarantine", "damage", -2, 3),
        (f"{return_id}/1", "return", 2, 5),
    ]
    quarantine = admin.get("/api/v1/locations/MI-02/quarantine").json()
    assert [(q["sku"], q["quantity"], q["return_id"], q["reason"]) for q in quarantine] == [
        ("SKU-A", 2, return_id, "cucitura aperta")
    ]
    assert admin.get("/api/v1/locations/MI-01/quarantine").json() == []


def test_refund_is_what_was_paid_with_the_order_discount_allocated(
    network: Database, admin: httpx.Client
) -> None:
    # 3 x 33.34 + 45.00 = 145.02, less a 10.02 order discount allocated 6.90 / 3.12: paid 135.00.
    insert_order(
        network,
        Order(
            "ord_DISC",
            (
                Line("SKU-A", 3, 3334, 690, allocations=(Alloc("WH-01", 3),)),
                Line(
                    "SKU-B",
                    1,
                    4500,
                    312,
                    allocations=(Alloc("MI-01", 1, "collected"),),
                    method="pickup",
                    pickup="MI-01",
                ),
            ),
        ),
    )

    first = _return(admin, "ord_DISC", "MI-01", [_line(1, 1)])
    rest = _return(admin, "ord_DISC", "MI-01", [_line(1, 2), _line(2, 1)])

    assert first.status_code == rest.status_code == 201
    assert [(x["line_no"], x["quantity"], x["refund"]) for x in first.json()["lines"]] == [(1, 1, 3104)]
    assert [(x["line_no"], x["quantity"], x["refund"]) for x in rest.json()["lines"]] == [
        (1, 2, 6208),
        (2, 1, 4188),
    ]
    assert first.json()["refund"]["amount"] + rest.json()["refund"]["amount"] == 13500  # the order's total
    again = _return(admin, "ord_DISC", "MI-01", [_line(1, 1)])
    assert (again.status_code, again.json()["error"]["code"]) == (409, "returns.already_returned")
    assert _stock(admin, "SKU-A")["MI-01"] == (3, 3)
    assert _stock(admin, "SKU-B")["MI-01"] == (6, 6)


def test_return_by_post_is_expected_then_received_at_the_warehouse(
    network: Database, admin: httpx.Client
) -> None:
    insert_order(network, shipped_web_order("ord_POST", quantity=3, unit_price=2000))

    created = _return(admin, "ord_POST", "WH-01", [_line(1, 2, None, "non piace")], channel="post")

    assert created.status_code == 201
    body = created.json()
    assert (body["status"], body["refund"], body["received_at"]) == ("expected", None, None)
    assert [(x["quantity"], x["condition"], x["refund"]) for x in body["lines"]] == [(2, None, 4000)]
    assert _stock(admin, "SKU-A")["WH-01"] == (10, 10)
    # Units on their way back count as returned: only one more can be.
    more = _return(admin, "ord_POST", "MI-01", [_line(1, 2)])
    assert (more.status_code, more.json()["error"]["code"]) == (409, "returns.quantity_exceeded")
    assert more.json()["error"]["details"]["returnable"] == 1

    path = f"/api/v1/returns/{body['return_id']}/receive"
    incomplete = admin.post(path, json={"lines": [{"line_no": 2, "condition": "sellable"}]})
    assert (incomplete.status_code, incomplete.json()["error"]["code"]) == (404, "returns.line_not_found")
    received = admin.post(path, json={"lines": [{"line_no": 1, "condition": "sellable"}]})

    assert received.status_code == 200
    assert (received.json()["status"], received.json()["refund"]["amount"]) == ("received", 4000)
    assert received.json()["lines"][0]["condition"] == "sellable"
    assert _stock(admin, "SKU-A")["WH-01"] == (12, 12)
    twice = admin.post(path, json={"lines": [{"line_no": 1, "condition": "sellable"}]})
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "returns.already_received")
    assert [t for t, _ in events(network, "return.")] == [
        "return.created",
        "return.received",
        "return.refund_recorded",
    ]


def test_bad_returns_are_refused_with_their_code_and_change_nothing(
    network: Database, admin: httpx.Client, server: LiveServer
) -> None:
    insert_order(network, shipped_web_order("ord_OK"))
    insert_order(
        network,
        Order(
            "ord_OPEN",
            (
                Line("SKU-A", 1, 1000, allocations=(Alloc("WH-01", 1, "picked"),), status="in_fulfillment"),
                Line(
                    "SKU-A",
                    2,
                    1000,
                    allocations=(Alloc("WH-01", 2, "released"),),
                    status="cancelled",
                    cancelled=2,
                ),
            ),
            status="in_fulfillment",
        ),
    )
    before = counts(network)
    cases: list[tuple[dict[str, object], int, str]] = [
        (
            {"order_id": "ord_OK", "location": "MI-02", "lines": [_line(1, 3)]},
            409,
            "returns.quantity_exceeded",
        ),
        ({"order_id": "ord_OPEN", "location": "MI-02", "lines": [_line(1, 1)]}, 409, "returns.not_delivered"),
        ({"order_id": "ord_OPEN", "location": "MI-02", "lines": [_line(2, 1)]}, 409, "returns.not_delivered"),
        ({"order_id": "ord_NOPE", "location": "MI-02", "lines": [_line(1, 1)]}, 404, "orders.not_found"),
        (
            {"order_id": "ord_OK", "location": "XX-99", "lines": [_line(1, 1)]},
            404,
            "inventory.location_not_found",
        ),
        (
            {"order_id": "ord_OK", "location": "RM-01", "lines": [_line(1, 1)]},
            409,
            "returns.store_not_accepting",
        ),
        (
            {"order_id": "ord_OK", "location": "WH-01", "lines": [_line(1, 1)]},
            409,
            "returns.store_not_accepting",
        ),
        ({"order_id": "ord_OK", "location": "MI-02", "lines": [_line(7, 1)]}, 404, "returns.line_not_found"),
        (
            {"order_id": "ord_OK", "location": "MI-02", "lines": [_line(1, 1, None)]},
            422,
            "returns.condition_required",
        ),
        (
            {"order_id": "ord_OK", "location": "MI-02", "lines": [_line(1, 1), {**_line(1, 1)}]},
            422,
            "validation.failed",
        ),
        ({"order_id": "ord_OK", "location": "MI-02", "lines": [_line(1, 0)]}, 422, "validation.failed"),
        (
            {
                "order_id": "ord_OK",
                "location": "WH-01",
                "channel": "post",
                "lines": [_line(1, 1, None)],
                "exchange": [{"sku": "SKU-B", "quantity": 1}],
            },
            422,
            "returns.exchange_needs_store",
        ),
        ({"order_id": "ord_OK", "location": "MI-02", "lines": []}, 422, "validation.failed"),
    ]
    for body, status, code in cases:
        response = admin.post("/api/v1/returns", json={"channel": "store", **body})
        assert (response.status_code, response.json()["error"]["code"]) == (status, code), body
        assert counts(network) == before, body
    exceeded = _return(admin, "ord_OK", "MI-02", [_line(1, 3)]).json()["error"]
    assert exceeded["details"] == {"line_no": 1, "requested": 3, "bought": 2, "returnable": 2}

    # A store associate takes returns at their own store only.
    with client_for(server, network, "store_associate", store="MI-01") as associate:
        elsewhere = _return(associate, "ord_OK", "MI-02", [_line(1, 1)])
        assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (403, "auth.other_store")
        assert counts(network) == before
        at_home = _return(associate, "ord_OK", "MI-01", [_line(1, 2)])
        assert at_home.status_code == 201
    after = counts(network)
    full = _return(admin, "ord_OK", "MI-02", [_line(1, 1)])
    assert (full.status_code, full.json()["error"]["code"]) == (409, "returns.already_returned")
    assert counts(network) == after
    with client_for(server, network, "analyst") as analyst:
        refused = _return(analyst, "ord_OK", "MI-02", [_line(1, 1)])
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "auth.forbidden")


def test_concurrent_returns_of_one_line_never_exceed_it(network: Database, admin: httpx.Client) -> None:
    insert_order(network, shipped_web_order("ord_RACE", quantity=2))

    def attempt(store: str) -> int:
        return _return(admin, "ord_RACE", store, [_line(1, 1)]).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = sorted(pool.map(attempt, ["MI-01", "MI-02"] * 4))

    assert statuses == [201, 201, 409, 409, 409, 409, 409, 409]
    returned = sum(
        x["quantity"]
        for r in admin.get("/api/v1/returns", params={"order_id": "ord_RACE"}).json()
        for x in r["lines"]
    )
    assert returned == 2
    stock = _stock(admin, "SKU-A")
    assert stock.get("MI-01", (0, 0))[0] + stock["MI-02"][0] == 5


def test_a_retried_return_with_its_idempotency_key_is_recorded_once(
    network: Database, admin: httpx.Client
) -> None:
    insert_order(network, shipped_web_order("ord_RETRY", quantity=2))
    before = _stock(admin, "SKU-A")["MI-02"]
    body = {"order_id": "ord_RETRY", "location": "MI-02", "channel": "store", "lines": [_line(1, 1)]}

    def attempt(_: int) -> httpx.Response:
        return admin.post("/api/v1/returns", json=body, headers={"Idempotency-Key": "till-7-0042"})

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(attempt, range(6)))

    assert [a.status_code for a in answers] == [201] * 6
    assert len({a.json()["return_id"] for a in answers}) == 1
    assert len(admin.get("/api/v1/returns", params={"order_id": "ord_RETRY"}).json()) == 1
    assert _stock(admin, "SKU-A")["MI-02"] == (before[0] + 1, before[1] + 1)

    other = admin.post(
        "/api/v1/returns", json={**body, "location": "MI-01"}, headers={"Idempotency-Key": "till-7-0042"}
    )
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency.mismatch"
    second = admin.post("/api/v1/returns", json=body, headers={"Idempotency-Key": "till-7-0043"})
    assert second.status_code == 201
    assert second.json()["return_id"] != answers[0].json()["return_id"]
    assert len(admin.get("/api/v1/returns", params={"order_id": "ord_RETRY"}).json()) == 2


# --- exchanges (through the orders service) ----------------------------------------------------


def test_a_size_swap_is_a_carry_out_order_and_nets_the_refund(network: Database, admin: httpx.Client) -> None:
    insert_order(network, shipped_web_order("ord_SWAP", quantity=1, unit_price=9000, discount=900))

    response = _return(
        admin,
        "ord_SWAP",
        "MI-01",
        [_line(1, 1, reason="taglia")],
        exchange=[{"sku": "SKU-B", "quantity": 1}],
        associate="giulia",
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["exchange"] == [{"sku": "SKU-B", "quantity": 1, "unit_price": 8100}]
    refund = body["refund"]
    assert (refund["gross"], refund["exchange"], refund["amount"], refund["balance_due"]) == (
        8100,
        8100,
        0,
        0,
    )
    order = admin.get(f"/api/v1/orders/{body['exchange_order_id']}").json()
    assert (order["channel"], order["store"], order["status"], order["total"]) == (
        "store",
        "MI-01",
        "completed",
        8100,
    )
    assert [(x["sku"], x["quantity"], x["method"]) for x in order["lines"]] == [("SKU-B", 1, "carry_out")]
    assert _stock(admin, "SKU-B")["MI-01"] == (4, 4)
    assert _stock(admin, "SKU-A")["MI-01"] == (1, 1)


def test_an_exchange_that_cannot_be_served_changes_nothing(network: Database, admin: httpx.Client) -> None:
    insert_order(network, shipped_web_order("ord_EXCH"))
    before = counts(network)

    short = _return(admin, "ord_EXCH", "MI-01", [_line(1, 1)], exchange=[{"sku": "SKU-B", "quantity": 6}])
    unpriced = _return(admin, "ord_EXCH", "MI-01", [_line(1, 1)], exchange=[{"sku": "SKU-C", "quantity": 1}])

    assert (short.status_code, short.json()["error"]["code"]) == (409, "inventory.insufficient_stock")
    assert (unpriced.status_code, unpriced.json()["error"]["code"]) == (
        422,
        "returns.exchange_price_required",
    )
    assert counts(network) == before
    dearer = _return(
        admin,
        "ord_EXCH",
        "MI-01",
        [_line(1, 1)],
        exchange=[{"sku": "SKU-B", "quantity": 1, "unit_price": 9990}],
    )
    assert dearer.status_code == 201, dearer.text
    refund = dearer.json()["refund"]
    assert (refund["gross"], refund["amount"], refund["balance_due"]) == (8990, 0, 1000)
