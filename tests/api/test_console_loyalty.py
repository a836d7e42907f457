"""The loyalty pages of the console through real HTTP, on both databases: enrolment, the account
with its balances, pending points, tier, cards and ledger, finding an account by card, redeeming
a reward at the till (whole and partial, refused, submitted twice) and manual adjustments."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from tests.api.test_console import PASSWORD, add_store, csrf_of, sign_in
from tests.loyalty_support import earn, ledger_counts, make_customer, with_default_rewards
from tests.support import LiveServer
from unico.access import service as access
from unico.access.model import SYSTEM
from unico.core import clock
from unico.core.db import Database
from unico.loyalty import accounts
from unico.loyalty.earning import PurchaseLine
from unico.loyalty.ledger import balance_in, post_in
from unico.loyalty.model import ADJUSTED, AVAILABLE, Leg, PostingKind, Source
from unico.loyalty.purchases import earn_for_purchase_in
from unico.loyalty.store import loyalty_accounts, loyalty_redemptions

HX = {"HX-Request": "true"}
NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)


@pytest.fixture
def browser(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        yield client


@pytest.fixture
def shop(db: Database) -> Iterator[Database]:
    """Two stores, the default rewards (€5 voucher for 500 points, €10 for 900, points discount
    from 100 points in steps of 100 at 1 cent a point) and a frozen clock."""
    clock.set_clock(clock.FrozenClock(NOW))
    add_store(db, "MI01", "Milano Duomo", "Milano", 45.4642, 9.1900)
    add_store(db, "RM01", "Roma Corso", "Roma", 41.9028, 12.4964)
    with_default_rewards(db)
    yield db
    clock.reset_clock()


@pytest.fixture
def associate(shop: Database, browser: httpx.Client) -> httpx.Client:
    """Giulia, store associate at MI01, signed in (Italian by default)."""
    access.create_user(
        shop,
        email="giulia@example.com",
        name="Giulia",
        password=PASSWORD,
        role="store_associate",
        store_code="MI01",
    )
    assert sign_in(browser, "giulia@example.com").status_code == 303
    return browser


@pytest.fixture
def office(shop: Database, browser: httpx.Client) -> httpx.Client:
    access.create_user(shop, email="capo@example.com", name="Capo", password=PASSWORD, role="admin")
    assert sign_in(browser, "capo@example.com").status_code == 303
    return browser


@pytest.fixture
def anna(shop: Database) -> str:
    return make_customer(shop, "anna.rossi@example.it", "Anna")


@pytest.fixture
def member(shop: Database, anna: str) -> str:
    """Anna, enrolled with physical card LC77889900 and 1,200 points available; returns her id."""
    account_id = accounts.enroll(shop, anna, SYSTEM, physical_card="LC77889900").account_id
    earn(shop, account_id, 1200, "R-MI01-0001")
    return anna


def account_of(db: Database, customer_id: str) -> str:
    return accounts.get_account_of_customer(db, customer_id).account_id


def available(db: Database, customer_id: str) -> int:
    with db.read() as conn:
        return balance_in(conn, account_of(db, customer_id)).available


def field(html: str, name: str) -> str:
    found = re.search(rf'data-field="{name}"[^>]*>([^<]*)<', html)
    assert found, f"no {name} on the page"
    return found.group(1).strip()


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field on the page"
    return found.group(1)


def redeem(client: httpx.Client, customer_id: str, page: str, **values: str) -> httpx.Response:
    """Post the till's form as the page rendered it (CSRF token and redemption reference)."""
    form = {"csrf_token": csrf_of(page), "redemption_ref": hidden(page, "redemption_ref"), **values}
    return client.post(f"/console/customers/{customer_id}/loyalty/redeem", data=form)


def test_the_loyalty_page_speaks_italian_and_english(associate: httpx.Client, anna: str) -> None:
    italian = associate.get(f"/console/customers/{anna}/loyalty")
    assert italian.status_code == 200
    assert "Non iscritto" in italian.text and ">Iscrivi</button>" in italian.text
    assert "Anna" in italian.text

    associate.post("/console/locale", data={"locale": "en", "csrf_token": csrf_of(italian.text)})

    english = associate.get(f"/console/customers/{anna}/loyalty").text
    assert "Not enrolled" in english and ">Enroll</button>" in english
    assert "Non iscritto" not in english


