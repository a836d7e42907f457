"""The loyalty program on both databases: receipts replayed by an offline till count once, orders
earn pending points through the worker, returns take them back exactly, points mature after the
return window. (Tiers, expiry, actions and the program's rules: test_loyalty_program_tiers.py.)"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.loyalty_program_support import (
    BAG,
    RUN,
    balance,
    complete_order,
    give_back,
    kinds_of,
    ledger_rows,
    make_member,
    make_program_network,
    receipt,
    shipped,
    tick,
)
from unico.access.model import SYSTEM, Principal, Role
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, PermissionDenied, UnicoError, ValidationFailed
from unico.loyalty import maturity
from unico.loyalty.ledger import post_in
from unico.loyalty.model import AVAILABLE, REDEEMED, Leg, PostingKind, Source
from unico.loyalty.purchases import earn_for_order_in, reverse_return_in
from unico.loyalty.receipts import (
    ReceiptLine,
    ReceiptReturn,
    ReceiptReturnResult,
    ReturnedLine,
    record_receipt,
    record_receipt_return,
    record_receipts,
)
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


# --- receipts ---------------------------------------------------------------------------------


def test_replaying_receipts_twice_changes_nothing(network: Database) -> None:
    member = make_member(network, card="LC004200")
    sale = receipt("MI01-T1-0001", ReceiptLine(RUN, 1, 8999), ReceiptLine(BAG, 2, 5050), card="lc 0042 00")
    first = record_receipt(network, sale, SYSTEM)
    assert (first.status, first.account_id, first.points) == ("recorded", member.account_id, 139)
    assert first.explanation_en == "139 points: 1 point(s) per € on €140.49 (BASE)"
    rows = ledger_rows(network)

    again = record_receipt(network, sale, SYSTEM)

    assert (again.status, again.points, again.txn_id) == ("already_recorded", 139, first.txn_id)
    assert ledger_rows(network) == rows
    other = receipt("MI01-T1-0002", ReceiptLine(RUN, 1, 10_000), customer_id=member.customer_id)
    batch = record_receipts(network, [sale, other, other], SYSTEM)
    assert [(r.receipt_id, r.status, r.points) for r in batch] == [
        ("MI01-T1-0001", "already_recorded", 139),
        ("MI01-T1-0002", "recorded", 100),
        ("MI01-T1-0002", "already_recorded", 100),
    ]
    rows = ledger_rows(network)
    assert [r.status for r in record_receipts(network, [other, sale], SYSTEM)] == ["already_recorded"] * 2
    assert ledger_rows(network) == rows
    assert balance(network, member.account_id) == (0, 239, 239, "base")
    assert kinds_of(network, member.account_id) == [("earn", "receipt", 139), ("earn", "receipt", 100)]


def test_tills_replaying_overlapping_batches_at_once_count_each_receipt_once(network: Database) -> None:
    anna, bruno = make_member(network), make_member(network, "bruno@example.it")
    sales = [
        receipt(f"R-{i}", ReceiptLine(RUN, 1, 1000 * i), customer_id=(anna if i % 2 else bruno).customer_id)
        for i in range(1, 7)
    ]
    batches = [sales, list(reversed(sales)), sales[2:] + sales[:2], sales[::2] + sales[1::2]] * 2

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda batch: record_receipts(network, batch, SYSTEM), batches))

    recorded = [r.receipt_id for results in outcomes for r in results if r.status == "recorded"]
    assert sorted(recorded) == [f"R-{i}" for i in range(1, 7)]
    assert balance(network, anna.account_id) == (0, 90, 90, "base")  # 10 + 30 + 50
    assert balance(network, bruno.account_id) == (0, 120, 120, "base")  # 20 + 40 + 60


def test_a_receipt_id_reused_for_another_sale_is_refused(network: Database) -> None:
    member = make_member(network)
    record_receipt(network, receipt("R-1", ReceiptLine(RUN, 1, 8999), customer_id=member.customer_id), SYSTEM)
    rows = ledger_rows(network)
    with pytest.raises(Conflict) as caught:
        record_receipt(
            network, receipt("R-1", ReceiptLine(RUN, 2, 17998), customer_id=member.customer_id), SYSTEM
        )
    assert caught.value.code == "loyalty.receipt_mismatch"
    assert ledger_rows(network) == rows


@pytest.mark.parametrize(
    ("change", "error", "code", "field"),
    [
        ({"card": "LC999999", "customer_id": None}, NotFound, "loyalty.card_unknown", None),
        ({"customer_id": "cus_nobody"}, NotFound, "loyalty.not_enrolled", None),
        ({"store": "XX-99"}, NotFound, "loyalty.unknown_store", None),
        ({"lines": (ReceiptLine("NOPE-1", 1, 100),)}, NotFound, "loyalty.unknown_sku", None),
        (
            {"lines": (ReceiptLine(RUN, 1, -1),)},
            ValidationFailed,
            "loyalty.receipt_invalid",
            "lines[0].net_minor",
        ),
        (
            {"lines": (ReceiptLine(RUN, 0, 100),)},
            ValidationFailed,
            "loyalty.receipt_invalid",
            "lines[0].quantity",
        ),
        ({"lines": ()}, ValidationFailed, "loyalty.receipt_invalid", "lines"),
        ({"at": T0 + timedelta(days=1)}, ValidationFailed, "loyalty.receipt_invalid", "at"),
        ({"card": "LC004200"}, ValidationFailed, "loyalty.receipt_invalid", "card"),
    ],
)
def test_bad_receipts_record_nothing(
    network: Database,
    frozen: clock.FrozenClock,
    change: dict[str, object],
    error: type[UnicoError],
    code: str,
    field: str | None,
) -> None:
    member = make_member(network, card="LC004200")
    good = receipt("R-GOOD", ReceiptLine(RUN, 1, 5000), customer_id=member.customer_id)
    bad = replace(receipt("R-BAD", ReceiptLine(RUN, 1, 5000), customer_id=member.customer_id), **change)  # type: ignore[arg-type]
    rows = ledger_rows(network)
    for attempt in ([bad], [good, bad]):
        with pytest.raises(error) as caught:
            record_receipts(network, attempt, SYSTEM)
        assert caught.value.code == code
        if field:
            assert caught.value.details["field"].endswith(field)
    assert ledger_rows(network) == rows


def test_an_associate_records_receipts_of_their_own_store_only(network: Database) -> None:
    member = make_member(network)
    associate = Principal("api_key", "till", Role.STORE_ASSOCIATE, store_id=2, store_code="MI-02")
    with pytest.raises(PermissionDenied) as caught:
        record_receipt(
            network, receipt("R-1", ReceiptLine(RUN, 1, 100), customer_id=member.customer_id), associate
        )
    assert caught.value.code == "auth.other_store"
    own = receipt("R-2", ReceiptLine(RUN, 1, 1000), customer_id=member.customer_id, store="MI-02")
    assert record_receipt(network, own, associate).points == 10


def test_goods_of_a_receipt_returned_at_the_till_take_back_their_share_once(network: Database) -> None:
    member = make_member(network)
    sale = receipt(
        "R-1", ReceiptLine(RUN, 3, 9000), ReceiptLine(BAG, 1, 1999), customer_id=member.customer_id
    )
    assert record_receipt(network, sale, SYSTEM).points == 109

    def give(return_id: str, *lines: tuple[int, int], receipt_id: str = "R-1") -> ReceiptReturnResult:
        back = ReceiptReturn(return_id, receipt_id, "MI-01", tuple(ReturnedLine(n, q) for n, q in lines))
        return record_receipt_return(network, back, SYSTEM)

    first = give("RET-1", (1, 2))
    assert (first.status, first.points) == ("recorded", 60)
    assert (give("RET-1", (1, 2)).status, give("RET-1", (1, 2)).points) == ("already_recorded", 60)
    rows = ledger_rows(network)
    for attempt, code, field in (
        (lambda: give("RET-2", (1, 2)), "loyalty.receipt_return_invalid", "lines[0].quantity"),
        (lambda: give("RET-2", (5, 1)), "loyalty.receipt_return_invalid", "lines[0].line_no"),
        (lambda: give("RET-2", (1, 1), receipt_id="R-404"), "loyalty.receipt_unknown", None),
    ):
        with pytest.raises(UnicoError) as caught:
            attempt()
        assert (caught.value.code, caught.value.details.get("field")) == (code, field)
    assert ledger_rows(network) == rows
    assert give("RET-2", (1, 1), (2, 1)).points == 49
    assert balance(network, member.account_id) == (0, 0, 0, "base")


# --- orders, returns, maturity ----------------------------------------------------------------


def test_completed_order_earns_pending_points_and_returns_take_them_back_exactly(
    network: Database, frozen: clock.FrozenClock, settings: Settings
) -> None:
    member = make_member(network)
    complete_order(network, "ord_L1", member.customer_id, (shipped(RUN, 2, 8990), shipped(BAG, 1, 2500)))

    tick(network, settings)

    assert balance(network, member.account_id) == (0, 204, 204, "base")  # 179 + 25
    [lot] = maturity.pending_lots(network, member.account_id)
    assert (lot.source_kind, lot.source_ref, lot.points, lot.matures_at) == (
        "order",
        "ord_L1",
        204,
        T0 + timedelta(days=30),
    )
    tick(network, settings)
    with network.write() as conn:
        assert (
            earn_for_order_in(conn, "ord_L1", customer_id=member.customer_id, channel="web", store=None)
            is None
        )
    assert balance(network, member.account_id) == (0, 204, 204, "base")

    first = give_back(network, "ord_L1", 1, 1)
    tick(network, settings)
    assert balance(network, member.account_id) == (0, 115, 115, "base")  # 179 * 1 // 2 = 89 back
    with network.write() as conn:
        assert reverse_return_in(conn, first, "ord_L1", [{"line_no": 1, "quantity": 1}]) is None
    give_back(network, "ord_L1", 1, 1)
    tick(network, settings)
    assert balance(network, member.account_id) == (0, 25, 25, "base")  # the other 90

    frozen.advance(days=29, hours=23)
    tick(network, settings)
    assert balance(network, member.account_id) == (0, 25, 25, "base")
    frozen.advance(hours=1)
    tick(network, settings)
    assert balance(network, member.account_id) == (25, 0, 25, "base")
    assert maturity.pending_lots(network, member.account_id) == []

    with network.write() as conn:  # spent at the till meanwhile
        post_in(conn, member.account_id, PostingKind.REDEEM, Source("redemption", "till-1"),
                [Leg(AVAILABLE, -25), Leg(REDEEMED, 25)], actor="test")  # fmt: skip
    give_back(network, "ord_L1", 2, 1)
    tick(network, settings)
    assert balance(network, member.account_id) == (-25, 0, 0, "base")
    assert kinds_of(network, member.account_id) == [
        ("earn", "order", 204),
        ("reverse", "return", 89),
        ("reverse", "return", 90),
        ("mature", "mature", 25),
        ("redeem", "redemption", 25),
        ("reverse", "return", 25),
    ]


def test_units_returned_before_the_order_completes_earn_nothing(
    network: Database, frozen: clock.FrozenClock, settings: Settings
) -> None:
    member = make_member(network)
    complete_order(network, "ord_L2", member.customer_id, (shipped(RUN, 2, 8990), shipped(BAG, 1, 2500)))
    give_back(network, "ord_L2", 1, 1)  # before the worker delivered order.completed

    tick(network, settings)
    tick(network, settings)

    assert balance(network, member.account_id) == (0, 114, 114, "base")  # 89 + 25
    assert kinds_of(network, member.account_id) == [("earn", "order", 114)]


def test_orders_of_customers_without_an_account_earn_nothing(network: Database, settings: Settings) -> None:
    member = make_member(network)
    complete_order(network, "ord_G1", None, (shipped(RUN, 1, 8990),))
    rows = ledger_rows(network)
    tick(network, settings)
    assert ledger_rows(network)[:3] == rows[:3]
    assert maturity.mature_pending(network) == 0
    assert balance(network, member.account_id) == (0, 0, 0, "base")
