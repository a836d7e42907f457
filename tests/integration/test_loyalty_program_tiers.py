"""The loyalty program on both databases: tiers follow 12 months of earnings, inactive accounts
expire, actions pay once per customer where the rule says so, and program definitions are checked
before they are saved."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.loyalty_program_support import (
    BAG,
    RUN,
    balance,
    kinds_of,
    ledger_rows,
    make_member,
    make_program_network,
    receipt,
    tick,
)
from unico.access.model import SYSTEM
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, UnicoError, ValidationFailed
from unico.loyalty import actions, configuration, tiers
from unico.loyalty.program import DEFAULT_PROGRAM, RuleKind, Tier
from unico.loyalty.receipts import ReceiptLine, record_receipt
from unico.settings import Settings

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def network(db: Database) -> Database:
    make_program_network(db)
    return db


@pytest.fixture
def frozen() -> clock.FrozenClock:
    found = clock.FrozenClock(T0)
    clock.set_clock(found)
    return found


# --- tiers and expiry -------------------------------------------------------------------------


def test_tier_upgrade_then_downgrade_when_points_age_out(
    network: Database, frozen: clock.FrozenClock, settings: Settings
) -> None:
    member = make_member(network)
    record_receipt(
        network, receipt("R-1", ReceiptLine(RUN, 1, 50_000), customer_id=member.customer_id), SYSTEM
    )
    assert balance(network, member.account_id)[3] == "silver"
    progress = tiers.progress(network, member.account_id)
    assert (progress.earned_12m, progress.next_tier, progress.points_to_next) == (
        500,
        DEFAULT_PROGRAM.tiers[2],
        1000,
    )
    later = record_receipt(
        network, receipt("R-2", ReceiptLine(BAG, 1, 10_000), customer_id=member.customer_id), SYSTEM
    )
    assert later.points == 125  # silver earns 1.25x
    assert "Silver tier x1.25" in later.explanation_en

    frozen.advance(days=400)
    tick(network, settings)

    assert balance(network, member.account_id) == (625, 0, 625, "base")
    assert [
        (c.from_tier, c.to_tier, c.earned_12m, c.reason)
        for c in tiers.tier_changes(network, member.account_id)
    ] == [
        ("silver", "base", 0, "recompute"),
        ("base", "silver", 500, "earning"),
    ]
    assert tiers.recompute_tiers(network) == 0  # at most one full pass a day
    with network.read() as conn:
        gold = tiers.benefits_in(conn, "gold")
        assert gold is not None and (gold.free_delivery, gold.earn_multiplier_bp) == (True, 15_000)
        assert tiers.benefits_in(conn, None) is None


def test_points_expire_after_24_months_without_activity(
    network: Database, frozen: clock.FrozenClock, settings: Settings
) -> None:
    member = make_member(network)
    record_receipt(
        network, receipt("R-1", ReceiptLine(RUN, 1, 10_000), customer_id=member.customer_id), SYSTEM
    )
    frozen.advance(days=31)
    tick(network, settings)  # matured: the last activity
    assert balance(network, member.account_id) == (100, 0, 100, "base")
    frozen.advance(days=365 * 2 - 5)
    tick(network, settings)
    assert balance(network, member.account_id)[0] == 100
    frozen.advance(days=10)
    tick(network, settings)
    tick(network, settings)
    assert balance(network, member.account_id) == (0, 0, 100, "base")
    assert kinds_of(network, member.account_id)[-1] == ("expire", "expiry", 100)


# --- actions ----------------------------------------------------------------------------------


def test_actions_pay_once_per_customer_where_the_rule_says_so(network: Database) -> None:
    member = make_member(network)
    installed = actions.record_action(network, member.customer_id, "app_install", "device-1", SYSTEM)
    assert (installed.status, installed.points) == ("recorded", 100)
    again = actions.record_action(network, member.customer_id, "app_install", "device-1", SYSTEM)
    assert (again.status, again.txn_id) == ("already_recorded", installed.txn_id)
    rows = ledger_rows(network)
    with pytest.raises(Conflict) as caught:
        actions.record_action(network, member.customer_id, "app_install", "device-2", SYSTEM)
    assert caught.value.code == "loyalty.action_already_rewarded"
    for ref in ("rev-1", "rev-2", "rev-1"):
        actions.record_action(network, member.customer_id, "review", ref, SYSTEM)
    assert balance(network, member.account_id) == (140, 0, 140, "base")
    rows = ledger_rows(network)
    for args, code in (
        (("cus_nobody", "review", "r"), "loyalty.not_enrolled"),
        ((member.customer_id, "tweet", "r"), "loyalty.unknown_action"),
        ((member.customer_id, "review", " "), "loyalty.action_invalid"),
    ):
        with pytest.raises(UnicoError) as failed:
            actions.record_action(network, *args, SYSTEM)
        assert failed.value.code == code
    configuration.set_rules(
        network, [r for r in DEFAULT_PROGRAM.rules if r.kind is not RuleKind.ACTION], SYSTEM
    )
    with pytest.raises(ValidationFailed) as unrewarded:
        actions.record_action(network, member.customer_id, "newsletter", "n-1", SYSTEM)
    assert unrewarded.value.code == "loyalty.action_not_rewarded"
    assert ledger_rows(network)[:3] == rows[:3]


# --- program ----------------------------------------------------------------------------------


def test_default_program_round_trips_and_bad_definitions_change_nothing(network: Database) -> None:
    assert configuration.get_program(network) == DEFAULT_PROGRAM
    with network.write() as conn:
        assert configuration.ensure_default_program_in(conn) is True
        assert configuration.ensure_default_program_in(conn) is False
    assert configuration.get_program(network) == DEFAULT_PROGRAM
    base, silver, gold = DEFAULT_PROGRAM.tiers
    for bad, field in (
        ((base, gold, silver), "tiers[2].threshold"),
        ((base, replace(silver, earn_multiplier_bp=0)), "tiers[1].earn_multiplier_bp"),
        ((replace(base, threshold=10),), "tiers[0].threshold"),
        ((), "tiers"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            configuration.set_tiers(network, bad, SYSTEM)
        assert (caught.value.code, caught.value.details["field"]) == ("loyalty.program_invalid", field)
    per_euro, example = DEFAULT_PROGRAM.rules[:2]
    for rules, field in (
        ([replace(per_euro, channels=frozenset({"fax"}))], "rules[0].channels"),
        ([per_euro, replace(example, categories=frozenset({"nope"}))], "rules[1].categories"),
        ([per_euro, replace(example, multiplier_bp=None)], "rules[1].multiplier_bp"),
        ([per_euro, replace(example, code="BASE")], "rules[1].code"),
        ([per_euro, replace(example, valid_from=T0, valid_to=T0)], "rules[1].valid_to"),
    ):
        with pytest.raises(ValidationFailed) as refused:
            configuration.set_rules(network, rules, SYSTEM)
        assert (refused.value.code, refused.value.details["field"]) == ("loyalty.program_invalid", field)
    assert configuration.get_program(network) == DEFAULT_PROGRAM
    campaign = replace(DEFAULT_PROGRAM.rules[1], active=True)
    configuration.set_rules(network, [DEFAULT_PROGRAM.rules[0], campaign], SYSTEM)
    member = make_member(network)
    earned = record_receipt(
        network, receipt("R-1", ReceiptLine(RUN, 1, 8999), customer_id=member.customer_id), SYSTEM
    )
    assert earned.points == 179
    configuration.set_tiers(network, (base, Tier("vip", "VIP", "VIP", 100, 20_000, True)), SYSTEM)
    assert tiers.recompute_tiers(network) == 1
    assert tiers.tier_of(network, member.account_id) == Tier("vip", "VIP", "VIP", 100, 20_000, True)