def test_the_profile_links_to_the_loyalty_account(associate: httpx.Client, anna: str) -> None:
    profile = associate.get(f"/console/customers/{anna}").text

    assert f'id="loyalty-link" href="/console/customers/{anna}/loyalty"' in profile
    assert "Punti e premi fedeltà" in profile


def test_an_associate_enrolls_a_customer_with_a_physical_card(
    associate: httpx.Client, shop: Database, anna: str
) -> None:
    page = associate.get(f"/console/customers/{anna}/loyalty").text

    enrolled = associate.post(
        f"/console/customers/{anna}/loyalty/enroll",
        data={"csrf_token": csrf_of(page), "physical_card": " lc 7788 9900 ", "store": "RM01"},
    )

    assert enrolled.status_code == 303
    assert enrolled.headers["location"] == f"/console/customers/{anna}/loyalty"
    account = accounts.get_account_of_customer(shop, anna)
    assert [(c.kind, c.card_number) for c in account.cards] == [
        ("digital", account.digital_card),
        ("physical", "LC77889900"),
    ]
    with shop.read() as conn:
        where = conn.execute(
            select(loyalty_accounts.c.enrolled_channel, loyalty_accounts.c.enrolled_store)
        ).one()
    assert tuple(where) == ("store", "MI01")  # the associate's own store, whatever the form says
    shown = associate.get(f"/console/customers/{anna}/loyalty").text
    assert field(shown, "available") == "0 punti"
    assert 'data-card="LC77889900"' in shown and f'data-card="{account.digital_card}"' in shown

    again = associate.post(f"/console/customers/{anna}/loyalty/enroll", data={"csrf_token": csrf_of(shown)})
    assert again.status_code == 409
    assert "Questo cliente è già iscritto." in again.text


def test_a_card_another_account_holds_is_refused(
    associate: httpx.Client, shop: Database, member: str
) -> None:
    other = make_customer(shop, "marco@example.it", "Marco")
    accounts.enroll(shop, other, SYSTEM)
    page = associate.get(f"/console/customers/{other}/loyalty").text

    taken = associate.post(
        f"/console/customers/{other}/loyalty/cards",
        data={"csrf_token": csrf_of(page), "card_number": "lc77889900"},
    )
    added = associate.post(
        f"/console/customers/{other}/loyalty/cards",
        data={"csrf_token": csrf_of(page), "card_number": "LC 1234 5678"},
    )

    assert taken.status_code == 409
    assert "Questo numero di carta appartiene già a un conto." in taken.text
    assert added.status_code == 303
    assert [c.card_number for c in accounts.get_account_of_customer(shop, other).cards][1:] == ["LC12345678"]


def test_the_page_shows_exact_balances_pending_points_tier_and_ledger(
    office: httpx.Client, shop: Database, member: str
) -> None:
    account_id = account_of(shop, member)
    with shop.write() as conn:
        earn_for_purchase_in(
            conn,
            account_id,
            Source("order", "ord_web_1"),
            "web",
            None,
            [PurchaseLine("RUN-42", frozenset(), 15_000)],
            NOW,
            pending_until=datetime(2026, 12, 20, 11, 0, tzinfo=UTC),
        )
        post_in(
            conn,
            account_id,
            PostingKind.ADJUST,
            Source("adjustment", "goodwill-1"),
            [Leg(AVAILABLE, -200), Leg(ADJUSTED, 200)],
            actor="test",
            detail={"reason": "doppio accredito"},
        )

    page = office.get(f"/console/customers/{member}/loyalty")

    assert page.status_code == 200
    html = page.text
    assert field(html, "available") == "1.000 punti"
    assert field(html, "pending") == "150 punti"
    assert field(html, "lifetime") == "1.350 punti"
    assert 'data-matures="2026-12-20T11:00:00+00:00"' in html
    assert "150 punti diventano disponibili il 20 dic 2026" in html
    assert field(html, "tier") == "Argento"  # 1,350 earned in 12 months: silver from 500, gold at 1,500
    assert "150 punti in più per raggiungere Oro (1.350 di 1.500 guadagnati negli ultimi 12 mesi)." in html
    assert "Guadagna 1,25× punti" in html
    rows = re.findall(r'<tr data-txn="(ltx_\w+)" data-kind="(\w+)">', html)
    assert [kind for _txn, kind in rows] == ["adjust", "earn", "earn"]
    assert "“doppio accredito”" in html
    assert "20/11/26, 12:00" in html  # Europe/Rome
    assert 'data-reward="BUONO-5" data-affordable="yes"' in html
    assert 'data-reward="BUONO-10" data-affordable="yes"' in html
    assert "fino a 10,00\xa0€" in html  # the points discount: 1,000 points at 1 cent


