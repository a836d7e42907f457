"""Loading the demo retailer on SQLite and PostgreSQL: a coherent, usable, non-repeatable load."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Table, func, select

from unico.access import service as access
from unico.access.model import Role
from unico.catalog.queries import search_products
from unico.catalog.store import products, variants
from unico.core.db import Database
from unico.core.errors import Conflict
from unico.demo.loader import CREDENTIALS_FILE, load_demo
from unico.inventory.locations import list_locations, resolve_place
from unico.inventory.model import LocationType
from unico.inventory.store import stock, stock_movements
from unico.settings import Settings

SCALE = 0.05  # 100 products: every stage runs, in a couple of seconds per backend


@pytest.fixture
def demo_settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", secret_key="test-secret-key-for-this-run-only")


def _count(db: Database, table: Table) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_demo_loads_a_coherent_retailer(db: Database, demo_settings: Settings) -> None:
    loaded = load_demo(db, demo_settings, scale=SCALE, seed=3)

    assert loaded is not None
    assert _count(db, products) == loaded.counts["products"] == 100
    assert _count(db, variants) == loaded.counts["variants"]
    assert _count(db, stock) == loaded.counts["stock_rows"]
    assert _count(db, stock_movements) == loaded.counts["movements"]
    with db.read() as conn:
        moves = stock_movements.c
        ledger = (
            select(moves.variant_id, moves.location_id, func.sum(moves.quantity).label("total"))
            .group_by(moves.variant_id, moves.location_id)
            .subquery()
        )
        unexplained = conn.execute(
            select(func.count())
            .select_from(
                stock.outerjoin(
                    ledger,
                    (ledger.c.variant_id == stock.c.variant_id)
                    & (ledger.c.location_id == stock.c.location_id),
                )
            )
            .where(stock.c.on_hand != func.coalesce(ledger.c.total, 0))
        ).scalar_one()
        code, name_en = conn.execute(
            select(products.c.code, products.c.name_en).order_by(products.c.code)
        ).first()
        by_english_name = search_products(
            conn, db.dialect, name_en, limit=50, offset=0, category=None, brand=None, status=None
        )
    assert unexplained == 0, "every unit on hand is explained by the ledger"
    assert code in [hit.code for hit in by_english_name.items]
    stores = list_locations(db, type=LocationType.STORE)
    assert len(stores) >= 25
    assert all(store.hours.weekly for store in stores)
    assert len(list_locations(db, type=LocationType.WAREHOUSE)) == 2


def test_places_resolve_by_name_and_postcode(db: Database, demo_settings: Settings) -> None:
    load_demo(db, demo_settings, scale=SCALE, seed=3)

    milano = resolve_place(db, "Milano")
    district = resolve_place(db, "20124")
    reggio = resolve_place(db, "reggio emilia")

    assert (round(milano.latitude, 2), round(milano.longitude, 2)) == (45.46, 9.19)
    assert 45.47 < district.latitude < 45.49
    assert round(reggio.latitude, 1) == 44.7


def test_credentials_are_random_written_privately_and_work(db: Database, demo_settings: Settings) -> None:
    printed = io.StringIO()

    loaded = load_demo(db, demo_settings, scale=SCALE, seed=3, console=Console(file=printed, width=120))

    assert loaded is not None
    path = demo_settings.var_dir / CREDENTIALS_FILE
    assert loaded.credentials_path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    admin = loaded.credentials[0]
    assert admin.email == "admin@demo.unico.it" and admin.password in text and loaded.api_key in text
    associates = [c for c in loaded.credentials if c.role == Role.STORE_ASSOCIATE]
    assert len(associates) >= 8 and associates[0].email == "milano@demo.unico.it"
    assert len({c.password for c in loaded.credentials}) == len(loaded.credentials)
    assert access.authenticate_api_key(db, loaded.api_key).role is Role.ADMIN
    _, principal = access.open_session(
        db, email=associates[0].email, password=associates[0].password, hours=1
    )
    assert principal.store_code == associates[0].store == "MI-BUENOSAIRES"
    screen = printed.getvalue()
    assert "Demo retailer loaded" in screen and admin.password in screen and loaded.api_key in screen


def test_a_second_load_conflicts_and_if_empty_skips(db: Database, demo_settings: Settings) -> None:
    load_demo(db, demo_settings, scale=SCALE, seed=3)
    before = _count(db, stock_movements)

    with pytest.raises(Conflict) as raised:
        load_demo(db, demo_settings, scale=SCALE, seed=3)
    printed = io.StringIO()
    skipped = load_demo(db, demo_settings, scale=SCALE, seed=3, if_empty=True, console=Console(file=printed))

    assert raised.value.code == "demo.database_not_empty"
    assert raised.value.details["products"] == 100
    assert skipped is None
    assert "not loaded" in printed.getvalue()
    assert _count(db, stock_movements) == before


def test_leftover_demo_users_also_count_as_not_empty(db: Database, demo_settings: Settings) -> None:
    access.create_user(db, email="milano@demo.unico.it", name="", password="a-long-password", role="admin")
    access.create_user(db, email="owner@example.com", name="", password="a-long-password", role="admin")

    with pytest.raises(Conflict) as raised:
        load_demo(db, demo_settings, scale=SCALE, seed=3)

    assert raised.value.details == {"demo_users": 1}
    assert _count(db, products) == 0
