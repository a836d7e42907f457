"""Reservations on both databases: the conditional update, release, expiry, and a process race."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.factories import make_location, make_variants, receive
from tests.integration.race_workers import reserve_many
from unico.access.model import SYSTEM
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, InsufficientStock
from unico.core.events import outbox_events
from unico.inventory import ledger, reservations, service
from unico.inventory.model import (
    MovementKind,
    MovementRequest,
    OwnerType,
    ReservationRequest,
    ReservationStatus,
)
from unico.inventory.store import reservations as reservation_rows


@pytest.fixture
def shop(db: Database) -> Database:
    make_variants(db, "SKU-A")
    make_location(db, "MI-01")
    receive(db, "SKU-A", "MI-01", 5)
    ledger.set_safety_stock(db, "SKU-A", "MI-01", 1, SYSTEM)
    return db


def request(quantity: int, owner: str = "cart-1", ttl: int | None = 900) -> ReservationRequest:
    return ReservationRequest("SKU-A", "MI-01", quantity, OwnerType.CART, owner, "web", ttl)


def test_reserving_respects_safety_stock_and_reports_what_is_available(shop: Database) -> None:
    reservations.reserve_stock(shop, request(3), SYSTEM)
    with pytest.raises(InsufficientStock) as refused:
        reservations.reserve_stock(shop, request(2, "cart-2"), SYSTEM)
    assert refused.value.status == 409
    assert refused.value.details == {"sku": "SKU-A", "location": "MI-01", "requested": 2, "available": 1}
    level = service.stock_level(shop, "SKU-A", "MI-01")
    assert (level.on_hand, level.reserved, level.safety_stock, level.available) == (5, 3, 1, 1)


def test_a_reservation_is_a_row_and_an_outbox_event(shop: Database) -> None:
    """PostgreSQL makes standalone reservations in one statement; both paths write the same."""
    frozen = clock.FrozenClock(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    clock.set_clock(frozen)
    made = reservations.reserve_stock(shop, request(2, "cart-9", ttl=600), SYSTEM)
    assert reservations.get_reservation(shop, made.reservation_id) == made
    assert made.expires_at == datetime(2026, 11, 20, 10, 10, tzinfo=UTC)
    with shop.read() as conn:
        event = conn.execute(
            select(outbox_events.c.aggregate_id, outbox_events.c.payload, outbox_events.c.occurred_at).where(
                outbox_events.c.type == "inventory.stock_reserved"
            )
        ).one()
    assert tuple(event) == (
        made.reservation_id,
        {
            "sku": "SKU-A",
            "location": "MI-01",
            "quantity": 2,
            "owner_type": "cart",
            "owner_id": "cart-9",
            "expires_at": "2026-11-20T10:10:00+00:00",
        },
        datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    )
    level = service.stock_level(shop, "SKU-A", "MI-01")
    assert (level.reserved, level.available) == (2, 2)


def test_release_gives_units_back_once(shop: Database) -> None:
    held = reservations.reserve_stock(shop, request(4), SYSTEM)
    assert service.stock_level(shop, "SKU-A", "MI-01").available == 0
    released = reservations.release_reservation(shop, held.reservation_id, SYSTEM)
    assert released.status is ReservationStatus.RELEASED
    assert service.stock_level(shop, "SKU-A", "MI-01").reserved == 0
    with pytest.raises(Conflict) as again:
        reservations.release_reservation(shop, held.reservation_id, SYSTEM)
    assert again.value.code == "inventory.reservation_not_active"
    assert service.stock_level(shop, "SKU-A", "MI-01").reserved == 0


def test_lapsed_reservations_are_released_by_the_worker_job(shop: Database) -> None:
    frozen = clock.FrozenClock(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    clock.set_clock(frozen)
    short = reservations.reserve_stock(shop, request(1, "cart-short", ttl=60), SYSTEM)
    long = reservations.reserve_stock(shop, request(2, "cart-long", ttl=3600), SYSTEM)
    frozen.advance(seconds=59)
    assert reservations.release_expired_reservations(shop) == 0
    frozen.advance(seconds=2)
    assert reservations.release_expired_reservations(shop) == 1
    assert reservations.get_reservation(shop, short.reservation_id).status is ReservationStatus.EXPIRED
    assert reservations.get_reservation(shop, long.reservation_id).status is ReservationStatus.ACTIVE
    assert service.stock_level(shop, "SKU-A", "MI-01").reserved == 2
    frozen.advance(hours=2)
    assert reservations.release_expired_reservations(shop) == 1
    assert reservations.release_expired_reservations(shop) == 0
    assert service.stock_level(shop, "SKU-A", "MI-01").reserved == 0


def test_a_sale_below_reserved_leaves_nothing_to_promise(shop: Database) -> None:
    reservations.reserve_stock(shop, request(3), SYSTEM)
    ledger.apply_movements(shop, [MovementRequest("dmg", "SKU-A", "MI-01", MovementKind.DAMAGE, 4)], SYSTEM)
    level = service.stock_level(shop, "SKU-A", "MI-01")
    assert (level.on_hand, level.reserved, level.available) == (1, 3, 0)


def test_two_processes_racing_never_oversell(db: Database) -> None:
    """2 OS processes x 500 attempts on 100 units: exactly 100 reservations succeed."""
    make_variants(db, "SKU-RACE")
    make_location(db, "MI-01")
    receive(db, "SKU-RACE", "MI-01", 100)
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Manager().Event()
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        futures = [
            pool.submit(reserve_many, db.url, "SKU-RACE", "MI-01", 500, f"p{i}", start) for i in range(2)
        ]
        start.set()
        outcomes = [f.result(timeout=300) for f in futures]
    assert sum(won for won, _ in outcomes) == 100
    assert sum(refused for _, refused in outcomes) == 900
    level = service.stock_level(db, "SKU-RACE", "MI-01")
    assert (level.on_hand, level.reserved, level.available) == (100, 100, 0)
    with db.read() as conn:
        held = conn.execute(
            select(func.count(), func.sum(reservation_rows.c.quantity)).where(
                reservation_rows.c.status == ReservationStatus.ACTIVE.value
            )
        ).one()
    assert tuple(held) == (100, 100)
