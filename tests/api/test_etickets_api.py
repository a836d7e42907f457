"""E-tickets through real HTTP: issued for completed store sales, opened by the customer at /e/{code}
(recorded), read by staff with their open count."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, update

from tests.api.returns_support import Alloc, Line, Order, counts, events, insert_order, make_returns_network
from tests.support import LiveServer
from unico.core.db import Database
from unico.core.events import DomainEvent, record_event
from unico.fulfillment import etickets
from unico.fulfillment.returns_store import eticket_opens
from unico.orders.store import orders
from unico.settings import Settings
from unico.worker import Worker


@pytest.fixture
def network(db: Database) -> Database:
    make_returns_network(db)
    return db


def _relay(db: Database, settings: Settings) -> None:
    """One tick of the worker as ``unico worker`` runs it (default subscribers, no periodic jobs)."""
    Worker(db, settings, periodic=(), webhook_sender=lambda _t, _e: None).run_once()


def _issue(db: Database, order_id: str) -> etickets.ETicket | None:
    with db.write() as conn:
        return etickets.issue_for_order(conn, order_id)


def test_a_pos_sale_gets_an_eticket_that_the_customer_opens(
    network: Database, admin: httpx.Client, server: LiveServer, settings: Settings
) -> None:
    sale = admin.post(
        "/api/v1/orders",
        json={
            "channel": "store",
            "store": "MI-01",
            "lines": [{"sku": "SKU-B", "quantity": 1, "unit_price": 8990, "method": "carry_out"}],
        },
    )
    assert sale.status_code == 201, sale.text
    order_id = sale.json()["order_id"]
    assert sale.json()["status"] == "completed"
    _relay(network, settings)

    ticket = admin.get(f"/api/v1/orders/{order_id}/eticket")

    assert ticket.status_code == 200
    code = ticket.json()["code"]
    assert len(code) == 8
    assert ticket.json() == {
        "code": code,
        "order_id": order_id,
        "store": "MI-01",
        "url": f"http://127.0.0.1:8000/e/{code}",
        "issued_at": ticket.json()["issued_at"],
        "opens": 0,
    }
    page = httpx.get(f"{server.url}/e/{code.lower()}", headers={"User-Agent": "TestPhone/1.0"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for text in ("Store MI-01", "Scarpa da corsa", "SKU-B", "89.90 EUR", code, "IVA inclusa"):
        assert text in page.text
    staff = admin.get(f"/api/v1/etickets/{code}").json()
    assert (staff["order_id"], staff["opens"]) == (order_id, 1)
    with network.read() as conn:
        assert conn.execute(select(eticket_opens.c.user_agent)).scalars().all() == ["TestPhone/1.0"]
    assert events(network, "eticket.") == [
        (
            "eticket.issued",
            {"code": code, "order_id": order_id, "store": "MI-01", "total_minor": 8990, "currency": "EUR"},
        ),
        ("eticket.opened", {"code": code, "order_id": order_id, "opens": 1}),
    ]


def test_only_completed_store_sales_get_one_eticket(
    network: Database, admin: httpx.Client, server: LiveServer
) -> None:
    shipped = Order("ord_WEB", (Line("SKU-A", 1, 1000, allocations=(Alloc("WH-01", 1, "delivered"),)),))
    till = Order(
        "ord_TILL",
        (Line("SKU-B", 2, 1500, 100, method="carry_out", allocations=(Alloc("MI-01", 2, "collected"),)),),
        channel="store",
        status="placed",
        origin="MI-01",
    )
    reserved = Order(
        "ord_RIS",
        (
            Line(
                "SKU-B",
                1,
                1500,
                method="reserve_in_store",
                pickup="MI-01",
                allocations=(Alloc("MI-01", 1, "collected"),),
            ),
        ),
        channel="app",
    )
    for order in (shipped, till, reserved):
        insert_order(network, order)

    assert _issue(network, "ord_WEB") is None
    assert _issue(network, "ord_TILL") is None  # not completed yet
    with network.write() as conn:
        conn.execute(update(orders).where(orders.c.order_id == "ord_TILL").values(status="completed"))
    first = _issue(network, "ord_TILL")
    again = _issue(network, "ord_TILL")
    from_app = _issue(network, "ord_RIS")

    assert first is not None and again is not None and from_app is not None
    assert (again.code, again.store) == (first.code, "MI-01")
    assert (from_app.store, from_app.order_id) == ("MI-01", "ord_RIS")
    assert [p["order_id"] for _, p in events(network, "eticket.issued")] == ["ord_TILL", "ord_RIS"]
    web = admin.get("/api/v1/orders/ord_WEB/eticket")
    assert (web.status_code, web.json()["error"]["code"]) == (404, "etickets.not_found")
    unknown = admin.get("/api/v1/orders/ord_NOPE/eticket")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "orders.not_found")
    page = httpx.get(f"{server.url}/e/{first.code}")
    assert "Sconto" in page.text and "29.00 EUR" in page.text  # 2 x 15.00 less 1.00, VAT included


def test_order_completed_events_issue_the_eticket_through_the_worker(
    network: Database, admin: httpx.Client, settings: Settings
) -> None:
    insert_order(
        network,
        Order(
            "ord_POS",
            (Line("SKU-B", 1, 2500, method="carry_out", allocations=(Alloc("MI-01", 1, "collected"),)),),
            channel="store",
            origin="MI-01",
        ),
    )
    with network.write() as conn:
        record_event(conn, DomainEvent("order.completed", "order", "ord_POS", {"order_id": "ord_POS"}))

    _relay(network, settings)
    _relay(network, settings)

    ticket = admin.get("/api/v1/orders/ord_POS/eticket")
    assert (ticket.status_code, ticket.json()["store"]) == (200, "MI-01")
    assert len(events(network, "eticket.issued")) == 1


def test_an_unknown_code_is_not_found_and_records_nothing(
    network: Database, admin: httpx.Client, server: LiveServer
) -> None:
    before = counts(network)

    page = httpx.get(f"{server.url}/e/ZZZZ2345")
    staff = admin.get("/api/v1/etickets/ZZZZ2345")

    assert page.status_code == 404 and "non trovato" in page.text
    assert (staff.status_code, staff.json()["error"]["code"]) == (404, "etickets.not_found")
    assert counts(network) == before
