"""Two channels spend the same points at once, from two OS processes on one database.

Each round an account holds a balance; a till (store channel, as an associate) and the web shop,
in separate processes with their own connections, start together (a barrier) and each try as
many redemptions as the balance could pay for alone. Exactly ``balance // points`` succeed, the
rest are 409 ``loyalty.insufficient_points``, the balance never goes below zero and the cached
balance equals the sum of the postings.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from sqlalchemy import func, select

from tests.integration.loyalty_race_workers import redeem_rounds
from tests.loyalty_support import earn, enrolled, problems, with_default_rewards
from unico.core.db import Database
from unico.loyalty.ledger import balance_in
from unico.loyalty.store import loyalty_redemptions
from unico.pricing.store import coupons

ROUNDS = 12


def test_two_channels_never_overdraw_the_same_balance(db: Database) -> None:
    with_default_rewards(db)
    rounds: list[tuple[str, int, int]] = []
    starting: list[int] = []
    for number in range(ROUNDS):
        balance = 1000 + 150 * number  # 1000 .. 2650
        points = 200 + 100 * (number % 3)  # 200, 300, 400
        account_id = enrolled(db, f"racer{number}@example.it")
        earn(db, account_id, balance, f"seed-{number}")
        rounds.append((account_id, points, balance // points))
        starting.append(balance)

    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        barrier = manager.Barrier(2)
        till = pool.submit(redeem_rounds, db.url, "store", rounds, barrier)
        web = pool.submit(redeem_rounds, db.url, "web", rounds, barrier)
        till_outcomes, web_outcomes = till.result(timeout=300), web.result(timeout=300)
    outcomes = till_outcomes + web_outcomes

    for number, (account_id, points, attempts) in enumerate(rounds):
        mine = [code for n, code in outcomes if n == number]
        won = mine.count("ok")
        assert len(mine) == 2 * attempts
        assert won == starting[number] // points, number
        assert sorted(set(mine) - {"ok"}) == ["loyalty.insufficient_points"], number
        with db.read() as conn:
            left = balance_in(conn, account_id)
        assert left.available == starting[number] - won * points >= 0
        assert problems(db, account_id) == []
    wins = [o for o in outcomes if o[1] == "ok"]
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(loyalty_redemptions)).scalar_one() == len(wins)
        assert conn.execute(select(func.count()).select_from(coupons)).scalar_one() == len(wins)
    # Both channels won redemptions: the processes really did race.
    assert any(code == "ok" for _, code in till_outcomes)
    assert any(code == "ok" for _, code in web_outcomes)
