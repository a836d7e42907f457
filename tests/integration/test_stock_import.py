"""`unico import stock FILE` as a real command on both databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.factories import make_location, make_variants, receive
from unico.core.db import Database
from unico.inventory import service
from unico.inventory.store import stock_movements

FEED = """sku,location,quantity,kind,reason
SKU-A,MI-01,7,count,morning count
SKU-B,MI-01,3,receipt,delivery 118
SKU-X,MI-01,1,receipt,unknown sku
SKU-A,ZZ-99,2,count,unknown store
SKU-B,MI-01,abc,receipt,not a number
SKU-B,MI-01,0,sale,zero sale
SKU-B,MI-01,50,sale,more than on hand
SKU-A,MI-01,2,sale,sold
"""


def run_import(db: Database, file: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UNICO_DATABASE_URL": db.url, "UNICO_LOG_JSON": "false", "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "unico.cli", "import", "stock", str(file), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture
def shop(db: Database) -> Database:
    make_variants(db, "SKU-A", "SKU-B")
    make_location(db, "MI-01")
    receive(db, "SKU-A", "MI-01", 4)
    return db


def test_valid_rows_are_applied_and_bad_rows_reported_by_line(shop: Database, tmp_path: Path) -> None:
    feed = tmp_path / "pos.csv"
    feed.write_text(FEED)
    report = tmp_path / "rejected.csv"
    done = run_import(shop, feed, "--report", str(report))
    assert done.returncode == 1, done.stderr
    assert "8 rows: 3 applied, 0 already applied, 5 rejected" in done.stdout
    assert report.read_text().splitlines() == [
        "line,code,reason",
        "4,catalog.sku_not_found,unknown SKU SKU-X",
        "5,inventory.location_not_found,unknown location 'ZZ-99'",
        "6,validation.failed,quantity 'abc' is not a whole number",
        "7,validation.failed,quantity must be a positive number of units",
        '8,inventory.insufficient_on_hand,"only 3 on hand of SKU-B at MI-01, cannot remove 50"',
    ]
    assert service.stock_level(shop, "SKU-A", "MI-01").on_hand == 5  # counted 7, then sold 2
    assert service.stock_level(shop, "SKU-B", "MI-01").on_hand == 3

    again = run_import(shop, feed)
    assert "8 rows: 0 applied, 3 already applied, 5 rejected" in again.stdout
    assert service.stock_level(shop, "SKU-A", "MI-01").on_hand == 5
    with shop.read() as conn:
        assert conn.execute(select(func.count()).select_from(stock_movements)).scalar_one() == 4


def test_a_bad_header_refuses_the_whole_file(shop: Database, tmp_path: Path) -> None:
    feed = tmp_path / "erp.csv"
    feed.write_text("sku,store,quantity\nSKU-A,MI-01,9\n")
    done = run_import(shop, feed)
    assert done.returncode == 2
    assert "import.bad_header" in done.stdout and "nothing was applied" in done.stdout
    assert service.stock_level(shop, "SKU-A", "MI-01").on_hand == 4
