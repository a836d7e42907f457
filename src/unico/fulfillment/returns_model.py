"""Plain values of returns: requests and what a return looks like to its readers. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ReturnChannel(StrEnum):
    STORE = "store"  # brought to a store's returns desk, inspected on the spot
    POST = "post"  # sent to a warehouse; expected until received


class ReturnStatus(StrEnum):
    EXPECTED = "expected"
    RECEIVED = "received"


class Condition(StrEnum):
    """The inspected state of returned units: sellable goes back on sale, damaged to quarantine."""

    SELLABLE = "sellable"
    DAMAGED = "damaged"


@dataclass(frozen=True)
class ReturnLineRequest:
    line_no: int
    quantity: int
    reason: str = ""
    condition: Condition | None = None


@dataclass(frozen=True)
class ExchangeItem:
    """A replacement taken away at the store; without a price, it is priced as a like-for-like swap."""

    sku: str
    quantity: int
    unit_price_minor: int | None = None


@dataclass(frozen=True)
class ReturnRequest:
    order_id: str
    location: str
    channel: ReturnChannel
    lines: tuple[ReturnLineRequest, ...]
    exchange: tuple[ExchangeItem, ...] = ()
    associate: str | None = None  # who served the customer at the desk (exchange order credit)


@dataclass(frozen=True)
class ReturnLineView:
    line_no: int
    sku: str
    quantity: int
    reason: str
    condition: Condition | None
    refund_minor: int


@dataclass(frozen=True)
class ExchangeLineView:
    sku: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class RefundView:
    refund_id: str
    currency: str
    gross_minor: int
    exchange_minor: int
    amount_minor: int
    balance_due_minor: int
    status: str
    created_at: datetime


@dataclass(frozen=True)
class ReturnView:
    return_id: str
    order_id: str
    location: str
    channel: ReturnChannel
    status: ReturnStatus
    currency: str
    lines: tuple[ReturnLineView, ...]
    exchange: tuple[ExchangeLineView, ...]
    exchange_order_id: str | None
    refund: RefundView | None
    actor: str
    created_at: datetime
    received_at: datetime | None


@dataclass(frozen=True)
class QuarantineLine:
    location: str
    sku: str
    quantity: int
    return_id: str | None
    reason: str
    created_at: datetime
