"""Exchanges: the replacement items of a return, handed over at the store as a carry-out order.

The replacement is an ordinary store sale (channel ``store``, method ``carry_out``) placed through
the orders service, so its stock leaves through the same ``sale`` movement as any POS sale and it
gets an e-ticket like one. The return is checked and recorded inside the same unit of work as
that order (the orders service's ``before``/``after`` hooks), so either both exist or neither.
Its price is what the return's refund is reduced by.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from unico.access.model import Principal
from unico.core.db import Database
from unico.inventory.model import Channel, Method
from unico.orders.model import LineRequest, OrderRequest
from unico.orders.service import submit_order


@dataclass(frozen=True)
class ExchangeOrderLine:
    sku: str
    quantity: int
    unit_price_minor: int


def place_exchange_order(
    db: Database,
    *,
    store: str,
    currency: str,
    lines: Sequence[ExchangeOrderLine],
    associate: str | None,
    principal: Principal,
    before: Callable[[Connection], None],
    after: Callable[[Connection, str], None],
) -> str:
    """Place the carry-out order of the replacements at ``store``; returns its order id.

    ``before`` runs in the order's transaction before anything is reserved (lock and check the
    return there), ``after`` once the order is saved, with its id (record the return there). Any
    error, theirs or the orders service's (e.g. 409 ``inventory.insufficient_stock``), rolls
    back both.
    """
    request = OrderRequest(
        channel=Channel.STORE,
        store=store,
        associate=associate,
        currency=currency,
        lines=tuple(
            LineRequest(line.sku, line.quantity, line.unit_price_minor, Method.CARRY_OUT) for line in lines
        ),
    )

    def _after(conn: Connection, doc: dict[str, Any]) -> None:
        after(conn, str(doc["order_id"]))

    _status, doc = submit_order(db, request, principal, before=before, after=_after)
    return str(doc["order_id"])
