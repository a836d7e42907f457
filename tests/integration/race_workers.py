"""Code run in separate OS processes by the race tests (importable by multiprocessing spawn)."""

from __future__ import annotations

from multiprocessing.synchronize import Event

from unico.access.model import SYSTEM
from unico.core.db import Database
from unico.core.errors import InsufficientStock
from unico.inventory.model import OwnerType, ReservationRequest
from unico.inventory.reservations import reserve_stock


def reserve_many(url: str, sku: str, location: str, attempts: int, tag: str, start: Event) -> tuple[int, int]:
    """Try ``attempts`` one-unit reservations; returns (succeeded, refused with 409)."""
    db = Database(url, pool_size=2)
    start.wait(30)
    won = refused = 0
    for i in range(attempts):
        try:
            reserve_stock(
                db, ReservationRequest(sku, location, 1, OwnerType.CART, f"{tag}-{i}", "web", 600), SYSTEM
            )
            won += 1
        except InsufficientStock:
            refused += 1
    db.dispose()
    return won, refused
