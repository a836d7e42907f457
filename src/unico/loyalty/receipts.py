"""POS receipts earn points, once: a till that was offline replays its receipts, and a receipt
already recorded (source ``("receipt", receipt_id)``) changes nothing the second time.

A receipt names the member by a card scanned at the till or by a customer id. A batch is one
unit of work: every receipt is checked first, and one bad receipt rejects the batch with nothing
recorded (the till fixes it and replays); duplicates inside a batch are ``already_recorded``.
The same receipt id sent with different content is refused (409 ``loyalty.receipt_mismatch``):
it means two tills share ids, and counting either silently would be wrong.

Goods of a receipt returned at a till (:func:`record_receipt_return`) take back their points,
pro rata to the units, as returns of orders do.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.access.model import Permission, Principal
from unico.catalog.queries import sku_category_codes_in
from unico.core import clock
from unico.core.clock import as_utc
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.inventory.store import locations
from unico.loyalty.accounts import account_by_card_in, normalise_card, store_of
from unico.loyalty.earning import PurchaseLine
from unico.loyalty.model import Source
from unico.loyalty.program_store import loyalty_earnings
from unico.loyalty.purchases import earn_for_purchase_in, member_account_in, reverse_in
from unico.loyalty.store import loyalty_accounts, loyalty_transactions

MAX_LINES = 500
MAX_BATCH = 500
CLOCK_SKEW = timedelta(minutes=10)  # a till's clock may run a little ahead
STORE_CHANNEL = "store"


@dataclass(frozen=True)
class ReceiptLine:
    sku: str
    quantity: int
    net_minor: int  # paid for the line, all units, VAT included, after discounts


@dataclass(frozen=True)
class Receipt:
    receipt_id: str
    store: str
    till: str
    lines: tuple[ReceiptLine, ...]
    at: datetime
    card: str | None = None
    customer_id: str | None = None


@dataclass(frozen=True)
class ReceiptResult:
    receipt_id: str
    status: str  # recorded | already_recorded
    account_id: str
    points: int
    txn_id: str | None
    explanation_en: str = ""
    explanation_it: str = ""


def _invalid(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code="loyalty.receipt_invalid", field=field)


def check_receipt(receipt: Receipt, now: datetime, at: str = "") -> None:
    """The receipt's shape: ids, one way to name the member, 1-500 lines with quantities >= 1
    and amounts >= 0, a time not in the future (422 ``loyalty.receipt_invalid`` with field)."""
    if not 1 <= len(receipt.receipt_id.strip()) <= 80:
        raise _invalid("a receipt id of 1-80 characters is required", f"{at}receipt_id")
    if not receipt.store.strip():
        raise _invalid("the receipt's store is required", f"{at}store")
    if bool(receipt.card) == bool(receipt.customer_id):
        raise _invalid("name the member by card or by customer_id (one of them)", f"{at}card")
    if not 1 <= len(receipt.lines) <= MAX_LINES:
        raise _invalid(f"a receipt has 1-{MAX_LINES} lines", f"{at}lines")
    for i, line in enumerate(receipt.lines):
        if not line.sku.strip():
            raise _invalid("every line needs a SKU", f"{at}lines[{i}].sku")
        if line.quantity < 1:
            raise _invalid("quantities are at least 1", f"{at}lines[{i}].quantity")
        if line.net_minor < 0:
            raise _invalid("line amounts are not negative", f"{at}lines[{i}].net_minor")
    if receipt.at.tzinfo is None or receipt.at > now + CLOCK_SKEW:
        raise _invalid("the receipt's time is in the future or has no time zone", f"{at}at")


def _digest(receipt: Receipt) -> str:
    """What identifies a receipt's content (the card as stored, the time in UTC)."""
    values = asdict(receipt)
    values["at"] = as_utc(receipt.at).isoformat()
    values["card"] = normalise_card(receipt.card) if receipt.card else None
    canonical = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _account(conn: Connection, receipt: Receipt) -> str:
    if receipt.card:
        found = account_by_card_in(conn, receipt.card)
        if found is None:
            raise NotFound(
                f"no active loyalty card {receipt.card}", code="loyalty.card_unknown", card=receipt.card
            )
        return found
    found = member_account_in(conn, receipt.customer_id)
    if found is None:
        raise NotFound(
            f"customer {receipt.customer_id} has no loyalty account",
            code="loyalty.not_enrolled",
            customer_id=receipt.customer_id,
        )
    return found


