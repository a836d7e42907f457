"""Loyalty accounts, cards, adjustments, rewards and redemptions through real HTTP, with every bad
input refused and nothing recorded."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.factories import make_location, make_variants
from tests.loyalty_support import earn, ledger_counts, make_customer, problems, with_default_rewards
from tests.support import LiveServer, client_for
from unico.core.db import Database
from unico.customers import service as customers
from unico.loyalty.accounts import luhn_digit, membership
from unico.loyalty.model import Membership
from unico.pricing import service as pricing
from unico.pricing.model import CartLine
from unico.pricing.store import coupons


@pytest.fixture
def catalog(db: Database) -> Database:
    with_default_rewards(db)
    return db


def _enroll(client: httpx.Client, customer_id: str, **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/loyalty/accounts", json={"customer_id": customer_id, **extra})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _redeem(client: httpx.Client, **body: Any) -> httpx.Response:
    return client.post("/api/v1/loyalty/redemptions", json={"channel": "web", **body})


def _error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_enrolling_gives_one_account_with_a_digital_and_a_physical_card(
    db: Database, admin: httpx.Client
) -> None:
    customer_id = make_customer(db)

    body = _enroll(admin, customer_id, physical_card="lc 0042 1234", channel="store", store="MI-01")

    assert body["account_id"].startswith("LA")
    assert (body["customer_id"], body["tier"], body["status"]) == (customer_id, "base", "active")
    assert (body["available"], body["pending"], body["lifetime_earned"]) == (0, 0, 0)
    digital = body["digital_card"]
    assert digital.startswith("UD") and len(digital) == 12 and luhn_digit(digital[2:-1]) == digital[-1]
    assert [(c["card_number"], c["kind"]) for c in body["cards"]] == [
        (digital, "digital"),
        ("LC00421234", "physical"),
    ]
    assert body["ledger"] == [] and body["redemptions"] == []
    # The same account whichever way a channel finds it.
    for path in (
        f"/api/v1/loyalty/accounts/{body['account_id']}",
        f"/api/v1/loyalty/customers/{customer_id}",
        "/api/v1/loyalty/cards/LC0042 1234",
        f"/api/v1/loyalty/cards/{digital.lower()}",
    ):
        found = admin.get(path)
        assert found.status_code == 200, path
        assert found.json()["account_id"] == body["account_id"]
    # Both cards are stitched to the customer's profile.
    identifiers = customers.get_profile(db, customer_id)["identifiers"]
    assert sorted(i["value"] for i in identifiers if i["kind"] == "loyalty_card") == sorted(
        ["LC00421234", digital]
    )


def test_enrolment_refusals(db: Database, admin: httpx.Client) -> None:
    first = make_customer(db, "a@example.it")
    second = make_customer(db, "b@example.it")
    account = _enroll(admin, first, physical_card="CARD0001")

    again = admin.post("/api/v1/loyalty/accounts", json={"customer_id": first})
    unknown = admin.post("/api/v1/loyalty/accounts", json={"customer_id": "cus_NOPE"})
    taken = admin.post("/api/v1/loyalty/accounts", json={"customer_id": second, "physical_card": "card0001"})
    fax = admin.post("/api/v1/loyalty/accounts", json={"customer_id": second, "channel": "fax"})

    assert _error(again) == (409, "loyalty.already_enrolled")
    assert again.json()["error"]["details"]["account_id"] == account["account_id"]
    assert _error(unknown) == (404, "customers.not_found")
    assert _error(taken) == (409, "loyalty.card_taken")
    assert _error(fax) == (422, "loyalty.bad_channel")
    assert _error(admin.get(f"/api/v1/loyalty/customers/{second}")) == (404, "loyalty.not_enrolled")
    assert _error(admin.get("/api/v1/loyalty/cards/ZZ999999")) == (404, "loyalty.card_unknown")


def test_a_person_keeps_one_account_after_a_merge(db: Database, admin: httpx.Client) -> None:
    older = make_customer(db, "a@example.it")
    newer = make_customer(db, "b@example.it")
    account = _enroll(admin, older)
    customers.merge(db, newer, older, "same person", "test")

    again = admin.post("/api/v1/loyalty/accounts", json={"customer_id": newer})
    via_old_id = admin.post("/api/v1/loyalty/accounts", json={"customer_id": older})

    assert _error(again) == (409, "loyalty.already_enrolled")
    assert again.json()["error"]["details"]["account_id"] == account["account_id"]
    assert _error(via_old_id) == (409, "loyalty.already_enrolled")
    # The survivor is the member now: every channel asking by its id finds the same account.
    assert admin.get(f"/api/v1/loyalty/customers/{newer}").json()["account_id"] == account["account_id"]
    assert admin.get(f"/api/v1/loyalty/customers/{older}").json()["account_id"] == account["account_id"]
    with db.read() as conn:
        assert membership(conn, newer) == Membership(account["account_id"], "base")


def test_adding_cards(db: Database, admin: httpx.Client) -> None:
    one = _enroll(admin, make_customer(db, "a@example.it"))
    other = _enroll(admin, make_customer(db, "b@example.it"))

    added = admin.post(
        f"/api/v1/loyalty/accounts/{one['account_id']}/cards", json={"card_number": "PH123456"}
    )
    taken = admin.post(
        f"/api/v1/loyalty/accounts/{other['account_id']}/cards", json={"card_number": "ph 123456"}
    )
    digital = admin.post(
        f"/api/v1/loyalty/accounts/{other['account_id']}/cards", json={"card_number": one["digital_card"]}
    )
    bad = admin.post(f"/api/v1/loyalty/accounts/{other['account_id']}/cards", json={"card_number": "x!"})

    assert added.status_code == 201
    assert [c["card_number"] for c in added.json()["cards"]] == [one["digital_card"], "PH123456"]
    assert _error(taken) == (409, "loyalty.card_taken")
    assert _error(digital) == (409, "loyalty.card_taken")
    assert _error(bad) == (422, "loyalty.card_invalid")


def test_adjustments_are_idempotent_and_never_overdraw(db: Database, admin: httpx.Client) -> None:
    account_id = _enroll(admin, make_customer(db))["account_id"]
    path = f"/api/v1/loyalty/accounts/{account_id}/adjustments"

    first = admin.post(path, json={"points": 250, "reason": "goodwill", "source_ref": "ticket-1"})
    replay = admin.post(path, json={"points": 250, "reason": "goodwill", "source_ref": "ticket-1"})
    before = ledger_counts(db)
    overdraw = admin.post(path, json={"points": -251, "reason": "error", "source_ref": "ticket-2"})
    no_reason = admin.post(path, json={"points": 5, "reason": " ", "source_ref": "ticket-3"})
    zero = admin.post(path, json={"points": 0, "reason": "nothing", "source_ref": "ticket-4"})

    assert first.status_code == 201 and first.json()["replayed"] is False
    assert first.json()["account"]["available"] == 250
    assert first.json()["account"]["lifetime_earned"] == 0  # a correction is not earned
    assert replay.status_code == 200 and replay.json()["replayed"] is True
    assert replay.json()["account"]["available"] == 250
    assert _error(overdraw) == (409, "loyalty.insufficient_points")
    assert overdraw.json()["error"]["details"]["available"] == 250
    assert overdraw.json()["error"]["details"]["requested"] == 251
    assert _error(no_reason) == (422, "loyalty.reason_required")
    assert _error(zero) == (422, "loyalty.bad_points")
    assert ledger_counts(db) == before
    ledger = admin.get(f"/api/v1/loyalty/accounts/{account_id}/ledger").json()
    assert [(p["kind"], p["source_ref"], p["available_delta"]) for p in ledger] == [
        ("adjust", "ticket-1", 250)
    ]
    assert {leg["bucket"]: leg["points"] for leg in ledger[0]["legs"]} == {
        "available": 250,
        "program:adjusted": -250,
    }
    assert problems(db, account_id) == []


def test_ledger_pages_back_from_a_posting(db: Database, admin: httpx.Client) -> None:
    account_id = _enroll(admin, make_customer(db))["account_id"]
    for n in range(25):
        earn(db, account_id, 10, f"r{n}")

    view = admin.get(f"/api/v1/loyalty/accounts/{account_id}").json()
    page = admin.get(f"/api/v1/loyalty/accounts/{account_id}/ledger", params={"limit": 10}).json()
    rest = admin.get(
        f"/api/v1/loyalty/accounts/{account_id}/ledger", params={"limit": 50, "before": page[-1]["txn_id"]}
    ).json()

    assert len(view["ledger"]) == 20 and view["ledger"][0]["source_ref"] == "r24"
    assert [p["source_ref"] for p in page] == [f"r{n}" for n in range(24, 14, -1)]
    assert [p["source_ref"] for p in rest] == [f"r{n}" for n in range(14, -1, -1)]
    assert view["available"] == 250


def test_rewards_catalog(catalog: Database, admin: httpx.Client, server: LiveServer) -> None:
    listed = admin.get("/api/v1/loyalty/rewards").json()
    assert [(r["code"], r["kind"], r["cost_points"], r["value_minor"]) for r in listed] == [
        ("BUONO-10", "voucher", 900, 1000),
        ("BUONO-5", "voucher", 500, 500),
        ("PUNTI-SCONTO", "points_discount", None, None),
    ]
    new = {"code": "buono-20", "name_it": "Buono 20 €", "name_en": "€20 voucher", "kind": "voucher"}

    created = admin.post("/api/v1/loyalty/rewards", json={**new, "cost_points": 1800, "value_minor": 2000})
    again = admin.post("/api/v1/loyalty/rewards", json={**new, "cost_points": 1800, "value_minor": 2000})
    contradictory = admin.post(
        "/api/v1/loyalty/rewards",
        json={**new, "code": "X-1", "cost_points": 100, "value_minor": 100, "min_points": 5},
    )
    negative = admin.post(
        "/api/v1/loyalty/rewards", json={**new, "code": "X-2", "cost_points": -5, "value_minor": 100}
    )
    with client_for(server, catalog, "integration") as integration:
        forbidden = integration.post("/api/v1/loyalty/rewards", json={**new, "code": "X-3"})
    paused = admin.put(
        "/api/v1/loyalty/rewards/BUONO-20",
        json={**new, "cost_points": 1800, "value_minor": 2000, "status": "inactive"},
    )

    assert created.status_code == 201 and created.json()["code"] == "BUONO-20"
    assert _error(again) == (409, "loyalty.reward_exists")
    assert _error(contradictory) == (422, "loyalty.reward_invalid")
    assert contradictory.json()["error"]["details"]["field"] == "kind"
    assert _error(negative) == (422, "loyalty.reward_invalid")
    assert negative.json()["error"]["details"]["field"] == "cost_points"
    assert _error(forbidden) == (403, "auth.forbidden")
    assert paused.status_code == 200 and paused.json()["status"] == "inactive"
    assert [r["code"] for r in admin.get("/api/v1/loyalty/rewards", params={"status": "active"}).json()] == [
        "BUONO-10",
        "BUONO-5",
        "PUNTI-SCONTO",
    ]


def test_full_and_partial_redemptions_give_vouchers(catalog: Database, admin: httpx.Client) -> None:
    account = _enroll(admin, make_customer(catalog))
    earn(catalog, account["account_id"], 1750, "receipt-1")

    voucher = _redeem(admin, account_id=account["account_id"], reward_code="BUONO-5", redemption_ref="chk-1")
    partial = _redeem(
        admin, card=account["digital_card"], reward_code="punti-sconto", points=700, redemption_ref="chk-2"
    )

    assert voucher.status_code == 201, voucher.text
    v = voucher.json()
    assert (v["reward_code"], v["points"], v["value_minor"], v["status"], v["replayed"]) == (
        "BUONO-5",
        500,
        500,
        "done",
        False,
    )
    assert v["balance"] == {"available": 1250, "pending": 0, "lifetime_earned": 1750, "tier": "base"}
    assert partial.status_code == 201
    p = partial.json()
    assert (p["points"], p["value_minor"], p["balance"]["available"]) == (700, 700, 550)
    with catalog.read() as conn:
        rows = conn.execute(
            select(
                coupons.c.code, coupons.c.value_minor, coupons.c.customer_id, coupons.c.max_redemptions
            ).order_by(coupons.c.value_minor)
        ).all()
    assert [tuple(r) for r in rows] == [
        (v["voucher_code"], 500, account["customer_id"], 1),
        (p["voucher_code"], 700, account["customer_id"], 1),
    ]
    view = admin.get(f"/api/v1/loyalty/customers/{account['customer_id']}").json()
    assert view["available"] == 550
    assert [r["redemption_ref"] for r in view["redemptions"]] == ["chk-2", "chk-1"]
    assert [(x["kind"], x["available_delta"]) for x in view["ledger"]] == [
        ("redeem", -700),
        ("redeem", -500),
        ("earn", 1750),
    ]
    assert problems(catalog, account["account_id"]) == []


def test_bad_redemptions_are_refused_and_record_nothing(catalog: Database, admin: httpx.Client) -> None:
    account_id = _enroll(admin, make_customer(catalog))["account_id"]
    earn(catalog, account_id, 600, "receipt-1")
    admin.put(
        "/api/v1/loyalty/rewards/BUONO-10",
        json={
            "code": "BUONO-10",
            "name_it": "Buono 10 €",
            "name_en": "€10 voucher",
            "kind": "voucher",
            "cost_points": 900,
            "value_minor": 1000,
            "status": "inactive",
        },
    )
    before = ledger_counts(catalog)
    cases: list[tuple[dict[str, Any], tuple[int, str]]] = [
        ({"reward_code": "PUNTI-SCONTO", "points": 700}, (409, "loyalty.insufficient_points")),
        ({"reward_code": "PUNTI-SCONTO"}, (422, "loyalty.points_required")),
        ({"reward_code": "PUNTI-SCONTO", "points": 50}, (422, "loyalty.below_minimum")),
        ({"reward_code": "PUNTI-SCONTO", "points": 150}, (422, "loyalty.bad_step")),
        ({"reward_code": "PUNTI-SCONTO", "points": -100}, (422, "loyalty.bad_points")),
        ({"reward_code": "BUONO-5", "points": 400}, (422, "loyalty.fixed_points")),
        ({"reward_code": "BUONO-10"}, (422, "loyalty.reward_inactive")),
        ({"reward_code": "NOPE"}, (404, "loyalty.reward_not_found")),
        ({"reward_code": "BUONO-5", "channel": "pigeon"}, (422, "loyalty.bad_channel")),
    ]
    for n, (body, expected) in enumerate(cases):
        response = _redeem(admin, **{"account_id": account_id, "redemption_ref": f"bad-{n}", **body})
        assert _error(response) == expected, body
    over = _redeem(admin, account_id=account_id, reward_code="PUNTI-SCONTO", points=700, redemption_ref="x")
    assert over.json()["error"]["details"] == {
        "account_id": account_id,
        "bucket": "available",
        "available": 600,
        "requested": 700,
    }
    assert _error(_redeem(admin, card="ZZ000000", reward_code="BUONO-5", redemption_ref="y")) == (
        404,
        "loyalty.card_unknown",
    )
    assert _error(_redeem(admin, reward_code="BUONO-5", redemption_ref="z")) == (
        422,
        "loyalty.account_required",
    )
    assert ledger_counts(catalog) == before
    assert admin.get(f"/api/v1/loyalty/accounts/{account_id}").json()["available"] == 600


def test_a_redemption_ref_is_answered_once(catalog: Database, admin: httpx.Client) -> None:
    account_id = _enroll(admin, make_customer(catalog))["account_id"]
    earn(catalog, account_id, 1000, "receipt-1")
    body = {
        "account_id": account_id,
        "reward_code": "PUNTI-SCONTO",
        "points": 300,
        "redemption_ref": "till-7",
    }

    first = _redeem(admin, **body)
    counts = ledger_counts(catalog)
    replay = _redeem(admin, **body)
    other = _redeem(admin, **{**body, "points": 400})

    assert first.status_code == 201 and replay.status_code == 200
    assert replay.json()["replayed"] is True
    assert {k: v for k, v in replay.json().items() if k != "replayed"} == {
        k: v for k, v in first.json().items() if k != "replayed"
    }
    assert _error(other) == (409, "loyalty.redemption_mismatch")
    assert ledger_counts(catalog) == counts
    assert admin.get(f"/api/v1/loyalty/accounts/{account_id}").json()["available"] == 700


def test_store_associates_redeem_only_for_their_own_store(
    catalog: Database, admin: httpx.Client, server: LiveServer
) -> None:
    make_location(catalog, "MI-01")
    make_location(catalog, "MI-02", offset_km=3)
    account_id = _enroll(admin, make_customer(catalog))["account_id"]
    earn(catalog, account_id, 1000, "receipt-1")
    body = {"account_id": account_id, "reward_code": "BUONO-5", "channel": "store"}

    with client_for(server, catalog, "store_associate", store="MI-01") as associate:
        other_store = associate.post(
            "/api/v1/loyalty/redemptions", json={**body, "store": "MI-02", "redemption_ref": "a"}
        )
        own = associate.post("/api/v1/loyalty/redemptions", json={**body, "redemption_ref": "b"})
    with client_for(server, catalog, "analyst") as analyst:
        reader = analyst.post("/api/v1/loyalty/redemptions", json={**body, "redemption_ref": "c"})
        seen = analyst.get(f"/api/v1/loyalty/accounts/{account_id}")

    assert _error(other_store) == (403, "auth.other_store")
    assert own.status_code == 201 and own.json()["store"] == "MI-01"
    assert _error(reader) == (403, "auth.forbidden")
    assert seen.status_code == 200 and seen.json()["available"] == 500


def test_cancelling_an_unused_redemption_gives_the_points_back(
    catalog: Database, admin: httpx.Client
) -> None:
    account_id = _enroll(admin, make_customer(catalog))["account_id"]
    earn(catalog, account_id, 1000, "receipt-1")
    done = _redeem(admin, account_id=account_id, reward_code="BUONO-10", redemption_ref="r1").json()

    cancelled = admin.post("/api/v1/loyalty/redemptions/r1/cancel", json={"reason": "changed mind"})
    again = admin.post("/api/v1/loyalty/redemptions/r1/cancel", json={})
    missing = admin.post("/api/v1/loyalty/redemptions/nope/cancel", json={})

    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["balance"]["available"]) == ("cancelled", 1000)
    assert again.status_code == 200 and again.json()["balance"]["available"] == 1000
    assert _error(missing) == (404, "loyalty.redemption_not_found")
    with catalog.read() as conn:
        voided = conn.execute(
            select(coupons.c.max_redemptions).where(coupons.c.code == done["voucher_code"])
        ).scalar_one()
    assert voided == 0
    assert problems(catalog, account_id) == []


def test_a_redemption_whose_voucher_was_used_cannot_be_cancelled(
    catalog: Database, admin: httpx.Client
) -> None:
    account_id = _enroll(admin, make_customer(catalog))["account_id"]
    earn(catalog, account_id, 1000, "receipt-1")
    done = _redeem(admin, account_id=account_id, reward_code="BUONO-5", redemption_ref="r1").json()
    with catalog.write() as conn:  # an order used it
        conn.execute(coupons.update().where(coupons.c.code == done["voucher_code"]).values(redemptions=1))
    before = ledger_counts(catalog)

    refused = admin.post("/api/v1/loyalty/redemptions/r1/cancel", json={})

    assert _error(refused) == (409, "loyalty.voucher_used")
    assert ledger_counts(catalog) == before
    assert admin.get(f"/api/v1/loyalty/accounts/{account_id}").json()["available"] == 500


def test_a_redeemed_voucher_pays_its_value_in_a_quote(catalog: Database, admin: httpx.Client) -> None:
    make_variants(catalog, "SKU-V")
    with catalog.write() as conn:
        pricing.set_list_prices_in(conn, [("SKU-V", 4990)], "test")
    account = _enroll(admin, make_customer(catalog))
    earn(catalog, account["account_id"], 800, "receipt-1")
    voucher = _redeem(
        admin, account_id=account["account_id"], reward_code="PUNTI-SCONTO", points=800, redemption_ref="w1"
    ).json()["voucher_code"]

    quoted = pricing.quote(
        catalog,
        pricing.QuoteRequest(
            lines=(CartLine("SKU-V", 1),),
            channel="web",
            customer_id=account["customer_id"],
            coupons=(voucher,),
        ),
    )

    assert (quoted.subtotal, quoted.discount, quoted.total) == (4990, 800, 4190)
    assert [(a.promotion_code, a.coupon, a.amount) for a in quoted.adjustments] == [
        ("LOYALTY-VOUCHER", voucher, 800)
    ]
