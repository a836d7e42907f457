"""The stock ledger on both databases: movements, idempotency, all-or-nothing batches."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from tests.factories import make_location, make_variants, receive
from unico.access.model import SYSTEM
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import outbox_events
from unico.inventory import ledger, service
from unico.inventory.model import LocationType, MovementKind, MovementRequest
from unico.inventory.store import stock, stock_movements


@pytest.fixture
def shop(db: Database) -> Database:
    make_variants(db, "SKU-A", "SKU-B")
    make_location(db, "MI-01")
    make_location(db, "WH-01", type=LocationType.WAREHOUSE, capabilities=frozenset())
    return db


def movement(
    mid: str, kind: MovementKind, quantity: int, sku: str = "SKU-A", location: str = "MI-01", **kw: str
) -> MovementRequest:
    return MovementRequest(mid, sku, location, kind, quantity, **kw)


def snapshot(db: Database) -> tuple[list[tuple[int, ...]], int, int]:
    """Every stock row, the ledger size and the outbox size."""
    with db.read() as conn:
        rows = conn.execute(
            select(stock.c.variant_id, stock.c.location_id, stock.c.on_hand, stock.c.reserved).order_by(
                stock.c.variant_id, stock.c.location_id
            )
        ).all()
        moves = conn.execute(select(func.count()).select_from(stock_movements)).scalar_one()
        events = conn.execute(select(func.count()).select_from(outbox_events)).scalar_one()
    return [tuple(r) for r in rows], int(moves), int(events)


def ledger_rows(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(stock_movements)).scalar_one())


def test_receipt_sale_damage_return_and_count(shop: Database) -> None:
    results = ledger.apply_movements(
        shop,
        [
            movement("m1", MovementKind.RECEIPT, 10),
            movement("m2", MovementKind.SALE, 3),
            movement("m3", MovementKind.DAMAGE, 1),
            movement("m4", MovementKind.RETURN, 2),
            movement("m5", MovementKind.COUNT, 5, reason="inventory count"),
        ],
        SYSTEM,
    )
    assert [(r.quantity, r.on_hand) for r in results] == [(10, 10), (-3, 7), (-1, 6), (2, 8), (-3, 5)]
    lines = ledger.list_movements(shop, "MI-01")
    assert [(line.movement_id, line.kind, line.quantity, line.on_hand_after) for line in lines] == [
        ("m5", "count", -3, 5),
        ("m4", "return", 2, 8),
        ("m3", "damage", -1, 6),
        ("m2", "sale", -3, 7),
        ("m1", "receipt", 10, 10),
    ]
    assert sum(line.quantity for line in lines) == service.stock_level(shop, "SKU-A", "MI-01").on_hand


def test_repeated_movement_id_changes_nothing(shop: Database) -> None:
    receive(shop, "SKU-A", "MI-01", 4, movement_id="pos-17")
    again = ledger.apply_movements(shop, [movement("pos-17", MovementKind.RECEIPT, 4)], SYSTEM)
    assert again[0].applied is False
    assert again[0].on_hand == 4
    assert ledger_rows(shop) == 1
    with pytest.raises(Conflict) as reused:
        ledger.apply_movements(shop, [movement("pos-17", MovementKind.RECEIPT, 5)], SYSTEM)
    assert reused.value.code == "inventory.movement_id_reused"
    assert service.stock_level(shop, "SKU-A", "MI-01").on_hand == 4


def test_a_rejected_batch_writes_nothing(shop: Database) -> None:
    receive(shop, "SKU-A", "MI-01", 2)
    before = snapshot(shop)
    with pytest.raises(Conflict) as refused:
        ledger.apply_movements(
            shop,
            [
                movement("ok-1", MovementKind.RECEIPT, 5, sku="SKU-B"),
                movement("too-many", MovementKind.SALE, 3),
            ],
            SYSTEM,
        )
    assert refused.value.code == "inventory.insufficient_on_hand"
    assert refused.value.details == {"sku": "SKU-A", "location": "MI-01", "on_hand": 2, "requested": 3}
    assert snapshot(shop) == before


def test_transfer_moves_units_between_locations(shop: Database) -> None:
    receive(shop, "SKU-A", "WH-01", 20)
    [result] = ledger.apply_movements(
        shop, [movement("tr-1", MovementKind.TRANSFER, 6, location="WH-01", to_location="MI-01")], SYSTEM
    )
    assert (result.location, result.quantity, result.on_hand) == ("WH-01", -6, 14)
    assert result.counterpart is not None
    assert (result.counterpart.location, result.counterpart.quantity, result.counterpart.on_hand) == (
        "MI-01",
        6,
        6,
    )
    [line] = ledger.list_movements(shop, "MI-01", kind=MovementKind.TRANSFER)
    assert (line.counterpart, line.quantity) == ("WH-01", 6)


def test_unknown_sku_location_and_bad_quantities(shop: Database) -> None:
    with pytest.raises(NotFound) as sku:
        ledger.apply_movements(shop, [movement("x1", MovementKind.RECEIPT, 1, sku="NOPE")], SYSTEM)
    assert (sku.value.code, sku.value.details) == ("catalog.sku_not_found", {"skus": ["NOPE"]})
    with pytest.raises(NotFound) as loc:
        ledger.apply_movements(shop, [movement("x2", MovementKind.RECEIPT, 1, location="XX")], SYSTEM)
    assert loc.value.code == "inventory.location_not_found"
    for kind, qty in ((MovementKind.RECEIPT, 0), (MovementKind.SALE, -2), (MovementKind.COUNT, -1)):
        with pytest.raises(ValidationFailed) as bad:
            ledger.apply_movements(shop, [movement("x3", kind, qty)], SYSTEM)
        assert bad.value.details == {"field": "quantity"}
    assert ledger_rows(shop) == 0


def test_every_movement_is_an_outbox_event(shop: Database) -> None:
    receive(shop, "SKU-A", "MI-01", 3)
    with shop.read() as conn:
        events = conn.execute(
            select(outbox_events.c.type, outbox_events.c.payload).where(
                outbox_events.c.type == "inventory.stock_moved"
            )
        ).all()
    assert [(t, p["sku"], p["quantity"], p["on_hand"]) for t, p in events] == [
        ("inventory.stock_moved", "SKU-A", 3, 3)
    ]


def test_the_ledger_refuses_rewrites(shop: Database) -> None:
    receive(shop, "SKU-A", "MI-01", 3)
    with pytest.raises(Exception, match="append-only"), shop.write() as conn:
        conn.execute(update(stock_movements).values(quantity=300))


def test_sql_serving_rules_agree_with_the_pure_rules(db: Database) -> None:
    """Availability applies the channel rules in SQL; sourcing will apply them in Python."""
    from unico.inventory.availability import DEFAULT_RULES, serving_locations
    from unico.inventory.model import Capability as Cap
    from unico.inventory.queries import load_network
    from unico.inventory.service import _serving_locations

    make_location(db, "WH-01", type=LocationType.WAREHOUSE, capabilities=frozenset())
    for i, caps in enumerate(
        [
            frozenset(),
            frozenset({Cap.PICKUP}),
            frozenset({Cap.SHIP_FROM_STORE}),
            frozenset(Cap) - {Cap.RETURNS},
        ]
    ):
        make_location(db, f"ST-{i}", capabilities=caps)
    with db.read() as conn:
        network = load_network(conn)
        for channel, method in DEFAULT_RULES:
            rules = DEFAULT_RULES[(channel, method)]
            in_sql = sorted(code for code, _ in _serving_locations(conn, rules, ()).values())
            in_python = sorted(loc.code for loc in serving_locations(network, channel, method))
            assert in_sql == in_python, (channel, method)
