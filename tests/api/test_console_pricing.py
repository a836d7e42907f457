"""The pricing pages of the console through real HTTP, on both databases: the promotion list, the
editor (create, edit, a refused definition that saves nothing), the live preview's exact amounts,
coupon generation and CSV export, the coherence report and its audit."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from starlette.datastructures import FormData

from tests.api.test_console import PASSWORD, add_store, csrf_of, sign_in
from tests.factories import make_variants
from tests.support import LiveServer
from unico.access import service as access
from unico.access.model import SYSTEM
from unico.console.views import pricing_coherence
from unico.console.views.pricing_form import parse_promotion
from unico.core.db import Database
from unico.core.events import outbox_events
from unico.pricing import service
from unico.pricing.model import PriceOverride, Promotion, PromotionKind, PromotionStatus, Target

HX = {"HX-Request": "true"}
EURO = "\xa0€"  # Italian amounts end with a no-break space and the sign: "80,00 €"


@pytest.fixture
def browser(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        yield client


@pytest.fixture
def shop(db: Database) -> Database:
    """Two running shoes at 80,00 € and 120,00 €, socks at 9,90 €, a store in Milano."""
    add_store(db, "MI01", "Milano Duomo", "Milano", 45.4642, 9.1900)
    make_variants(db, "RUN-42", "RUN-43", product_code="P-RUN", name="Scarpa da corsa")
    make_variants(db, "SOCK-1", product_code="P-SOCK", name="Calza tecnica")
    with db.write() as conn:
        service.set_list_prices_in(conn, [("RUN-42", 8000), ("RUN-43", 12000), ("SOCK-1", 990)], "test")
    return db


@pytest.fixture
def office(shop: Database, browser: httpx.Client) -> httpx.Client:
    """An administrator (pricing:manage), signed in; the console speaks Italian by default."""
    access.create_user(shop, email="capo@example.com", name="Capo", password=PASSWORD, role="admin")
    assert sign_in(browser, "capo@example.com").status_code == 303
    return browser


@pytest.fixture
def analyst(shop: Database, browser: httpx.Client) -> httpx.Client:
    """An analyst: reads pricing, may not change it."""
    access.create_user(shop, email="ada@example.com", name="Ada", password=PASSWORD, role="analyst")
    assert sign_in(browser, "ada@example.com").status_code == 303
    return browser


def running_sale(**changes: object) -> Promotion:
    fields: dict[str, object] = {
        "code": "SALDI-RUN",
        "name": "Saldi running",
        "kind": PromotionKind.PERCENT_OFF,
        "percent_bp": 1000,
        "target": Target(skus=frozenset({"RUN-42", "RUN-43"})),
        "status": PromotionStatus.ACTIVE,
    }
    fields.update(changes)
    return Promotion(**fields)


def editor_form(page_html: str, **values: str | list[str]) -> dict[str, str | list[str]]:
    """What the editor would post: the page's CSRF token and the given fields."""
    base: dict[str, str | list[str]] = {
        "csrf_token": csrf_of(page_html),
        "code": "SALDI-RUN",
        "name": "Saldi running",
        "kind": "percent_off",
        "percent": "10",
        "target_skus": "RUN-42, RUN-43",
        "stacking": "stackable",
        "priority": "0",
        "status": "active",
    }
    base.update(values)
    return base


def field_text(html: str, name: str) -> str:
    found = re.search(rf'data-field="{name}"[^>]*>(.*?)</', html, re.S)
    assert found, f"no {name} in the page"
    return found.group(1).strip()


def test_the_list_filters_by_status_and_shows_use_and_budget(office: httpx.Client, shop: Database) -> None:
    service.create_promotion(shop, running_sale(max_redemptions=500, budget_minor=100000), SYSTEM)
    service.create_promotion(
        shop,
        running_sale(code="NATALE", name="Natale", status=PromotionStatus.DRAFT, channels=frozenset({"web"})),
        SYSTEM,
    )

    every = office.get("/console/promotions")
    drafts = office.get("/console/promotions?status=draft")

    assert every.status_code == 200
    assert ">Promozioni</a>" in every.text  # the nav link
    assert re.findall(r'data-promotion="([\w-]+)"', every.text) == ["NATALE", "SALDI-RUN"]
    assert "0 / 500" in every.text and f"0,00{EURO} / 1.000,00{EURO}" in every.text
    assert re.findall(r'data-promotion="([\w-]+)"', drafts.text) == ["NATALE"]
    assert "Bozza" in drafts.text and "Web" in drafts.text


