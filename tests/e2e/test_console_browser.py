"""The console in a real browser: an associate signs in, finds a product and checks stock everywhere.

Chromium is Debian's (/usr/bin/chromium), driven headless by Playwright; no browser download.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import BROWSER_TEST, PASSWORD
from tests.support import LiveServer
from unico.access import service as access
from unico.access.model import SYSTEM
from unico.catalog import service as catalog
from unico.catalog.model import ProductDraft, VariantDraft
from unico.core.db import Database
from unico.inventory import ledger, reservations
from unico.inventory import locations as network
from unico.inventory import service as inventory
from unico.inventory.model import (
    Capability,
    LocationType,
    MovementKind,
    MovementRequest,
    OwnerType,
    ReservationRequest,
)

HOURS = {day: (("00:00", "23:59"),) for day in range(7)}
STORES = [
    ("MI01", "Milano Duomo", "Milano", 45.4642, 9.1900),
    ("MI02", "Milano Navigli", "Milano", 45.4520, 9.1760),
    ("TO01", "Torino Centro", "Torino", 45.0703, 7.6869),
]
SKUS = ["TR-NER-40", "TR-NER-42", "TR-NER-44"]

pytestmark = BROWSER_TEST


@pytest.fixture
def shop(db: Database) -> Database:
    """Three stores and a warehouse, one product in three sizes, stock in each, one reservation."""
    for code, name, city, lat, lon in STORES:
        network.create_location(
            db,
            network.LocationDraft(
                code=code,
                name=name,
                type=LocationType.STORE,
                latitude=lat,
                longitude=lon,
                address="Corso Italia 10",
                city=city,
                capabilities=frozenset({Capability.PICKUP}),
                pickup_capacity_per_day=30,
                hours=HOURS,
            ),
            actor="test",
        )
    network.create_location(
        db,
        network.LocationDraft(
            code="WH01",
            name="Magazzino Piacenza",
            type=LocationType.WAREHOUSE,
            latitude=45.05,
            longitude=9.69,
        ),
        actor="test",
    )
    catalog.create_product(
        db,
        ProductDraft(
            code="P-TRENCH",
            name_it="Trench in cotone",
            name_en="Cotton trench coat",
            variants=[VariantDraft(sku=sku, size=sku[-2:], colour="nero") for sku in SKUS],
        ),
        actor="test",
    )
    received = {("TR-NER-40", "MI01"): 4, ("TR-NER-42", "MI01"): 1, ("TR-NER-42", "MI02"): 6}
    received |= {("TR-NER-44", "TO01"): 9, ("TR-NER-40", "TO01"): 2, ("TR-NER-40", "WH01"): 25}
    ledger.apply_movements(
        db,
        [
            MovementRequest(f"rcv-{sku}-{store}", sku, store, MovementKind.RECEIPT, qty)
            for (sku, store), qty in received.items()
        ],
        SYSTEM,
    )
    reservations.reserve_stock(
        db, ReservationRequest("TR-NER-42", "MI02", 2, OwnerType.ORDER, "order-1", channel="web"), SYSTEM
    )
    access.create_user(
        db,
        email="marco@example.com",
        name="Marco",
        password=PASSWORD,
        role="store_associate",
        store_code="MI01",
    )
    return db


def test_associate_finds_a_product_and_sees_the_stock_of_every_store(
    page: Page, server: LiveServer, shop: Database
) -> None:
    page.goto(f"{server.url}/console/products")
    expect(page).to_have_url(f"{server.url}/console/login?next=%2Fconsole%2Fproducts")
    page.get_by_label("Email").fill("marco@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("heading", name="Trova un prodotto")).to_be_visible()

    page.get_by_role("searchbox", name="Cerca prodotti").press_sequentially("trench", delay=40)
    result = page.locator('a[data-product="P-TRENCH"]')
    expect(result).to_be_visible()  # arrived through htmx, without submitting the form
    result.click()
    expect(page.get_by_role("heading", name="Trench in cotone")).to_be_visible()

    truth = inventory.stock_everywhere(shop, SKUS)
    for sku in SKUS:
        page.locator(f'.chips a[data-sku="{sku}"]').click()
        table = page.locator(f'#variant-stock[data-sku="{sku}"]')
        expect(table).to_be_visible()
        assert table.locator("tbody tr").count() == len(STORES) + 1  # and the warehouse, last
        for row in truth[sku]:
            cells = table.locator(f'tr[data-location="{row.location}"]')
            shown = [
                cells.locator(f'[data-field="{f}"]').inner_text()
                for f in ("on_hand", "reserved", "available")
            ]
            assert shown == [str(row.on_hand), str(row.reserved), str(row.available)], (sku, row.location)

    # The associate's own store is highlighted and pinned on top.
    first = page.locator("#variant-stock tbody tr").first
    expect(first).to_have_attribute("data-location", "MI01")
    expect(first).to_have_class("own")
    expect(page.locator("#variant-stock tbody tr").last).to_have_attribute("data-location", "WH01")

    # Nearest stores that have the selected size (TR-NER-44: only Torino), from the associate's store.
    nearest = page.locator("#nearest .nearest li")
    expect(nearest).to_have_count(1)
    expect(nearest.first).to_have_attribute("data-location", "TO01")
    expect(nearest.first).to_contain_text("Aperto ora")

    page.locator('.chips a[data-sku="TR-NER-42"]').click()
    expect(page.locator("#nearest .nearest li")).to_have_count(2)
    page.screenshot(path="/tmp/console-product.png", full_page=True)


def test_language_switch_in_the_header(page: Page, server: LiveServer, shop: Database) -> None:
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Email").fill("marco@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.get_by_role("link", name="Negozi").click()
    expect(page.get_by_role("heading", name="Negozi e magazzini")).to_be_visible()

    page.get_by_role("button", name="EN").click()

    expect(page.get_by_role("heading", name="Stores and warehouses")).to_be_visible()
    expect(page.locator('[data-location="MI02"] [data-capability="pickup"]')).to_have_text("Pickup")
    page.screenshot(path="/tmp/console-stores.png", full_page=True)

    page.get_by_role("link", name="Movements", exact=True).click()
    expect(page.get_by_role("heading", name="Stock movements · Milano Duomo MI01")).to_be_visible()
    expect(page.locator("tr[data-movement]")).to_have_count(2)
    page.screenshot(path="/tmp/console-movements.png", full_page=True)
