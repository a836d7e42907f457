"""Pricing through real HTTP: quotes with exact amounts, prices and overrides, promotions,
coupons (single, bulk, limits, expiry), budgets, and every bad input refused with its code and
no row written."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.pricing_support import (
    MUG,
    NOPRICE,
    RUN42,
    RUN43,
    T0,
    TEE,
    coupon_promotion_body,
    lines,
    make_pricing_catalog,
    pricing_counts,
    promotion_body,
    quote_body,
)
from tests.support import LiveServer, client_for
from unico.access.model import SYSTEM
from unico.core import clock
from unico.core.clock import FrozenClock
from unico.core.db import Database
from unico.core.errors import Conflict
from unico.customers import service as customers
from unico.loyalty import accounts
from unico.pricing import service

API = "/api/v1"


@pytest.fixture
def catalog(db: Database) -> Iterator[FrozenClock]:
    frozen = FrozenClock(T0)
    clock.set_clock(frozen)
    make_pricing_catalog(db)
    yield frozen
    clock.reset_clock()


def _ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    return dict(error)


def _quote(client: httpx.Client, *pairs: tuple[str, int], **extra: Any) -> dict[str, Any]:
    return dict(_ok(client.post(f"{API}/quotes", json=quote_body(*pairs, **extra))))


def _order(db: Database, quote_args: dict[str, Any], order_id: str, customer_id: str | None) -> None:
    """What an order does with its quote: price and count redemptions in one transaction."""
    request = service.QuoteRequest(customer_id=customer_id, **quote_args)
    with db.write() as conn:
        quoted = service.quote_in(conn, request)
        service.record_redemptions_in(conn, quoted, order_id=order_id, customer_id=customer_id)


# --- quotes -----------------------------------------------------------------------------------


def test_quote_prices_lines_allocates_discounts_and_splits_vat(
    catalog: FrozenClock, admin: httpx.Client
) -> None:
    _ok(admin.post(f"{API}/promotions", json=promotion_body()), 201)

    body = _quote(admin, (RUN42, 2), (TEE, 1), (MUG, 1))

    assert [
        (x["sku"], x["unit_price"], x["gross"], x["discount"], x["net"], x["vat"]) for x in body["lines"]
    ] == [
        (RUN42, 9990, 19980, 1998, 17982, 3242),
        (TEE, 2500, 2500, 0, 2500, 451),
        (MUG, 1200, 1200, 0, 1200, 109),
    ]
    assert (body["subtotal"], body["discount"], body["delivery_fee"], body["total"]) == (
        23680,
        1998,
        0,
        21682,
    )
    assert body["vat"] == [
        {"rate_bp": 1000, "gross": 1200, "taxable": 1091, "vat": 109},
        {"rate_bp": 2200, "gross": 20482, "taxable": 16789, "vat": 3693},
    ]
    assert body["vat_total"] == 3802
    [adjustment] = body["adjustments"]
    assert (adjustment["promotion_code"], adjustment["amount"], adjustment["shares"]) == (
        "RUN10",
        1998,
        [{"line_no": 1, "amount": 1998}],
    )
    assert adjustment["explanation_en"].startswith("RUN10: 10% off")
    assert adjustment["explanation_it"].startswith("RUN10: sconto 10%")


def test_the_same_cart_costs_the_same_in_every_channel_without_a_channel_rule(
    catalog: FrozenClock, admin: httpx.Client
) -> None:
    _ok(admin.post(f"{API}/promotions", json=promotion_body()), 201)
    web = _quote(admin, (RUN42, 1), (TEE, 2))
    for channel, store in (("app", None), ("store", "MI-01"), ("contact_center", None)):
        other = _quote(admin, (RUN42, 1), (TEE, 2), channel=channel, store=store)
        assert (other["total"], other["discount"], other["vat_total"]) == (
            web["total"],
            web["discount"],
            web["vat_total"],
        )


def test_store_override_with_reason_prices_that_store_only(catalog: FrozenClock, admin: httpx.Client) -> None:
    created = _ok(
        admin.post(
            f"{API}/price-overrides",
            json={"sku": TEE, "amount": 1990, "store": "MI-01", "reason": "Competitor across the street"},
        ),
        201,
    )
    assert created["override_id"].startswith("pov_")

    in_store = _quote(admin, (TEE, 1), channel="store", store="MI-01")["lines"][0]
    web = _quote(admin, (TEE, 1))["lines"][0]

    assert (in_store["unit_price"], in_store["price_source"], in_store["price_reason"]) == (
        1990,
        f"override:{created['override_id']}",
        "Competitor across the street",
    )
    assert (web["unit_price"], web["price_source"]) == (2500, "list")
    price = _ok(admin.get(f"{API}/prices/{TEE}"))
    assert (price["amount"], price["vat_rate_bp"], [o["store"] for o in price["overrides"]]) == (
        2500,
        2200,
        ["MI-01"],
    )


def test_member_and_tier_offers_follow_the_loyalty_account(
    catalog: FrozenClock, admin: httpx.Client, db: Database
) -> None:
    _ok(admin.post(f"{API}/promotions", json=promotion_body("MEMBERS", members_only=True)), 201)
    _ok(
        admin.post(f"{API}/promotions", json=promotion_body("GOLD", target={"skus": [TEE]}, tiers=["gold"])),
        201,
    )
    made = customers.upsert_profile(db, {"email": "anna@example.it"}, {"first_name": "Anna"}, "test", "test")
    member = str(made["profile_id"])
    guest = str(customers.upsert_profile(db, {"email": "bo@example.it"}, {}, "test", "test")["profile_id"])
    accounts.enroll(db, member, SYSTEM)

    assert _quote(admin, (RUN42, 1), (TEE, 1))["discount"] == 0
    assert _quote(admin, (RUN42, 1), (TEE, 1), customer_id=guest)["discount"] == 0
    enrolled = _quote(admin, (RUN42, 1), (TEE, 1), customer_id=member)
    assert [a["promotion_code"] for a in enrolled["adjustments"]] == ["MEMBERS"]  # base tier, not gold
    assert enrolled["discount"] == 999


def test_list_price_and_vat_are_set_through_http(catalog: FrozenClock, admin: httpx.Client) -> None:
    body = _ok(admin.put(f"{API}/prices/{TEE}", json={"amount": 2790, "vat_rate_bp": 1000}))
    assert (body["amount"], body["vat_rate_bp"], body["product_code"]) == (2790, 1000, "P-TEE")
    line = _quote(admin, (TEE, 1))["lines"][0]
    assert (line["unit_price"], line["vat_rate_bp"], line["vat"]) == (2790, 1000, 254)


# --- bad input --------------------------------------------------------------------------------

BAD_PROMOTIONS = [
    ({"valid_from": "2026-12-01T00:00:00Z", "valid_to": "2026-11-01T00:00:00Z"}, "valid_to"),
    ({"kind": "amount_off", "percent_bp": None, "amount": -500}, "amount"),
    ({"kind": "amount_off", "percent_bp": None, "amount": 0}, "amount"),
    ({"percent_bp": 0}, "percent_bp"),
    ({"percent_bp": 10001}, "percent_bp"),
    ({"percent_bp": None}, "percent_bp"),
    ({"amount": 500}, "amount"),
    ({"kind": "buy_x_get_y", "buy_quantity": 2}, "get_quantity"),
    ({"kind": "bundle_price", "percent_bp": None, "amount": 5000}, "bundle_quantity"),
    ({"kind": "bundle_price", "percent_bp": None, "bundle_quantity": 3}, "amount"),
    ({"kind": "spend_get", "percent_bp": None, "amount": 500}, "threshold"),
    ({"kind": "spend_get", "threshold": -1, "percent_bp": None, "amount": 500}, "threshold"),
    ({"max_redemptions": 0}, "max_redemptions"),
    ({"per_customer_limit": 0}, "per_customer_limit"),
    ({"budget_minor": -100}, "budget_minor"),
    ({"code": "saldi 10"}, "code"),
    ({"code": ""}, "code"),
    ({"name": " "}, "name"),
    ({"channels": ["fax"]}, "channels"),
    ({"stores": ["NOWHERE"]}, "stores"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_PROMOTIONS)
def test_contradictory_promotion_is_refused_with_its_field(
    catalog: FrozenClock, admin: httpx.Client, db: Database, fields: dict[str, Any], field: str
) -> None:
    before = pricing_counts(db)
    error = _error(
        admin.post(f"{API}/promotions", json=promotion_body(**fields)), 422, "pricing.promotion_invalid"
    )
    assert error["details"]["field"] == field
    assert pricing_counts(db) == before


def test_bad_requests_return_their_code_and_write_nothing(
    catalog: FrozenClock, admin: httpx.Client, db: Database
) -> None:
    _ok(admin.post(f"{API}/promotions", json=promotion_body()), 201)
    before = pricing_counts(db)
    cases: list[tuple[str, str, dict[str, Any], int, str, str | None]] = [
        ("post", "/promotions", promotion_body(), 409, "pricing.promotion_exists", None),
        ("put", f"/prices/{TEE}", {"amount": -1}, 422, "pricing.price_invalid", "amount"),
        (
            "put",
            f"/prices/{TEE}",
            {"amount": 100, "vat_rate_bp": 12000},
            422,
            "pricing.vat_rate_invalid",
            None,
        ),
        ("put", "/prices/NOT-A-SKU", {"amount": 100}, 404, "pricing.unknown_sku", None),
        (
            "post",
            "/price-overrides",
            {"sku": TEE, "amount": 100, "store": "MI-01"},
            422,
            "pricing.override_invalid",
            "reason",
        ),
        (
            "post",
            "/price-overrides",
            {"sku": TEE, "amount": 100, "store": "MI-01", "reason": "  "},
            422,
            "pricing.override_invalid",
            "reason",
        ),
        (
            "post",
            "/price-overrides",
            {"sku": TEE, "amount": -5, "store": "MI-01", "reason": "x"},
            422,
            "pricing.override_invalid",
            "amount",
        ),
        (
            "post",
            "/price-overrides",
            {"sku": TEE, "amount": 5, "reason": "x"},
            422,
            "pricing.override_invalid",
            "channel",
        ),
        (
            "post",
            "/price-overrides",
            {"sku": TEE, "amount": 5, "store": "NOWHERE", "reason": "x"},
            422,
            "pricing.override_invalid",
            "store",
        ),
        (
            "post",
            "/price-overrides",
            {
                "sku": TEE,
                "amount": 5,
                "channel": "web",
                "reason": "x",
                "valid_from": "2026-12-02T00:00:00Z",
                "valid_to": "2026-12-01T00:00:00Z",
            },
            422,
            "pricing.override_invalid",
            "valid_to",
        ),
        (
            "post",
            "/price-overrides",
            {"sku": NOPRICE, "amount": 5, "channel": "web", "reason": "x"},
            422,
            "pricing.no_price",
            "sku",
        ),
        ("post", "/quotes", quote_body((NOPRICE, 1)), 422, "pricing.no_price", "sku"),
        ("post", "/quotes", quote_body((RUN42, 0)), 422, "pricing.invalid_quantity", "lines[0].quantity"),
        ("post", "/quotes", quote_body(), 422, "pricing.invalid_cart", "lines"),
        ("post", "/quotes", quote_body((RUN42, 1), channel="fax"), 422, "pricing.invalid_channel", "channel"),
        (
            "post",
            "/quotes",
            quote_body((RUN42, 1), channel="store", store="NOWHERE"),
            422,
            "pricing.unknown_store",
            "store",
        ),
        (
            "post",
            "/quotes",
            quote_body((RUN42, 1), coupons=["NOPE-123"]),
            404,
            "pricing.coupon_unknown",
            "coupons",
        ),
        (
            "post",
            "/quotes",
            quote_body((RUN42, 1), delivery_fee=-1),
            422,
            "pricing.invalid_delivery_fee",
            "delivery_fee",
        ),
        (
            "put",
            "/promotions/RUN10",
            promotion_body(percent_bp=20000),
            422,
            "pricing.promotion_invalid",
            "percent_bp",
        ),
        ("put", "/promotions/NOPE", promotion_body(), 404, "pricing.unknown_promotion", None),
        ("post", "/promotions/RUN10/coupons", {"count": 5}, 422, "pricing.coupon_invalid", "promotion"),
    ]
    for method, path, body, status, code, field in cases:
        error = _error(admin.request(method, f"{API}{path}", json=body), status, code)
        if field is not None:
            assert error["details"]["field"] == field, (path, error)
        assert pricing_counts(db) == before, (path, code)
    assert (
        _error(admin.post(f"{API}/quotes", json=quote_body((NOPRICE, 1))), 422, "pricing.no_price")[
            "details"
        ]["sku"]
        == NOPRICE
    )


def test_only_admins_manage_prices_and_promotions(
    catalog: FrozenClock, server: LiveServer, db: Database
) -> None:
    with client_for(server, db, "analyst") as analyst:
        _quote(analyst, (RUN42, 1))
        _error(analyst.post(f"{API}/promotions", json=promotion_body()), 403, "auth.forbidden")
        _error(analyst.put(f"{API}/prices/{TEE}", json={"amount": 1}), 403, "auth.forbidden")
    assert pricing_counts(db)["promotions"] == 0


def test_a_changed_promotion_prices_the_next_quote(catalog: FrozenClock, admin: httpx.Client) -> None:
    _ok(admin.post(f"{API}/promotions", json=promotion_body()), 201)
    assert _quote(admin, (RUN42, 1))["discount"] == 999
    _ok(admin.put(f"{API}/promotions/RUN10", json=promotion_body(code="", percent_bp=2000)))
    assert _quote(admin, (RUN42, 1))["discount"] == 1998
    _ok(
        admin.post(
            f"{API}/promotions",
            json=promotion_body(
                "TEE5", kind="amount_off", percent_bp=None, amount=500, target={"skus": [TEE]}
            ),
        ),
        201,
    )
    assert _quote(admin, (RUN42, 1), (TEE, 1))["discount"] == 2498


def test_archived_promotion_is_final_and_paused_one_stops_applying(
    catalog: FrozenClock, admin: httpx.Client
) -> None:
    _ok(admin.post(f"{API}/promotions", json=promotion_body()), 201)
    assert _ok(admin.post(f"{API}/promotions/RUN10/status", json={"status": "paused"}))["status"] == "paused"
    assert _quote(admin, (RUN42, 1))["discount"] == 0
    _ok(admin.post(f"{API}/promotions/RUN10/status", json={"status": "archived"}))
    _error(
        admin.post(f"{API}/promotions/RUN10/status", json={"status": "active"}),
        409,
        "pricing.promotion_archived",
    )
    _error(admin.put(f"{API}/promotions/RUN10", json=promotion_body()), 409, "pricing.promotion_archived")


# --- coupons ----------------------------------------------------------------------------------


def test_single_coupon_gives_its_discount_once_per_customer(
    catalog: FrozenClock, admin: httpx.Client, db: Database
) -> None:
    _ok(admin.post(f"{API}/promotions", json=coupon_promotion_body()), 201)
    made = _ok(
        admin.post(
            f"{API}/promotions/WELCOME/coupons",
            json={"code": "welcome10", "max_redemptions": None, "per_customer_limit": 1},
        ),
        201,
    )
    assert made["codes"] == ["WELCOME10"]

    assert _quote(admin, (RUN42, 1), (TEE, 1))["discount"] == 0  # requires the coupon
    quoted = _quote(admin, (RUN42, 1), (TEE, 1), coupons=["welcome10"], customer_id="cus_A")
    assert (quoted["discount"], quoted["total"]) == (1000, 11490)
    assert [x["discount"] for x in quoted["lines"]] == [800, 200]
    assert quoted["adjustments"][0]["coupon"] == "WELCOME10"

    args = {"lines": lines((RUN42, 1), (TEE, 1)), "channel": "web", "coupons": ("WELCOME10",)}
    _order(db, args, "ord_1", "cus_A")
    error = _error(
        admin.post(f"{API}/quotes", json=quote_body((RUN42, 1), coupons=["WELCOME10"], customer_id="cus_A")),
        409,
        "pricing.coupon_customer_limit",
    )
    assert error["details"]["coupon"] == "WELCOME10"
    assert _quote(admin, (RUN42, 1), coupons=["WELCOME10"], customer_id="cus_B")["discount"] == 1000
    small = _quote(admin, (TEE, 1), coupons=["WELCOME10"], customer_id="cus_B")
    assert small["discount"] == 0
    assert [x["code"] for x in small["rejected_coupons"]] == ["WELCOME10"]


def test_single_use_coupon_is_exhausted_after_one_order(
    catalog: FrozenClock, admin: httpx.Client, db: Database
) -> None:
    _ok(admin.post(f"{API}/promotions", json=coupon_promotion_body()), 201)
    [code] = _ok(admin.post(f"{API}/promotions/WELCOME/coupons", json={"count": 1}), 201)["codes"]
    args = {"lines": lines((RUN42, 1)), "channel": "web", "coupons": (code,)}
    _order(db, args, "ord_1", None)
    before = pricing_counts(db)

    _error(
        admin.post(f"{API}/quotes", json=quote_body((RUN42, 1), coupons=[code])),
        409,
        "pricing.coupon_exhausted",
    )
    with pytest.raises(Conflict) as refused:
        _order(db, args, "ord_2", "cus_B")
    assert refused.value.code == "pricing.coupon_exhausted"
    assert pricing_counts(db) == before
    assert _ok(admin.get(f"{API}/promotions/WELCOME"))["usage"] == {
        "redemptions": 1,
        "discount_minor": 1000,
        "coupons": 1,
    }


def test_bulk_coupons_are_unique_unambiguous_and_exported_as_csv(
    catalog: FrozenClock, admin: httpx.Client
) -> None:
    _ok(admin.post(f"{API}/promotions", json=coupon_promotion_body()), 201)
    first = _ok(admin.post(f"{API}/promotions/WELCOME/coupons", json={"count": 2500, "prefix": "xmas"}), 201)
    second = _ok(admin.post(f"{API}/promotions/WELCOME/coupons", json={"count": 300}), 201)

    codes = first["codes"] + second["codes"]
    assert (first["count"], second["count"], len(set(codes))) == (2500, 300, 2800)
    assert all(re.fullmatch(r"XMAS-[A-HJ-NP-Z2-9]{10}", c) for c in first["codes"])
    assert all(re.fullmatch(r"[A-HJ-NP-Z2-9]{10}", c) for c in second["codes"])

    response = admin.get(f"{API}/promotions/WELCOME/coupons.csv", params={"batch": first["batch_id"]})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(r["code"] for r in rows) == sorted(first["codes"])
    assert {(r["batch_id"], r["max_redemptions"], r["redemptions"]) for r in rows} == {
        (first["batch_id"], "1", "0")
    }
    assert len(_ok(admin.get(f"{API}/promotions/WELCOME/coupons"))) == 2800


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"count": 0}, 422, "pricing.coupon_invalid", "count"),
        ({"count": 100_001}, 422, "pricing.coupon_invalid", "count"),
        ({"count": 5, "prefix": "BAD PREFIX"}, 422, "pricing.coupon_invalid", "prefix"),
        ({"count": 5, "max_redemptions": 0}, 422, "pricing.coupon_invalid", "max_redemptions"),
        ({"count": 5, "per_customer_limit": -1}, 422, "pricing.coupon_invalid", "per_customer_limit"),
        ({"code": "x!"}, 422, "pricing.coupon_invalid", "code"),
        ({"code": "TAKEN1"}, 409, "pricing.coupon_exists", None),
    ],
)
def test_bad_coupon_requests_are_refused_and_issue_nothing(
    catalog: FrozenClock,
    admin: httpx.Client,
    db: Database,
    body: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    _ok(admin.post(f"{API}/promotions", json=coupon_promotion_body()), 201)
    _ok(admin.post(f"{API}/promotions/WELCOME/coupons", json={"code": "taken1"}), 201)
    before = pricing_counts(db)
    error = _error(admin.post(f"{API}/promotions/WELCOME/coupons", json=body), status, code)
    assert error["details"].get("field") == field
    assert pricing_counts(db) == before
    _error(admin.post(f"{API}/promotions/NOPE/coupons", json={"count": 1}), 404, "pricing.unknown_promotion")


def test_expired_coupons_and_promotions_not_live_are_refused(
    catalog: FrozenClock, admin: httpx.Client, db: Database
) -> None:
    ends = (T0 + timedelta(days=1)).isoformat()
    _ok(admin.post(f"{API}/promotions", json=coupon_promotion_body(valid_to=ends)), 201)
    [code] = _ok(
        admin.post(
            f"{API}/promotions/WELCOME/coupons",
            json={"count": 1, "valid_to": (T0 + timedelta(hours=1)).isoformat()},
        ),
        201,
    )["codes"]
    assert _quote(admin, (RUN42, 1), coupons=[code])["discount"] == 1000

    catalog.advance(hours=2)
    _error(
        admin.post(f"{API}/quotes", json=quote_body((RUN42, 1), coupons=[code])),
        422,
        "pricing.coupon_expired",
    )
    [later] = _ok(admin.post(f"{API}/promotions/WELCOME/coupons", json={"count": 1}), 201)["codes"]
    assert _quote(admin, (RUN42, 1), coupons=[later])["discount"] == 1000
    catalog.advance(days=1)
    _error(
        admin.post(f"{API}/quotes", json=quote_body((RUN42, 1), coupons=[later])),
        422,
        "pricing.coupon_expired",
    )


def test_voucher_bound_to_a_customer_is_not_yours_for_another(
    catalog: FrozenClock, admin: httpx.Client, db: Database
) -> None:
    _ok(admin.post(f"{API}/promotions", json=coupon_promotion_body("VOUCHER", threshold=0, amount=None)), 201)
    with db.write() as conn:
        code = service.create_coupon_in(conn, "VOUCHER", None, value_minor=700, customer_id="cus_A")
    assert _quote(admin, (TEE, 1), coupons=[code], customer_id="cus_A")["discount"] == 700
    _error(
        admin.post(f"{API}/quotes", json=quote_body((TEE, 1), coupons=[code], customer_id="cus_B")),
        422,
        "pricing.coupon_not_yours",
    )


# --- budgets ----------------------------------------------------------------------------------


def test_discount_budget_caps_then_stops_the_promotion(
    catalog: FrozenClock, admin: httpx.Client, db: Database
) -> None:
    _ok(admin.post(f"{API}/promotions", json=promotion_body(budget_minor=1500)), 201)
    args = {"lines": lines((RUN42, 2)), "channel": "web"}

    assert _quote(admin, (RUN42, 2))["discount"] == 1500  # 1998 capped at the budget
    _order(db, args, "ord_1", None)

    assert _quote(admin, (RUN42, 2))["discount"] == 0
    usage = _ok(admin.get(f"{API}/promotions/RUN10"))
    assert (usage["budget_left_minor"], usage["usage"]["discount_minor"]) == (0, 1500)


def test_redemption_budget_counts_orders_and_refuses_a_stale_quote(
    catalog: FrozenClock, admin: httpx.Client, db: Database
) -> None:
    _ok(admin.post(f"{API}/promotions", json=promotion_body(max_redemptions=1)), 201)
    request = service.QuoteRequest(lines=lines((RUN43, 1)), channel="web")
    stale = service.quote(db, request)
    _order(db, {"lines": lines((RUN42, 1)), "channel": "web"}, "ord_1", None)
    before = pricing_counts(db)

    with pytest.raises(Conflict) as refused, db.write() as conn:
        service.record_redemptions_in(conn, stale, order_id="ord_2", customer_id=None)
    assert refused.value.code == "pricing.budget_exhausted"
    assert pricing_counts(db) == before
    assert _quote(admin, (RUN42, 1))["discount"] == 0


def test_per_customer_limit_of_a_promotion(catalog: FrozenClock, admin: httpx.Client, db: Database) -> None:
    _ok(admin.post(f"{API}/promotions", json=promotion_body(per_customer_limit=1)), 201)
    _order(db, {"lines": lines((RUN42, 1)), "channel": "web"}, "ord_1", "cus_A")
    assert _quote(admin, (RUN42, 1), customer_id="cus_A")["discount"] == 0
    assert _quote(admin, (RUN42, 1), customer_id="cus_B")["discount"] == 999


# --- coherence --------------------------------------------------------------------------------


def test_coherence_report_through_http(catalog: FrozenClock, admin: httpx.Client, db: Database) -> None:
    _ok(
        admin.post(
            f"{API}/price-overrides", json={"sku": TEE, "amount": 1990, "store": "MI-01", "reason": "Outlet"}
        ),
        201,
    )
    report = _ok(admin.get(f"{API}/pricing/coherence"))
    assert (report["skus"], report["unjustified"], report["new_findings"]) == (1, 0, 0)
    [finding] = report["findings"]
    assert (
        finding["sku"],
        finding["store"],
        finding["difference"],
        finding["justified"],
        finding["reason"],
    ) == (
        TEE,
        "MI-01",
        -510,
        True,
        "Outlet",
    )
    audited = _ok(admin.post(f"{API}/pricing/coherence/audit", json={}))
    assert audited["new_findings"] == 0


def test_coherence_report_lists_unjustified_first_and_can_be_cut(
    catalog: FrozenClock, admin: httpx.Client, db: Database
) -> None:
    _ok(
        admin.post(
            f"{API}/price-overrides", json={"sku": TEE, "amount": 1990, "store": "MI-01", "reason": "Outlet"}
        ),
        201,
    )
    with db.write() as conn:  # a store price pushed by a till sync, without a reason
        service.record_store_price_in(conn, RUN42, "MI-01", 4500, "pos_sync")

    everything = _ok(admin.get(f"{API}/pricing/coherence"))
    unjustified = _ok(admin.get(f"{API}/pricing/coherence", params={"unjustified_only": "true"}))
    first = _ok(admin.get(f"{API}/pricing/coherence", params={"limit": 1}))
    refused = admin.get(f"{API}/pricing/coherence", params={"limit": 0})

    assert (everything["total"], everything["unjustified"], everything["truncated"]) == (2, 1, False)
    assert [(f["sku"], f["justified"]) for f in everything["findings"]] == [(RUN42, False), (TEE, True)]
    assert [(f["sku"], f["source"]) for f in unjustified["findings"]] == [(RUN42, "pos_sync")]
    assert unjustified["truncated"] is False
    assert ([f["sku"] for f in first["findings"]], first["truncated"], first["total"]) == ([RUN42], True, 2)
    assert refused.status_code == 422