def test_an_associate_redeems_a_voucher_after_confirming(
    associate: httpx.Client, shop: Database, member: str
) -> None:
    page = associate.get(f"/console/customers/{member}/loyalty").text
    ref = hidden(page, "redemption_ref")

    review = redeem(associate, member, page, reward="BUONO-5")

    assert review.status_code == 200
    assert "Riscattare 500 punti per Buono da 5 € del valore di 5,00\xa0€?" in review.text
    assert hidden(review.text, "redemption_ref") == ref
    assert available(shop, member) == 1200  # nothing spent before the confirmation

    done = redeem(associate, member, review.text, reward="BUONO-5", confirm="yes")

    assert done.status_code == 200
    voucher = field(done.text, "voucher")
    assert re.fullmatch(r"LV-[2-9A-Z]{10}", voucher)
    assert field(done.text, "new-balance") == "700 punti"
    assert field(done.text, "available") == "700 punti"
    assert f'data-voucher="{voucher}"' in done.text
    assert hidden(done.text, "redemption_ref") != ref  # the next redemption is a new one
    with shop.read() as conn:
        row = conn.execute(select(loyalty_redemptions)).one()
    assert (row.channel, row.store, row.points, row.value_minor, row.voucher_code) == (
        "store",
        "MI01",
        500,
        500,
        voucher,
    )


def test_a_partial_redemption_spends_the_points_typed(
    associate: httpx.Client, shop: Database, member: str
) -> None:
    page = associate.get(f"/console/customers/{member}/loyalty").text

    review = redeem(associate, member, page, reward="PUNTI-SCONTO", points="300")
    assert "Riscattare 300 punti" in review.text and "3,00\xa0€" in review.text
    done = redeem(associate, member, review.text, reward="PUNTI-SCONTO", points="300", confirm="yes")

    assert done.status_code == 200
    assert field(done.text, "new-balance") == "900 punti"
    assert available(shop, member) == 900
    assert "Del valore di 3,00\xa0€, per 300 punti." in done.text


@pytest.mark.parametrize(
    ("points", "status", "message"),
    [
        ("5000", 409, "Punti insufficienti: il cliente ne ha 1.200 disponibili."),
        ("50", 422, "Troppo pochi punti: questo premio ne richiede almeno 100."),
        ("150", 422, "I punti devono essere un multiplo di 100."),
        ("dieci", 422, "I punti devono essere un numero intero."),
    ],
)
def test_a_refused_redemption_is_explained_and_records_nothing(
    associate: httpx.Client, shop: Database, member: str, points: str, status: int, message: str
) -> None:
    page = associate.get(f"/console/customers/{member}/loyalty").text
    before = ledger_counts(shop)

    for confirm in ("", "yes"):  # at the confirmation step and when confirming straight away
        refused = redeem(associate, member, page, reward="PUNTI-SCONTO", points=points, confirm=confirm)

        assert refused.status_code == status
        assert message in refused.text
        assert f'value="{points}"' in refused.text  # what was typed stays in the form
    assert ledger_counts(shop) == before
    assert available(shop, member) == 1200


