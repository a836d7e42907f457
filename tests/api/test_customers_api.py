"""Customer profiles through real HTTP on both databases: stitching of tracked events, the loyalty
card at the till, blocked values and limits, merge and undo, continuity, computed traits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.factories import make_location, make_variants
from tests.identity_support import (
    NOW,
    add_order,
    freeze,
    identify,
    iso,
    make_sources,
    minutes,
    resolve,
    send,
    send_http,
    set_category,
    track,
)
from tests.support import LiveServer, client_for
from unico.core import clock
from unico.core.db import Database


@pytest.fixture
def keys(db: Database) -> Iterator[dict[str, str]]:
    freeze()
    yield make_sources(db)
    clock.reset_clock()


@pytest.fixture
def tracker(server: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        yield client


def profile(admin: httpx.Client, profile_id: str) -> dict[str, Any]:
    response = admin.get(f"/api/v1/customers/{profile_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def find(admin: httpx.Client, q: str) -> list[str]:
    response = admin.get("/api/v1/customers", params={"q": q})
    assert response.status_code == 200, response.text
    return [item["profile_id"] for item in response.json()["items"]]


def identifiers(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(i["kind"], i["value"]) for i in body["identifiers"]]


# --- stitching --------------------------------------------------------------------------------


def test_anonymous_browsing_on_web_and_app_joins_the_profile_at_login(
    db: Database, keys: dict[str, str], admin: httpx.Client, tracker: httpx.Client
) -> None:
    send_http(
        tracker,
        keys["web"],
        message_page := {
            "type": "page",
            "anonymousId": "web-a1",
            "name": "Home",
            "timestamp": minutes(1).isoformat(),
        },
        track("Products Searched", minutes(2), anon="web-a1", query="scarpe trail"),
        track("Product Viewed", minutes(3), anon="web-a1", product_id="P-1", sku="TRAIL-42", name="Trail 42"),
    )
    send_http(
        tracker,
        keys["app"],
        track("Product Viewed", minutes(4), anon="app-b2", product_id="P-2", name="Giacca"),
    )
    assert resolve(db) == 4
    assert find(admin, "web-a1") != find(admin, "app-b2")  # two devices, two profiles so far

    send_http(
        tracker,
        keys["web"],
        identify(
            minutes(5), anon="web-a1", user="u-1001", email=" Giulia.Bianchi@Example.com", firstName="Giulia"
        ),
    )
    send_http(tracker, keys["app"], identify(minutes(6), anon="app-b2", user="u-1001", lastName="Bianchi"))
    assert resolve(db) == 2

    [profile_id] = find(admin, "giulia.bianchi@example.com")
    assert find(admin, "u-1001") == find(admin, "app-b2") == find(admin, "Giulia Bianchi") == [profile_id]
    body = profile(admin, profile_id)
    assert identifiers(body) == [
        ("anonymous_id", "app-b2"),
        ("anonymous_id", "web-a1"),
        ("email", "giulia.bianchi@example.com"),
        ("user_id", "u-1001"),
    ]
    assert body["traits"] == {
        "email": " Giulia.Bianchi@Example.com",
        "first_name": "Giulia",
        "last_name": "Bianchi",
    }
    assert body["computed"]["channels_used"] == ["app", "web"]
    assert (body["first_seen_at"], body["last_seen_at"]) == (iso(minutes(1)), iso(minutes(6)))
    assert len(body["merged_from"]) == 1

    continuity = admin.get(f"/api/v1/customers/{profile_id}/continuity").json()
    assert [(v["product_id"], v["channel"]) for v in continuity["recently_viewed"]] == [
        ("P-2", "app"),
        ("P-1", "web"),
    ]
    assert continuity["searches"] == [{"query": "scarpe trail", "channel": "web", "at": iso(minutes(2))}]
    timeline = admin.get(f"/api/v1/customers/{profile_id}/timeline").json()["entries"]
    assert [(e["name"], e["channel"]) for e in timeline] == [
        ("identify", "app"),
        ("identify", "web"),
        ("Product Viewed", "app"),
        ("Product Viewed", "web"),
        ("Products Searched", "web"),
        ("Home", "web"),
    ]
    assert message_page["name"] == "Home"
    older = admin.get(
        f"/api/v1/customers/{profile_id}/timeline", params={"limit": 2, "before": timeline[3]["at"]}
    ).json()["entries"]
    assert [e["name"] for e in older] == ["Products Searched", "Home"]


def test_a_loyalty_card_at_the_till_joins_the_web_profile(
    db: Database, keys: dict[str, str], admin: httpx.Client
) -> None:
    send(
        db,
        keys["web"],
        track("Product Viewed", minutes(1), anon="web-a1", product_id="P-9", name="Borsa"),
        identify(minutes(2), anon="web-a1", user="u-7", email="anna@example.it", loyalty_card="LC 0007"),
    )
    # At the till the anonymous id names the till, not the person: two customers in a row.
    send(
        db,
        keys["pos"],
        identify(minutes(10), anon="till-3", loyaltyCard="lc0007"),
        track("Store Visited", minutes(11), anon="till-3", loyalty_card="LC0007", store="MI-01"),
        identify(minutes(12), anon="till-3", loyalty_card="LC0099"),
    )
    resolve(db)
    [anna] = find(admin, "LC 0007")
    [other] = find(admin, "lc0099")
    assert anna != other
    body = profile(admin, anna)
    assert identifiers(body) == [
        ("anonymous_id", "web-a1"),
        ("email", "anna@example.it"),
        ("loyalty_card", "LC0007"),
        ("user_id", "u-7"),
    ]
    assert body["computed"]["channels_used"] == ["pos", "web"]
    assert identifiers(profile(admin, other)) == [("loyalty_card", "LC0099")]
    continuity = admin.get(f"/api/v1/customers/{anna}/continuity").json()
    assert [v["product_id"] for v in continuity["recently_viewed"]] == ["P-9"]


def test_a_card_given_to_an_associate_merges_the_store_profile_into_the_web_one(
    db: Database, keys: dict[str, str], admin: httpx.Client, server: LiveServer
) -> None:
    send(db, keys["web"], identify(minutes(1), anon="web-a1", user="u-8", loyalty_card="LC0008"))
    resolve(db)
    [web] = find(admin, "LC0008")
    make_location(db, "MI-01")
    with client_for(server, db, "store_associate", store="MI-01") as associate:
        created = associate.post(
            "/api/v1/customers",
            json={
                "identifiers": {"phone": "333 765 4321"},
                "traits": {"firstName": "Marco"},
                "source": "pos",
            },
        )
        assert created.status_code == 201, created.text
        store_profile = created.json()["profile_id"]
        assert created.json() == {
            "profile_id": store_profile,
            "action": "create",
            "merged": [],
            "dropped": [],
            "ignored": [],
        }
        again = associate.post("/api/v1/customers", json={"identifiers": {"phone": "+393337654321"}})
        assert (again.status_code, again.json()["action"], again.json()["profile_id"]) == (
            200,
            "attach",
            store_profile,
        )
        joined = associate.post(
            f"/api/v1/customers/{store_profile}/identifiers",
            json={"identifiers": {"loyalty_card": " lc 0008 "}, "source": "pos"},
        )
    assert joined.status_code == 200, joined.text
    assert joined.json() == {
        "profile_id": web,
        "action": "merge",
        "merged": [store_profile],
        "dropped": [],
        "ignored": [],
    }
    body = profile(admin, store_profile)
    assert (body["profile_id"], body["resolved_from"]) == (web, store_profile)
    assert identifiers(body) == [
        ("anonymous_id", "web-a1"),
        ("loyalty_card", "LC0008"),
        ("phone", "+393337654321"),
        ("user_id", "u-8"),
    ]
    assert body["traits"] == {"first_name": "Marco", "loyalty_card": "LC0008"}
    assert find(admin, "333 7654321") == [web]


def test_blocked_values_never_stitch(db: Database, keys: dict[str, str], admin: httpx.Client) -> None:
    send(
        db,
        keys["web"],
        identify(minutes(1), anon="s-1", user="null", email="test@test.com", phone="0000"),
        identify(minutes(2), anon="s-2", user="null", email="test@test.com", phone="0000"),
        identify(minutes(3), anon="undefined", user="anonymous"),
    )
    resolve(db)
    first, second = find(admin, "s-1"), find(admin, "s-2")
    assert len(first) == len(second) == 1 and first != second
    assert identifiers(profile(admin, first[0])) == [("anonymous_id", "s-1")]
    assert find(admin, "test@test.com") == []
    assert find(admin, "null") == []
    blocked = admin.post("/api/v1/customers", json={"identifiers": {"email": "NULL", "user_id": "0000"}})
    assert (blocked.status_code, blocked.json()["error"]["code"]) == (422, "customers.no_identifier")
    unknown = admin.post("/api/v1/customers", json={"identifiers": {"shoe": "42"}})
    assert (unknown.status_code, unknown.json()["error"]["details"]) == (422, {"field": "identifiers.shoe"})
    partly = admin.post("/api/v1/customers", json={"identifiers": {"email": "undefined", "user_id": "u-5"}})
    assert (partly.status_code, partly.json()["ignored"]) == (201, ["email"])


def test_limits_keep_two_user_ids_apart_and_demote_the_shared_email(
    db: Database, keys: dict[str, str], admin: httpx.Client
) -> None:
    send(
        db,
        keys["web"],
        identify(minutes(1), anon="a-1", user="u-1", email="family@example.it"),
        identify(minutes(2), anon="a-2", user="u-2", email="family@example.it"),
        # The same browser used by the second person afterwards: the anonymous id gives way.
        identify(minutes(3), anon="a-1", user="u-2"),
    )
    resolve(db)
    [one] = find(admin, "u-1")
    [two] = find(admin, "u-2")
    assert one != two
    assert identifiers(profile(admin, one)) == [
        ("anonymous_id", "a-1"),
        ("email", "family@example.it"),
        ("user_id", "u-1"),
    ]
    assert identifiers(profile(admin, two)) == [("anonymous_id", "a-2"), ("user_id", "u-2")]
    with_cards = admin.post(
        "/api/v1/customers",
        json={"identifiers": {"user_id": "u-1", "loyalty_card": "C1"}},
    )
    assert with_cards.json()["action"] == "attach"
    for card in ("C2", "C3"):
        admin.post(f"/api/v1/customers/{one}/identifiers", json={"identifiers": {"loyalty_card": card}})
    fourth = admin.post(f"/api/v1/customers/{one}/identifiers", json={"identifiers": {"loyalty_card": "C4"}})
    assert fourth.json() == {
        "profile_id": one,
        "action": "attach",
        "merged": [],
        "dropped": [{"kind": "loyalty_card", "value": "C4"}],
        "ignored": [],
    }
    assert find(admin, "C4") == []


# --- merge and undo ---------------------------------------------------------------------------


def test_a_manual_merge_resolves_to_the_survivor_and_undo_restores_exactly(
    db: Database, keys: dict[str, str], admin: httpx.Client
) -> None:
    make_variants(db, "SKU-1")
    send(
        db,
        keys["web"],
        identify(minutes(1), anon="a-1", user="u-1", email="mario@example.it", firstName="Mario"),
        track("Product Viewed", minutes(2), anon="a-1", product_id="P-1"),
    )
    send(
        db,
        keys["contact_center"],
        identify(minutes(30), user="cc-77", phone="02 1234 5678", lastName="Rossi", firstName="M."),
        track("Case Opened", minutes(31), user="cc-77"),
    )
    resolve(db)
    [mario] = find(admin, "u-1")
    [caller] = find(admin, "cc-77")
    add_order(
        db, caller, order_id="ord_cc1", channel="contact_center", lines=[("SKU-1", 1, 4_990)], at=minutes(32)
    )
    before = {pid: profile(admin, pid) for pid in (mario, caller)}
    timelines = {pid: admin.get(f"/api/v1/customers/{pid}/timeline").json() for pid in (mario, caller)}

    merged = admin.post(
        "/api/v1/customers/merges", json={"survivor": mario, "merged": caller, "reason": "same person"}
    )
    assert merged.status_code == 201, merged.text
    merge = merged.json()
    assert {k: merge[k] for k in ("survivor", "merged", "reason", "actor", "undone_at", "moved")} == {
        "survivor": mario,
        "merged": caller,
        "reason": "same person",
        "actor": "api_key:test-admin",
        "undone_at": None,
        "moved": {"identifiers": 2, "events": 2, "orders": 1, "carts": 0},
    }
    after = profile(admin, caller)
    assert (after["profile_id"], after["resolved_from"]) == (mario, caller)
    assert identifiers(after) == [
        ("anonymous_id", "a-1"),
        ("email", "mario@example.it"),
        ("phone", "+390212345678"),
        ("user_id", "cc-77"),
        ("user_id", "u-1"),
    ]
    assert after["traits"] == {
        "email": "mario@example.it",
        "first_name": "Mario",
        "last_name": "Rossi",
        "phone": "02 1234 5678",
    }
    assert [o["order_id"] for o in after["orders"]] == ["ord_cc1"]
    assert after["computed"]["channels_used"] == ["contact_center", "web"]
    assert len(admin.get(f"/api/v1/customers/{caller}/timeline").json()["entries"]) == 5
    assert find(admin, "cc-77") == [mario]
    # Identity resolution keeps sending the merged person's events to the survivor.
    send(db, keys["contact_center"], track("Case Closed", minutes(40), user="cc-77"))
    resolve(db)
    assert admin.get(f"/api/v1/customers/{mario}/timeline").json()["entries"][0]["name"] == "Case Closed"

    undone = admin.post(f"/api/v1/customers/merges/{merge['merge_id']}/undo")
    assert undone.status_code == 200, undone.text
    assert (undone.json()["undone_by"], undone.json()["merge_id"]) == (
        "api_key:test-admin",
        merge["merge_id"],
    )
    restored = {pid: profile(admin, pid) for pid in (mario, caller)}
    for pid in (mario, caller):
        for key in ("profile_id", "resolved_from", "status", "traits", "orders", "first_seen_at"):
            assert restored[pid][key] == before[pid][key], (pid, key)
        # Identifiers come back exactly; only the last sighting of cc-77 moved on (12:40, an
        # event resolved while merged).
        assert [{**i, "last_seen_at": None} for i in restored[pid]["identifiers"]] == [
            {**i, "last_seen_at": None} for i in before[pid]["identifiers"]
        ]
    assert restored[caller]["last_seen_at"] == before[caller]["last_seen_at"]
    assert restored[caller]["computed"] == before[caller]["computed"]
    assert admin.get(f"/api/v1/customers/{caller}/timeline").json() == timelines[caller]
    # The event that arrived during the merge stays where it was resolved.
    assert [e["name"] for e in admin.get(f"/api/v1/customers/{mario}/timeline").json()["entries"]] == [
        "Case Closed",
        "Product Viewed",
        "identify",
    ]

    again = admin.post(f"/api/v1/customers/merges/{merge['merge_id']}/undo")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "customers.merge_already_undone")
    history = admin.get(f"/api/v1/customers/{caller}/merges").json()["items"]
    assert [(m["merge_id"], m["undone_by"]) for m in history] == [(merge["merge_id"], "api_key:test-admin")]
    same = admin.post("/api/v1/customers/merges", json={"survivor": mario, "merged": mario, "reason": "x"})
    assert (same.status_code, same.json()["error"]["code"]) == (409, "customers.already_merged")
    missing = admin.post("/api/v1/customers/merges/mrg_nope/undo")
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "customers.merge_not_found")
    assert admin.get("/api/v1/customers/cus_nope").status_code == 404


# --- continuity and the profile ---------------------------------------------------------------


def test_a_cart_started_in_the_app_is_visible_to_the_associate(
    db: Database, keys: dict[str, str], admin: httpx.Client, server: LiveServer
) -> None:
    make_variants(db, "RUN-38", "RUN-39")
    make_location(db, "MI-01")
    send(db, keys["app"], track("Product Added", minutes(1), anon="app-9", product_id="P-RUN", sku="RUN-38"))
    resolve(db)
    cart = admin.post("/api/v1/carts", json={"anonymous_id": "app-9", "channel": "app"})
    assert cart.status_code == 201, cart.text
    cart_id = cart.json()["cart_id"]
    assert admin.put(f"/api/v1/carts/{cart_id}/lines/RUN-38", json={"quantity": 2}).status_code == 200
    send(db, keys["app"], identify(minutes(5), anon="app-9", user="u-55", email="luca@example.it"))
    resolve(db)
    with client_for(server, db, "store_associate", store="MI-01") as associate:
        [found] = [
            i["profile_id"]
            for i in associate.get("/api/v1/customers", params={"q": "luca@example.it"}).json()["items"]
        ]
        panel = associate.get(f"/api/v1/customers/{found}/continuity").json()
    assert panel["cart"] == [
        {
            "product_id": "P-RUN",
            "sku": "RUN-38",
            "quantity": 1,
            "channel": "app",
            "at": iso(minutes(1)),
        }
    ]
    assert panel["carts"] == [
        {
            "cart_id": cart_id,
            "channel": "app",
            "store": None,
            "lines": [{"sku": "RUN-38", "quantity": 2}],
            "updated_at": panel["carts"][0]["updated_at"],
        }
    ]
    # A cart the app opens for the logged-in customer is found by customer id too.
    logged_in = admin.post("/api/v1/carts", json={"customer_id": found, "channel": "app"}).json()["cart_id"]
    admin.put(f"/api/v1/carts/{logged_in}/lines/RUN-39", json={"quantity": 1})
    carts = admin.get(f"/api/v1/customers/{found}/continuity").json()["carts"]
    assert sorted((c["cart_id"], c["lines"][0]["sku"]) for c in carts) == sorted(
        [(cart_id, "RUN-38"), (logged_in, "RUN-39")]
    )


def test_computed_traits_of_a_known_customer_are_exact(
    db: Database, keys: dict[str, str], admin: httpx.Client
) -> None:
    make_variants(db, "SHOE-1", product_code="P-SHOE")
    make_variants(db, "BAG-1", product_code="P-BAG")
    set_category(db, "P-SHOE", "scarpe")
    set_category(db, "P-BAG", "borse")
    make_location(db, "MI-01")
    make_location(db, "RM-01", city="Roma")
    send(
        db,
        keys["web"],
        identify(minutes(0), user="u-9", firstName="Sara"),
        track("Product Viewed", minutes(1), user="u-9", category="giacche"),
    )
    resolve(db)
    [sara] = find(admin, "u-9")
    for n, (order_id, channel, store, status, line) in enumerate(
        [
            ("ord_1", "web", "MI-01", "completed", ("SHOE-1", 2, 5_000)),
            ("ord_2", "store", "RM-01", "completed", ("BAG-1", 1, 12_000)),
            ("ord_3", "store", "MI-01", "completed", ("SHOE-1", 1, 3_001)),
            ("ord_4", "app", None, "cancelled", ("BAG-1", 9, 10_000)),
        ]
    ):
        at = minutes(-180 + 60 * n)
        add_order(
            db, sara, order_id=order_id, channel=channel, store=store, status=status, lines=[line], at=at
        )
    body = profile(admin, sara)
    assert body["computed"] == {
        "first_seen_at": iso(minutes(-180)),
        "last_seen_at": iso(minutes(1)),
        "channels_used": ["app", "store", "web"],
        "order_count": 3,
        "total_spend": 25_001,
        "currency": "EUR",
        "average_order_value": 8_333,
        "last_order_at": iso(minutes(-60)),
        "days_since_last_order": 1,
        "favourite_store": "MI-01",
        "favourite_categories": ["scarpe", "borse"],
        "rfm": {"recency": 3, "frequency": 2, "monetary": 2, "segment": "loyal"},
    }
    assert [o["order_id"] for o in body["orders"]] == ["ord_4", "ord_3", "ord_2", "ord_1"]


def test_a_profile_without_orders_or_events(db: Database, keys: dict[str, str], admin: httpx.Client) -> None:
    created = admin.post(
        "/api/v1/customers", json={"identifiers": {"erp_id": "C-1"}, "traits": {"name": "Ugo"}}
    )
    body = profile(admin, created.json()["profile_id"])
    assert body["computed"]["order_count"] == 0
    assert body["computed"]["rfm"]["segment"] == "prospect"
    assert body["orders"] == body["relations"] == []
    assert body["first_seen_at"] == iso(NOW)
    panel = admin.get(f"/api/v1/customers/{body['profile_id']}/continuity").json()
    assert {k: panel[k] for k in ("recently_viewed", "searches", "wishlist", "cart", "carts")} == {
        "recently_viewed": [],
        "searches": [],
        "wishlist": [],
        "cart": [],
        "carts": [],
    }


def test_relations_show_influence_across_people(
    db: Database, keys: dict[str, str], admin: httpx.Client
) -> None:
    grandson = admin.post(
        "/api/v1/customers", json={"identifiers": {"user_id": "nipote"}, "traits": {"firstName": "Leo"}}
    ).json()["profile_id"]
    grandpa = admin.post(
        "/api/v1/customers",
        json={"identifiers": {"loyalty_card": "NONNO-1"}, "traits": {"firstName": "Aldo"}},
    ).json()["profile_id"]
    household = admin.post(
        f"/api/v1/customers/{grandson}/relations", json={"other": grandpa, "kind": "household"}
    )
    assert household.status_code == 201, household.text
    admin.post(f"/api/v1/customers/{grandpa}/relations", json={"other": grandson, "kind": "bought_for"})
    assert [
        (r["kind"], r["profile_id"], r["name"], r["direction"]) for r in profile(admin, grandson)["relations"]
    ] == [
        ("household", grandpa, "Aldo", "outgoing"),
        ("bought_for", grandpa, "Aldo", "incoming"),
    ]
    assert [(r["kind"], r["direction"]) for r in profile(admin, grandpa)["relations"]] == [
        ("household", "incoming"),
        ("bought_for", "outgoing"),
    ]
    bad = admin.post(f"/api/v1/customers/{grandpa}/relations", json={"other": grandson, "kind": "friend"})
    assert (bad.status_code, bad.json()["error"]["details"]) == (422, {"field": "kind"})
    itself = admin.post(
        f"/api/v1/customers/{grandpa}/relations", json={"other": grandpa, "kind": "household"}
    )
    assert (itself.status_code, itself.json()["error"]["code"]) == (409, "customers.self_relation")


def test_permissions(db: Database, keys: dict[str, str], admin: httpx.Client, server: LiveServer) -> None:
    created = admin.post("/api/v1/customers", json={"identifiers": {"email": "x@y.it"}}).json()["profile_id"]
    with client_for(server, db, "analyst") as analyst:
        assert analyst.get(f"/api/v1/customers/{created}").status_code == 200
        denied = analyst.post("/api/v1/customers", json={"identifiers": {"email": "z@y.it"}})
        assert (denied.status_code, denied.json()["error"]["code"]) == (403, "auth.forbidden")
        merge = analyst.post(
            "/api/v1/customers/merges", json={"survivor": created, "merged": created, "reason": "x"}
        )
        assert merge.status_code == 403
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.get("/api/v1/customers", params={"q": "x"}).status_code == 401
