"""The coherence audit reports an unjustified store price (pushed by a till without a reason),
stays quiet about justified differences, and announces each finding once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.pricing_support import RUN42, T0, TEE, create_promotion, make_pricing_catalog
from unico.access.model import SYSTEM
from unico.core import clock
from unico.core.clock import FrozenClock
from unico.core.db import Database
from unico.core.events import outbox_events
from unico.pricing import jobs, service
from unico.pricing.model import PriceOverride
from unico.pricing.store import price_audits


@pytest.fixture
def catalog(db: Database) -> Iterator[FrozenClock]:
    frozen = FrozenClock(T0)
    clock.set_clock(frozen)
    make_pricing_catalog(db)
    yield frozen
    clock.reset_clock()


def _events(db: Database) -> list[dict[str, object]]:
    with db.read() as conn:
        return [
            dict(p)
            for p in conn.execute(
                select(outbox_events.c.payload)
                .where(outbox_events.c.type == "pricing.incoherence_detected")
                .order_by(outbox_events.c.id)
            ).scalars()
        ]


def _justified_override(db: Database) -> str:
    override = PriceOverride(
        override_id="", sku=RUN42, amount=8990, reason="Store closing-down sale", store="MI-02"
    )
    return service.create_override(db, override, SYSTEM).override_id


def test_unjustified_store_price_is_reported_and_justified_one_is_not(
    catalog: FrozenClock, db: Database
) -> None:
    justified = _justified_override(db)
    with db.write() as conn:
        pushed = service.record_store_price_in(conn, TEE, "MI-01", 2290, "pos_sync")

    report = service.audit_coherence(db, emit=False)

    assert [(f.sku, f.store, f.rule, f.justified) for f in report.findings] == [
        (TEE, "MI-01", pushed, False),
        (RUN42, "MI-02", justified, True),
    ]
    [bad] = report.unjustified
    assert (bad.effective_price, bad.list_price, bad.reference_price, bad.difference) == (
        2290,
        2500,
        2500,
        -210,
    )
    assert (bad.cause, bad.source, bad.reason, bad.channel) == ("override", "pos_sync", None, None)
    assert report.findings[1].reason == "Store closing-down sale"
    assert _events(db) == []  # reading the report records nothing


def test_each_unjustified_finding_is_announced_once(catalog: FrozenClock, db: Database) -> None:
    _justified_override(db)
    with db.write() as conn:
        service.record_store_price_in(conn, TEE, "MI-01", 2290, "pos_sync")

    first = service.audit_coherence(db)
    again = service.audit_coherence(db)

    assert (first.new_findings, again.new_findings) == (1, 0)
    [event] = _events(db)
    assert (event["sku"], event["store"], event["effective_price"], event["difference"], event["source"]) == (
        TEE,
        "MI-01",
        2290,
        -210,
        "pos_sync",
    )
    with db.read() as conn:
        assert conn.execute(select(price_audits.c.sku, price_audits.c.store)).all() == [(TEE, "MI-01")]

    # A new price pushed later is a new finding (the old store price has ended).
    catalog.advance(minutes=5)
    with db.write() as conn:
        service.record_store_price_in(conn, TEE, "MI-01", 2190, "pos_sync")
    assert service.audit_coherence(db).new_findings == 1
    assert [e["effective_price"] for e in _events(db)] == [2290, 2190]
    assert [f.effective_price for f in service.audit_coherence(db, emit=False).unjustified] == [2190]


def test_a_store_price_pushed_with_a_reason_is_justified(catalog: FrozenClock, db: Database) -> None:
    with db.write() as conn:
        service.record_store_price_in(conn, TEE, "MI-01", 2290, "import", reason="Regional price list")
    report = service.audit_coherence(db)
    assert [(f.sku, f.justified, f.source) for f in report.findings] == [(TEE, True, "import")]
    assert _events(db) == []


def test_a_channel_promotion_is_an_explicit_justified_difference(catalog: FrozenClock, db: Database) -> None:
    create_promotion(db, code="APP15", percent_bp=1500, channels=["app"], target={"skus": [RUN42]})
    create_promotion(db, code="ALL10", percent_bp=1000, target={"skus": [TEE]})  # the same everywhere

    [finding] = service.audit_coherence(db).findings

    assert (finding.sku, finding.channel, finding.store, finding.cause, finding.rule) == (
        RUN42,
        "app",
        None,
        "promotion",
        "APP15",
    )
    assert (finding.effective_price, finding.difference, finding.justified) == (8492, -1498, True)
    assert _events(db) == []


def test_audit_at_a_moment_sees_the_rules_valid_then(catalog: FrozenClock, db: Database) -> None:
    override = PriceOverride(
        override_id="",
        sku=TEE,
        amount=1990,
        reason="Black Friday in store",
        store="MI-01",
        valid_from=T0 + timedelta(days=7),
        valid_to=T0 + timedelta(days=8),
    )
    service.create_override(db, override, SYSTEM)
    assert service.audit_coherence(db, emit=False).findings == ()
    later = service.audit_coherence(db, T0 + timedelta(days=7, hours=1), emit=False)
    assert [(f.sku, f.justified) for f in later.findings] == [(TEE, True)]


def test_periodic_job_audits_at_most_hourly(catalog: FrozenClock, db: Database) -> None:
    jobs._last_audit.pop(db.url, None)
    with db.write() as conn:
        service.record_store_price_in(conn, TEE, "MI-01", 2290, "pos_sync")
    assert jobs.audit_coherence_hourly(db) == 1
    with db.write() as conn:
        service.record_store_price_in(conn, RUN42, "MI-01", 9490, "pos_sync")
    assert jobs.audit_coherence_hourly(db) == 0  # within the hour: not run
    catalog.advance(hours=1)
    assert jobs.audit_coherence_hourly(db) == 1
    assert len(_events(db)) == 2
