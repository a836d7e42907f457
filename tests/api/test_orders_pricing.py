"""Orders priced by the pricing engine, through HTTP: list prices, promotions allocated per line,
coupons counted once, the same price in every channel, and refunds of what each line paid."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.api.orders_support import ADDRESS_MILANO, build_network, order_body, stock
from tests.api.test_console import PASSWORD, sign_in
from tests.factories import make_variants, receive
from tests.support import LiveServer, client_for
from unico.access import service as access
from unico.access.model import Principal, Role
from unico.core.db import Database
from unico.inventory.store import reservations
from unico.orders.store import orders
from unico.pricing import service as pricing
from unico.pricing.model import Promotion, PromotionKind, Target

ADMIN = Principal(kind="api_key", name="pricing-setup", role=Role.ADMIN)


@pytest.fixture
def priced(db: Database) -> Database:
    """The orders network with list prices (SKU-A 49.90, SKU-B 29.90, SKU-C 15.00) and two live
    promotions: 10% off SKU-A (priority 10) and €5 off any cart of €50 or more."""
    build_network(db)
    with db.write() as conn:
        pricing.set_list_prices_in(conn, [("SKU-A", 4990), ("SKU-B", 2990), ("SKU-C", 1500)], "test")
    pricing.create_promotion(
        db,
        Promotion(
            "TENOFF-A",
            "10% off SKU-A",
            PromotionKind.PERCENT_OFF,
            Target(skus=frozenset({"SKU-A"})),
            percent_bp=1000,
            priority=10,
        ),
        ADMIN,
    )
    pricing.create_promotion(
        db,
        Promotion("SPEND50", "€5 off over €50", PromotionKind.SPEND_GET, threshold=5000, amount=500),
        ADMIN,
    )
    return db


def _line(sku: str, quantity: int = 1, method: str = "home_delivery", **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, "method": method, **extra}


def _amounts(order: dict[str, Any]) -> list[tuple[str, int, int, int, int]]:
    return [
        (ln["sku"], ln["quantity"], ln["unit_price"], ln["discount"], ln["paid"]) for ln in order["lines"]
    ]


def _order_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(orders)).scalar_one())


def _active_holds(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).where(reservations.c.status == "active")).scalar_one())


def test_a_web_order_without_prices_gets_list_prices_and_the_promotions(
    priced: Database, admin: httpx.Client
) -> None:
    response = admin.post("/api/v1/orders", json=order_body(_line("SKU-A", 2), _line("SKU-C")))

    assert response.status_code == 201, response.text
    order = response.json()
    # 10% off SKU-A first (2 x 4.99), then €5 spread over what is left: 89.82 : 15.00 -> 4.28 / 0.72
    assert _amounts(order) == [("SKU-A", 2, 4990, 1426, 8554), ("SKU-C", 1, 1500, 72, 1428)]
    assert (order["subtotal"], order["discount"], order["total"]) == (11480, 1498, 9982)
    pricing_doc = order["pricing"]
    assert [(a["promotion"], a["amount"], a["shares"]) for a in pricing_doc["adjustments"]] == [
        ("TENOFF-A", 998, {"1": 998}),
        ("SPEND50", 500, {"1": 428, "2": 72}),
    ]
    assert pricing_doc["vat"] == [{"rate_bp": 2200, "gross": 9982, "taxable": 8182, "vat": 1800}]
    assert [(x["line_no"], x["price_source"], x["vat"]) for x in pricing_doc["lines"]] == [
        (1, "list", 1542),
        (2, "list", 258),
    ]
    read = admin.get(f"/api/v1/orders/{order['order_id']}").json()
    explained = [(t["kind"], t["message"]) for t in read["timeline"] if t["kind"].startswith("pricing.")]
    assert explained == [
        ("pricing.adjustment", "TENOFF-A: 10% off SKU-A (1 line), -€9.98"),
        ("pricing.adjustment", "SPEND50: spend €50.00 on everything, get €5.00 off (2 lines), -€5.00"),
    ]
    assert read["timeline"][1]["detail"]["message_it"] == "TENOFF-A: sconto 10% su SKU-A (1 riga), -9,98 €"
    assert _amounts(read) == _amounts(order) and read["pricing"] == pricing_doc


def test_a_manual_price_stays_as_given_beside_engine_priced_lines(
    priced: Database, admin: httpx.Client
) -> None:
    response = admin.post(
        "/api/v1/orders", json=order_body(_line("SKU-A", 2), _line("SKU-C", unit_price=1200))
    )

    assert response.status_code == 201, response.text
    order = response.json()
    # the engine prices SKU-A alone: 99.80 - 9.98 = 89.82, still over €50: -€5 all on it
    assert _amounts(order) == [("SKU-A", 2, 4990, 1498, 8482), ("SKU-C", 1, 1200, 0, 1200)]
    assert order["total"] == 9682
    notes = [t["message"] for t in admin.get(f"/api/v1/orders/{order['order_id']}").json()["timeline"]]
    assert "line 2 (SKU-C) at a manual price of €12.00, no promotion" in notes


def test_manual_orders_keep_their_prices_and_discount_without_a_quote(
    priced: Database, admin: httpx.Client
) -> None:
    body = order_body(_line("SKU-A", 2, unit_price=1000), _line("SKU-C", unit_price=500), discount=500)

    order = admin.post("/api/v1/orders", json=body).json()
    mixed = admin.post(
        "/api/v1/orders", json=order_body(_line("SKU-A"), _line("SKU-C", unit_price=500), discount=100)
    )
    coupon_only_manual = admin.post(
        "/api/v1/orders", json=order_body(_line("SKU-C", unit_price=500), coupons=["ANY"])
    )

    assert _amounts(order) == [("SKU-A", 2, 1000, 400, 1600), ("SKU-C", 1, 500, 100, 400)]
    assert order["pricing"] is None
    assert (mixed.status_code, mixed.json()["error"]["code"]) == (422, "orders.discount_with_engine_prices")
    assert (coupon_only_manual.status_code, coupon_only_manual.json()["error"]["code"]) == (
        422,
        "orders.coupons_need_engine_prices",
    )


def test_a_single_use_coupon_is_redeemed_once(priced: Database, admin: httpx.Client) -> None:
    pricing.create_promotion(
        priced,
        Promotion(
            "WELCOME3",
            "€3 off with a welcome code",
            PromotionKind.SPEND_GET,
            threshold=0,
            amount=300,
            requires_coupon=True,
        ),
        ADMIN,
    )
    _batch, [code] = pricing.generate_coupons(priced, "WELCOME3", 1, ADMIN)
    customer = {"customer_id": "cus_COUPON", "email": "anna@example.com"}

    first = admin.post("/api/v1/orders", json=order_body(_line("SKU-C"), coupons=[code], customer=customer))
    orders_before, holds_before, wh_stock = (
        _order_count(priced),
        _active_holds(priced),
        stock(priced, "SKU-C", "WH-01"),
    )
    again = admin.post("/api/v1/orders", json=order_body(_line("SKU-C"), coupons=[code], customer=customer))

    assert first.status_code == 201, first.text
    order = first.json()
    assert _amounts(order) == [("SKU-C", 1, 1500, 300, 1200)]
    assert [(a["promotion"], a["coupon"], a["amount"]) for a in order["pricing"]["adjustments"]] == [
        ("WELCOME3", code, 300)
    ]
    [exported] = pricing.export_coupons(priced, "WELCOME3")
    assert (exported["code"], exported["redemptions"]) == (code, 1)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "pricing.coupon_exhausted")
    assert (_order_count(priced), _active_holds(priced)) == (orders_before, holds_before)
    assert stock(priced, "SKU-C", "WH-01") == wh_stock


def test_the_same_cart_in_store_gets_the_same_prices_and_a_return_refunds_what_was_paid(
    priced: Database, server: LiveServer, admin: httpx.Client
) -> None:
    web = admin.post("/api/v1/orders", json=order_body(_line("SKU-A", 2), _line("SKU-C"))).json()
    with client_for(server, priced, "store_associate", store="MI-01") as associate:
        response = associate.post(
            "/api/v1/orders",
            json={
                "channel": "store",
                "store": "MI-01",
                "lines": [_line("SKU-A", 2, "carry_out"), _line("SKU-C")],
                "shipping_address": ADDRESS_MILANO,
            },
        )
    assert response.status_code == 201, response.text
    till = response.json()

    returned = admin.post(
        "/api/v1/returns",
        json={
            "order_id": till["order_id"],
            "location": "MI-01",
            "channel": "store",
            "lines": [{"line_no": 1, "quantity": 1, "reason": "", "condition": "sellable"}],
        },
    )

    assert (till["channel"], till["store"]) == ("store", "MI-01")
    assert _amounts(till) == _amounts(web) == [("SKU-A", 2, 4990, 1426, 8554), ("SKU-C", 1, 1500, 72, 1428)]
    assert returned.status_code == 201, returned.text
    assert [(x["line_no"], x["refund"]) for x in returned.json()["lines"]] == [(1, 4277)]
    assert returned.json()["refund"]["amount"] == 4277


def test_a_cart_without_prices_is_checked_out_at_the_engine_prices(
    priced: Database, admin: httpx.Client
) -> None:
    cart = admin.post("/api/v1/carts", json={"customer_id": "cus_CART", "channel": "web"}).json()
    cid = cart["cart_id"]
    admin.put(f"/api/v1/carts/{cid}/lines/SKU-A", json={"quantity": 2})
    admin.put(f"/api/v1/carts/{cid}/lines/SKU-C", json={"quantity": 1})

    response = admin.post(
        f"/api/v1/carts/{cid}/checkout", json={"channel": "web", "shipping_address": ADDRESS_MILANO}
    )

    assert response.status_code == 201, response.text
    assert _amounts(response.json()) == [("SKU-A", 2, 4990, 1426, 8554), ("SKU-C", 1, 1500, 72, 1428)]


def test_an_unpriced_sku_is_refused_and_nothing_is_written(priced: Database, admin: httpx.Client) -> None:
    make_variants(priced, "SKU-Z", product_code="P-NOPRICE")
    receive(priced, "SKU-Z", "WH-01", 4)

    response = admin.post("/api/v1/orders", json=order_body(_line("SKU-A"), _line("SKU-Z")))

    assert (response.status_code, response.json()["error"]["code"]) == (422, "pricing.no_price")
    assert (_order_count(priced), _active_holds(priced)) == (0, 0)


def test_a_coupon_that_does_not_apply_refuses_the_order_rather_than_ignoring_it(
    priced: Database, admin: httpx.Client
) -> None:
    pricing.create_promotion(
        priced,
        Promotion(
            "BIG10",
            "€10 off €100 with a code",
            PromotionKind.SPEND_GET,
            threshold=10_000,
            amount=1_000,
            requires_coupon=True,
        ),
        ADMIN,
    )
    _batch, [code] = pricing.generate_coupons(priced, "BIG10", 1, ADMIN)

    response = admin.post("/api/v1/orders", json=order_body(_line("SKU-C"), coupons=[code]))

    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["details"]["field"], error["details"]["coupon"]) == (
        "pricing.coupon_not_applicable",
        "coupons",
        code,
    )
    assert (_order_count(priced), _active_holds(priced)) == (0, 0)
    [exported] = pricing.export_coupons(priced, "BIG10")
    assert exported["redemptions"] == 0


def test_the_console_order_page_explains_each_promotion_in_italian(
    priced: Database, server: LiveServer, admin: httpx.Client
) -> None:
    order = admin.post("/api/v1/orders", json=order_body(_line("SKU-A", 2), _line("SKU-C"))).json()
    access.create_user(priced, email="marta@example.com", name="Marta", password=PASSWORD, role="admin")

    with httpx.Client(base_url=server.url, timeout=30.0) as console:
        assert sign_in(console, "marta@example.com").status_code == 303
        page = console.get(f"/console/orders/{order['order_id']}")

    assert page.status_code == 200
    assert page.text.count("Promozione applicata") == 2
    assert "TENOFF-A: sconto 10% su SKU-A (1 riga), -9,98 €" in page.text
