"""The staff console through real HTTP: sign-in, sessions, CSRF, language, stores, stock, ledger."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import unico.console
from tests.support import LiveServer
from unico.access import service as access
from unico.access.model import SYSTEM
from unico.catalog import service as catalog
from unico.catalog.model import ProductDraft, VariantDraft
from unico.core.db import Database
from unico.inventory import ledger
from unico.inventory import locations as network
from unico.inventory.model import Capability, LocationType, MovementKind, MovementRequest

PASSWORD = "correct horse battery"
ALL_WEEK = {day: (("09:00", "13:00"), ("15:30", "19:30")) for day in range(6)}


def add_store(db: Database, code: str, name: str, city: str, lat: float, lon: float, **extra: object) -> None:
    network.create_location(
        db,
        network.LocationDraft(
            code=code,
            name=name,
            type=LocationType.STORE,
            latitude=lat,
            longitude=lon,
            address="Via Roma 1",
            city=city,
            postcode="20121",
            capabilities=frozenset({Capability.PICKUP, Capability.RETURNS}),
            pickup_capacity_per_day=40,
            hours=ALL_WEEK,
            **extra,
        ),
        actor="test",
    )


def add_jacket(db: Database) -> None:
    catalog.create_product(
        db,
        ProductDraft(
            code="P-JACKET",
            name_it="Giacca impermeabile",
            name_en="Waterproof jacket",
            variants=[
                VariantDraft(sku="JK-BLU-M", size="M", colour="blu"),
                VariantDraft(sku="JK-BLU-L", size="L", colour="blu"),
            ],
        ),
        actor="test",
    )


def receive(db: Database, sku: str, store: str, quantity: int, movement_id: str) -> None:
    ledger.apply_movements(
        db,
        [MovementRequest(movement_id, sku, store, MovementKind.RECEIPT, quantity, reason="delivery")],
        SYSTEM,
    )


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/console/login")
    return client.post(
        "/console/login", data={"email": email, "password": password, "csrf_token": csrf_of(form.text)}
    )


@pytest.fixture
def browser(server: LiveServer) -> Iterator[httpx.Client]:
    """A cookie-keeping client that does not follow redirects, like a browser seen step by step."""
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        yield client


@pytest.fixture
def associate(db: Database) -> str:
    add_store(db, "MI01", "Milano Duomo", "Milano", 45.4642, 9.1900)
    access.create_user(
        db,
        email="giulia@example.com",
        name="Giulia",
        password=PASSWORD,
        role="store_associate",
        store_code="MI01",
    )
    return "giulia@example.com"


@pytest.fixture
def signed_in(browser: httpx.Client, associate: str) -> httpx.Client:
    assert sign_in(browser, associate).status_code == 303
    return browser


def test_login_with_a_wrong_password_shows_the_error(browser: httpx.Client, associate: str) -> None:
    response = sign_in(browser, associate, password="not the password")

    assert response.status_code == 401
    assert "Email o password errate." in response.text
    assert "unico_session" not in browser.cookies


def test_login_sets_a_protected_session_cookie_and_goes_to_products(
    browser: httpx.Client, associate: str
) -> None:
    response = sign_in(browser, associate)

    assert response.status_code == 303
    assert response.headers["location"] == "/console/products"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("unico_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain http here
    page = browser.get("/console/products")
    assert page.status_code == 200
    assert "Trova un prodotto" in page.text
    assert "giulia@example.com · MI01" in page.text


def test_session_cookie_is_secure_over_https(browser: httpx.Client, associate: str) -> None:
    form = browser.get("/console/login")
    response = browser.post(
        "/console/login",
        data={"email": associate, "password": PASSWORD, "csrf_token": csrf_of(form.text)},
        headers={"X-Forwarded-Proto": "https"},  # as a TLS-terminating proxy on loopback says
    )

    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("unico_session="))
    assert "Secure" in cookie


@pytest.mark.parametrize("path", ["/console/products", "/console/stores", "/console/stores/MI01/movements"])
def test_pages_require_a_session(browser: httpx.Client, associate: str, path: str) -> None:
    response = browser.get(path)

    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=" + quote(path, safe="")


def test_htmx_requests_without_a_session_are_sent_to_login(browser: httpx.Client, associate: str) -> None:
    response = browser.get("/console/products?q=giacca", headers={"HX-Request": "true"})

    assert response.headers["HX-Redirect"].startswith("/console/login?next=")


def test_login_returns_to_the_page_asked_for_but_never_off_site(
    browser: httpx.Client, associate: str
) -> None:
    form = browser.get("/console/login?next=%2Fconsole%2Fstores")
    token = csrf_of(form.text)
    assert 'name="next" value="/console/stores"' in form.text

    ok = browser.post(
        "/console/login",
        data={"email": associate, "password": PASSWORD, "csrf_token": token, "next": "/console/stores"},
    )
    assert ok.headers["location"] == "/console/stores"

    browser.cookies.delete("unico_session")
    form = browser.get("/console/login")
    evil = browser.post(
        "/console/login",
        data={
            "email": associate,
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "//evil.example",
        },
    )
    assert evil.headers["location"] == "/console/products"


def test_login_without_the_pre_session_csrf_token_is_refused(browser: httpx.Client, associate: str) -> None:
    browser.get("/console/login")  # receives the pre-session cookie

    response = browser.post("/console/login", data={"email": associate, "password": PASSWORD})

    assert response.status_code == 403
    assert "Richiesta rifiutata" in response.text
    assert "unico_session" not in browser.cookies


def test_login_with_a_token_but_no_cookie_is_refused(browser: httpx.Client, associate: str) -> None:
    token = csrf_of(browser.get("/console/login").text)
    browser.cookies.clear()

    response = browser.post(
        "/console/login", data={"email": associate, "password": PASSWORD, "csrf_token": token}
    )

    assert response.status_code == 403


def test_post_without_csrf_token_is_refused(signed_in: httpx.Client) -> None:
    missing = signed_in.post("/console/logout")
    wrong = signed_in.post("/console/logout", data={"csrf_token": "0" * 64})
    wrong_header = signed_in.post(
        "/console/locale", data={"locale": "en"}, headers={"X-CSRF-Token": "f" * 64}
    )

    assert [missing.status_code, wrong.status_code, wrong_header.status_code] == [403, 403, 403]
    assert signed_in.get("/console/products").status_code == 200  # still signed in, still Italian
    assert "Trova un prodotto" in signed_in.get("/console/products").text


def test_the_page_token_is_the_session_hmac_and_works_as_htmx_header(signed_in: httpx.Client) -> None:
    page = signed_in.get("/console/products").text
    token = csrf_of(page)
    assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page

    response = signed_in.post("/console/locale", data={"locale": "en"}, headers={"X-CSRF-Token": token})

    assert response.status_code == 303


def test_language_switch_changes_strings_and_is_remembered(signed_in: httpx.Client, db: Database) -> None:
    page = signed_in.get("/console/stores")
    assert "Negozi e magazzini" in page.text

    switched = signed_in.post(
        "/console/locale", data={"locale": "en", "next": "/console/stores", "csrf_token": csrf_of(page.text)}
    )

    assert switched.status_code == 303
    assert switched.headers["location"] == "/console/stores"
    english = signed_in.get("/console/stores").text
    assert "Stores and warehouses" in english
    assert "Negozi e magazzini" not in english
    assert '<html lang="en">' in english
    user_id = access.principal_for_session(db, signed_in.cookies["unico_session"]).user_id
    assert user_id is not None and access.user_locale(db, user_id) == "en"


def test_language_switch_comes_back_to_the_same_search(signed_in: httpx.Client) -> None:
    page = signed_in.get("/console/products?q=giacca")
    assert 'name="next" value="/console/products?q=giacca"' in page.text

    response = signed_in.post(
        "/console/locale",
        data={"locale": "en", "next": "/console/products?q=giacca", "csrf_token": csrf_of(page.text)},
    )

    assert response.headers["location"] == "/console/products?q=giacca"


def test_pages_are_not_cached_framed_or_open_to_foreign_scripts(signed_in: httpx.Client) -> None:
    response = signed_in.get("/console/stores")

    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_language_switch_before_sign_in_uses_the_pre_session_token(
    browser: httpx.Client, associate: str
) -> None:
    form = browser.get("/console/login")

    browser.post(
        "/console/locale", data={"locale": "en", "next": "/console/login", "csrf_token": csrf_of(form.text)}
    )

    assert "Sign in to the console" in browser.get("/console/login").text


def test_logout_ends_the_session(signed_in: httpx.Client) -> None:
    token = signed_in.cookies["unico_session"]
    page = signed_in.get("/console/products")

    response = signed_in.post("/console/logout", data={"csrf_token": csrf_of(page.text)})

    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"
    signed_in.cookies.set("unico_session", token)  # a stolen copy of the cookie is worthless now
    assert signed_in.get("/console/products").status_code == 303


def test_store_list_shows_a_store_created_through_the_inventory_service(
    signed_in: httpx.Client, db: Database
) -> None:
    add_store(db, "TO01", "Torino Centro", "Torino", 45.0703, 7.6869, province="TO")

    page = signed_in.get("/console/stores").text

    card = next(c for c in page.split('<li class="card location') if 'data-location="TO01"' in c)
    assert "Torino Centro" in card
    assert "Via Roma 1, 20121 Torino (TO)" in card
    assert 'data-capability="pickup">Ritiro in negozio' in card
    assert 'data-capability="returns">Resi' in card
    assert "ship_from_store" not in card
    assert "Capacità di ritiro: 40 ordini al giorno" in card
    assert "09:00–13:00, 15:30–19:30" in card
    assert "Domenica</th><td>Chiuso" in card
    assert re.search(r"(Aperto ora|Chiuso ora)", card)


def test_product_search_returns_live_results_and_the_product_page_shows_stock_everywhere(
    signed_in: httpx.Client, db: Database
) -> None:
    add_store(db, "MI02", "Milano Navigli", "Milano", 45.4520, 9.1760)
    add_jacket(db)
    receive(db, "JK-BLU-M", "MI01", 3, "r1")
    receive(db, "JK-BLU-M", "MI02", 7, "r2")
    receive(db, "JK-BLU-L", "MI02", 1, "r3")

    partial = signed_in.get("/console/products?q=giacca", headers={"HX-Request": "true"})
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert 'href="/console/products/P-JACKET"' in partial.text
    assert "Giacca impermeabile" in partial.text

    page = signed_in.get("/console/products/P-JACKET?sku=JK-BLU-M").text
    rows = dict(
        re.findall(
            r'<tr data-location="(\w+)".*?data-field="on_hand">(\d+)</td>',
            page,
            flags=re.S,
        )
    )
    assert rows == {"MI01": "3", "MI02": "7"}
    own = page.index('<tr data-location="MI01" class="own">')
    assert own < page.index('<tr data-location="MI02"')  # the associate's store comes first


def test_nearest_stores_that_have_it_from_the_associates_store(signed_in: httpx.Client, db: Database) -> None:
    add_store(db, "MI02", "Milano Navigli", "Milano", 45.4520, 9.1760)
    add_store(db, "RM01", "Roma Termini", "Roma", 41.9010, 12.5010)
    add_jacket(db)
    receive(db, "JK-BLU-L", "RM01", 2, "r1")
    receive(db, "JK-BLU-L", "MI02", 4, "r2")

    panel = signed_in.get(
        "/console/products/P-JACKET/nearest?sku=JK-BLU-L", headers={"HX-Request": "true"}
    ).text

    assert re.findall(r'<li data-location="(\w+)"', panel) == ["MI02", "RM01"]  # MI01 has none
    assert "Da Milano Duomo" in panel
    assert "4 disponibili" in panel
    assert re.search(r"1,\d km", panel)  # Duomo to Navigli, Italian decimal comma

    unknown = signed_in.get("/console/products/P-JACKET/nearest?sku=JK-BLU-L&near=Atlantide").text
    assert "Nessuna località “Atlantide”" in unknown


def test_unknown_product_is_a_404_page(signed_in: httpx.Client) -> None:
    response = signed_in.get("/console/products/NOPE")

    assert response.status_code == 404
    assert "Non trovato" in response.text


def test_movements_newest_first_filtered_and_paged(signed_in: httpx.Client, db: Database) -> None:
    add_jacket(db)
    for n in range(55):
        receive(db, "JK-BLU-M", "MI01", 1, f"m{n:02}")
    ledger.apply_movements(db, [MovementRequest("s1", "JK-BLU-L", "MI01", MovementKind.COUNT, 9)], SYSTEM)

    first = signed_in.get("/console/stores/MI01/movements").text
    ids = re.findall(r'<tr data-movement="([\w/]+)"', first)
    assert ids[:3] == ["s1", "m54", "m53"]
    assert len(ids) == 50
    more = re.search(r'hx-get="(/console/stores/MI01/movements\?[^"]+)"', first)
    assert more is not None

    second = signed_in.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"}).text
    assert re.findall(r'<tr data-movement="([\w/]+)"', second) == [f"m{n:02}" for n in range(5, -1, -1)]
    assert "hx-get" not in second  # nothing more to load

    counts = signed_in.get("/console/stores/MI01/movements?kind=count").text
    assert re.findall(r'<tr data-movement="([\w/]+)"', counts) == ["s1"]
    assert "Inventario" in counts
    by_sku = signed_in.get("/console/stores/MI01/movements?sku=JK-BLU-L").text
    assert re.findall(r'<tr data-movement="([\w/]+)"', by_sku) == ["s1"]


def test_static_assets_are_served_from_the_package(browser: httpx.Client) -> None:
    htmx = browser.get("/console/static/htmx.min.js")
    css = browser.get("/console/static/console.css")

    assert htmx.status_code == 200 and "htmx" in htmx.text[:200]
    assert css.status_code == 200 and "font-size" in css.text


def test_every_console_string_is_translated_into_italian() -> None:
    """Extract like ``pybabel extract`` would; each message must have an Italian and an English entry."""
    root = Path(unico.console.__file__).parent
    templates = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}
    found = extract_from_dir(
        root, [("templates/**.html", "jinja2"), ("**.py", "python")], {"templates/**.html": templates}
    )
    wanted = {message for _file, _line, message, _comments, _context in found}
    assert len(wanted) > 50
    for locale in ("it", "en"):
        entries = {}
        for path in sorted((root / "translations" / locale / "LC_MESSAGES").glob("*.po")):
            with path.open("rb") as po:
                entries.update({m.id: m for m in read_po(po, locale=locale) if m.id})
        for message in wanted:
            entry = entries.get(message)
            assert entry is not None, f"{locale}: {message!r} missing from every .po file"
            strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
            assert all(strings), f"{locale}: {message!r} has no translation"
