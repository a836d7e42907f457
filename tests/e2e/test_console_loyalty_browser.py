"""Loyalty at the till in a real browser: a store associate finds the customer by the card she
hands over, redeems part of her points as a discount, and reads the voucher code and the new
balance to her."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests.e2e.browser import BROWSER_TEST, PASSWORD
from tests.loyalty_support import earn, make_customer, with_default_rewards
from tests.support import LiveServer
from unico.access import service as access
from unico.access.model import SYSTEM
from unico.core.db import Database
from unico.inventory import locations as network
from unico.inventory.model import Capability, LocationType
from unico.loyalty import accounts
from unico.loyalty.store import loyalty_redemptions

pytestmark = BROWSER_TEST


@pytest.fixture
def shop(db: Database) -> str:
    """Store MI01 with its associate Marco; Elena, a member with card LC 5555 0192 and 1,250
    points; the default rewards. Returns Elena's customer id."""
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
    with_default_rewards(db)
    elena = make_customer(db, "elena.bianchi@example.it", "Elena")
    account_id = accounts.enroll(db, elena, SYSTEM, physical_card="LC55550192").account_id
    earn(db, account_id, 1250, "R-MI01-0042")
    return elena


def test_an_associate_finds_a_member_by_card_and_redeems_part_of_her_points(
    page: Page, server: LiveServer, db: Database, shop: str
) -> None:
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Email").fill("marco@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    expect(page.get_by_role("button", name="Esci")).to_be_visible()

    page.get_by_role("link", name="Fedeltà", exact=True).click()
    expect(page.get_by_role("heading", name="Carte fedeltà")).to_be_visible()
    page.get_by_role("searchbox", name="Numero della carta").fill("lc 5555 0192")
    page.get_by_role("button", name="Trova").click()

    expect(page.get_by_role("heading", name=re.compile("Fedeltà · Elena"))).to_be_visible()
    expect(page.locator('[data-field="available"]')).to_have_text("1.250 punti")
    till = page.locator("#till")
    till.get_by_role("radio", name=re.compile("Sconto con i punti")).check()
    till.get_by_label("Punti da riscattare").fill("300")
    till.get_by_role("button", name="Continua").click()

    expect(till).to_contain_text(
        "Riscattare 300 punti per Sconto con i punti (100 punti = 1 €) del valore di 3,00"
    )
    expect(till).to_contain_text("Saldo dopo il riscatto: 950 punti.")
    till.get_by_role("button", name="Conferma il riscatto").click()

    voucher = page.locator('#redeemed [data-field="voucher"]')
    expect(voucher).to_have_text(re.compile(r"^LV-[2-9A-Z]{10}$"))
    expect(page.locator('[data-field="new-balance"]')).to_have_text("950 punti")
    expect(page.locator('#balance [data-field="available"]')).to_have_text("950 punti")
    expect(page.locator("#redeemed")).to_contain_text("Del valore di 3,00")
    code = voucher.inner_text()
    expect(page.locator(f'#redemption-list tr[data-voucher="{code}"]')).to_be_visible()
    page.screenshot(path="/tmp/console-loyalty.png", full_page=True)
    with db.read() as conn:
        row = conn.execute(select(loyalty_redemptions)).one()
    assert (row.voucher_code, row.points, row.value_minor, row.channel, row.store) == (
        code,
        300,
        300,
        "store",
        "MI01",
    )
