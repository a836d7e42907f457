"""Shared carts at the counter through real HTTP: a cart started in the app (through the API) is
found from the customer's profile or by lookup, shown with its products, prices and availability,
and checked out by an associate for their own store: carry-out (a till sale, stock leaves now) or
delivery to the store; refusals are shown in the page and change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select

from tests.api.orders_support import build_network, stock
from tests.api.test_console import PASSWORD, csrf_of, sign_in
from tests.support import LiveServer
from unico.access import service as access
from unico.core.db import Database
from unico.customers import service as customers
from unico.orders import service
from unico.orders.store import orders


@pytest.fixture
def network(db: Database) -> Database:
    build_network(db)
    for email, store in (("giulia@example.com", "MI-01"), ("paolo@example.com", "MI-02")):
        access.create_user(
            db, email=email, name=email, password=PASSWORD, role="store_associate", store_code=store
        )
    return db


def _signed_in(server: LiveServer, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        assert sign_in(client, email).status_code == 303
        yield client


@pytest.fixture
def giulia(server: LiveServer, network: Database) -> Iterator[httpx.Client]:
    """An associate of MI-01 (SKU-A: 3, SKU-B: 1 on the shelf), signed in, Italian."""
    yield from _signed_in(server, "giulia@example.com")


@pytest.fixture
def paolo(server: LiveServer, network: Database) -> Iterator[httpx.Client]:
    """An associate of MI-02 (pickup only; SKU-A: 2, no SKU-B)."""
    yield from _signed_in(server, "paolo@example.com")


@pytest.fixture
def anna(network: Database) -> str:
    found = customers.upsert_profile(
        network, {"email": "anna@example.com"}, {"first_name": "Anna", "last_name": "Rossi"}, "test", "test"
    )
    return str(found["profile_id"])


def app_cart(admin: httpx.Client, customer_id: str, *lines: tuple[str, int, int]) -> str:
    """A cart started in the app for the customer, with (sku, quantity, unit price) lines."""
    created = admin.post("/api/v1/carts", json={"customer_id": customer_id, "channel": "app"})
    assert created.status_code == 201, created.text
    cart_id = str(created.json()["cart_id"])
    for sku, quantity, price in lines:
        put = admin.put(
            f"/api/v1/carts/{cart_id}/lines/{sku}", json={"quantity": quantity, "unit_price": price}
        )
        assert put.status_code == 200, put.text
    return cart_id


def checkout_form(html: str) -> dict[str, str | list[str]]:
    """The hidden fields of the page's checkout form, as the browser would send them."""
    fields = dict(
        re.findall(r'<input type="hidden" name="(csrf_token|key|seen|store)" value="([^"]*)"', html)
    )
    skus = re.findall(r'<input type="hidden" name="line_sku" value="([^"]+)"', html)
    return fields | {"line_sku": skus, "line_price": [""] * len(skus)}


def order_count(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(orders)).scalar_one())


def cart_status(admin: httpx.Client, cart_id: str) -> tuple[str, str | None]:
    doc = admin.get(f"/api/v1/carts/{cart_id}").json()
    return doc["status"], doc["order_id"]


