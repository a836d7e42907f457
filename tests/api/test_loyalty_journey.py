"""One member's loyalty journey through HTTP, as the channels see it: enrolled on the web, a web
order priced by the engine earns pending points when it completes, a return takes back exactly the
returned unit's points, the rest matures when the return window closes, a store associate redeems
a reward at the till, and the web channel reads the same balance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.api.orders_support import build_network, step, tasks_at
from tests.support import LiveServer, client_for
from unico.access.model import Principal, Role
from unico.core import clock
from unico.core.clock import FrozenClock
from unico.core.db import Database
from unico.loyalty import jobs as loyalty_jobs
from unico.loyalty.rewards import ensure_default_rewards_in
from unico.loyalty.store import loyalty_entries
from unico.pricing import service as pricing
from unico.pricing.model import Promotion, PromotionKind, Target
from unico.settings import Settings
from unico.worker import Worker

ADMIN = Principal(kind="api_key", name="journey-setup", role=Role.ADMIN)
CARD = "UNI4400123456"
START = datetime(2026, 10, 6, 9, 0, tzinfo=UTC)  # a Tuesday morning in Milan


def _worker(db: Database, settings: Settings, *, periodic: bool = False) -> dict[str, int]:
    """One tick of ``unico worker``: the outbox relay, and the loyalty jobs when ``periodic``."""
    jobs = loyalty_jobs.PERIODIC_JOBS if periodic else ()
    return Worker(db, settings, periodic=jobs, webhook_sender=lambda _t, _e: None).run_once()


def _balance(client: httpx.Client, customer_id: str) -> tuple[int, int]:
    response = client.get(f"/api/v1/loyalty/customers/{customer_id}")
    assert response.status_code == 200, response.text
    account = response.json()
    return account["available"], account["pending"]


def _ledger(client: httpx.Client, account_id: str) -> list[tuple[str, int, int]]:
    rows = client.get(f"/api/v1/loyalty/accounts/{account_id}/ledger").json()
    return [(r["kind"], r["available_delta"], r["pending_delta"]) for r in rows]


def _given_a_priced_network(db: Database) -> None:
    """SKU-A at 129.90 with 10% off, SKU-B at 29.90; the rewards catalog."""
    build_network(db)
    with db.write() as conn:
        pricing.set_list_prices_in(conn, [("SKU-A", 12990), ("SKU-B", 2990), ("SKU-C", 1500)], "test")
        ensure_default_rewards_in(conn)
    pricing.create_promotion(
        db,
        Promotion(
            "TENOFF-A",
            "10% off SKU-A",
            PromotionKind.PERCENT_OFF,
            Target(skus=frozenset({"SKU-A"})),
            percent_bp=1000,
        ),
        ADMIN,
    )


def _collect(client: httpx.Client, order_id: str) -> dict[str, Any]:
    """The store picks the order, puts it on the counter and hands it over: completed."""
    [task] = tasks_at(client, "MI-01", order_id)
    step(client, task["task_id"], "pick")
    code = step(client, task["task_id"], "ready")["pickup_code"]
    step(client, task["task_id"], "handover", {"code": code})
    return dict(client.get(f"/api/v1/orders/{order_id}").json())


def test_points_earned_on_the_web_are_reversed_matured_and_spent_in_store(
    db: Database, server: LiveServer, admin: httpx.Client, settings: Settings
) -> None:
    _given_a_priced_network(db)
    frozen = FrozenClock(START)
    clock.set_clock(frozen)
    customer = admin.post(
        "/api/v1/customers", json={"identifiers": {"email": "giulia.verdi@example.com"}, "source": "web"}
    )
    assert customer.status_code == 201, customer.text
    customer_id = customer.json()["profile_id"]

    with client_for(server, db, "integration") as web:
        enrolled = web.post(
            "/api/v1/loyalty/accounts",
            json={"customer_id": customer_id, "physical_card": CARD, "channel": "web"},
        )
        assert enrolled.status_code == 201, enrolled.text
        account_id = enrolled.json()["account_id"]

        # a web order without prices: 2 x 129.90 less 10% = 233.82, and 29.90, collected at MI-01
        placed = web.post(
            "/api/v1/orders",
            json={
                "channel": "web",
                "customer": {"customer_id": customer_id, "email": "giulia.verdi@example.com"},
                "lines": [
                    {"sku": "SKU-A", "quantity": 2, "method": "pickup", "pickup_store": "MI-01"},
                    {"sku": "SKU-B", "quantity": 1, "method": "pickup", "pickup_store": "MI-01"},
                ],
            },
        )
        assert placed.status_code == 201, placed.text
        order = placed.json()
        assert [(ln["unit_price"], ln["discount"], ln["paid"]) for ln in order["lines"]] == [
            (12990, 2598, 23382),
            (2990, 0, 2990),
        ]

        frozen.advance(hours=3)
        assert _collect(admin, order["order_id"])["status"] == "completed"
        _worker(db, settings)
        assert _balance(web, customer_id) == (0, 233 + 29)  # 1 point per euro paid, per line

        frozen.advance(days=2)
        returned = admin.post(
            "/api/v1/returns",
            json={
                "order_id": order["order_id"],
                "location": "MI-01",
                "channel": "store",
                "lines": [{"line_no": 1, "quantity": 1, "reason": "too big", "condition": "sellable"}],
            },
        )
        assert returned.status_code == 201, returned.text
        assert returned.json()["refund"]["amount"] == 11691  # half of what the line paid
        _worker(db, settings)
        assert _balance(web, customer_id) == (0, 262 - 116)  # 233 * 1 // 2 back from line 1

        frozen.advance(days=27)  # 29 days after the order completed
        _worker(db, settings, periodic=True)
        assert _balance(web, customer_id) == (0, 146), "still inside the 30-day return window"
        frozen.advance(days=2)
        _worker(db, settings, periodic=True)
        assert _balance(web, customer_id) == (146, 0)

        with client_for(server, db, "store_associate", store="MI-01") as till:
            redeemed = till.post(
                "/api/v1/loyalty/redemptions",
                json={
                    "reward_code": "PUNTI-SCONTO",
                    "redemption_ref": "MI-01-till-3-000451",
                    "channel": "store",
                    "card": CARD,
                    "points": 100,
                },
            )
        assert redeemed.status_code == 201, redeemed.text
        voucher = redeemed.json()
        assert (voucher["points"], voucher["value_minor"], voucher["store"]) == (100, 100, "MI-01")
        assert (voucher["balance"]["available"], voucher["balance"]["pending"]) == (46, 0)

        assert _balance(web, customer_id) == (46, 0)
        assert web.get(f"/api/v1/loyalty/cards/{CARD}").json()["available"] == 46
        assert _ledger(web, account_id) == [
            ("redeem", -100, 0),
            ("mature", 146, -146),
            ("reverse", 0, -116),
            ("earn", 0, 262),
        ]
    with db.read() as conn:
        unbalanced = conn.execute(select(func.sum(loyalty_entries.c.points))).scalar_one()
    assert unbalanced == 0, "every posting's legs sum to zero"
