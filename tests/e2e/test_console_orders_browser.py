"""The order desk in a real browser: an associate takes an endless-aisle order for an item their
store lacks, then works a click & collect order through the queue and hands it over by code.

Chromium is Debian's (/usr/bin/chromium), driven headless by Playwright; no browser download.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.api.orders_support import build_network, stock
from tests.e2e.browser import BROWSER_TEST, PASSWORD
from tests.support import LiveServer
from unico.access import service as access
from unico.access.model import SYSTEM
from unico.core.db import Database
from unico.fulfillment import tasks
from unico.inventory.model import Channel, Method
from unico.orders import service
from unico.orders.model import CustomerRef, LineRequest, OrderRequest

pytestmark = BROWSER_TEST


@pytest.fixture
def shop(db: Database) -> Database:
    """The orders test network; Marco works at MI-02, which has SKU-A but no SKU-B."""
    build_network(db)
    access.create_user(
        db,
        email="marco@example.com",
        name="Marco",
        password=PASSWORD,
        role="store_associate",
        store_code="MI-02",
    )
    return db


def sign_in(page: Page, server: LiveServer) -> None:
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Email").fill("marco@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("heading", name="Trova un prodotto")).to_be_visible()


def test_associate_takes_an_endless_aisle_order_and_hands_over_a_pickup_by_code(
    page: Page, server: LiveServer, shop: Database
) -> None:
    sign_in(page, server)

    # Endless aisle: SKU-B is not in MI-02; it is ordered to be delivered to the store.
    page.get_by_role("link", name="Ordini").click()
    page.get_by_role("link", name="Nuovo ordine").click()
    expect(page.get_by_role("heading", name="Nuovo ordine in negozio")).to_be_visible()
    page.locator('input[name="sku"]').first.press_sequentially("SKU-B", delay=30)
    panel = page.locator("#availability-0")
    expect(panel).to_contain_text("Non disponibile in questo negozio")  # through htmx, as typed
    expect(panel.locator("li[data-location]")).to_have_count(2)
    page.locator('input[name="price"]').first.fill("49,90")
    expect(page.get_by_label("Consegna in questo negozio (ship to store)")).to_be_checked()
    page.get_by_label("Nome").fill("Luca Bianchi")
    page.screenshot(path="/tmp/console-order-entry.png", full_page=True)
    page.get_by_role("button", name="Effettua l'ordine").click()

    expect(page.get_by_role("status")).to_have_text("Ordine effettuato.")
    order_id = page.locator("#order-id").inner_text()
    expect(page.locator("#order-lines tr[data-line='1']")).to_contain_text("Consegna in negozio · MI-02")
    expect(page.locator("#timeline li").first).to_contain_text("Ordine effettuato")
    page.screenshot(path="/tmp/console-order.png", full_page=True)
    endless = service.get_order(shop, order_id)
    assert (endless.channel, endless.store, endless.associate, endless.total) == (
        "store",
        "MI-02",
        "marco@example.com",
        4990,
    )
    [ln] = endless.lines
    assert (ln.sku, ln.method, ln.pickup_store) == ("SKU-B", "ship_to_store", "MI-02")
    assert [(a.location, a.quantity, a.status) for a in ln.allocations] == [("MI-01", 1, "reserved")]

    # Click & collect at MI-02, placed on the web: picked, packed, ready and handed over here.
    pickup = service.place_order(
        shop,
        OrderRequest(
            channel=Channel.WEB,
            lines=(LineRequest("SKU-A", 1, 2990, Method.PICKUP, "MI-02"),),
            customer=CustomerRef(name="Anna Rossi"),
        ),
        SYSTEM,
    )
    page.get_by_role("link", name="Evasione").click()
    expect(page.get_by_role("heading", name=re.compile("Coda di evasione"))).to_be_visible()
    card = page.locator(f"li.task:has(a:text-is('{pickup.order_id}'))")
    expect(card).to_have_count(1)
    page.screenshot(path="/tmp/console-queue.png", full_page=True)
    card.get_by_role("button", name="Prelevato").click()
    expect(card.locator('[data-field="status"]')).to_have_text("Prelevato")
    card.get_by_role("button", name="Imballato").click()
    expect(card.locator('[data-field="status"]')).to_have_text("Imballato")
    card.get_by_role("button", name="Pronto per il ritiro").click()
    code = card.locator('[data-field="pickup_code"]')
    expect(code).to_have_text(re.compile(r"^\d{6}$"))
    pickup_code = code.inner_text()
    assert service.get_order(shop, pickup.order_id).status == "ready_for_pickup"

    wrong = "000000" if pickup_code != "000000" else "111111"
    card.get_by_label("Codice di ritiro").fill(wrong)
    card.get_by_role("button", name="Consegna").click()
    expect(card.get_by_role("alert")).to_contain_text("Il codice di ritiro non corrisponde")
    assert service.get_order(shop, pickup.order_id).status == "ready_for_pickup"

    card.get_by_label("Codice di ritiro").fill(pickup_code)
    card.get_by_role("button", name="Consegna").click()
    expect(card.locator('[data-field="order_status"]')).to_have_text("Completato")
    page.screenshot(path="/tmp/console-handover.png", full_page=True)

    done = service.get_order(shop, pickup.order_id)
    assert done.status == "completed"
    assert [(a.location, a.status) for a in done.lines[0].allocations] == [("MI-02", "collected")]
    assert stock(shop, "SKU-A", "MI-02") == (1, 0)
    assert [t.order_id for t in tasks.list_tasks(shop, "MI-02", SYSTEM)] == []