def test_a_cart_from_the_app_is_shown_and_sold_as_carry_out_then_refused_a_second_time(
    network: Database, admin: httpx.Client, giulia: httpx.Client, anna: str
) -> None:
    cid = app_cart(admin, anna, ("SKU-A", 2, 4990), ("SKU-B", 1, 2500))

    profile = giulia.get(f"/console/customers/{anna}").text
    assert f'href="/console/carts/{cid}"' in profile
    assert f'id="open-carts" href="/console/carts?q={anna}">Carrelli aperti<' in profile
    listed = giulia.get("/console/carts", params={"q": anna}).text
    assert re.findall(r'<tr data-cart="(crt_\w+)"', listed) == [cid]
    assert "Anna Rossi" in listed and "3 pezzi" in listed
    by_email = giulia.get("/console/carts", params={"q": "Anna@Example.com"}).text
    assert re.findall(r'<tr data-cart="(crt_\w+)"', by_email) == [cid]
    by_id = giulia.get("/console/carts", params={"q": cid}, follow_redirects=False)
    assert (by_id.status_code, by_id.headers["location"]) == (303, f"/console/carts/{cid}")
    assert "Nessun carrello aperto corrisponde." in giulia.get("/console/carts", params={"q": "nobody"}).text

    page = giulia.get(f"/console/carts/{cid}")
    assert page.status_code == 200
    html = page.text
    rows = dict(re.findall(r'<tr data-sku="([\w-]+)">(.*?)</tr>', html, re.S))
    assert list(rows) == ["SKU-A", "SKU-B"]
    assert "Prodotto di prova" in rows["SKU-A"] and 'data-field="quantity">2<' in rows["SKU-A"]
    assert "49,90\xa0€" in rows["SKU-A"] and "99,80\xa0€" in rows["SKU-A"]
    assert "In questo negozio: 3 disponibili" in rows["SKU-A"]
    assert re.findall(r'<li data-location="([\w-]+)"', rows["SKU-A"]) == ["WH-01", "MI-02"]
    assert "In questo negozio: 1 disponibili" in rows["SKU-B"]
    assert re.findall(r'<li data-location="([\w-]+)"', rows["SKU-B"]) == ["MB-01"]
    assert 'data-field="total">124,80\xa0€<' in html
    assert 'href="/console/customers/' + anna + '">Anna Rossi</a>' in html
    assert 'value="anna@example.com"' in html  # the customer's email, from the profile
    assert "Concludi in negozio" in html
    form = checkout_form(html)
    assert form["store"] == "MI-01" and form["line_sku"] == ["SKU-A", "SKU-B"]

    sale = form | {"mode": "carry_out", "line_mode": ["ship_to_store", "ship_to_store"], "store": "MB-01"}
    placed = giulia.post(f"/console/carts/{cid}/checkout", data=sale, follow_redirects=False)
    tapped_again = giulia.post(f"/console/carts/{cid}/checkout", data=sale, follow_redirects=False)

    assert placed.status_code == 303, placed.text
    assert placed.headers["location"] == f"/console/carts/{cid}?placed=1"
    assert tapped_again.status_code == 303 and order_count(network) == 1  # the same key places once
    status, oid = cart_status(admin, cid)
    assert status == "checked_out" and oid is not None
    order = service.get_order(network, oid)
    assert (order.status, order.channel, order.store, order.associate, order.cart_id) == (
        "completed",
        "store",
        "MI-01",
        "giulia@example.com",
        cid,
    )
    assert (order.customer_id, order.total) == (anna, 12480)
    assert [(ln.sku, ln.quantity, ln.method, ln.unit_price) for ln in order.lines] == [
        ("SKU-A", 2, "carry_out", 4990),
        ("SKU-B", 1, "carry_out", 2500),
    ]
    assert [[(a.location, a.status) for a in ln.allocations] for ln in order.lines] == [
        [("MI-01", "collected")],
        [("MI-01", "collected")],
    ]
    assert stock(network, "SKU-A", "MI-01") == (1, 0)  # 3 - 2, nothing held
    assert stock(network, "SKU-B", "MI-01") == (0, 0)
    assert stock(network, "SKU-B", "MB-01") == (4, 0)

    done = giulia.get(placed.headers["location"]).text
    assert "Ordine effettuato." in done and f'<a href="/console/orders/{oid}" id="order-link">' in done
    assert 'data-cart-status="checked_out"' in done and 'id="cart-checkout"' not in done
    assert "Vendita al banco" in giulia.get(f"/console/orders/{oid}").text
    assert cid not in giulia.get(f"/console/customers/{anna}").text  # no longer an open cart

    again = giulia.post(f"/console/carts/{cid}/checkout", data=sale | {"key": "another-page"})

    assert again.status_code == 409
    assert 'data-error-code="carts.closed"' in again.text
    assert "Questo carrello è già stato concluso" in again.text
    assert f'href="/console/orders/{oid}"' in again.text
    assert order_count(network) == 1
    assert stock(network, "SKU-A", "MI-01") == (1, 0)


