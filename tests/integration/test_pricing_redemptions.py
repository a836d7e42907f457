"""Concurrent orders never use a coupon or a promotion beyond its limits: a single-use coupon
redeemed at once from several threads, and from several OS processes, is won exactly once."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

from sqlalchemy import func, select

from tests.integration.pricing_race_workers import redeem, redeem_in
from tests.pricing_support import RUN42, coupon_promotion_body, create_promotion, make_pricing_catalog
from unico.access.model import SYSTEM
from unico.core.db import Database
from unico.pricing import service
from unico.pricing.store import coupon_redemptions, coupons, promotion_redemptions, promotions

RACERS = 6


def _coupon_setup(db: Database) -> str:
    make_pricing_catalog(db)
    create_promotion(db, **coupon_promotion_body())
    _, [code] = service.generate_coupons(db, "WELCOME", 1, SYSTEM)
    return code


def _coupon_state(db: Database, code: str) -> tuple[int, int, int]:
    """(coupon counter, coupon redemption rows, promotion redemption rows)."""
    with db.read() as conn:
        counter = conn.execute(select(coupons.c.redemptions).where(coupons.c.code == code)).scalar_one()
        rows = conn.execute(select(func.count()).select_from(coupon_redemptions)).scalar_one()
        uses = conn.execute(select(func.count()).select_from(promotion_redemptions)).scalar_one()
    return int(counter), int(rows), int(uses)


def test_single_use_coupon_from_many_threads_is_won_once(db: Database) -> None:
    code = _coupon_setup(db)
    barrier = threading.Barrier(RACERS)

    def racer(n: int) -> str:
        barrier.wait(timeout=30)
        return redeem_in(db, RUN42, code, f"ord_T{n}", f"cus_{n}")

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(racer, range(RACERS)))

    assert sorted(outcomes) == ["ok"] + ["pricing.coupon_exhausted"] * (RACERS - 1)
    assert _coupon_state(db, code) == (1, 1, 1)


def test_single_use_coupon_from_many_processes_is_won_once(db: Database) -> None:
    code = _coupon_setup(db)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(max_workers=RACERS, mp_context=ctx) as pool:
        barrier = manager.Barrier(RACERS)
        futures = [
            pool.submit(redeem, db.url, RUN42, code, f"ord_P{n}", f"cus_{n}", barrier) for n in range(RACERS)
        ]
        outcomes = [f.result(timeout=180) for f in futures]

    assert sorted(outcomes) == ["ok"] + ["pricing.coupon_exhausted"] * (RACERS - 1)
    assert _coupon_state(db, code) == (1, 1, 1)


def test_promotion_redemption_budget_holds_under_concurrent_orders(db: Database) -> None:
    make_pricing_catalog(db)
    create_promotion(db, code="FIRST3", max_redemptions=3)
    barrier = threading.Barrier(RACERS)

    def racer(n: int) -> str:
        barrier.wait(timeout=30)
        return redeem_in(db, RUN42, None, f"ord_B{n}", f"cus_{n}")

    with ThreadPoolExecutor(RACERS) as pool:
        outcomes = list(pool.map(racer, range(RACERS)))

    assert outcomes.count("ok") == 3
    assert set(outcomes) <= {"ok", "pricing.budget_exhausted", "no_discount"}
    with db.read() as conn:
        counter = conn.execute(select(promotions.c.redemptions)).scalar_one()
        rows = conn.execute(select(func.count()).select_from(promotion_redemptions)).scalar_one()
    assert (counter, rows) == (3, 3)
