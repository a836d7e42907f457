"""Guest orders join the customer they name: one customer across checkout, contact center and till."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from tests.api.orders_support import build_network, line, order_body, place
from unico.core.db import Database
from unico.orders.store import orders
from unico.settings import Settings
from unico.worker import Worker


def customer_of(db: Database, order_id: str) -> str | None:
    with db.read() as conn:
        return conn.execute(select(orders.c.customer_id).where(orders.c.order_id == order_id)).scalar_one()


def test_a_guest_order_joins_the_profile_its_email_names(
    db: Database, admin: httpx.Client, settings: Settings
) -> None:
    build_network(db)
    known = admin.post(
        "/api/v1/customers", json={"identifiers": {"email": "anna@example.it"}, "source": "web"}
    ).json()["profile_id"]
    web = place(admin, order_body(line("SKU-A"), customer={"email": "Anna@Example.it", "name": "Anna"}))
    phone_only = place(
        admin, order_body(line("SKU-C"), channel="contact_center", customer={"phone": "333 123 4567"})
    )
    anonymous = place(admin, order_body(line("SKU-A")))
    assert customer_of(db, web["order_id"]) is None  # linked by the worker, after the order

    Worker(db, settings).run_once()

    assert customer_of(db, web["order_id"]) == known
    assert customer_of(db, anonymous["order_id"]) is None
    by_phone = customer_of(db, phone_only["order_id"])
    assert by_phone is not None and by_phone != known
    found = admin.get("/api/v1/customers", params={"q": "+393331234567"}).json()["items"]
    assert [c["profile_id"] for c in found] == [by_phone]
    profile = admin.get(f"/api/v1/customers/{known}").json()
    assert [o["order_id"] for o in profile["orders"]] == [web["order_id"]]
    assert profile["computed"]["order_count"] == 1


def test_an_erased_person_is_not_brought_back_by_a_later_guest_order(
    db: Database, admin: httpx.Client, settings: Settings
) -> None:
    build_network(db)
    gone = admin.post(
        "/api/v1/customers", json={"identifiers": {"email": "gone@example.it"}, "source": "web"}
    ).json()["profile_id"]
    assert admin.post(f"/api/v1/customers/{gone}/erase").status_code == 200
    later = place(admin, order_body(line("SKU-A"), customer={"email": "gone@example.it"}))

    Worker(db, settings).run_once()

    assert customer_of(db, later["order_id"]) is None
    assert admin.get("/api/v1/customers", params={"q": "gone@example.it"}).json()["items"] == []