def test_a_voucher_costing_more_than_the_balance_is_refused(
    associate: httpx.Client, shop: Database, anna: str
) -> None:
    account_id = accounts.enroll(shop, anna, SYSTEM).account_id
    earn(shop, account_id, 450, "R-1")
    page = associate.get(f"/console/customers/{anna}/loyalty").text
    assert 'data-reward="BUONO-5" data-affordable="no"' in page
    assert re.search(r'value="BUONO-5"[^>]* disabled>', page)  # the till does not offer it

    refused = redeem(associate, anna, page, reward="BUONO-5", confirm="yes")

    assert refused.status_code == 409
    assert "Punti insufficienti: il cliente ne ha 450 disponibili." in refused.text
    assert available(shop, anna) == 450


def test_the_same_confirmed_form_sent_twice_redeems_once(
    associate: httpx.Client, shop: Database, member: str
) -> None:
    page = associate.get(f"/console/customers/{member}/loyalty").text
    review = redeem(associate, member, page, reward="BUONO-10")

    first = redeem(associate, member, review.text, reward="BUONO-10", confirm="yes")
    second = redeem(associate, member, review.text, reward="BUONO-10", confirm="yes")

    assert first.status_code == second.status_code == 200
    assert field(first.text, "voucher") == field(second.text, "voucher")
    assert field(second.text, "new-balance") == "300 punti"
    assert available(shop, member) == 300
    with shop.read() as conn:
        assert len(conn.execute(select(loyalty_redemptions)).all()) == 1


def test_a_card_typed_in_any_spacing_or_case_opens_the_account(
    associate: httpx.Client, shop: Database, member: str
) -> None:
    digital = accounts.get_account_of_customer(shop, member).digital_card

    physical = associate.get("/console/loyalty", params={"card": " lc 7788 9900 "})
    by_digital = associate.get("/console/loyalty", params={"card": digital.lower()})
    unknown = associate.get("/console/loyalty", params={"card": "LC00000000"})

    assert physical.status_code == by_digital.status_code == 303
    assert physical.headers["location"] == f"/console/customers/{member}/loyalty#till"
    assert by_digital.headers["location"] == physical.headers["location"]
    assert unknown.status_code == 404
    assert "Nessun conto fedeltà ha la carta “LC00000000”." in unknown.text
    assert associate.get("/console/loyalty").status_code == 200


def test_an_associate_redeems_only_for_their_own_store(
    associate: httpx.Client, shop: Database, member: str
) -> None:
    page = associate.get(f"/console/customers/{member}/loyalty").text
    assert 'name="store" value="MI01"' in page and '<select name="store">' not in page

    done = redeem(associate, member, page, reward="BUONO-5", store="RM01", confirm="yes")

    assert done.status_code == 200
    with shop.read() as conn:
        assert conn.execute(select(loyalty_redemptions.c.store)).scalar_one() == "MI01"


def test_the_office_chooses_the_store_of_a_till_redemption(
    office: httpx.Client, shop: Database, member: str
) -> None:
    page = office.get(f"/console/customers/{member}/loyalty").text
    before = ledger_counts(shop)

    no_store = redeem(office, member, page, reward="BUONO-5", confirm="yes")
    assert no_store.status_code == 422
    assert "Scegli prima il negozio." in no_store.text
    assert ledger_counts(shop) == before

    done = redeem(office, member, page, reward="BUONO-5", store="RM01", confirm="yes")
    assert done.status_code == 200
    with shop.read() as conn:
        assert conn.execute(select(loyalty_redemptions.c.store)).scalar_one() == "RM01"


