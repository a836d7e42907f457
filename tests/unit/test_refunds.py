"""Refunds from what was paid: exact cents, whatever way a line's units come back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unico.fulfillment.etickets import CODE_ALPHABET, CODE_LENGTH, new_code, normalise_code
from unico.fulfillment.refunds import LineToRefund, RefundLine, refund_for_units, settle, unit_paid_floor


def test_a_whole_line_refunds_exactly_what_was_paid() -> None:
    assert refund_for_units(8091, 1, 0, 1) == 8091
    assert refund_for_units(10000, 3, 0, 3) == 10000


def test_units_of_a_discounted_line_split_the_paid_amount_to_the_cent() -> None:
    # 3 units at 33.34 with a 0.02 discount allocated: paid 100.00 for three units.
    assert [refund_for_units(10000, 3, i, 1) for i in range(3)] == [3333, 3333, 3334]
    assert refund_for_units(10000, 3, 0, 2) == 6666
    assert refund_for_units(10000, 3, 2, 1) == 3334


def test_a_free_line_refunds_nothing() -> None:
    assert refund_for_units(0, 2, 0, 2) == 0


@pytest.mark.parametrize(
    ("quantity", "already", "returning"), [(0, 0, 0), (2, 0, 3), (2, 2, 1), (2, -1, 1), (2, 0, -1)]
)
def test_impossible_unit_counts_are_refused(quantity: int, already: int, returning: int) -> None:
    with pytest.raises(ValueError):
        refund_for_units(1000, quantity, already, returning)


def test_negative_paid_is_refused() -> None:
    with pytest.raises(ValueError):
        refund_for_units(-1, 1, 0, 1)


@given(
    paid=st.integers(min_value=0, max_value=10**9),
    parts=st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=12),
)
def test_refunds_of_all_units_in_any_grouping_sum_to_paid(paid: int, parts: list[int]) -> None:
    quantity = sum(parts)
    returned, total = 0, 0
    for part in parts:
        amount = refund_for_units(paid, quantity, returned, part)
        assert amount >= 0
        # No group is refunded more than its units' fair share rounded up.
        assert amount * quantity <= paid * part + quantity
        returned += part
        total += amount
    assert total == paid


@given(
    paid=st.integers(min_value=0, max_value=10**7),
    quantity=st.integers(min_value=1, max_value=50),
    data=st.data(),
)
def test_a_refund_does_not_depend_on_earlier_groupings(paid: int, quantity: int, data: st.DataObject) -> None:
    already = data.draw(st.integers(min_value=0, max_value=quantity - 1))
    returning = data.draw(st.integers(min_value=1, max_value=quantity - already))
    one_by_one = sum(refund_for_units(paid, quantity, already + i, 1) for i in range(returning))
    assert refund_for_units(paid, quantity, already, returning) == one_by_one


def test_settle_without_exchange_refunds_the_gross() -> None:
    result = settle(
        [LineToRefund(1, 2, 17980, 0, 1), LineToRefund(2, 1, 4500, 0, 1)],
    )
    assert result.lines == (RefundLine(1, 1, 8990), RefundLine(2, 1, 4500))
    assert (result.gross_minor, result.exchange_minor, result.refund_minor, result.balance_due_minor) == (
        13490,
        0,
        13490,
        0,
    )


def test_settle_with_a_cheaper_exchange_refunds_the_difference() -> None:
    result = settle([LineToRefund(1, 1, 8091, 0, 1)], exchange_minor=5990)
    assert (result.gross_minor, result.refund_minor, result.balance_due_minor) == (8091, 2101, 0)


def test_settle_with_a_dearer_exchange_leaves_a_balance_to_pay() -> None:
    result = settle([LineToRefund(1, 1, 8091, 0, 1)], exchange_minor=9990)
    assert (result.gross_minor, result.refund_minor, result.balance_due_minor) == (8091, 0, 1899)


def test_a_swap_is_priced_at_the_least_a_unit_was_paid() -> None:
    assert unit_paid_floor(10000, 3) == 3333
    assert unit_paid_floor(8091, 1) == 8091


def test_eticket_codes_are_short_unambiguous_and_random() -> None:
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(CODE_ALPHABET)
    assert not set("0O1I") & set(CODE_ALPHABET)
    assert len(CODE_ALPHABET) == 32
    assert normalise_code(" abcd-2345 ") == "ABCD2345"