def test_an_admin_creates_a_promotion_typed_in_italian_and_it_is_stored_in_utc(
    office: httpx.Client, shop: Database
) -> None:
    new = office.get("/console/promotions/new")
    assert new.status_code == 200 and "Nuova promozione" in new.text

    saved = office.post(
        "/console/promotions",
        data=editor_form(
            new.text,
            kind="spend_get",
            threshold="100",
            amount="12,90",
            percent="",
            valid_from="2026-12-01T09:00",
            valid_to="2027-01-07T00:00",
            channels=["web", "store"],
            stores=["MI01"],
            members_only="on",
            tiers="silver, gold",
            per_customer_limit="1",
            max_redemptions="1000",
            budget="5.000,00",
            priority="5",
            stacking="exclusive",
        ),
    )

    assert saved.status_code == 303
    assert saved.headers["location"] == "/console/promotions/SALDI-RUN?saved=1"
    stored = service.get_promotion(shop, "SALDI-RUN").promotion
    assert stored.kind is PromotionKind.SPEND_GET
    assert (stored.threshold, stored.amount, stored.percent_bp) == (10000, 1290, None)
    assert stored.valid_from == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 in Rome, winter time
    assert stored.valid_to == datetime(2027, 1, 6, 23, 0, tzinfo=UTC)
    assert stored.channels == {"web", "store"} and stored.stores == {"MI01"}
    assert stored.members_only and stored.tiers == {"silver", "gold"}
    assert (stored.per_customer_limit, stored.max_redemptions, stored.budget_minor) == (1, 1000, 500000)
    assert (stored.priority, stored.stacking.value) == (5, "exclusive")
    page = office.get(saved.headers["location"])
    assert "Promozione salvata." in page.text
    assert 'value="2026-12-01T09:00"' in page.text and 'value="12,90"' in page.text


def test_an_admin_edits_the_percent_and_the_change_is_saved(office: httpx.Client, shop: Database) -> None:
    service.create_promotion(shop, running_sale(), SYSTEM)
    page = office.get("/console/promotions/SALDI-RUN")
    assert 'value="10"' in page.text

    saved = office.post("/console/promotions/SALDI-RUN", data=editor_form(page.text, percent="12,5"))

    assert saved.status_code == 303
    assert service.get_promotion(shop, "SALDI-RUN").promotion.percent_bp == 1250
    assert 'value="12,5"' in office.get("/console/promotions/SALDI-RUN").text


def test_a_definition_that_ends_before_it_starts_is_shown_beside_the_field_and_saves_nothing(
    office: httpx.Client, shop: Database
) -> None:
    new = office.get("/console/promotions/new")

    refused = office.post(
        "/console/promotions",
        data=editor_form(new.text, valid_from="2026-12-10T09:00", valid_to="2026-12-01T09:00"),
    )

    assert refused.status_code == 422
    assert 'data-error-code="pricing.promotion_invalid"' in refused.text
    assert 'data-problem="valid_to"' in refused.text
    assert 'value="2026-12-10T09:00"' in refused.text  # what was typed comes back
    assert "Non è stato salvato nulla." in refused.text
    assert service.list_promotions(shop) == []


def test_a_percent_that_is_not_a_number_is_refused_by_the_form(office: httpx.Client, shop: Database) -> None:
    new = office.get("/console/promotions/new")

    refused = office.post("/console/promotions", data=editor_form(new.text, percent="dieci"))

    assert refused.status_code == 422
    assert 'data-problem="percent"' in refused.text
    assert "Scrivi una percentuale" in refused.text
    assert service.list_promotions(shop) == []


