"""The order desk of the console through real HTTP: order search and detail, the store's
fulfillment queue (pick, short pick, pack, ready, handover by code, ship), order entry by an
associate (endless aisle, reserve in store), what is due today, and the returns desk."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from tests.api.orders_support import build_network, line, order_body, place, stock
from tests.api.test_console import PASSWORD, csrf_of, sign_in
from tests.support import LiveServer
from unico.access import service as access
from unico.access.model import SYSTEM
from unico.core import clock
from unico.core.clock import FrozenClock
from unico.core.db import Database
from unico.fulfillment import etickets, tasks
from unico.fulfillment.store import fulfillment_tasks
from unico.orders import service
from unico.orders.store import orders
from unico.pricing import service as pricing


@pytest.fixture
def network(db: Database) -> Database:
    build_network(db)
    for email, store in (("giulia@example.com", "MI-01"), ("paolo@example.com", "MI-02")):
        access.create_user(
            db, email=email, name=email, password=PASSWORD, role="store_associate", store_code=store
        )
    return db


@pytest.fixture
def giulia(server: LiveServer, network: Database) -> Iterator[httpx.Client]:
    """An associate of MI-01 (ships, pickup, reserve in store) signed in to the console."""
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        assert sign_in(client, "giulia@example.com").status_code == 303
        yield client


@pytest.fixture
def paolo(server: LiveServer, network: Database) -> Iterator[httpx.Client]:
    """An associate of MI-02 (pickup and returns only; no SKU-B on its shelves)."""
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        assert sign_in(client, "paolo@example.com").status_code == 303
        yield client


def token(client: httpx.Client, path: str = "/console/orders") -> str:
    return csrf_of(client.get(path).text)


def task_of(db: Database, order_id: str, store: str) -> tasks.TaskView:
    [task] = [t for t in tasks.list_tasks(db, store, SYSTEM) if t.order_id == order_id]
    return task


def english(client: httpx.Client) -> None:
    assert (
        client.post("/console/locale", data={"locale": "en", "csrf_token": token(client)}).status_code == 303
    )


def test_order_pages_render_in_italian_and_in_english(
    network: Database, admin: httpx.Client, giulia: httpx.Client
) -> None:
    order = place(
        admin,
        order_body(
            line("SKU-A", 1, "pickup", "MI-01", price=2990),
            customer={"email": "anna@example.com", "name": "Anna Rossi"},
        ),
    )
    oid = order["order_id"]

    found = giulia.get("/console/orders", params={"q": "anna rossi"}).text
    assert re.findall(r'<tr data-order="(ord_\w+)"', found) == [oid]
    assert "Ordini" in found and "29,90\xa0€" in found and "Allocato" in found
    partial = giulia.get("/console/orders", params={"q": "nobody"}, headers={"HX-Request": "true"}).text
    assert "<html" not in partial and "Nessun ordine corrisponde." in partial

    detail = giulia.get(f"/console/orders/{oid}").text
    assert "Anna Rossi · anna@example.com" in detail
    assert re.findall(r'<li data-kind="([\w.]+)"', detail) == [
        "order.placed",
        "order.allocated",
        "fulfillment.task_created",
    ]
    assert "Cronologia" in detail and "Ordine effettuato" in detail
    assert "Preleva per il ritiro qui" in detail and 'data-location="MI-01"' in detail
    italian = {
        "/console/fulfillment/MI-01": "Coda di evasione",
        "/console/returns": "Banco resi",
        "/console/orders/new": "Nuovo ordine in negozio",
        "/console/orders/due": "Prenotazioni e ritiri in scadenza oggi",
    }
    for path, heading in italian.items():
        page = giulia.get(path)
        assert page.status_code == 200, path
        assert heading in page.text, path

    english(giulia)

    detail = giulia.get(f"/console/orders/{oid}").text
    assert "Timeline" in detail and "Order placed" in detail and "Cronologia" not in detail
    assert "€29.90" in detail
    english_headings = {
        "/console/fulfillment/MI-01": "Fulfillment queue",
        "/console/returns": "Returns desk",
        "/console/orders/new": "New order in the store",
        "/console/orders/due": "E-reservations and pickups due today",
    }
    for path, heading in english_headings.items():
        assert heading in giulia.get(path).text, path


def test_pickup_handover_by_code_through_the_console_completes_the_order(
    network: Database, admin: httpx.Client, giulia: httpx.Client
) -> None:
    oid = place(admin, order_body(line("SKU-A", 1, "pickup", "MI-01")))["order_id"]
    task_id = task_of(network, oid, "MI-01").task_id
    csrf = token(giulia, "/console/fulfillment/MI-01")
    assert giulia.get("/console/fulfillment").headers["location"] == "/console/fulfillment/MI-01"

    for step in ("pick", "pack"):
        done = giulia.post(
            f"/console/fulfillment/tasks/{task_id}/{step}",
            data={"csrf_token": csrf, "line_no": "1", "picked": "1"}
            if step == "pick"
            else {"csrf_token": csrf},
        )
        assert done.status_code == 200, done.text
    ready = giulia.post(f"/console/fulfillment/tasks/{task_id}/ready", data={"csrf_token": csrf})
    shown = re.search(r'data-field="pickup_code">(\d{6})<', ready.text)
    assert shown is not None
    with network.read() as conn:
        code = conn.execute(
            select(fulfillment_tasks.c.pickup_code).where(fulfillment_tasks.c.task_id == task_id)
        ).scalar_one()
    assert shown.group(1) == code
    assert service.get_order(network, oid).status == "ready_for_pickup"

    wrong = "000000" if code != "000000" else "111111"
    refused = giulia.post(
        f"/console/fulfillment/tasks/{task_id}/handover", data={"csrf_token": csrf, "code": wrong}
    )
    assert refused.status_code == 422
    assert 'data-error-code="fulfillment.pickup_code_mismatch"' in refused.text
    assert "Il codice di ritiro non corrisponde." in refused.text
    assert service.get_order(network, oid).status == "ready_for_pickup"
    assert stock(network, "SKU-A", "MI-01") == (3, 1)

    handed = giulia.post(
        f"/console/fulfillment/tasks/{task_id}/handover",
        data={"csrf_token": csrf, "code": code},
        headers={"HX-Request": "true"},
    )
    assert handed.status_code == 200
    assert "<html" not in handed.text
    assert 'data-field="order_status">Completato<' in handed.text
    order = service.get_order(network, oid)
    assert order.status == "completed"
    assert [t.kind for t in order.timeline][-2:] == ["fulfillment.handed_over", "order.completed"]
    assert stock(network, "SKU-A", "MI-01") == (2, 0)
    assert f'data-task="{task_id}"' not in giulia.get("/console/fulfillment/MI-01").text


def test_short_pick_resources_and_shipment_records_the_tracking_number(
    network: Database, admin: httpx.Client, giulia: httpx.Client
) -> None:
    # Home delivery near Milan: MI-01 ships both SKUs, so it gets the whole order.
    oid = place(admin, order_body(line("SKU-A", 2), line("SKU-B", 1)))["order_id"]
    task_id = task_of(network, oid, "MI-01").task_id
    csrf = token(giulia, "/console/fulfillment/MI-01")

    card = giulia.post(
        f"/console/fulfillment/tasks/{task_id}/pick",
        data={"csrf_token": csrf, "line_no": ["1", "2"], "picked": ["2", "0"]},
        headers={"HX-Request": "true"},
    )

    assert card.status_code == 200 and "<html" not in card.text
    assert 'data-field="order_status">In evasione<' in card.text
    order = service.get_order(network, oid)
    assert [[(a.location, a.quantity, a.status) for a in ln.allocations] for ln in order.lines] == [
        [("MI-01", 2, "picked")],
        [("MI-01", 1, "rejected"), ("MB-01", 1, "reserved")],
    ]
    assert stock(network, "SKU-B", "MI-01") == (0, 0)  # written off as damage

    giulia.post(f"/console/fulfillment/tasks/{task_id}/pack", data={"csrf_token": csrf})
    missing = giulia.post(
        f"/console/fulfillment/tasks/{task_id}/ship", data={"csrf_token": csrf, "carrier": "BRT"}
    )
    assert missing.status_code == 422
    assert service.get_order(network, oid).lines[0].allocations[0].status == "packed"
    shipped = giulia.post(
        f"/console/fulfillment/tasks/{task_id}/ship",
        data={"csrf_token": csrf, "carrier": "BRT", "tracking_number": "BRT-778"},
    )
    assert shipped.status_code == 200
    order = service.get_order(network, oid)
    assert order.status == "partially_shipped"
    assert stock(network, "SKU-A", "MI-01") == (1, 0)
    detail = giulia.get(f"/console/orders/{oid}").text
    assert 'BRT <span class="mono">BRT-778</span>' in detail
    assert "Prelievo incompleto" in detail and "Riassegnato" in detail


def test_endless_aisle_order_to_this_store_and_its_errors(network: Database, paolo: httpx.Client) -> None:
    panel = paolo.get("/console/orders/new/availability", params={"sku": "SKU-B"}).text
    assert "Non disponibile in questo negozio" in panel
    assert re.findall(r'<li data-location="([\w-]+)"', panel) == ["MB-01", "MI-01"]
    form = paolo.get("/console/orders/new").text
    key = re.search(r'name="key" value="([^"]+)"', form)
    assert key is not None
    entry = {
        "csrf_token": csrf_of(form),
        "key": key.group(1),
        "store": "MB-01",  # ignored: an associate orders for their own store
        "mode": "ship_to_store",
        "sku": ["SKU-B", ""],
        "quantity": ["1", "1"],
        "price": ["49,90", ""],
        "customer_name": "Luca Bianchi",
        "customer_email": "luca@example.com",
    }

    too_many = paolo.post("/console/orders/new", data=entry | {"quantity": ["9", "1"]})
    no_address = paolo.post("/console/orders/new", data=entry | {"mode": "home"})
    placed = paolo.post("/console/orders/new", data=entry)
    again = paolo.post("/console/orders/new", data=entry)  # a double tap

    assert too_many.status_code == 409
    assert "Merce insufficiente per SKU-B: 5 disponibili, 9 richiesti." in too_many.text
    assert 'value="Luca Bianchi"' in too_many.text  # the form keeps what was typed
    assert no_address.status_code == 422
    assert "La consegna a domicilio richiede l'indirizzo." in no_address.text
    assert placed.status_code == 303 and again.status_code == 303
    assert placed.headers["location"] == again.headers["location"]
    oid = placed.headers["location"].split("/")[-1].split("?")[0]
    with network.read() as conn:
        assert conn.execute(select(orders.c.order_id)).scalars().all() == [oid]
    order = service.get_order(network, oid)
    assert (order.channel, order.store, order.associate, order.total) == (
        "store",
        "MI-02",
        "paolo@example.com",
        4990,
    )
    [ln] = order.lines
    assert (ln.sku, ln.method, ln.pickup_store, ln.unit_price) == ("SKU-B", "ship_to_store", "MI-02", 4990)
    assert [(a.location, a.quantity, a.status) for a in ln.allocations] == [("MI-01", 1, "reserved")]
    page = paolo.get(placed.headers["location"]).text
    assert "Ordine effettuato." in page and "Consegna in negozio · MI-02" in page
    assert "Preleva e invia al negozio di ritiro" in page


def test_an_order_typed_without_a_price_gets_the_list_price_every_channel_gets(
    network: Database, paolo: httpx.Client
) -> None:
    with network.write() as conn:
        pricing.set_list_prices_in(conn, [("SKU-B", 3990)], "test")
    form = paolo.get("/console/orders/new").text
    assert 'placeholder="prezzo di listino"' in form
    key = re.search(r'name="key" value="([^"]+)"', form)
    assert key is not None

    placed = paolo.post(
        "/console/orders/new",
        data={
            "csrf_token": csrf_of(form),
            "key": key.group(1),
            "mode": "ship_to_store",
            "sku": ["SKU-B"],
            "quantity": ["2"],
            "price": [""],
            "customer_name": "Luca Bianchi",
            "customer_email": "luca@example.com",
        },
    )

    assert placed.status_code == 303
    order = service.get_order(network, placed.headers["location"].split("/")[-1].split("?")[0])
    [ln] = order.lines
    assert (ln.unit_price, ln.discount, ln.paid, order.total) == (3990, 0, 7980, 7980)


def test_reserve_in_store_shows_in_the_list_due_today_then_overdue(
    network: Database, giulia: httpx.Client
) -> None:
    placed_at = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    clock.set_clock(FrozenClock(placed_at))
    form = giulia.get("/console/orders/new").text
    response = giulia.post(
        "/console/orders/new",
        data={
            "csrf_token": csrf_of(form),
            "mode": "reserve",
            "sku": ["SKU-A"],
            "quantity": ["2"],
            "price": ["19.90"],
            "customer_name": "Sara Verdi",
        },
    )
    assert response.status_code == 303
    oid = response.headers["location"].split("/")[-1].split("?")[0]
    order = service.get_order(network, oid)
    assert order.expires_at == placed_at + timedelta(hours=48)
    assert [(ln.method, ln.pickup_store, ln.paid) for ln in order.lines] == [
        ("reserve_in_store", "MI-01", 3980)
    ]
    assert stock(network, "SKU-A", "MI-01") == (3, 2)
    assert oid not in giulia.get("/console/orders/due").text  # not due on the day it was placed

    clock.set_clock(FrozenClock(placed_at + timedelta(hours=47)))
    today = giulia.get("/console/orders/due").text
    section = today.split('id="today"')[1]
    assert f'data-order="{oid}"' in section and "Prenotazione online" in section and "Sara Verdi" in section
    assert "Nulla di scaduto." in today

    clock.set_clock(FrozenClock(placed_at + timedelta(hours=49)))
    late = giulia.get("/console/orders/due").text
    assert f'data-order="{oid}"' in late.split('id="overdue"')[1]
    assert "Nulla scade oggi." in late


def test_returns_desk_takes_back_a_web_order_in_another_store_and_shows_the_refund(
    network: Database, admin: httpx.Client, paolo: httpx.Client
) -> None:
    oid = place(admin, order_body(line("SKU-A", 2, price=5000), discount=1000))["order_id"]
    task_id = task_of(network, oid, "MI-01").task_id
    tasks.pick(network, task_id, {}, SYSTEM)
    tasks.pack(network, task_id, SYSTEM)
    tasks.ship(network, task_id, "BRT", "T1", SYSTEM)
    before = stock(network, "SKU-A", "MI-02")

    desk = paolo.get("/console/returns", params={"order": oid}).text
    assert 'name="quantity" value="0" min="0" max="2"' in desk
    csrf = csrf_of(desk)
    too_many = paolo.post(
        "/console/returns",
        data={"csrf_token": csrf, "order_id": oid, "line_no": "1", "quantity": "3", "condition": "sellable"},
    )
    accepted = paolo.post(
        "/console/returns",
        data={
            "csrf_token": csrf,
            "order_id": oid,
            "store": "MI-01",  # ignored: the associate's own store takes it
            "line_no": "1",
            "quantity": "1",
            "condition": "sellable",
            "reason": "troppo grande",
        },
    )

    assert too_many.status_code == 409
    assert "Più pezzi di quanti se ne possano ancora rendere." in too_many.text
    assert accepted.status_code == 200
    assert 'data-field="refund">45,00\xa0€<' in accepted.text  # (10000 - 1000) / 2
    assert "Vendibile: di nuovo in vendita" in accepted.text
    assert stock(network, "SKU-A", "MI-02") == (before[0] + 1, before[1])
    again = paolo.get("/console/returns", params={"order": oid}).text
    assert 'max="1"' in again


def test_associates_work_only_on_their_own_store_and_posts_need_the_token(
    network: Database, admin: httpx.Client, paolo: httpx.Client
) -> None:
    oid = place(admin, order_body(line("SKU-A", 1, "pickup", "MI-01")))["order_id"]
    task_id = task_of(network, oid, "MI-01").task_id
    csrf = token(paolo)

    queue = paolo.get("/console/fulfillment/MI-01")
    other = paolo.post(f"/console/fulfillment/tasks/{task_id}/pick", data={"csrf_token": csrf})
    forged = paolo.post(f"/console/fulfillment/tasks/{task_id}/pick", data={"csrf_token": "0" * 64})

    assert (queue.status_code, other.status_code, forged.status_code) == (403, 403, 403)
    assert service.get_order(network, oid).lines[0].allocations[0].status == "reserved"


def test_ship_to_store_transfer_is_shipped_received_and_collected_through_the_queues(
    network: Database, admin: httpx.Client, giulia: httpx.Client, paolo: httpx.Client
) -> None:
    # SKU-B to MI-02 (which has none): sourced from MI-01, 3 km away.
    oid = place(admin, order_body(line("SKU-B", 1, "ship_to_store", "MI-02", price=4990)))["order_id"]
    source = task_of(network, oid, "MI-01").task_id
    csrf = token(giulia)
    for step, data in (
        ("pick", {}),
        ("pack", {}),
        ("ship", {"carrier": "Corriere interno", "tracking_number": "CI-1"}),
    ):
        assert (
            giulia.post(
                f"/console/fulfillment/tasks/{source}/{step}", data={"csrf_token": csrf} | data
            ).status_code
            == 200
        )
    assert stock(network, "SKU-B", "MI-01") == (0, 0)

    arriving = task_of(network, oid, "MI-02")
    queue = paolo.get("/console/fulfillment/MI-02").text
    assert f'data-task="{arriving.task_id}" data-status="in_transit"' in queue
    assert "Ricevi per il ritiro qui" in queue
    csrf = token(paolo)
    paolo.post(f"/console/fulfillment/tasks/{arriving.task_id}/receive", data={"csrf_token": csrf})
    ready = paolo.post(f"/console/fulfillment/tasks/{arriving.task_id}/ready", data={"csrf_token": csrf}).text
    code = re.search(r'data-field="pickup_code">(\d{6})<', ready)
    assert code is not None
    handed = paolo.post(
        f"/console/fulfillment/tasks/{arriving.task_id}/handover",
        data={"csrf_token": csrf, "code": code.group(1)},
    )
    assert handed.status_code == 200

    order = service.get_order(network, oid)
    assert order.status == "completed"
    assert [(a.location, a.status) for a in order.lines[0].allocations] == [("MI-01", "collected")]
    assert [t.kind for t in order.timeline if t.kind.startswith("fulfillment.")] == [
        "fulfillment.task_created",
        "fulfillment.picked",
        "fulfillment.packed",
        "fulfillment.task_created",
        "fulfillment.shipped",
        "fulfillment.received",
        "fulfillment.handed_over",
    ]


def test_admins_choose_the_store_they_work_on(network: Database, server: LiveServer) -> None:
    access.create_user(db=network, email="boss@example.com", name="boss", password=PASSWORD, role="admin")
    with httpx.Client(base_url=server.url, timeout=30.0) as boss:
        assert sign_in(boss, "boss@example.com").status_code == 303

        chooser = boss.get("/console/fulfillment")
        desk = boss.get("/console/returns").text
        chosen = boss.get("/console/fulfillment", params={"store": "MB-01"})
        due = boss.get("/console/orders/due", params={"store": "MB-01"}).text

    assert chooser.status_code == 200
    assert re.findall(r'<option value="([\w-]+)"', chooser.text) == ["MI-01", "MI-02", "MB-01", "WH-01"]
    assert "Scegli prima il negozio." not in desk  # no order yet
    assert chosen.headers["location"] == "/console/fulfillment/MB-01"
    assert "Nulla scade oggi." in due and "Prenotazioni e ritiri in scadenza oggi · MB-01" in due


def test_order_detail_links_the_e_ticket_of_a_store_sale(
    network: Database, admin: httpx.Client, giulia: httpx.Client
) -> None:
    sale = place(admin, {"channel": "store", "store": "MI-01", "lines": [line("SKU-B", 1, "carry_out")]})
    with network.write() as conn:
        ticket = etickets.issue_for_order(conn, sale["order_id"])
    assert ticket is not None

    detail = giulia.get(f"/console/orders/{sale['order_id']}").text

    assert f'<a href="/e/{ticket.code}" id="eticket-link"' in detail
    assert "aperto 0 volte" in detail
    assert "Nulla è stato assegnato dalla rete" in detail  # a till sale is not sourced
