"""Identity resolution of stored tracking events (the worker's ``resolve_identities`` job) on both
databases: batches, merges inside a batch, alias, an opened e-ticket, the computed-traits cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

from tests.factories import make_location, make_variants
from tests.identity_support import add_order, freeze, identify, make_sources, message, minutes, send, track
from unico.core import clock
from unico.core.db import Database
from unico.core.events import DomainEvent
from unico.core.outbox import OutboxEvent, Subscribers
from unico.customers import jobs, service
from unico.customers.resolution import RESOLUTION_LOCK
from unico.customers.store import customer_profiles, identity_merges
from unico.customers.tracking_store import tracking_events
from unico.fulfillment.returns_store import etickets
from unico.orders.store import orders


@pytest.fixture
def keys(db: Database) -> Iterator[dict[str, str]]:
    freeze()
    yield make_sources(db)
    clock.reset_clock()


def event_profiles(db: Database) -> list[tuple[str | None, str | None, bool]]:
    """(event name or type, profile id, resolved?) of every event, in arrival order."""
    with db.read() as conn:
        rows = conn.execute(
            select(
                tracking_events.c.event,
                tracking_events.c.type,
                tracking_events.c.profile_id,
                tracking_events.c.resolved_at,
            ).order_by(tracking_events.c.id)
        ).all()
    return [(r.event or r.type, r.profile_id, r.resolved_at is not None) for r in rows]


def owner(db: Database, identifier: str) -> str:
    """The one active profile holding ``identifier``."""
    [found] = service.search_profiles(db, identifier)
    return str(found["profile_id"])


def test_a_batch_with_a_merge_in_the_middle_leaves_every_event_on_the_survivor(
    db: Database, keys: dict[str, str]
) -> None:
    send(
        db,
        keys["web"],
        track("Product Viewed", minutes(1), anon="w-1", product_id="P1"),
        track("Product Viewed", minutes(2), anon="w-1", product_id="P2"),
        track("Product Viewed", minutes(3), anon="m-1", product_id="P3"),
        identify(minutes(4), anon="w-1", user="u-1"),
        identify(minutes(5), anon="m-1", user="u-1"),  # merges m-1's profile into w-1's
        track("Product Viewed", minutes(6), anon="m-1", product_id="P4"),
        message("group", minutes(7), user="null", anon="undefined", groupId="g-1"),
    )
    assert jobs.resolve_identities(db, batch=100) == 7
    assert jobs.resolve_identities(db, batch=100) == 0
    survivor = owner(db, "u-1")
    with db.read() as conn:
        merges = conn.execute(select(identity_merges.c.survivor, identity_merges.c.reason)).all()
    assert [(m.survivor, m.reason) for m in merges] == [(survivor, "shared identifiers")]
    assert event_profiles(db) == [
        ("Product Viewed", survivor, True),
        ("Product Viewed", survivor, True),
        ("Product Viewed", survivor, True),
        ("identify", survivor, True),
        ("identify", survivor, True),
        ("Product Viewed", survivor, True),
        ("group", None, True),  # only blocked values: resolved, attached to nobody
    ]
    body = service.get_profile(db, survivor)
    assert (body["first_seen_at"], body["last_seen_at"]) == (minutes(1), minutes(6))
    panel = service.get_continuity(db, survivor)
    assert [v["product_id"] for v in panel["recently_viewed"]] == ["P4", "P3", "P2", "P1"]


def test_small_batches_give_the_same_result(db: Database, keys: dict[str, str]) -> None:
    send(
        db,
        keys["app"],
        *[track("Product Viewed", minutes(n), anon=f"a-{n % 3}", product_id=f"P{n}") for n in range(9)],
        *[identify(minutes(10 + n), anon=f"a-{n}", user="u-9", email="Nove@Example.it") for n in range(3)],
    )
    assert jobs.resolve_all_identities(db, batch=2) == 12
    profiles = {p for _, p, _ in event_profiles(db)}
    assert len(profiles) == 1
    [profile_id] = profiles
    assert profile_id is not None
    assert [(i["kind"], i["value"]) for i in service.get_profile(db, profile_id)["identifiers"]] == [
        ("anonymous_id", "a-0"),
        ("anonymous_id", "a-1"),
        ("anonymous_id", "a-2"),
        ("email", "nove@example.it"),
        ("user_id", "u-9"),
    ]


def test_alias_joins_the_previous_id_to_the_user(db: Database, keys: dict[str, str]) -> None:
    send(
        db,
        keys["web"],
        track("Product Viewed", minutes(1), anon="old-anon", product_id="P1"),
        message("alias", minutes(2), user="u-new", previousId="old-anon"),
        identify(minutes(3), user="legacy-7", email="l@x.it"),
        identify(minutes(4), user="crm-7"),
        message("alias", minutes(5), user="crm-7", previousId="legacy-7"),
    )
    jobs.resolve_all_identities(db)
    assert owner(db, "u-new") == owner(db, "old-anon")
    assert owner(db, "legacy-7") == owner(db, "crm-7") != owner(db, "u-new")
    with db.read() as conn:
        reasons = [r for (r,) in conn.execute(select(identity_merges.c.reason))]
    assert reasons == ["alias"]


def test_opening_an_e_ticket_joins_the_browser_to_the_buyer(db: Database, keys: dict[str, str]) -> None:
    make_variants(db, "SKU-1")
    make_location(db, "MI-01")
    with db.write() as conn:
        buyer = service.find_or_create_profile(conn, {"loyalty_card": "LC-1"}, {}, "pos")
    add_order(
        db,
        buyer,
        order_id="ord_pos",
        channel="store",
        store="MI-01",
        lines=[("SKU-1", 1, 1_000)],
        at=minutes(0),
    )
    with db.write() as conn:
        order_pk = conn.execute(select(orders.c.id).where(orders.c.order_id == "ord_pos")).scalar_one()
        conn.execute(etickets.insert().values(code="ABCD2345", order_id=order_pk, issued_at=minutes(0)))
    send(
        db,
        keys["web"],
        track("E-ticket Opened", minutes(5), anon="phone-browser", code="abcd 2345"),
        track("Product Viewed", minutes(6), anon="phone-browser", product_id="P7"),
    )
    jobs.resolve_all_identities(db)
    assert [p for _, p, _ in event_profiles(db)] == [buyer, buyer]
    assert [(i["kind"], i["value"]) for i in service.get_profile(db, buyer)["identifiers"]] == [
        ("anonymous_id", "phone-browser"),
        ("loyalty_card", "LC-1"),
        ("receipt_code", "ABCD2345"),
    ]


def test_the_computed_traits_cache_is_refreshed_and_invalidated_by_orders(
    db: Database, keys: dict[str, str]
) -> None:
    make_variants(db, "SKU-1")
    send(db, keys["web"], identify(minutes(1), user="u-1"))
    jobs.resolve_all_identities(db)
    with db.read() as conn:
        profile_id = conn.execute(select(customer_profiles.c.profile_id)).scalar_one()
    assert service.refresh_computed_traits(db) == 1
    assert service.refresh_computed_traits(db) == 0
    add_order(db, profile_id, order_id="ord_1", channel="web", lines=[("SKU-1", 2, 1_500)], at=minutes(2))
    subscribers = Subscribers()
    jobs.subscribe(subscribers, db)
    handler = subscribers.get("customers.computed_traits")
    assert handler is not None
    event = DomainEvent("order.placed", "order", "ord_1", {"order_id": "ord_1", "customer_id": profile_id})
    with db.write() as conn:
        handler(
            conn,
            OutboxEvent(
                1, "evt_1", event.type, event.aggregate_type, event.aggregate_id, event.payload, minutes(2)
            ),
        )
    assert service.refresh_computed_traits(db) == 1
    with db.read() as conn:
        cached = conn.execute(select(customer_profiles.c.computed)).scalar_one()
    assert (cached["order_count"], cached["total_spend"], cached["last_order_at"]) == (
        1,
        3_000,
        minutes(2).isoformat(),
    )
    assert [name for name, _ in jobs.PERIODIC_JOBS] == ["resolve_identities", "refresh_computed_traits"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)  # SQLite has one writer anyway
def test_one_worker_resolves_at_a_time_on_postgresql(
    db: Database, backend: str, keys: dict[str, str]
) -> None:
    """While another worker holds the resolution lock, a worker leaves the queue to it."""
    send(db, keys["web"], track("Product Viewed", minutes(1), anon="w-9", product_id="P1"))
    with db.write() as other:
        other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": RESOLUTION_LOCK})
        assert jobs.resolve_identities(db) == 0
        assert [resolved for _, _, resolved in event_profiles(db)] == [False]
    assert jobs.resolve_identities(db) == 1
    assert [resolved for _, _, resolved in event_profiles(db)] == [True]
