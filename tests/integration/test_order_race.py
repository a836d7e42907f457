"""A web order and a till sale race for the last units of a SKU, from separate processes.

A live HTTP server serves the database; one OS process places web orders for pickup at the
store, another rings up carry-out sales at that store's till, each with its own HTTP client.
Each round both start together (a barrier) on a SKU with 2 or 3 units left, and each tries that
many one-unit orders: exactly that many succeed, every other attempt is a 409
``inventory.insufficient_stock``, and the stock rows, ledger and reservations agree.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sqlalchemy import select

from tests.factories import make_location, make_variants, receive
from tests.integration.order_invariants import reservation_problems, stock_problems
from tests.integration.order_race_workers import INSUFFICIENT, Outcome, race_orders
from tests.support import LiveServer
from unico.access import service as access
from unico.access.model import SYSTEM
from unico.catalog.store import variants
from unico.core.db import Database
from unico.inventory import ledger
from unico.inventory.model import MovementKind, MovementRequest
from unico.inventory.store import locations, stock

ROUNDS = 30
STORE = "MI-01"


def _sell_down(db: Database, rounds: list[tuple[str, int]]) -> None:
    """Each SKU: 5 units received, then sold down until only its round's units are left."""
    for sku, units in rounds:
        receive(db, sku, STORE, 5)
        ledger.apply_movements(
            db, [MovementRequest(f"sale-{sku}", sku, STORE, MovementKind.SALE, 5 - units)], SYSTEM
        )


def _shortage(details: dict[str, Any] | None) -> tuple[Any, ...]:
    assert details is not None
    return (details["sku"], details["wanted"], details["available"])


def _levels(db: Database) -> dict[str, tuple[int, int]]:
    with db.read() as conn:
        rows = conn.execute(
            select(variants.c.sku, stock.c.on_hand, stock.c.reserved)
            .join(variants, variants.c.id == stock.c.variant_id)
            .join(locations, locations.c.id == stock.c.location_id)
            .where(locations.c.code == STORE)
        ).all()
    return {sku: (on_hand, reserved) for sku, on_hand, reserved in rows}


def test_a_web_order_and_a_till_sale_never_sell_the_same_last_unit(db: Database, server: LiveServer) -> None:
    rounds = [(f"LAST-{r:02d}", 2 + r % 2) for r in range(ROUNDS)]
    make_variants(db, *(sku for sku, _ in rounds))
    make_location(db, STORE)
    _sell_down(db, rounds)
    web_key = access.create_api_key(db, name="web shop", role="integration").secret
    till_key = access.create_api_key(db, name="till", role="store_associate", store_code=STORE).secret

    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        barrier = manager.Barrier(2)
        web = pool.submit(race_orders, server.url, web_key, "web", STORE, rounds, barrier)
        till = pool.submit(race_orders, server.url, till_key, "pos", STORE, rounds, barrier)
        web_outcomes: list[Outcome] = web.result(timeout=180)
        till_outcomes: list[Outcome] = till.result(timeout=180)

    levels = _levels(db)
    for number, (sku, units) in enumerate(rounds):
        web_won = sum(1 for o in web_outcomes if o.round == number and o.status == 201)
        till_won = sum(1 for o in till_outcomes if o.round == number and o.status == 201)
        mine = [o for o in web_outcomes + till_outcomes if o.round == number]
        refusals = [(o.status, o.code, _shortage(o.details)) for o in mine if o.status != 201]
        assert web_won + till_won == units, sku
        assert refusals == [(409, INSUFFICIENT, (sku, 1, 0))] * units, sku
        # The till's sales left the shelf; the web orders hold the rest for pickup.
        assert levels[sku] == (units - till_won, web_won), sku
    # Both sides won units: the two processes really did race.
    assert any(o.status == 201 for o in web_outcomes)
    assert any(o.status == 201 for o in till_outcomes)
    assert stock_problems(db) == []
    assert reservation_problems(db) == []
