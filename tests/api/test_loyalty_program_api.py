"""The loyalty program through real HTTP: a till's receipts and their offline replay, rewarded
actions, the program's rules and tiers, a member's tier and pending points, and an order's
points earned by the worker and taken back by a return at the desk. Bad input: 4xx, nothing
recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.loyalty_program_support import (
    BAG,
    RUN,
    balance,
    complete_order,
    ledger_rows,
    make_member,
    make_program_network,
    shipped,
)
from tests.support import LiveServer, client_for
from unico.core import clock
from unico.core.db import Database
from unico.settings import Settings
from unico.worker import Worker

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def network(db: Database) -> Database:
    make_program_network(db)
    return db


def _receipt(receipt_id: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "receipt_id": receipt_id,
        "store": "MI-01",
        "till": "T1",
        "lines": [
            {"sku": RUN, "quantity": 1, "net_minor": 8999},
            {"sku": BAG, "quantity": 2, "net_minor": 5050},
        ],
        "at": (clock.now() - timedelta(hours=2)).isoformat(),
    }
    body.update(extra)
    return body


def _error(response: httpx.Response) -> tuple[int, str, Any]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["details"].get("field")


def test_a_till_replaying_its_receipts_never_double_counts(network: Database, admin: httpx.Client) -> None:
    member = make_member(network, card="LC004200")
    sale = _receipt("MI01-T1-0001", card="LC004200")

    first = admin.post("/api/v1/loyalty/receipts", json=sale)
    again = admin.post("/api/v1/loyalty/receipts", json=sale)

    assert first.status_code == 201, first.text
    assert {k: first.json()[k] for k in ("status", "account_id", "points")} == {
        "status": "recorded",
        "account_id": member.account_id,
        "points": 139,
    }
    assert first.json()["explanation_it"] == "139 punti: 1 punto/i per € su 140,49 € (BASE)"
    assert again.status_code == 200
    assert (again.json()["status"], again.json()["txn_id"]) == ("already_recorded", first.json()["txn_id"])
    other = _receipt(
        "MI01-T1-0002",
        customer_id=member.customer_id,
        lines=[{"sku": RUN, "quantity": 1, "net_minor": 10_000}],
    )
    replay = admin.post("/api/v1/loyalty/receipts/batch", json={"receipts": [sale, other, other]})
    assert replay.status_code == 200, replay.text
    assert (replay.json()["recorded"], replay.json()["already_recorded"]) == (1, 2)
    assert [r["points"] for r in replay.json()["results"]] == [139, 100, 100]
    rows = ledger_rows(network)
    assert (
        admin.post("/api/v1/loyalty/receipts/batch", json={"receipts": [other, sale]}).json()["recorded"] == 0
    )
    assert ledger_rows(network) == rows
    assert balance(network, member.account_id) == (0, 239, 239, "base")
    pending = admin.get(f"/api/v1/loyalty/accounts/{member.account_id}/pending").json()
    assert [(p["source_ref"], p["points"]) for p in pending] == [("MI01-T1-0001", 139), ("MI01-T1-0002", 100)]

    back = {
        "return_id": "MI01-T1-R1",
        "receipt_id": "MI01-T1-0001",
        "store": "MI-01",
        "lines": [{"line_no": 2, "quantity": 1}],
    }
    taken = admin.post("/api/v1/loyalty/receipts/returns", json=back)
    assert taken.status_code == 201, taken.text
    assert (taken.json()["status"], taken.json()["points"]) == ("recorded", 25)  # half of line 2's 50
    assert admin.post("/api/v1/loyalty/receipts/returns", json=back).status_code == 200
    too_many = {**back, "return_id": "MI01-T1-R2", "lines": [{"line_no": 2, "quantity": 2}]}
    assert _error(admin.post("/api/v1/loyalty/receipts/returns", json=too_many)) == (
        422,
        "loyalty.receipt_return_invalid",
        "lines[0].quantity",
    )
    assert balance(network, member.account_id) == (0, 214, 214, "base")


def test_bad_receipts_are_refused_with_nothing_recorded(
    network: Database, admin: httpx.Client, server: LiveServer
) -> None:
    member = make_member(network, card="LC004200")
    rows = ledger_rows(network)
    negative = [{"sku": RUN, "quantity": 1, "net_minor": -5}]
    for body, expected in (
        (_receipt("R-1", card="LC999999"), (404, "loyalty.card_unknown", None)),
        (_receipt("R-1", customer_id="cus_nobody"), (404, "loyalty.not_enrolled", None)),
        (_receipt("R-1", card="LC004200", store="XX-1"), (404, "loyalty.unknown_store", None)),
        (
            _receipt("R-1", card="LC004200", lines=negative),
            (422, "loyalty.receipt_invalid", "lines[0].net_minor"),
        ),
        (_receipt("R-1"), (422, "loyalty.receipt_invalid", "card")),
        ({"receipt_id": "R-1", "store": "MI-01"}, (422, "validation.failed", "lines")),
    ):
        assert _error(admin.post("/api/v1/loyalty/receipts", json=body)) == expected
    good = _receipt("R-2", card="LC004200")
    batch = admin.post(
        "/api/v1/loyalty/receipts/batch", json={"receipts": [good, _receipt("R-3", card="LC999999")]}
    )
    assert _error(batch) == (404, "loyalty.card_unknown", None)
    with client_for(server, network, "store_associate", store="MI-02") as associate:
        assert _error(associate.post("/api/v1/loyalty/receipts", json=good)) == (
            403,
            "auth.other_store",
            None,
        )
    with client_for(server, network, "analyst") as analyst:
        assert _error(analyst.post("/api/v1/loyalty/receipts", json=good)) == (403, "auth.forbidden", None)
    assert ledger_rows(network) == rows
    assert balance(network, member.account_id) == (0, 0, 0, "base")


def test_actions_pay_once_per_customer(network: Database, admin: httpx.Client) -> None:
    member = make_member(network)

    def act(action: str, ref: str, customer_id: str = member.customer_id) -> httpx.Response:
        return admin.post(
            "/api/v1/loyalty/actions", json={"customer_id": customer_id, "action": action, "ref": ref}
        )

    first = act("app_install", "device-1")
    assert first.status_code == 201, first.text
    assert (first.json()["status"], first.json()["points"]) == ("recorded", 100)
    assert act("app_install", "device-1").json()["status"] == "already_recorded"
    rows = ledger_rows(network)
    assert _error(act("app_install", "device-2")) == (409, "loyalty.action_already_rewarded", None)
    assert _error(act("review", "r-1", "cus_nobody")) == (404, "loyalty.not_enrolled", None)
    assert _error(act("tweet", "t-1")) == (422, "loyalty.unknown_action", "action")
    assert ledger_rows(network) == rows
    assert act("review", "r-1").json()["points"] == 20
    assert balance(network, member.account_id) == (120, 0, 120, "base")


def test_program_rules_and_tiers_are_checked_before_they_are_saved(
    network: Database, admin: httpx.Client, server: LiveServer
) -> None:
    program = admin.get("/api/v1/loyalty/rules").json()
    assert program["settings"] == {"return_window_days": 30, "expiry_months": 24}
    assert [(r["code"], r["kind"], r["active"]) for r in program["rules"]][:2] == [
        ("BASE", "per_euro", True),
        ("RUNNING-X2", "campaign", False),
    ]
    tiers = admin.get("/api/v1/loyalty/tiers").json()
    assert [(t["code"], t["threshold"], t["earn_multiplier_bp"], t["free_delivery"]) for t in tiers] == [
        ("base", 0, 10_000, False),
        ("silver", 500, 12_500, False),
        ("gold", 1500, 15_000, True),
    ]
    swapped = [tiers[0], tiers[2], tiers[1]]
    assert _error(admin.put("/api/v1/loyalty/tiers", json={"tiers": swapped})) == (
        422,
        "loyalty.program_invalid",
        "tiers[2].threshold",
    )
    free = [tiers[0], {**tiers[1], "earn_multiplier_bp": 0}]
    assert (
        _error(admin.put("/api/v1/loyalty/tiers", json={"tiers": free}))[2] == "tiers[1].earn_multiplier_bp"
    )
    zero = [program["rules"][0], {**program["rules"][1], "multiplier_bp": 0}]
    assert _error(admin.put("/api/v1/loyalty/rules", json={"rules": zero})) == (
        422,
        "loyalty.program_invalid",
        "rules[1].multiplier_bp",
    )
    assert _error(
        admin.put("/api/v1/loyalty/settings", json={"return_window_days": -1, "expiry_months": 24})
    )[1:] == ("loyalty.program_invalid", "return_window_days")
    with client_for(server, network, "integration") as integration:
        assert _error(integration.put("/api/v1/loyalty/tiers", json={"tiers": tiers}))[:2] == (
            403,
            "auth.forbidden",
        )
    assert admin.get("/api/v1/loyalty/rules").json() == program

    live = [program["rules"][0], {**program["rules"][1], "active": True}]
    saved = admin.put("/api/v1/loyalty/rules", json={"rules": live})
    assert saved.status_code == 200, saved.text
    assert [r["code"] for r in saved.json()["rules"]] == ["BASE", "RUNNING-X2"]
    member = make_member(network)
    earned = admin.post(
        "/api/v1/loyalty/receipts", json=_receipt("R-1", customer_id=member.customer_id)
    ).json()
    assert earned["points"] == 229  # 8999 doubled -> 179, plus 50
    assert admin.put(
        "/api/v1/loyalty/settings", json={"return_window_days": 14, "expiry_months": 12}
    ).json() == {
        "return_window_days": 14,
        "expiry_months": 12,
    }
    progress = admin.get(f"/api/v1/loyalty/accounts/{member.account_id}/tier").json()
    assert (progress["tier"]["code"], progress["earned_12m"], progress["points_to_next"]) == (
        "base",
        229,
        271,
    )
    assert progress["next_tier"]["code"] == "silver" and progress["changes"] == []
    assert admin.get("/api/v1/loyalty/accounts/LAnope/tier").status_code == 404


def test_an_order_earns_through_the_worker_and_a_return_at_the_desk_takes_back_its_share(
    network: Database, admin: httpx.Client, settings: Settings
) -> None:
    frozen = clock.FrozenClock(T0)
    clock.set_clock(frozen)
    member = make_member(network)
    complete_order(network, "ord_H1", member.customer_id, (shipped(RUN, 3, 3000), shipped(BAG, 1, 1999)))
    Worker(network, settings).run_once()
    account = f"/api/v1/loyalty/accounts/{member.account_id}"
    assert [(p["source_ref"], p["points"]) for p in admin.get(f"{account}/pending").json()] == [
        ("ord_H1", 109)
    ]

    returned = admin.post(
        "/api/v1/returns",
        json={
            "order_id": "ord_H1",
            "location": "MI-01",
            "lines": [{"line_no": 1, "quantity": 2, "condition": "sellable"}],
        },
    )
    assert returned.status_code == 201, returned.text
    Worker(network, settings).run_once()
    Worker(network, settings).run_once()

    assert balance(network, member.account_id) == (0, 49, 49, "base")  # 90 * 2 // 3 = 60 back
    frozen.advance(days=30)
    Worker(network, settings).run_once()
    assert balance(network, member.account_id) == (49, 0, 49, "base")
    assert admin.get(f"{account}/pending").json() == []
