"""The promotion editor in a real browser: an administrator raises a sale from 10 % to 25 % and
watches the preview quote change before saving, then finds the promotion listed with its new value.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import BROWSER_TEST, PASSWORD
from tests.factories import make_variants
from tests.support import LiveServer
from unico.access import service as access
from unico.access.model import SYSTEM
from unico.core.db import Database
from unico.pricing import service
from unico.pricing.model import Promotion, PromotionKind, PromotionStatus, Target

pytestmark = BROWSER_TEST


def euros(text: str) -> re.Pattern[str]:
    """An Italian amount as the page writes it ("60,00 €", with a no-break space)."""
    return re.compile(rf"^{re.escape(text)}\s€$")


@pytest.fixture
def shop(db: Database) -> Database:
    """A running shoe at 80,00 € on a 10 % sale, and the administrator who runs the sales."""
    make_variants(db, "RUN-42", product_code="P-RUN", name="Scarpa da corsa")
    with db.write() as conn:
        service.set_list_prices_in(conn, [("RUN-42", 8000)], "test")
    service.create_promotion(
        db,
        Promotion(
            code="SALDI-RUN",
            name="Saldi running",
            kind=PromotionKind.PERCENT_OFF,
            percent_bp=1000,
            target=Target(skus=frozenset({"RUN-42"})),
            status=PromotionStatus.ACTIVE,
        ),
        SYSTEM,
    )
    access.create_user(db, email="capo@example.com", name="Capo", password=PASSWORD, role="admin")
    return db


def test_admin_changes_the_percent_and_sees_the_preview_quote_change_then_saves(
    page: Page, server: LiveServer, shop: Database
) -> None:
    page.goto(f"{server.url}/console/login")
    page.get_by_label("Email").fill("capo@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.get_by_role("link", name="Promozioni", exact=True).click()
    page.get_by_role("link", name="SALDI-RUN").click()
    expect(page.get_by_role("heading", name="SALDI-RUN · Saldi running")).to_be_visible()

    preview = page.locator("#preview-result")
    # The sample cart starts with the SKU the promotion targets: one shoe at 80,00 €, 10 % off.
    expect(page.locator("input[name=sample_sku]").first).to_have_value("RUN-42")
    expect(preview.locator("[data-field=discount]")).to_have_text(euros("8,00"))
    expect(preview.locator("[data-field=total]")).to_have_text(euros("72,00"))

    page.locator("#f-percent").fill("25")

    expect(preview.locator("[data-field=discount]")).to_have_text(euros("20,00"))
    expect(preview.locator("[data-field=total]")).to_have_text(euros("60,00"))
    expect(preview.locator("[data-field=vat]")).to_have_text(euros("10,82"))  # 6000 * 22 / 122
    expect(preview.locator("#preview-adjustments")).to_contain_text("sconto 25%")
    assert service.get_promotion(shop, "SALDI-RUN").promotion.percent_bp == 1000  # not saved yet
    page.screenshot(path="/tmp/console-promotion-preview.png", full_page=True)

    page.get_by_role("button", name="Salva le modifiche").click()

    expect(page.get_by_role("status")).to_have_text("Promozione salvata.")
    page.get_by_role("link", name="Promozioni", exact=True).click()
    row = page.locator("#promotions tr[data-promotion='SALDI-RUN']")
    expect(row.locator("[data-field=value]")).to_have_text("25%")
    expect(row).to_contain_text("Attiva")
    assert service.get_promotion(shop, "SALDI-RUN").promotion.percent_bp == 2500
