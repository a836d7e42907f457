"""place_order under concurrency: one order per idempotency key, never more than the stock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from tests.factories import make_location, make_variants, receive
from unico.access.model import SYSTEM
from unico.core.db import Database
from unico.core.errors import InsufficientStock
from unico.inventory import service as inventory
from unico.inventory.model import Capability, Channel, Method
from unico.orders import service
from unico.orders.model import LineRequest, OrderRequest
from unico.orders.store import orders


@pytest.fixture
def shop(db: Database) -> Database:
    make_variants(db, "SKU-X")
    make_location(db, "MI-01", capabilities=frozenset({Capability.PICKUP, Capability.SHIP_FROM_STORE}))
    receive(db, "SKU-X", "MI-01", 3)
    return db


def _request(quantity: int = 1) -> OrderRequest:
    return OrderRequest(
        channel=Channel.WEB,
        lines=(LineRequest("SKU-X", quantity, 1000, Method.PICKUP, "MI-01"),),
    )


def test_concurrent_retries_of_one_key_make_one_order(shop: Database) -> None:
    with ThreadPoolExecutor(4) as pool:
        views = list(pool.map(lambda _i: service.place_order(shop, _request(), SYSTEM, "same-key"), range(4)))
    assert len({v.order_id for v in views}) == 1
    with shop.read() as conn:
        assert conn.execute(select(func.count()).select_from(orders)).scalar_one() == 1
    assert inventory.stock_level(shop, "SKU-X", "MI-01").reserved == 1


def test_concurrent_orders_never_take_more_than_the_stock(shop: Database) -> None:
    def attempt(_i: int) -> str:
        try:
            return service.place_order(shop, _request(), SYSTEM).order_id
        except InsufficientStock:
            return "refused"

    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    assert outcomes.count("refused") == 3
    level = inventory.stock_level(shop, "SKU-X", "MI-01")
    assert (level.on_hand, level.reserved) == (3, 3)
    view = service.get_order(shop, next(o for o in outcomes if o != "refused"))
    assert [t.kind for t in view.timeline] == ["order.placed", "order.allocated", "fulfillment.task_created"]
