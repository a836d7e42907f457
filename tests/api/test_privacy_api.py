"""Consent, export, erasure and suppression through HTTP, on SQLite and PostgreSQL.

The proof of erasure: a person known by email, phone, name, loyalty card, user and anonymous ids,
with tracked events, an order, a cart and consents is erased; then every text and JSON column of
every table in the schema is scanned, and none holds any of it - while the order is still there
with its amounts.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tests.factories import make_location, make_variants, receive
from tests.support import LiveServer, client_for
from unico.core.db import Database
from unico.core.events import outbox_events
from unico.core.tables import metadata
from unico.customers import privacy, service
from unico.customers.jobs import resolve_all_identities
from unico.customers.store import customer_profiles
from unico.customers.tracking_store import tracking_events
from unico.fulfillment.etickets import issue_for_order
from unico.inventory.model import LocationType
from unico.orders.store import orders

EMAIL = "Ginevra.Zanichelli@Example.it"
PHONE_TYPED = "333 987 6543"
PHONE_E164 = "+393339876543"
FIRST, LAST = "Ginevra", "Zanichelli"
CARD = "FID-778899"
USER_ID = "u-55821"
ANONYMOUS_ID = "a7f3c9e2-4b1d-4e8a-9c3f-0d6e5b2a1f90"
STREET = "Via Solferino 28"
# What must not survive anywhere (compared case-insensitively: name_key is lower-case).
NEEDLES = (
    EMAIL,
    EMAIL.lower(),
    PHONE_TYPED,
    PHONE_E164,
    "3339876543",
    FIRST,
    LAST,
    CARD,
    USER_ID,
    ANONYMOUS_ID,
    STREET,
)


def admin_person(db: Database, email: str = "mario.rossi@example.it", **traits: Any) -> str:
    """A profile made through the identity service (named Mario Rossi unless told otherwise)."""
    made = service.upsert_profile(
        db, {"email": email}, {"first_name": "Mario", "last_name": "Rossi", **traits}, "test", "test"
    )
    return str(made["profile_id"])


def leftovers(db: Database, needles: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every value of every table that still holds a needle."""
    found: list[tuple[str, str, str]] = []
    lowered = [n.lower() for n in needles]
    with db.read() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is None or isinstance(value, int | float | bool):
                        continue
                    text = (
                        json.dumps(value, default=str, ensure_ascii=False)
                        if isinstance(value, dict | list)
                        else str(value)
                    ).lower()
                    found.extend((table.name, column, n) for n in lowered if n in text)
    return found


# --- consents -----------------------------------------------------------------------------------


def test_consents_are_recorded_per_purpose_with_source_store_and_history(
    db: Database, admin: httpx.Client, server: LiveServer
) -> None:
    make_location(db, "MI-01")
    make_location(db, "RM-01", city="Roma")
    pid = admin_person(db)
    never = admin.get(f"/api/v1/customers/{pid}/consents").json()
    assert never == {
        "profile_id": pid,
        "consents": {p: None for p in ("email", "sms", "push", "profiling", "proximity")},
        "history": [],
    }
    first = admin.put(
        f"/api/v1/customers/{pid}/consents", json={"email": True, "sms": False, "source": "web"}
    )
    assert first.status_code == 200, first.text
    assert [(h["purpose"], h["granted"], h["source"], h["store"]) for h in first.json()["history"]] == [
        ("email", True, "web", None),
        ("sms", False, "web", None),
    ]
    with client_for(server, db, "store_associate", store="MI-01") as associate:
        # At the till: the email choice repeats (not recorded again), proximity is new.
        at_till = associate.put(
            f"/api/v1/customers/{pid}/consents", json={"email": True, "proximity": True, "source": "store"}
        )
        assert at_till.status_code == 200, at_till.text
        other_store = associate.put(
            f"/api/v1/customers/{pid}/consents", json={"sms": True, "source": "store", "store": "RM-01"}
        )
        assert (other_store.status_code, other_store.json()["error"]["code"]) == (403, "auth.other_store")
    withdrawn = admin.put(
        f"/api/v1/customers/{pid}/consents", json={"email": False, "source": "email"}
    ).json()
    assert [(h["purpose"], h["granted"], h["source"], h["store"]) for h in withdrawn["history"]] == [
        ("email", True, "web", None),
        ("sms", False, "web", None),
        ("proximity", True, "store", "MI-01"),
        ("email", False, "email", None),
    ]
    current = {p: (c["granted"], c["source"]) if c else None for p, c in withdrawn["consents"].items()}
    assert current == {
        "email": (False, "email"),
        "sms": (False, "web"),
        "push": None,
        "profiling": None,
        "proximity": (True, "store"),
    }
    assert withdrawn["history"][2]["actor"] == "api_key:test-store_associate"
    assert admin.get(f"/api/v1/customers/{pid}/consents").json() == withdrawn
    with db.read() as conn:
        kinds = conn.execute(
            select(outbox_events.c.type, outbox_events.c.payload)
            .where(outbox_events.c.type == "customer.consent_changed")
            .order_by(outbox_events.c.id)
        ).all()
    assert [p["purpose"] for _t, p in kinds] == ["email", "sms", "proximity", "email"]
    assert kinds[2][1] == {
        "profile_id": pid,
        "purpose": "proximity",
        "granted": True,
        "source": "store",
        "store": "MI-01",
    }