def _already(conn: Connection, receipt: Receipt, account_id: str) -> ReceiptResult | None:
    t = loyalty_transactions.c
    row = conn.execute(
        select(t.txn_id, t.detail).where(t.source_kind == "receipt", t.source_ref == receipt.receipt_id)
    ).first()
    if row is None:
        return None
    if row.detail.get("digest") != _digest(receipt):
        raise Conflict(
            f"receipt {receipt.receipt_id} was recorded with other content",
            code="loyalty.receipt_mismatch",
            receipt_id=receipt.receipt_id,
        )
    points = conn.execute(
        select(loyalty_earnings.c.points).where(loyalty_earnings.c.txn_id == row.txn_id)
    ).scalar_one_or_none()
    return ReceiptResult(
        receipt.receipt_id,
        "already_recorded",
        account_id,
        int(points or 0),
        str(row.txn_id),
        str(row.detail.get("explanation_en", "")),
        str(row.detail.get("explanation_it", "")),
    )


def record_receipts_in(
    conn: Connection, receipts: Sequence[Receipt], principal: Principal
) -> list[ReceiptResult]:
    """Record ``receipts`` in the caller's transaction; see the module docstring."""
    principal.require(Permission.LOYALTY_WRITE)
    if not 1 <= len(receipts) <= MAX_BATCH:
        raise _invalid(f"send 1-{MAX_BATCH} receipts", "receipts")
    now = clock.now()
    many = len(receipts) > 1
    for i, receipt in enumerate(receipts):
        check_receipt(receipt, now, f"receipts[{i}]." if many else "")
        store_of(principal, receipt.store)
    stores = {r.store for r in receipts}
    known = set(conn.execute(select(locations.c.code).where(locations.c.code.in_(stores))).scalars())
    for receipt in receipts:
        if receipt.store not in known:
            raise NotFound(f"no store {receipt.store}", code="loyalty.unknown_store", store=receipt.store)
    cats = sku_category_codes_in(conn, [line.sku for r in receipts for line in r.lines])
    for receipt in receipts:
        for line in receipt.lines:
            if line.sku not in cats:
                raise NotFound(f"unknown SKU {line.sku}", code="loyalty.unknown_sku", sku=line.sku)
    accounts = [_account(conn, r) for r in receipts]
    # Members' rows locked in one order first: two tills replaying overlapping batches then
    # queue instead of deadlocking between account rows and receipt ids.
    conn.execute(
        select(loyalty_accounts.c.id)
        .where(loyalty_accounts.c.account_id.in_(sorted(set(accounts))))
        .order_by(loyalty_accounts.c.id)
        .with_for_update()
    ).all()
    results: list[ReceiptResult] = []
    for receipt, account_id in zip(receipts, accounts, strict=True):
        seen = _already(conn, receipt, account_id)
        if seen is not None:
            results.append(seen)
            continue
        lines = [
            PurchaseLine(x.sku, cats[x.sku], x.net_minor, x.quantity, i + 1)
            for i, x in enumerate(receipt.lines)
        ]
        txn_id = earn_for_purchase_in(
            conn,
            account_id,
            Source("receipt", receipt.receipt_id),
            STORE_CHANNEL,
            receipt.store,
            lines,
            receipt.at,
            actor=principal.actor,
            detail={"receipt_id": receipt.receipt_id, "till": receipt.till, "digest": _digest(receipt)},
        )
        results.append(_recorded(conn, receipt, account_id, txn_id))
    return results


def _recorded(conn: Connection, receipt: Receipt, account_id: str, txn_id: str | None) -> ReceiptResult:
    if txn_id is None:
        seen = _already(conn, receipt, account_id)  # another till's replay committed it meanwhile
        if seen is not None:
            return seen
        return ReceiptResult(receipt.receipt_id, "recorded", account_id, 0, None)  # earns nothing
    t = loyalty_transactions.c
    row = conn.execute(select(t.points, t.detail).where(t.txn_id == txn_id)).one()
    return ReceiptResult(
        receipt.receipt_id,
        "recorded",
        account_id,
        int(row.points),
        txn_id,
        str(row.detail.get("explanation_en", "")),
        str(row.detail.get("explanation_it", "")),
    )


