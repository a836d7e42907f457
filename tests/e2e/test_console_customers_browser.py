"""The customer pages in a real browser: an associate finds a customer by loyalty card at the till
and sees what that customer looked at on the website before coming in.

The history arrives the way it does in production: the website's Segment calls (POST /v1/track,
/v1/identify with the site's write key) for an anonymous visitor, then the till's identify with the
loyalty card; identity resolution (the worker's job) joins them before the associate looks.
"""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import BROWSER_TEST, PASSWORD
from tests.support import LiveServer
from unico.access import service as access
from unico.core.db import Database
from unico.customers.jobs import resolve_all_identities
from unico.inventory import locations as network
from unico.inventory.model import Capability, LocationType

VISITOR = "ajs-anon-5f2c9e"

pytestmark = BROWSER_TEST


def _source(admin: httpx.Client, name: str, kind: str) -> str:
    created = admin.post("/api/v1/tracking/sources", json={"name": name, "kind": kind})
    assert created.status_code == 201, created.text
    return str(created.json()["write_key"])


def _call(server: LiveServer, write_key: str, endpoint: str, body: dict[str, object]) -> None:
    response = httpx.post(f"{server.url}/v1/{endpoint}", json=body, auth=(write_key, ""), timeout=30.0)
    assert response.status_code == 200, response.text


@pytest.fixture
def shop(db: Database, server: LiveServer, admin: httpx.Client) -> Database:
    """A store, its associate, and a customer who browsed the website before visiting it."""
    network.create_location(
        db,
        network.LocationDraft(
            code="MI01",
            name="Milano Duomo",
            type=LocationType.STORE,
            latitude=45.4642,
            longitude=9.19,
            city="Milano",
            capabilities=frozenset({Capability.PICKUP}),
        ),
        actor="test",
    )
    access.create_user(
        db,
        email="marco@example.com",
        name="Marco",
        password=PASSWORD,
        role="store_associate",
        store_code="MI01",
    )
    web, pos = _source(admin, "Sito web", "web"), _source(admin, "Casse", "pos")
    viewed = [
        ("P-TRENCH", "TR-NER-42", "Trench in cotone", "2026-11-18T20:01:00Z"),
        ("P-SCARF", "SC-GRY-U", "Sciarpa di lana", "2026-11-18T20:04:00Z"),
        ("P-BOOT", "BT-MAR-38", "Stivaletto in pelle", "2026-11-19T08:30:00Z"),
    ]
    for product_id, sku, name, at in viewed:
        _call(
            server,
            web,
            "track",
            {
                "anonymousId": VISITOR,
                "event": "Product Viewed",
                "properties": {"product_id": product_id, "sku": sku, "name": name, "price": 129.0},
                "timestamp": at,
            },
        )
    _call(
        server,
        web,
        "track",
        {
            "anonymousId": VISITOR,
            "event": "Products Searched",
            "properties": {"query": "trench nero"},
            "timestamp": "2026-11-18T20:00:00Z",
        },
    )
    _call(
        server,
        web,
        "identify",
        {
            "anonymousId": VISITOR,
            "traits": {"email": "elena.bianchi@example.it", "firstName": "Elena", "lastName": "Bianchi"},
            "timestamp": "2026-11-19T08:31:00Z",
        },
    )
    # At the till: the loyalty card and the email she gives; the till's id names the till, not her.
    _call(
        server,
        pos,
        "identify",
        {
            "anonymousId": "till-MI01-2",
            "traits": {"loyaltyCard": "LC 5555 0192", "email": "Elena.Bianchi@example.it"},
            "timestamp": "2026-11-20T11:00:00Z",
        },
    )
    assert resolve_all_identities(db) == 6
    return db


def test_associate_finds_a_customer_by_loyalty_card_and_sees_what_she_viewed_online(
    page: Page, server: LiveServer, shop: Database
) -> None:
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Email").fill("marco@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.get_by_role("link", name="Clienti", exact=True).click()
    expect(page.get_by_role("heading", name="Trova un cliente")).to_be_visible()

    page.get_by_role("searchbox", name="Cerca clienti").press_sequentially("lc5555 0192", delay=30)
    result = page.locator("#customer-results a.result")
    expect(result).to_have_count(1)  # arrived through htmx, without submitting the form
    expect(result).to_contain_text("Elena Bianchi")
    expect(result).to_contain_text("LC55550192")
    result.click()

    expect(page.get_by_role("heading", name="Elena Bianchi")).to_be_visible()
    panel = page.locator("#continuity")
    expect(panel.get_by_role("heading", name="Visto online")).to_be_visible()
    viewed = panel.locator("#recently-viewed li")
    expect(viewed).to_have_count(3)
    assert [viewed.nth(i).get_attribute("data-product") for i in range(3)] == [
        "P-BOOT",
        "P-SCARF",
        "P-TRENCH",
    ]
    expect(viewed.first).to_contain_text("Stivaletto in pelle")
    expect(viewed.first).to_contain_text("Sito web")
    expect(panel.locator("#searches")).to_contain_text("trench nero")
    expect(page.locator("#timeline-rows tr[data-channel='pos']")).to_have_count(1)
    page.screenshot(path="/tmp/console-customer.png", full_page=True)
