"""SIGKILL the server in the middle of a burst of orders: nothing acknowledged is lost, nothing leaks.

A real `unico serve` process takes 3-line web orders from 8 threads; after the 25th 201 its whole
process group is killed with SIGKILL, with requests still in flight. A new server on the same
database must then show every acknowledged order with its lines and allocations. Retrying the
unanswered requests with their Idempotency-Keys must leave exactly one order per key, and no
order the clients cannot account for. Every order in the database must be whole (no line
without its units); every active reservation must be held by an order allocation or a cart, and
every holding allocation by an active reservation; each stock row's on hand must equal its
ledger, and its reserved its active reservations.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from tests.factories import make_location, make_variants, receive
from tests.integration.order_invariants import reservation_problems, stock_problems
from tests.integration.order_race_workers import Sent, burst, unico_serve
from unico.access import service as access
from unico.core.db import Database
from unico.inventory.model import LocationType
from unico.orders.store import order_allocations, order_lines, orders

SKUS = [f"CRASH-{i:02d}" for i in range(24)]
STORES = ["MI-01", "MI-02"]
ADDRESS = {
    "name": "Cliente di prova",
    "line1": "Via Roma 1",
    "city": "Milano",
    "postcode": "20121",
    "country": "IT",
    "latitude": 45.4642,
    "longitude": 9.19,
}


def _network(db: Database) -> None:
    make_variants(db, *SKUS)
    make_location(db, "WH-01", type=LocationType.WAREHOUSE, city="Bergamo", capabilities=frozenset())
    make_location(db, "WH-02", type=LocationType.WAREHOUSE, city="Torino", capabilities=frozenset())
    for n, code in enumerate(STORES):
        make_location(db, code, offset_km=2.0 * n)
    for i, sku in enumerate(SKUS):
        receive(db, sku, "WH-01", 6 + i % 4)
        receive(db, sku, "WH-02", 4)
        for code in STORES:
            receive(db, sku, code, 2)


def _orders(count: int, seed: int) -> list[Sent]:
    """3-line web orders: home delivery, or pickup at one of the stores. Some will run out."""
    rng = random.Random(seed)
    bodies: list[Sent] = []
    for _ in range(count):
        pickup = rng.random() < 0.4
        store = rng.choice(STORES)
        lines = [
            {"sku": sku, "quantity": rng.randint(1, 2), "unit_price": 1990}
            | ({"method": "pickup", "pickup_store": store} if pickup else {"method": "home_delivery"})
            for sku in rng.sample(SKUS, 3)
        ]
        body: dict[str, Any] = {"channel": "web", "currency": "EUR", "lines": lines}
        if not pickup:
            body["shipping_address"] = ADDRESS
        bodies.append(Sent(f"crash-{seed}-{len(bodies)}", body))
    return bodies


def _lines(view: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            line["line_no"],
            line["sku"],
            line["quantity"],
            line["method"],
            line["pickup_store"],
            sorted((a["location"], a["quantity"]) for a in line["allocations"]),
        )
        for line in view["lines"]
    ]


def _torn_orders(db: Database) -> list[str]:
    """Orders whose lines do not add up: a line without all its units allocated, or no lines."""
    live = order_allocations.c.status.not_in(("released", "rejected", "expired"))
    allocated = (
        select(func.coalesce(func.sum(order_allocations.c.quantity), 0))
        .where(order_allocations.c.line_id == order_lines.c.id, live)
        .scalar_subquery()
    )
    with db.read() as conn:
        short_lines = conn.execute(
            select(orders.c.order_id)
            .join(order_lines, order_lines.c.order_id == orders.c.id)
            .where(allocated != order_lines.c.quantity - order_lines.c.quantity_cancelled)
        ).scalars()
        empty = conn.execute(
            select(orders.c.order_id).where(
                ~select(order_lines.c.id).where(order_lines.c.order_id == orders.c.id).exists()
            )
        ).scalars()
        return sorted({*short_lines, *empty})


def _order_ids(db: Database) -> set[str]:
    with db.read() as conn:
        return set(conn.execute(select(orders.c.order_id)).scalars())


def test_orders_acknowledged_before_a_sigkill_survive_and_nothing_leaks(db: Database, tmp_path: Path) -> None:
    _network(db)
    key = access.create_api_key(db, name="web shop", role="integration").secret

    with unico_serve(db.url, tmp_path / "var") as first:
        outcome = burst(first.url, key, _orders(400, seed=3), threads=8, kill_after=25, kill=first.kill)
    assert outcome.killed, f"the burst ended before the kill: {len(outcome.acknowledged)} orders"
    assert outcome.lost, "no request was in flight when the server died"
    assert outcome.other == []
    assert set(outcome.refused) <= {"inventory.insufficient_stock"}

    with (
        unico_serve(db.url, tmp_path / "var") as second,
        httpx.Client(base_url=second.url, headers={"Authorization": f"Bearer {key}"}, timeout=30) as client,
    ):
        for sent, acknowledged in outcome.acknowledged:
            found = client.get(f"/api/v1/orders/{acknowledged['order_id']}")
            assert found.status_code == 200, acknowledged["order_id"]
            assert _lines(found.json()) == _lines(acknowledged)
            assert [(ln["sku"], ln["quantity"]) for ln in found.json()["lines"]] == [
                (ln["sku"], ln["quantity"]) for ln in sent.body["lines"]
            ]
        # A client retries what got no answer, with the same key: whether or not the server had
        # committed it before dying, each key ends as exactly one order (or one refusal).
        retried = {}
        for sent in outcome.lost:
            answer = client.post("/api/v1/orders", json=sent.body, headers={"Idempotency-Key": sent.key})
            assert answer.status_code in (201, 409), answer.text
            if answer.status_code == 201:
                retried[sent.key] = answer.json()["order_id"]
        # And a retry of an acknowledged order returns it again, creating nothing.
        for sent, acknowledged in outcome.acknowledged[:5]:
            again = client.post("/api/v1/orders", json=sent.body, headers={"Idempotency-Key": sent.key})
            assert (again.status_code, again.json()["order_id"]) == (201, acknowledged["order_id"])

    expected = {a["order_id"] for _, a in outcome.acknowledged} | set(retried.values())
    assert len(expected) == len(outcome.acknowledged) + len(retried)
    assert _order_ids(db) == expected
    assert _torn_orders(db) == []
    assert reservation_problems(db) == []
    assert stock_problems(db) == []