def test_only_loyalty_managers_adjust_points_and_always_with_a_reason(
    associate: httpx.Client, shop: Database, member: str
) -> None:
    page = associate.get(f"/console/customers/{member}/loyalty").text
    assert "Rettifica manuale" not in page
    forbidden = associate.post(
        f"/console/customers/{member}/loyalty/adjustments",
        data={"csrf_token": csrf_of(page), "points": "100", "reason": "regalo"},
    )
    assert forbidden.status_code == 403
    assert available(shop, member) == 1200

    associate.post("/console/logout", data={"csrf_token": csrf_of(page)})
    access.create_user(shop, email="capo@example.com", name="Capo", password=PASSWORD, role="admin")
    sign_in(associate, "capo@example.com")
    page = associate.get(f"/console/customers/{member}/loyalty").text
    form = {"csrf_token": csrf_of(page), "adjustment_ref": hidden(page, "adjustment_ref")}

    no_reason = associate.post(
        f"/console/customers/{member}/loyalty/adjustments", data={**form, "points": "-150", "reason": " "}
    )
    first = associate.post(
        f"/console/customers/{member}/loyalty/adjustments",
        data={**form, "points": "-150", "reason": "reso senza scontrino"},
    )
    second = associate.post(
        f"/console/customers/{member}/loyalty/adjustments",
        data={**form, "points": "-150", "reason": "reso senza scontrino"},
    )

    assert no_reason.status_code == 422
    assert "Indica perché i punti vengono rettificati." in no_reason.text
    assert first.status_code == second.status_code == 303
    assert available(shop, member) == 1050
    shown = associate.get(f"/console/customers/{member}/loyalty").text
    assert "“reso senza scontrino”" in shown and "−150" in shown


def test_the_ledger_pages_back_through_older_postings(
    associate: httpx.Client, shop: Database, member: str
) -> None:
    account_id = account_of(shop, member)
    for n in range(24):
        earn(shop, account_id, 10, f"R-MI01-{n + 2:04d}")

    page = associate.get(f"/console/customers/{member}/loyalty").text
    first = re.findall(r'<tr data-txn="(ltx_\w+)"', page)
    assert len(first) == 20
    button = re.search(r'hx-get="([^"]+)"', page)
    assert button and button.group(1) == f"/console/customers/{member}/loyalty/ledger?before={first[-1]}"
    older = associate.get(button.group(1), headers=HX)
    without_htmx = associate.get(f"/console/customers/{member}/loyalty", params={"before": first[-1]})

    assert older.status_code == 200
    assert "<html" not in older.text
    rest = re.findall(r'<tr data-txn="(ltx_\w+)"', older.text)
    assert len(rest) == 5 and not set(rest) & set(first)
    assert "Movimenti precedenti" not in older.text
    assert re.findall(r'<tr data-txn="(ltx_\w+)"', without_htmx.text) == rest
    assert field(page, "available") == "1.440 punti"


def test_an_analyst_reads_the_account_but_has_no_till(
    browser: httpx.Client, shop: Database, member: str
) -> None:
    access.create_user(shop, email="ada@example.com", name="Ada", password=PASSWORD, role="analyst")
    sign_in(browser, "ada@example.com")

    page = browser.get(f"/console/customers/{member}/loyalty")

    assert page.status_code == 200
    assert field(page.text, "available") == "1.200 punti"
    assert 'id="redeem-form"' not in page.text
    refused = browser.post(
        f"/console/customers/{member}/loyalty/redeem",
        data={
            "csrf_token": csrf_of(page.text),
            "redemption_ref": "console-x",
            "reward": "BUONO-5",
            "confirm": "yes",
        },
    )
    assert refused.status_code == 403
    assert available(shop, member) == 1200


def test_a_redemption_without_the_session_token_is_refused(
    associate: httpx.Client, shop: Database, member: str
) -> None:
    page = associate.get(f"/console/customers/{member}/loyalty").text
    before = ledger_counts(shop)

    forged = associate.post(
        f"/console/customers/{member}/loyalty/redeem",
        data={"redemption_ref": hidden(page, "redemption_ref"), "reward": "BUONO-5", "confirm": "yes"},
    )

    assert forged.status_code == 403
    assert ledger_counts(shop) == before


def test_the_account_page_speaks_english(associate: httpx.Client, member: str) -> None:
    page = associate.get(f"/console/customers/{member}/loyalty").text
    associate.post("/console/locale", data={"locale": "en", "csrf_token": csrf_of(page)})

    english = associate.get(f"/console/customers/{member}/loyalty").text

    assert field(english, "available") == "1,200 points"
    assert "Redeem at the till" in english and "Riscatto in cassa" not in english
    assert "€5 voucher" in english and "up to €12.00" in english
    assert "Points earned" in english and "Till receipt" in english