def record_receipt(db: Database, receipt: Receipt, principal: Principal) -> ReceiptResult:
    """Record one POS receipt's points (pending until the return window closes); idempotent."""
    with db.write() as conn:
        return record_receipts_in(conn, [receipt], principal)[0]


def record_receipts(db: Database, receipts: Sequence[Receipt], principal: Principal) -> list[ReceiptResult]:
    """Record a till's replay of many receipts in one unit of work; per receipt ``recorded`` or
    ``already_recorded``."""
    with db.write() as conn:
        return record_receipts_in(conn, receipts, principal)


# --- returns at the till ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnedLine:
    line_no: int  # the receipt line's position, 1-based
    quantity: int


@dataclass(frozen=True)
class ReceiptReturn:
    """Goods of a POS receipt brought back to a till; ``return_id`` is the till's idempotency key."""

    return_id: str
    receipt_id: str
    store: str
    lines: tuple[ReturnedLine, ...]


@dataclass(frozen=True)
class ReceiptReturnResult:
    return_id: str
    status: str  # recorded | already_recorded
    account_id: str
    points: int  # taken back
    txn_id: str | None


def _bad_return(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code="loyalty.receipt_return_invalid", field=field)


def record_receipt_return(db: Database, returned: ReceiptReturn, principal: Principal) -> ReceiptReturnResult:
    """Take back the points of a receipt's returned units (pending first, then available), once
    per ``return_id``. 404 ``loyalty.receipt_unknown`` if the receipt earned no points; 422
    ``loyalty.receipt_return_invalid`` for a line the receipt does not have or more units than
    are left of it."""
    principal.require(Permission.LOYALTY_WRITE)
    store_of(principal, returned.store)
    if not 1 <= len(returned.return_id.strip()) <= 80:
        raise _bad_return("a return id of 1-80 characters is required", "return_id")
    if not 1 <= len(returned.lines) <= MAX_LINES:
        raise _bad_return(f"a return has 1-{MAX_LINES} lines", "lines")
    source = Source("receipt_return", returned.return_id)
    with db.write() as conn:
        e = loyalty_earnings.c
        earning = conn.execute(
            select(e.account_id, e.lines, e.returned).where(
                e.source_kind == "receipt", e.source_ref == returned.receipt_id
            )
        ).first()
        if earning is None:
            raise NotFound(
                f"no points were recorded for receipt {returned.receipt_id}",
                code="loyalty.receipt_unknown",
                receipt_id=returned.receipt_id,
            )
        t = loyalty_transactions.c
        done = conn.execute(
            select(t.txn_id, t.points).where(t.source_kind == source.kind, t.source_ref == source.ref)
        ).first()
        if done is not None or returned.return_id in earning.returned.get("returns", []):
            points, txn = (0, None) if done is None else (int(done.points), str(done.txn_id))
            return ReceiptReturnResult(
                returned.return_id, "already_recorded", earning.account_id, points, txn
            )
        sold = {int(x["line_no"]): int(x["quantity"]) for x in earning.lines}
        back = earning.returned.get("lines", {})
        for i, line in enumerate(returned.lines):
            if line.line_no not in sold:
                raise _bad_return(f"receipt line {line.line_no} does not exist", f"lines[{i}].line_no")
            left = sold[line.line_no] - int(back.get(str(line.line_no), 0))
            if not 1 <= line.quantity <= left:
                raise _bad_return(
                    f"1-{left} units of line {line.line_no} can be returned", f"lines[{i}].quantity"
                )
        txn_id = reverse_in(
            conn,
            source,
            Source("receipt", returned.receipt_id),
            [{"line_no": x.line_no, "quantity": x.quantity} for x in returned.lines],
            actor=principal.actor,
            detail={"receipt_id": returned.receipt_id, "store": returned.store},
        )
        points = 0
        if txn_id is not None:
            points = int(conn.execute(select(t.points).where(t.txn_id == txn_id)).scalar_one())
    return ReceiptReturnResult(returned.return_id, "recorded", earning.account_id, points, txn_id)
