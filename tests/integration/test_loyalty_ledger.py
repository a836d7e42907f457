"""The points ledger on SQLite and PostgreSQL: the balance always equals the sum of the postings,
a source is posted once, unbalanced or overdrawing postings record nothing."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.loyalty_support import enrolled, ledger_counts, problems
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.loyalty.ledger import balance_in, bucket_sums_in, post_in
from unico.loyalty.model import (
    ADJUSTED,
    AVAILABLE,
    EXPIRED,
    ISSUED,
    PENDING,
    REDEEMED,
    Balance,
    Leg,
    PostingKind,
    Source,
)

# What each operation moves: (kind, legs for n points, allow_negative).
OPERATIONS = {
    "earn_pending": (PostingKind.EARN, lambda n: [Leg(ISSUED, -n), Leg(PENDING, n)], False),
    "earn_available": (PostingKind.EARN, lambda n: [Leg(ISSUED, -n), Leg(AVAILABLE, n)], False),
    "mature": (PostingKind.MATURE, lambda n: [Leg(PENDING, -n), Leg(AVAILABLE, n)], False),
    "redeem": (PostingKind.REDEEM, lambda n: [Leg(AVAILABLE, -n), Leg(REDEEMED, n)], False),
    "expire": (PostingKind.EXPIRE, lambda n: [Leg(AVAILABLE, -n), Leg(EXPIRED, n)], False),
    "adjust_up": (PostingKind.ADJUST, lambda n: [Leg(AVAILABLE, n), Leg(ADJUSTED, -n)], False),
    "adjust_down": (PostingKind.ADJUST, lambda n: [Leg(AVAILABLE, -n), Leg(ADJUSTED, n)], False),
    "reverse": (PostingKind.REVERSE, lambda n: [Leg(AVAILABLE, -n), Leg(ISSUED, n)], True),
}

_refs = itertools.count()


def _post(db: Database, account_id: str, op: str, points: int, ref: str) -> str | None:
    kind, legs, allow_negative = OPERATIONS[op]
    with db.write() as conn:
        return post_in(
            conn,
            account_id,
            kind,
            Source("test", ref),
            legs(points),
            actor="test",
            allow_negative=allow_negative,
        )


def _balance(db: Database, account_id: str) -> Balance:
    with db.read() as conn:
        return balance_in(conn, account_id)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(sorted(OPERATIONS)), st.integers(1, 500), st.booleans()),
        min_size=1,
        max_size=25,
    )
)
def test_balance_equals_the_sum_of_postings_whatever_the_sequence(
    db: Database, steps: list[tuple[str, int, bool]]
) -> None:
    account_id = enrolled(db, f"p{next(_refs)}@example.it")
    available = pending = earned = 0
    posted: list[tuple[str, int, str]] = []
    for op, points, replay in steps:
        if replay and posted:
            before = ledger_counts(db)
            assert _post(db, account_id, *posted[-1]) is None  # the same source again: nothing
            assert ledger_counts(db) == before
            continue
        ref = f"r{next(_refs)}"
        d_available = sum(leg.points for leg in OPERATIONS[op][1](points) if leg.bucket == AVAILABLE)
        d_pending = sum(leg.points for leg in OPERATIONS[op][1](points) if leg.bucket == PENDING)
        overdraws = not OPERATIONS[op][2] and (
            (d_available < 0 and available + d_available < 0) or (d_pending < 0 and pending + d_pending < 0)
        )
        if overdraws:
            before = ledger_counts(db)
            with pytest.raises(Conflict) as refused:
                _post(db, account_id, op, points, ref)
            assert refused.value.code == "loyalty.insufficient_points"
            assert ledger_counts(db) == before
        else:
            assert _post(db, account_id, op, points, ref) is not None
            posted.append((op, points, ref))
            available += d_available
            pending += d_pending
            earned -= sum(leg.points for leg in OPERATIONS[op][1](points) if leg.bucket == ISSUED)
        assert problems(db, account_id) == []
        assert _balance(db, account_id) == Balance(available, pending, earned, "base")
    with db.read() as conn:
        sums = bucket_sums_in(conn, account_id)
    assert sum(sums.values()) == 0
    assert sums.get(AVAILABLE, 0) == available and sums.get(PENDING, 0) == pending


def test_replaying_the_same_source_changes_nothing(db: Database) -> None:
    account_id = enrolled(db)
    first = _post(db, account_id, "earn_available", 120, "receipt-1")
    before = ledger_counts(db)

    again = _post(db, account_id, "earn_available", 120, "receipt-1")
    different_points = _post(db, account_id, "earn_available", 999, "receipt-1")

    assert first is not None and first.startswith("ltx_")
    assert again is None and different_points is None
    assert ledger_counts(db) == before
    assert _balance(db, account_id) == Balance(120, 0, 120, "base")


@pytest.mark.parametrize(
    ("legs", "code"),
    [
        ([Leg(ISSUED, -100), Leg(AVAILABLE, 99)], "loyalty.unbalanced_posting"),
        ([Leg(AVAILABLE, 50)], "loyalty.unbalanced_posting"),
        ([], "loyalty.bad_posting"),
        ([Leg(AVAILABLE, 10), Leg(AVAILABLE, -10)], "loyalty.bad_posting"),
        ([Leg("wallet", -10), Leg(AVAILABLE, 10)], "loyalty.bad_posting"),
    ],
)
def test_legs_that_do_not_balance_are_refused_and_nothing_is_recorded(
    db: Database, legs: list[Leg], code: str
) -> None:
    account_id = enrolled(db, points=200)
    before = ledger_counts(db)

    with pytest.raises(ValidationFailed) as refused, db.write() as conn:
        post_in(conn, account_id, PostingKind.ADJUST, Source("test", "bad"), legs, actor="test")

    assert refused.value.code == code
    assert refused.value.details["field"] == "legs"
    assert ledger_counts(db) == before
    assert _balance(db, account_id).available == 200


def test_a_debit_larger_than_the_balance_is_refused_with_the_figures(db: Database) -> None:
    account_id = enrolled(db, points=300)
    before = ledger_counts(db)

    with pytest.raises(Conflict) as refused:
        _post(db, account_id, "redeem", 301, "too-much")

    assert refused.value.code == "loyalty.insufficient_points"
    assert refused.value.details == {
        "account_id": account_id,
        "bucket": "available",
        "available": 300,
        "requested": 301,
    }
    assert ledger_counts(db) == before
    assert problems(db, account_id) == []


def test_a_return_may_take_back_points_already_spent(db: Database) -> None:
    account_id = enrolled(db, points=100)
    _post(db, account_id, "redeem", 80, "spent")

    _post(db, account_id, "reverse", 100, "returned")

    assert _balance(db, account_id) == Balance(-80, 0, 0, "base")
    assert problems(db, account_id) == []


def test_unknown_account_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound) as missing:
        _post(db, "LA-NOPE", "earn_available", 10, "x")
    assert missing.value.code == "loyalty.account_not_found"