def test_the_preview_prices_the_sample_cart_with_the_unsaved_form(
    office: httpx.Client, shop: Database
) -> None:
    service.create_promotion(shop, running_sale(), SYSTEM)
    page = office.get("/console/promotions/SALDI-RUN")
    assert 'name="sample_sku" value="RUN-42"' in page.text  # prefilled with SKUs the target matches

    form = editor_form(
        page.text,
        percent="25",
        sample_sku=["RUN-42", "SOCK-1"],
        sample_qty=["2", "1"],
        sample_channel="web",
        sample_at="2026-11-22T10:00",
    )
    preview = office.post("/console/promotions/preview", data=form, headers=HX)

    assert preview.status_code == 200
    html = preview.text
    # 2 x 80,00 at 25 % off = 40,00 discount; socks untouched.
    assert field_text(html, "subtotal") == f"169,90{EURO}"
    assert field_text(html, "discount") == f"40,00{EURO}"
    assert field_text(html, "total") == f"129,90{EURO}"
    assert field_text(html, "vat") == f"23,42{EURO}"  # 12990 * 22 / 122, half even
    assert re.findall(r'data-field="line-paid">([^<]+)<', html) == [f"120,00{EURO}", f"9,90{EURO}"]
    assert "SALDI-RUN" in html and "sconto 25%" in html
    assert service.get_promotion(shop, "SALDI-RUN").promotion.percent_bp == 1000  # nothing saved


def test_the_preview_says_which_sku_has_no_price(office: httpx.Client, shop: Database) -> None:
    page = office.get("/console/promotions/new")

    preview = office.post(
        "/console/promotions/preview",
        data=editor_form(page.text, sample_sku=["NOPE-1"], sample_qty=["1"]),
        headers=HX,
    )

    assert preview.status_code == 200
    assert 'data-error-code="pricing.no_price"' in preview.text
    assert "Il carrello di prova ha uno SKU senza prezzo di listino: NOPE-1." in preview.text


def test_coupons_are_generated_listed_by_batch_and_exported_as_csv(
    office: httpx.Client, shop: Database
) -> None:
    service.create_promotion(shop, running_sale(code="BENVENUTO", requires_coupon=True), SYSTEM)
    page = office.get("/console/promotions/BENVENUTO")
    assert "Nessun codice generato finora." in page.text

    generated = office.post(
        "/console/promotions/BENVENUTO/coupons",
        data={"csrf_token": csrf_of(page.text), "count": "5", "prefix": "natale", "max_redemptions": "1"},
    )

    assert generated.status_code == 200
    assert "5 codici generati." in generated.text
    batch = re.search(r'id="generated" data-batch="([^"]+)"', generated.text)
    assert batch
    shown = re.findall(r"\bNATALE[\w-]+", generated.text)
    assert len(set(shown)) == 5
    exported = office.get(f"/console/promotions/BENVENUTO/coupons.csv?batch={batch.group(1)}")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sorted(r["code"] for r in rows) == sorted(set(shown))
    assert {
        (r["batch_id"], r["max_redemptions"], r["per_customer_limit"], r["redemptions"]) for r in rows
    } == {(batch.group(1), "1", "1", "0")}
    assert sorted(r["code"] for r in service.export_coupons(shop, "BENVENUTO")) == sorted(set(shown))
    listed = office.get("/console/promotions/BENVENUTO")
    assert f'data-batch="{batch.group(1)}"' in listed.text


def test_the_coherence_report_tells_justified_from_unjustified_store_prices(
    office: httpx.Client, shop: Database
) -> None:
    add_store(shop, "RM01", "Roma Termini", "Roma", 41.9, 12.5)
    service.create_override(
        shop,
        PriceOverride(override_id="", sku="RUN-42", amount=7000, reason="Apertura negozio", store="MI01"),
        SYSTEM,
    )
    with shop.write() as conn:  # a store price pushed by an import, without a reason
        service.record_store_price_in(conn, "SOCK-1", "RM01", 790, "import")

    report = office.get("/console/pricing/coherence")

    assert report.status_code == 200
    rows = dict(re.findall(r'<tr data-sku="([\w-]+)" data-justified="(yes|no)"', report.text))
    assert rows == {"RUN-42": "yes", "SOCK-1": "no"}
    assert "Non giustificata" in report.text and "Apertura negozio" in report.text

    audited = office.post(
        "/console/pricing/coherence/audit", data={"csrf_token": csrf_of(report.text), "at": ""}
    )

    assert audited.status_code == 200
    assert 'data-new-findings="1"' in audited.text
    with shop.read() as conn:
        found = conn.execute(
            select(outbox_events.c.aggregate_id).where(outbox_events.c.type == "pricing.incoherence_detected")
        ).all()
    assert len(found) == 1