def test_an_associate_checks_a_cart_out_for_delivery_to_their_store_and_sees_the_refusals(
    network: Database, admin: httpx.Client, paolo: httpx.Client, anna: str
) -> None:
    cid = app_cart(admin, anna, ("SKU-A", 1, 1990), ("SKU-B", 1, 4990))
    html = paolo.get(f"/console/carts/{cid}").text
    rows = dict(re.findall(r'<tr data-sku="([\w-]+)">(.*?)</tr>', html, re.S))
    assert "In questo negozio: 2 disponibili" in rows["SKU-A"]
    assert "Non disponibile in questo negozio" in rows["SKU-B"]
    # the page proposes carry-out where the shelf has the units, else delivery to this store
    assert re.findall(r'<option value="(\w+)" selected>', html) == ["carry_out", "ship_to_store"]
    form = checkout_form(html) | {"mode": "lines", "store": "MI-01"}  # another store: ignored
    before = (stock(network, "SKU-A", "MI-02"), stock(network, "SKU-B", "MI-01"))

    short = paolo.post(
        f"/console/carts/{cid}/checkout", data=form | {"line_mode": ["carry_out", "carry_out"]}
    )
    no_address = paolo.post(f"/console/carts/{cid}/checkout", data=form | {"mode": "home"})
    forged = paolo.post(
        f"/console/carts/{cid}/checkout",
        data=form | {"csrf_token": "0" * 64, "line_mode": ["pickup", "ship_to_store"]},
    )

    assert short.status_code == 409
    assert 'data-error-code="inventory.insufficient_stock"' in short.text
    assert "Merce insufficiente per SKU-B: 0 disponibili, 1 richiesti." in short.text
    assert no_address.status_code == 422
    assert "La consegna a domicilio richiede l'indirizzo." in no_address.text
    assert forged.status_code == 403
    assert cart_status(admin, cid) == ("open", None) and order_count(network) == 0
    assert (stock(network, "SKU-A", "MI-02"), stock(network, "SKU-B", "MI-01")) == before

    # the customer changes the cart in the app meanwhile: the page says so and places nothing
    admin.put(f"/api/v1/carts/{cid}/lines/SKU-A", json={"quantity": 2, "unit_price": 1990})
    stale = paolo.post(
        f"/console/carts/{cid}/checkout", data=form | {"line_mode": ["pickup", "ship_to_store"]}
    )
    assert stale.status_code == 409 and 'data-error-code="console.cart_changed"' in stale.text
    assert order_count(network) == 0

    fresh = checkout_form(stale.text)  # the page shows the cart as it is now
    placed = paolo.post(
        f"/console/carts/{cid}/checkout",
        data=fresh | {"mode": "ship_to_store", "line_mode": ["carry_out", "carry_out"]},
        follow_redirects=False,
    )

    assert placed.status_code == 303, placed.text
    _status, oid = cart_status(admin, cid)
    assert oid is not None
    order = service.get_order(network, oid)
    assert (order.status, order.store, order.associate, order.total) == (
        "allocated",
        "MI-02",
        "paolo@example.com",
        8970,
    )
    lines = {ln.sku: ln for ln in order.lines}  # a changed line moves to the end of the cart
    assert [(ln.sku, ln.quantity, ln.method, ln.pickup_store) for ln in order.lines] == [
        ("SKU-B", 1, "ship_to_store", "MI-02"),
        ("SKU-A", 2, "ship_to_store", "MI-02"),
    ]
    assert [(a.location, a.status) for a in lines["SKU-B"].allocations] == [("MI-01", "reserved")]
    assert stock(network, "SKU-B", "MI-01") == (1, 1)  # held for the transfer, still on the shelf
    detail = paolo.get(f"/console/orders/{oid}").text
    assert "Consegna in negozio · MI-02" in detail


def test_cart_pages_in_english(
    network: Database, admin: httpx.Client, giulia: httpx.Client, anna: str
) -> None:
    cid = app_cart(admin, anna, ("SKU-A", 1, 4990))
    switched = giulia.post(
        "/console/locale", data={"locale": "en", "csrf_token": csrf_of(giulia.get("/console/carts").text)}
    )
    assert switched.status_code == 303

    lookup = giulia.get("/console/carts", params={"q": "anna@example.com"}).text
    page = giulia.get(f"/console/carts/{cid}").text
    orders_page = giulia.get("/console/orders").text

    assert "Open carts" in lookup and "1 unit" in lookup and "Carrelli" not in lookup
    assert "In this store: 3 available" in page and "€49.90" in page
    assert "Check out in the store" in page and "Carry-out from this store’s shelf" in page
    assert "Whole cart: Deliver to this store" in page
    assert 'href="/console/carts">Open carts<' in orders_page


def test_office_users_choose_the_store_that_sells_the_cart(
    network: Database, server: LiveServer, admin: httpx.Client, anna: str
) -> None:
    cid = app_cart(admin, anna, ("SKU-B", 1, 4990))
    access.create_user(db=network, email="boss@example.com", name="boss", password=PASSWORD, role="admin")
    with httpx.Client(base_url=server.url, timeout=30.0) as boss:
        assert sign_in(boss, "boss@example.com").status_code == 303

        unchosen = boss.get(f"/console/carts/{cid}").text
        chosen = boss.get(f"/console/carts/{cid}", params={"store": "MB-01"}).text

    assert "Scegli prima il negozio." in unchosen and 'id="cart-checkout"' not in unchosen
    assert "In questo negozio" not in unchosen and 'data-location="MB-01"' in unchosen
    assert checkout_form(chosen)["store"] == "MB-01"
    assert "In questo negozio: 4 disponibili" in chosen
