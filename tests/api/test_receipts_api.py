"""POS receipts link a loyalty card to a profile; a later identify with the card joins it."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from tests.factories import make_location
from tests.support import LiveServer, client_for
from unico.core.db import Database
from unico.customers import tracking
from unico.customers.jobs import resolve_all_identities
from unico.customers.store import customer_identifiers, customer_profiles
from unico.customers.tracking_store import tracking_events


@pytest.fixture
def stores(db: Database) -> Database:
    make_location(db, "MI-01")
    make_location(db, "RM-01", city="Roma")
    return db


def identifiers_of(db: Database, profile_id: str) -> list[tuple[str, str, str]]:
    with db.read() as conn:
        return [
            (r.kind, r.value, r.source)
            for r in conn.execute(
                select(
                    customer_identifiers.c.kind, customer_identifiers.c.value, customer_identifiers.c.source
                )
                .join(customer_profiles, customer_profiles.c.id == customer_identifiers.c.profile_id)
                .where(customer_profiles.c.profile_id == profile_id)
                .order_by(customer_identifiers.c.kind, customer_identifiers.c.value)
            )
        ]


def test_a_receipt_links_card_and_code_and_a_later_identify_joins_the_profile(
    stores: Database, server: LiveServer, admin: httpx.Client
) -> None:
    linked = admin.post(
        "/api/v1/customers/receipts",
        json={"receipt_code": "r-0001-xyz", "loyalty_card": "CARD 7788", "store": "MI-01"},
    )
    assert linked.status_code == 200, linked.text
    profile_id = linked.json()["profile_id"]
    assert linked.json()["identifiers"] == [
        {"kind": "loyalty_card", "value": "CARD7788"},
        {"kind": "receipt_code", "value": "R-0001-XYZ"},
    ]
    second = admin.post(
        "/api/v1/customers/receipts",
        json={
            "receipt_code": "R-0002",
            "loyalty_card": "card7788",
            "store": "MI-01",
            "email": "Ada@Example.it",
        },
    )
    assert second.json()["profile_id"] == profile_id
    assert identifiers_of(stores, profile_id) == [
        ("email", "ada@example.it", "pos:MI-01"),
        ("loyalty_card", "CARD7788", "pos:MI-01"),
        ("receipt_code", "R-0001-XYZ", "pos:MI-01"),
        ("receipt_code", "R-0002", "pos:MI-01"),
    ]

    # At home, the customer logs in to the app and the app identifies with the card.
    source = tracking.create_source(stores, name="app", kind="app")
    with httpx.Client(base_url=server.url, auth=(source.write_key, "")) as segment:
        sent = segment.post(
            "/v1/identify",
            json={"userId": "app-42", "anonymousId": "anon-1", "traits": {"loyaltyCard": "CARD7788"}},
        )
        assert sent.status_code == 200, sent.text
    resolve_all_identities(stores)
    with stores.read() as conn:
        assert conn.execute(select(tracking_events.c.profile_id)).scalar_one() == profile_id
    assert ("user_id", "app-42", "app") in [
        (k, v, s.split(":")[0]) for k, v, s in identifiers_of(stores, profile_id)
    ]


def test_receipts_are_checked(stores: Database, server: LiveServer, admin: httpx.Client) -> None:
    body = {"receipt_code": "R-1", "loyalty_card": "CARD-1", "store": "MI-01"}
    unknown = admin.post("/api/v1/customers/receipts", json={**body, "store": "ZZ-99"})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "inventory.location_not_found")
    blocked = admin.post("/api/v1/customers/receipts", json={**body, "loyalty_card": "0000"})
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (422, "customers.bad_identifier")
    no_order = admin.post("/api/v1/customers/receipts", json={**body, "order_id": "ord_nope"})
    assert (no_order.status_code, no_order.json()["error"]["code"]) == (404, "orders.not_found")
    missing = admin.post("/api/v1/customers/receipts", json={"receipt_code": "R-1", "store": "MI-01"})
    assert missing.status_code in (400, 422)
    with client_for(server, stores, "store_associate", store="RM-01") as rome:
        other = rome.post("/api/v1/customers/receipts", json=body)
        assert (other.status_code, other.json()["error"]["code"]) == (403, "auth.other_store")
        own = rome.post("/api/v1/customers/receipts", json={**body, "store": "RM-01"})
        assert own.status_code == 200
    with stores.read() as conn:
        assert conn.execute(select(customer_profiles.c.profile_id)).all() == [(own.json()["profile_id"],)]