def test_the_coherence_report_always_lists_unjustified_rows_and_cuts_the_justified_tail(
    office: httpx.Client, shop: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_store(shop, "RM01", "Roma Termini", "Roma", 41.9, 12.5)
    service.create_override(
        shop,
        PriceOverride(override_id="", sku="RUN-42", amount=7000, reason="Apertura negozio", store="MI01"),
        SYSTEM,
    )
    with shop.write() as conn:
        service.record_store_price_in(conn, "SOCK-1", "RM01", 790, "import")
    monkeypatch.setattr(pricing_coherence, "ROW_LIMIT", 0)

    report = office.get("/console/pricing/coherence")

    rows = dict(re.findall(r'<tr data-sku="([\w-]+)" data-justified="(yes|no)"', report.text))
    assert rows == {"SOCK-1": "no"}
    assert "1 altra differenza giustificata non elencata." in report.text


def test_an_analyst_reads_but_cannot_save(analyst: httpx.Client, shop: Database) -> None:
    service.create_promotion(shop, running_sale(), SYSTEM)

    page = analyst.get("/console/promotions/SALDI-RUN")
    refused = analyst.post("/console/promotions/SALDI-RUN", data=editor_form(page.text, percent="50"))
    preview = analyst.post(
        "/console/promotions/preview", data=editor_form(page.text, sample_sku=["RUN-42"]), headers=HX
    )

    assert page.status_code == 200 and 'id="read-only"' in page.text and 'id="save"' not in page.text
    assert refused.status_code == 403
    assert service.get_promotion(shop, "SALDI-RUN").promotion.percent_bp == 1000
    assert field_text(preview.text, "total") == f"72,00{EURO}"  # trying values in the preview is allowed


def test_the_pricing_pages_speak_english(office: httpx.Client, shop: Database) -> None:
    service.create_promotion(shop, running_sale(), SYSTEM)
    first = office.get("/console/promotions")
    office.post("/console/locale", data={"locale": "en", "csrf_token": csrf_of(first.text)})

    pages = [
        office.get(p).text
        for p in ("/console/promotions", "/console/promotions/SALDI-RUN", "/console/pricing/coherence")
    ]

    assert ">Promotions</a>" in pages[0] and "Percent off" in pages[0]
    assert "What it applies to" in pages[1] and 'value="10"' in pages[1]
    assert "Price coherence" in pages[2]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ({"percent": "12,5"}, {"percent_bp": 1250}),
        ({"percent": "12.5 %"}, {"percent_bp": 1250}),
        ({"kind": "amount_off", "amount": "1.234,50"}, {"amount": 123450}),
        ({"kind": "amount_off", "amount": "12.90"}, {"amount": 1290}),
        ({"valid_from": "2026-07-01T09:00"}, {"valid_from": datetime(2026, 7, 1, 7, 0, tzinfo=UTC)}),  # CEST
        ({"kind": "amount_off", "amount": "9,9", "percent": "50"}, {"amount": 990, "percent_bp": None}),
    ],
)
def test_the_form_reads_euros_percentages_and_italian_time(
    typed: dict[str, str], expected: dict[str, object]
) -> None:
    parsed = parse_promotion(FormData({"code": "saldi", "name": "Saldi", "kind": "percent_off", **typed}))

    assert parsed.problems == {}
    assert parsed.promotion is not None and parsed.promotion.code == "SALDI"
    assert {name: getattr(parsed.promotion, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("typed", "field", "key"),
    [
        ({"percent": "12,555"}, "percent", "percent"),
        ({"percent": "dieci"}, "percent", "percent"),
        ({"kind": "amount_off", "amount": "-3"}, "amount", "price"),
        ({"priority": "alta"}, "priority", "integer"),
        ({"valid_to": "domani"}, "valid_to", "datetime"),
        ({"kind": "two_for_one"}, "kind", "choice"),
        ({"code": ""}, "code", "required"),
    ],
)
def test_the_form_names_each_field_it_cannot_read(typed: dict[str, str], field: str, key: str) -> None:
    parsed = parse_promotion(FormData({"code": "SALDI", "name": "Saldi", "kind": "percent_off", **typed}))

    assert parsed.promotion is None
    assert parsed.problems[field].key == key