def test_bad_consent_requests_change_nothing(db: Database, admin: httpx.Client) -> None:
    pid = admin_person(db)
    cases = [
        ({"email": True}, 422, "validation.failed"),  # no source
        ({"email": "perhaps", "source": "web"}, 422, "validation.failed"),
        ({"marketing": True, "source": "web"}, 422, "validation.failed"),
        ({"source": "web"}, 422, "privacy.no_purpose"),
        ({"email": True, "source": "web", "store": "XX-99"}, 404, "inventory.location_not_found"),
    ]
    for body, code, error in cases:
        response = admin.put(f"/api/v1/customers/{pid}/consents", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (code, error), body
    assert admin.get(f"/api/v1/customers/{pid}/consents").json()["history"] == []
    unknown = admin.put("/api/v1/customers/cus_NOPE/consents", json={"email": True, "source": "web"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "customers.not_found")


# --- the proof of erasure -----------------------------------------------------------------------


@pytest.fixture
def shop(db: Database) -> Database:
    make_variants(db, "RUN-42", "TRL-43")
    make_location(db, "MI-01")
    make_location(db, "WH-01", type=LocationType.WAREHOUSE, capabilities=frozenset(), city="Torino")
    for sku in ("RUN-42", "TRL-43"):
        receive(db, sku, "WH-01", 10)
    receive(db, "TRL-43", "MI-01", 2)
    return db


def track(server: LiveServer, admin: httpx.Client) -> httpx.Client:
    key = admin.post("/api/v1/tracking/sources", json={"name": "Sito", "kind": "web"}).json()["write_key"]
    return httpx.Client(base_url=server.url, auth=(key, ""), timeout=30.0)


def test_erasure_leaves_no_personal_data_in_any_table_and_keeps_the_order(
    shop: Database, admin: httpx.Client, server: LiveServer
) -> None:
    # Given a person who browsed anonymously, then identified, on the web ...
    with track(server, admin) as tracker:
        sent = [
            ("page", {"anonymousId": ANONYMOUS_ID, "name": "Scarpe"}),
            (
                "track",
                {"anonymousId": ANONYMOUS_ID, "event": "Product Viewed", "properties": {"sku": "RUN-42"}},
            ),
            (
                "identify",
                {
                    "userId": USER_ID,
                    "anonymousId": ANONYMOUS_ID,
                    "traits": {
                        "email": EMAIL,
                        "phone": PHONE_TYPED,
                        "firstName": FIRST,
                        "lastName": LAST,
                        "loyaltyCard": CARD,
                        "address": {"street": STREET, "city": "Milano"},
                    },
                },
            ),
            ("track", {"userId": USER_ID, "event": "Product Added", "properties": {"sku": "RUN-42"}}),
        ]
        for endpoint, message in sent:
            assert tracker.post(f"/v1/{endpoint}", json=message).status_code == 200
        # An event of the anonymous id that identity resolution has not processed yet.
        resolve_all_identities(shop)
        late = {"anonymousId": ANONYMOUS_ID, "event": "Cart Viewed"}
        assert tracker.post("/v1/track", json=late).status_code == 200
    with shop.read() as conn:
        pid = conn.execute(
            select(tracking_events.c.profile_id).where(tracking_events.c.user_id == USER_ID)
        ).scalar()
    assert pid is not None
    # ... with a loyalty card scanned at the till, an order, a cart and consents.
    service.add_profile_identifiers(shop, pid, {"loyalty_card": CARD, "phone": PHONE_TYPED}, "pos", "test")
    placed = admin.post(
        "/api/v1/orders",
        json={
            "channel": "web",
            "customer": {"customer_id": pid, "email": EMAIL, "name": f"{FIRST} {LAST}", "phone": PHONE_TYPED},
            "lines": [{"sku": "RUN-42", "quantity": 2, "unit_price": 8990, "method": "home_delivery"}],
            "shipping_address": {
                "name": f"{FIRST} {LAST}",
                "line1": STREET,
                "city": "Milano",
                "postcode": "20121",
                "country": "IT",
            },
        },
    )
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    # A till sale at MI-01 with its e-ticket (a digital receipt), opened by the customer.
    sale = admin.post(
        "/api/v1/orders",
        json={
            "channel": "store",
            "store": "MI-01",
            "customer": {"customer_id": pid, "email": EMAIL},
            "lines": [{"sku": "TRL-43", "quantity": 1, "unit_price": 12000, "method": "carry_out"}],
        },
    )
    assert sale.status_code == 201, sale.text
    with shop.write() as conn:
        ticket = issue_for_order(conn, sale.json()["order_id"])
    assert ticket is not None
    opened = httpx.get(f"{server.url}/e/{ticket.code}", headers={"User-Agent": f"Mozilla/5.0 {LAST}-phone"})
    assert opened.status_code == 200
    cart = admin.post(
        "/api/v1/carts", json={"channel": "web", "customer_id": pid, "anonymous_id": ANONYMOUS_ID}
    )
    assert cart.status_code == 201, cart.text
    consents = {"email": True, "profiling": True, "source": "web"}
    assert admin.put(f"/api/v1/customers/{pid}/consents", json=consents).status_code == 200
    assert {n for _t, _c, n in leftovers(shop, NEEDLES)} == {n.lower() for n in NEEDLES}

    # When they are erased
    erased = admin.post(f"/api/v1/customers/{pid}/erase")
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert (body["profile_id"], body["profiles"]) == (pid, [pid])
    assert body["counts"]["tracking_events"] == 5
    counts = body["counts"]
    assert (counts["orders"], counts["etickets"], counts["eticket_opens"]) == (2, 1, 1)

    # Then no table holds anything that names them ...
    assert leftovers(shop, NEEDLES) == []
    # ... their receipt and its openings are gone (its code lives on only as a document number in
    # the order's timeline and the outbox, like the order id),
    assert httpx.get(f"{server.url}/e/{ticket.code}").status_code == 404
    # ... the order is still a fact with its amounts, under the erased profile's pseudonymous id
    order = admin.get(f"/api/v1/orders/{order_id}").json()
    assert (order["customer_id"], order["total"], order["subtotal"], order["status"]) == (
        pid,
        17980,
        17980,
        placed.json()["status"],
    )
    assert [(line["sku"], line["quantity"], line["paid"]) for line in order["lines"]] == [
        ("RUN-42", 2, 17980)
    ]
    with shop.read() as conn:
        row = conn.execute(select(orders).where(orders.c.order_id == order_id)).one()
        profile = conn.execute(select(customer_profiles).where(customer_profiles.c.profile_id == pid)).one()
        erased_events = (
            conn.execute(select(outbox_events.c.payload).where(outbox_events.c.type == "customer.erased"))
            .scalars()
            .all()
        )
    assert (row.customer_email, row.customer_name, row.customer_phone, row.shipping_address) == (
        None,
        None,
        None,
        None,
    )
    assert (profile.status, profile.traits, profile.name_key) == ("erased", {}, "")
    assert erased_events == [{"profile_id": pid}]
    # ... their identifiers are suppressed, so later data is recognised as theirs and not collected,
    with shop.read() as conn:
        for kind, value in (
            ("email", EMAIL),
            ("phone", PHONE_TYPED),
            ("anonymous_id", ANONYMOUS_ID),
            ("user_id", USER_ID),
            ("loyalty_card", CARD.lower()),
        ):
            assert privacy.is_suppressed(conn, kind, value), kind
        assert not privacy.is_suppressed(conn, "email", "someone.else@example.it")
    # ... erasing again changes nothing, and consents of the erased person are refused.
    again = admin.post(f"/api/v1/customers/{pid}/erase")
    assert again.json() == body
    refused = admin.put(f"/api/v1/customers/{pid}/consents", json={"email": True, "source": "web"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "privacy.profile_erased")


def test_erasure_takes_merged_profiles_and_guest_orders_and_spares_others(
    shop: Database, admin: httpx.Client
) -> None:
    mario = admin_person(shop, "mario.rossi@example.it", city="Milano")
    twin = admin_person(shop, "mario.r@example.it", city="Milano")
    other = admin_person(shop, "luca.verdi@example.it", first_name="Luca", last_name="Verdi")
    service.merge(shop, mario, twin, "same person", "test")
    guest = admin.post(
        "/api/v1/orders",
        json={
            "channel": "web",
            "customer": {"email": "MARIO.R@example.it", "name": "Mario Rossi"},
            "lines": [{"sku": "TRL-43", "quantity": 1, "unit_price": 12000, "method": "home_delivery"}],
            "shipping_address": {
                "name": "Mario Rossi",
                "line1": "Via Roma 1",
                "city": "Milano",
                "postcode": "20121",
                "country": "IT",
            },
        },
    )
    assert guest.status_code == 201, guest.text
    assert (
        admin.put(f"/api/v1/customers/{other}/consents", json={"sms": True, "source": "app"}).status_code
        == 200
    )

    done = admin.post(f"/api/v1/customers/{twin}/erase")  # a merged id names the same person
    assert done.status_code == 200, done.text
    assert (done.json()["profile_id"], sorted(done.json()["profiles"])) == (mario, sorted([mario, twin]))
    assert (
        leftovers(shop, ("mario.rossi@example.it", "mario.r@example.it", "Mario Rossi", "Via Roma 1")) == []
    )
    assert leftovers(shop, ("luca.verdi@example.it",)) != []
    assert admin.get(f"/api/v1/customers/{other}/consents").json()["consents"]["sms"]["granted"] is True
    assert admin.post(f"/api/v1/customers/{twin}/erase").json() == done.json()

    unknown = admin.post("/api/v1/customers/cus_NOPE/erase")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "customers.not_found")


def test_only_an_admin_may_export_erase_or_suppress(db: Database, server: LiveServer) -> None:
    pid = admin_person(db)
    for role in ("integration", "analyst"):
        with client_for(server, db, role) as client:
            for method, path in (("GET", "export"), ("POST", "erase"), ("POST", "suppress")):
                response = client.request(method, f"/api/v1/customers/{pid}/{path}")
                assert (response.status_code, response.json()["error"]["code"]) == (403, "auth.forbidden")
    with db.read() as conn:
        assert conn.execute(select(customer_profiles.c.status)).scalar() == "active"


# --- export and suppression ---------------------------------------------------------------------


def test_export_holds_everything_on_the_person(shop: Database, admin: httpx.Client) -> None:
    pid = admin_person(shop, "mario.rossi@example.it", city="Milano")
    twin = admin_person(shop, "mario.r@example.it")
    service.merge(shop, pid, twin, "same person", "test")
    service.add_profile_identifiers(shop, pid, {"loyalty_card": "CARD-1"}, "pos", "test")
    placed = admin.post(
        "/api/v1/orders",
        json={
            "channel": "web",
            "customer": {"customer_id": pid, "email": "mario.rossi@example.it"},
            "lines": [{"sku": "RUN-42", "quantity": 1, "unit_price": 8990, "method": "home_delivery"}],
            "shipping_address": {
                "name": "Mario Rossi",
                "line1": "Via Roma 1",
                "city": "Milano",
                "postcode": "20121",
                "country": "IT",
            },
        },
    ).json()
    admin.put(f"/api/v1/customers/{pid}/consents", json={"email": True, "source": "web"})

    export = admin.get(f"/api/v1/customers/{twin}/export")
    assert export.status_code == 200, export.text
    doc = export.json()
    assert (doc["profile_id"], sorted(doc["profiles"])) == (pid, sorted([pid, twin]))
    assert doc["identifiers"] == [
        {"kind": "email", "value": "mario.r@example.it"},
        {"kind": "email", "value": "mario.rossi@example.it"},
        {"kind": "loyalty_card", "value": "CARD-1"},
    ]
    assert doc["consents"]["email"]["granted"] is True and doc["consents"]["sms"] is None
    data = doc["data"]
    assert sorted(p["profile_id"] for p in data["customer_profiles"]) == sorted([pid, twin])
    assert [m["merged"] for m in data["identity_merges"]] == [twin]
    assert [c["purpose"] for c in data["customer_consents"]] == ["email"]
    assert [o["order_id"] for o in data["orders"]] == [placed["order_id"]]
    assert data["orders"][0]["shipping_address"]["line1"] == "Via Roma 1"
    assert [(line["sku"], line["quantity"]) for line in data["order_lines"]] == [("RUN-42", 1)]
    assert {"customer_identifiers", "order_lines"} <= set(data)

    unknown = admin.get("/api/v1/customers/cus_NOPE/export")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "customers.not_found")


def test_suppression_stops_collection_without_erasing(shop: Database, admin: httpx.Client) -> None:
    pid = admin_person(shop, "mario.rossi@example.it", phone="+39 02 1234 5678")
    done = admin.post(f"/api/v1/customers/{pid}/suppress")
    assert done.status_code == 200, done.text
    assert (done.json()["profile_id"], done.json()["identifiers"]) == (pid, 3)  # email, phone, profile id
    with shop.read() as conn:
        assert privacy.is_suppressed(conn, "email", " Mario.Rossi@Example.it ")
        assert privacy.is_suppressed(conn, "phone", "02 1234 5678")
        assert privacy.is_suppressed(conn, "profile_id", pid)
        assert privacy.suppressed_among(
            conn, [("email", "MARIO.ROSSI@example.it"), ("email", "x@example.it")]
        ) == {("email", "MARIO.ROSSI@example.it")}
        assert conn.execute(select(customer_profiles.c.status)).scalar() == "active"
    assert leftovers(shop, ("mario.rossi@example.it",)) != []  # nothing erased
    again = admin.post(f"/api/v1/customers/{pid}/suppress")
    assert again.json()["identifiers"] == 3


def test_events_arriving_after_erasure_are_not_collected(
    shop: Database, admin: httpx.Client, server: LiveServer
) -> None:
    pid = admin_person(shop, "mario.rossi@example.it")
    service.add_profile_identifiers(shop, pid, {"anonymous_id": ANONYMOUS_ID}, "web", "test")
    assert admin.post(f"/api/v1/customers/{pid}/erase").status_code == 200
    with track(server, admin) as tracker:
        late = [
            ("track", {"anonymousId": ANONYMOUS_ID, "event": "Product Viewed"}),
            ("identify", {"anonymousId": "a-new-browser", "traits": {"email": "Mario.Rossi@example.it"}}),
            ("track", {"anonymousId": "someone-else", "event": "Product Viewed"}),
        ]
        for endpoint, message in late:
            assert tracker.post(f"/v1/{endpoint}", json=message).status_code == 200
    with shop.read() as conn:
        kept = conn.execute(select(tracking_events.c.anonymous_id)).scalars().all()
    assert kept == ["someone-else"]
