"""The orders benchmark's parts at toy scale: its network, its orders are accepted, its checks."""

from __future__ import annotations

import random

import httpx
from bench.availability import build_network
from bench.orders import load_menu, open_stores, order_body, oversold_rows, sourcing_latency

from unico.core.db import Database


def test_the_benchmark_orders_are_valid_orders(db: Database, admin: httpx.Client) -> None:
    skus, codes = build_network(db, 40, 8, seed=5)
    open_stores(db)
    menu = load_menu(db)
    assert set(menu.shipped) <= set(skus)
    assert set(menu.shelves) <= {c for c in codes if c.startswith("ST-")}
    rng = random.Random(5)
    answers = [admin.post("/api/v1/orders", json=order_body(menu, rng)) for _ in range(12)]
    assert [a.status_code for a in answers] == [201] * 12, [a.text for a in answers if a.status_code != 201]
    assert all(len(a.json()["lines"]) == 3 for a in answers)
    assert oversold_rows(db) == 0
    assert len(sourcing_latency(skus, 20, seed=5)) == 20
