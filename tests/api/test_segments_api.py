"""Segments through HTTP on both databases: definitions, counts, member export, and the SQL and
Python evaluations of every rule agreeing on exact member sets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.factories import make_location
from tests.support import LiveServer, client_for
from unico.core import clock
from unico.core.db import Database
from unico.customers.privacy_store import customer_consents
from unico.customers.segment_queries import member_ids
from unico.customers.segments import parse_definition
from unico.customers.store import customer_profiles
from unico.customers.tracking_store import tracking_events, tracking_sources
from unico.inventory.store import locations
from unico.orders.store import orders

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
ISSUE_EXAMPLE = {
    "all": [
        {"trait": "city", "op": "eq", "value": "Milano"},
        {"event": "Product Viewed", "within_days": 30, "min_count": 2},
        {"computed": "total_spend", "op": "gte", "value": 10000},
    ]
}


@pytest.fixture
def frozen() -> Iterator[None]:
    clock.set_clock(clock.FrozenClock(NOW))
    yield
    clock.reset_clock()


def _profile(conn: Any, pid: str, traits: dict[str, Any], status: str = "active", seen_days: int = 1) -> None:
    conn.execute(
        customer_profiles.insert().values(
            profile_id=pid,
            status=status,
            traits=traits,
            name_key="",
            first_seen_at=NOW - timedelta(days=400),
            last_seen_at=NOW - timedelta(days=seen_days),
            created_at=NOW,
            updated_at=NOW,
        )
    )


def _events(conn: Any, pid: str, name: str, days_ago: list[int], **properties: Any) -> None:
    source = conn.execute(tracking_sources.select()).first().id
    conn.execute(
        tracking_events.insert(),
        [
            {
                "source_id": source,
                "message_id": f"{pid}-{name}-{i}-{d}-{sorted(properties.items())}",
                "type": "track",
                "event": name,
                "properties": properties,
                "traits": {},
                "context": {},
                "timestamp": NOW - timedelta(days=d, hours=1),
                "received_at": NOW,
                "profile_id": pid,
                "resolved_at": NOW,
            }
            for i, d in enumerate(days_ago)
        ],
    )


def _order(
    conn: Any, pid: str, total: int, channel: str, store: str | None, status: str = "completed", days: int = 5
) -> None:
    store_id = conn.execute(locations.select().where(locations.c.code == store)).first().id if store else None
    n = conn.execute(orders.select()).all()
    conn.execute(
        orders.insert().values(
            order_id=f"ord_{pid}_{len(n)}",
            channel=channel,
            status=status,
            customer_id=pid,
            origin_location_id=store_id,
            currency="EUR",
            subtotal_minor=total,
            discount_minor=0,
            total_minor=total,
            created_at=NOW - timedelta(days=days),
            updated_at=NOW,
        )
    )


def _consent(conn: Any, pid: str, purpose: str, granted: bool) -> None:
    row = conn.execute(customer_profiles.select().where(customer_profiles.c.profile_id == pid)).one()
    conn.execute(
        customer_consents.insert().values(
            profile_id=row.id, purpose=purpose, granted=granted, source="web", actor="test", recorded_at=NOW
        )
    )


@pytest.fixture
def people(db: Database, frozen: None) -> Database:
    """Five active customers (and one merged, one erased) with traits, events and orders.

    cus_A Milano  4 views in 30 days (1 older), 2 orders 12,000 (web, MI-01 store), vip, age 40
    cus_B Milano  1 view, 1 order 20,000 (store MI-02), age "40" (a string)
    cus_C Roma    2 views, 1 order 9,000 + 1 cancelled 50,000 (web), tags [running, trail]
    cus_D Milano  3 views with category=running, no orders
    cus_E         no traits but an email, seen 100 days ago
    cus_M (merged into A) and cus_X (erased) are never members.
    Consents now: A email; B withdrew email; C sms.
    """
    make_location(db, "MI-01")
    make_location(db, "MI-02", offset_km=3)
    with db.write() as conn:
        conn.execute(
            tracking_sources.insert().values(
                source_id="src_web", name="web", kind="web", write_key_hash="0" * 64, created_at=NOW
            )
        )
        _profile(
            conn,
            "cus_A",
            {
                "city": "Milano",
                "first_name": "Anna",
                "last_name": "Bianchi",
                "email": "anna@example.it",
                "vip": True,
                "age": 40,
            },
        )
        _profile(conn, "cus_B", {"city": "Milano", "first_name": "Bruno", "age": "40"})
        _profile(conn, "cus_C", {"city": "Roma", "tags": ["running", "trail"], "phone": "+393331112223"})
        _profile(conn, "cus_D", {"city": "Milano", "note": "=cmd|' /C calc'!A0"})
        _profile(conn, "cus_E", {"email": "e@example.it"}, seen_days=100)
        _profile(conn, "cus_M", {"city": "Milano"}, status="merged")
        _profile(conn, "cus_X", {}, status="erased")
        _events(conn, "cus_A", "Product Viewed", [1, 2, 3, 29, 31])
        _events(conn, "cus_B", "Product Viewed", [1])
        _events(conn, "cus_C", "Product Viewed", [4, 5])
        _events(conn, "cus_D", "Product Viewed", [1, 2, 3], category="running")
        _events(conn, "cus_M", "Product Viewed", [1, 2, 3])
        _order(conn, "cus_A", 5000, "web", None, days=40)
        _order(conn, "cus_A", 7000, "store", "MI-01", days=3)
        _order(conn, "cus_B", 20000, "store", "MI-02")
        _order(conn, "cus_C", 9000, "web", None)
        _order(conn, "cus_C", 50000, "web", None, status="cancelled")
        _order(conn, "cus_M", 99000, "web", None)
        _consent(conn, "cus_A", "email", True)
        _consent(conn, "cus_B", "email", True)
        _consent(conn, "cus_B", "email", False)  # withdrawn
        _consent(conn, "cus_C", "sms", True)
    return db


CASES: list[tuple[dict[str, Any], list[str]]] = [
    (ISSUE_EXAMPLE, ["cus_A"]),
    ({"trait": "city", "op": "eq", "value": "Milano"}, ["cus_A", "cus_B", "cus_D"]),
    ({"trait": "city", "op": "neq", "value": "Milano"}, ["cus_C", "cus_E"]),
    ({"trait": "city", "op": "in", "value": ["Roma", "Torino"]}, ["cus_C"]),
    ({"trait": "city", "op": "not_in", "value": ["Roma"]}, ["cus_A", "cus_B", "cus_D", "cus_E"]),
    ({"trait": "age", "op": "gte", "value": 40}, ["cus_A"]),  # "40" is a string, not a number
    ({"trait": "age", "op": "eq", "value": "40"}, ["cus_B"]),
    ({"trait": "vip", "op": "eq", "value": True}, ["cus_A"]),
    ({"trait": "vip", "op": "eq", "value": 1}, []),
    ({"trait": "email", "op": "exists"}, ["cus_A", "cus_E"]),
    ({"trait": "email", "op": "not_exists"}, ["cus_B", "cus_C", "cus_D"]),
    ({"trait": "email", "op": "contains", "value": "@example.it"}, ["cus_A", "cus_E"]),
    ({"trait": "tags", "op": "contains", "value": "trail"}, ["cus_C"]),
    ({"trait": "tags", "op": "contains", "value": "trai"}, []),  # list members, not substrings
    ({"event": "Product Viewed", "within_days": 30, "min_count": 3}, ["cus_A", "cus_D"]),
    ({"event": "Product Viewed", "min_count": 5}, ["cus_A"]),
    ({"event": "Product Viewed", "within_days": 30, "min_count": 2, "max_count": 3}, ["cus_C", "cus_D"]),
    ({"event": "Product Viewed", "properties": {"category": "running"}, "min_count": 3}, ["cus_D"]),
    ({"not": {"event": "Product Viewed"}}, ["cus_E"]),
    ({"computed": "order_count", "op": "eq", "value": 0}, ["cus_D", "cus_E"]),
    ({"computed": "total_spend", "op": "gt", "value": 9000}, ["cus_A", "cus_B"]),  # cancelled: no spend
    ({"computed": "average_order_value", "op": "gte", "value": 6000}, ["cus_A", "cus_B", "cus_C"]),
    ({"computed": "average_order_value", "op": "not_exists"}, ["cus_D", "cus_E"]),
    ({"computed": "channels_used", "op": "contains", "value": "store"}, ["cus_A", "cus_B"]),
    ({"computed": "favourite_store", "op": "eq", "value": "MI-02"}, ["cus_B"]),
    ({"computed": "days_since_last_order", "op": "lte", "value": 3}, ["cus_A"]),
    ({"computed": "days_since_last_seen", "op": "gt", "value": 30}, ["cus_E"]),
    (
        {
            "any": [
                {
                    "all": [
                        {"trait": "city", "op": "eq", "value": "Milano"},
                        {"not": {"computed": "order_count", "op": "gt", "value": 0}},
                    ]
                },
                {"computed": "channels_used", "op": "contains", "value": "web"},
            ]
        },
        ["cus_A", "cus_C", "cus_D"],
    ),
    ({"consent": "email"}, ["cus_A"]),
    ({"not": {"consent": "email"}}, ["cus_B", "cus_C", "cus_D", "cus_E"]),
    ({"any": [{"consent": "sms"}, {"consent": "push"}]}, ["cus_C"]),
    (
        {
            "all": [
                {"consent": "email"},
                {"computed": "channels_used", "op": "contains", "value": "web"},
            ]
        },
        ["cus_A"],
    ),
    (
        {
            "all": [
                {"computed": "favourite_store", "op": "exists"},
                {"event": "Product Viewed", "within_days": 30, "min_count": 2},
            ]
        },
        ["cus_A"],
    ),
]


def test_sql_and_python_evaluations_select_exactly_the_expected_members(people: Database) -> None:
    """Every case on one set of people (one setup per backend keeps this fast)."""
    wrong = []
    with people.read() as conn:
        for i, (definition, expected) in enumerate(CASES):
            rule = parse_definition(definition)
            in_sql, in_python = member_ids(conn, rule), member_ids(conn, rule, in_python=True)
            if (in_sql, in_python) != (expected, expected):
                wrong.append((i, definition, expected, in_sql, in_python))
    assert wrong == []


def test_create_count_and_export_members(people: Database, admin: httpx.Client) -> None:
    created = admin.post(
        "/api/v1/segments",
        json={"name": "Milanesi attivi", "description": "Browse and buy", "definition": ISSUE_EXAMPLE},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    segment_id = body["segment_id"]
    assert body == {
        "segment_id": segment_id,
        "name": "Milanesi attivi",
        "description": "Browse and buy",
        "definition": {
            "all": [
                {"trait": "city", "op": "eq", "value": "Milano"},
                {"event": "Product Viewed", "type": "track", "min_count": 2, "within_days": 30},
                {"computed": "total_spend", "op": "gte", "value": 10000},
            ]
        },
        "created_by": "api_key:test-admin",
        "created_at": "2026-11-22T12:00:00Z",
        "count": 1,
    }
    assert admin.get(f"/api/v1/segments/{segment_id}").json()["count"] == 1
    milan = admin.post(
        "/api/v1/segments",
        json={"name": "Milano", "definition": {"trait": "city", "op": "eq", "value": "Milano"}},
    ).json()
    assert [s["name"] for s in admin.get("/api/v1/segments").json()] == ["Milanesi attivi", "Milano"]

    members = admin.get(f"/api/v1/segments/{milan['segment_id']}/members")
    assert members.json() == {
        "segment_id": milan["segment_id"],
        "count": 3,
        "members": [
            {
                "profile_id": "cus_A",
                "first_name": "Anna",
                "last_name": "Bianchi",
                "email": "anna@example.it",
                "phone": None,
                "city": "Milano",
            },
            {
                "profile_id": "cus_B",
                "first_name": "Bruno",
                "last_name": None,
                "email": None,
                "phone": None,
                "city": "Milano",
            },
            {
                "profile_id": "cus_D",
                "first_name": None,
                "last_name": None,
                "email": None,
                "phone": None,
                "city": "Milano",
            },
        ],
    }
    as_csv = admin.get(f"/api/v1/segments/{milan['segment_id']}/members", params={"format": "csv"})
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.headers["content-disposition"] == f'attachment; filename="{milan["segment_id"]}.csv"'
    assert as_csv.text == (
        "profile_id,first_name,last_name,email,phone,city\n"
        "cus_A,Anna,Bianchi,anna@example.it,,Milano\n"
        "cus_B,Bruno,,,,Milano\n"
        "cus_D,,,,,Milano\n"
    )
    preview = admin.post("/api/v1/segments/preview", json={"definition": {"trait": "email", "op": "exists"}})
    assert preview.json() == {"count": 2}


def test_bad_definitions_unknown_segments_and_names_taken(
    people: Database, admin: httpx.Client, server: LiveServer
) -> None:
    bad = admin.post(
        "/api/v1/segments",
        json={"name": "x", "definition": {"all": [{"trait": "city", "op": "like", "value": "Mil%"}]}},
    )
    assert bad.status_code == 422
    assert bad.json()["error"] == {
        "code": "segments.invalid_definition",
        "message": "definition.all.0.op: unknown op 'like' (one of eq, neq, in, not_in, gt, gte, lt, lte,"
        " contains, exists, not_exists)",
        "details": {"field": "definition.all.0.op"},
    }
    missing = admin.post("/api/v1/segments", json={"name": "x"})
    assert (missing.status_code, missing.json()["error"]["details"]["field"]) == (422, "definition")
    assert admin.get("/api/v1/segments").json() == []

    first = admin.post(
        "/api/v1/segments", json={"name": "VIP", "definition": {"trait": "vip", "op": "exists"}}
    )
    assert first.status_code == 201
    again = admin.post(
        "/api/v1/segments", json={"name": "VIP", "definition": {"trait": "vip", "op": "exists"}}
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "segments.name_taken")

    unknown = admin.get("/api/v1/segments/seg_NOPE/members")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "segments.not_found")
    bad_format = admin.get(f"/api/v1/segments/{first.json()['segment_id']}/members", params={"format": "xml"})
    assert bad_format.status_code == 422

    with client_for(server, people, "analyst") as analyst:
        assert analyst.get("/api/v1/segments").status_code == 200
        refused = analyst.post(
            "/api/v1/segments", json={"name": "A", "definition": {"trait": "a", "op": "exists"}}
        )
        assert (refused.status_code, refused.json()["error"]["code"]) == (403, "auth.forbidden")
