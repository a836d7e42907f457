"""A client process of the coupon race: it opens its own connection pool on the test database
and, at the barrier, prices an order with the coupon and counts its redemption, as the orders
service does inside one transaction."""

from __future__ import annotations

from typing import Any

from unico.core.db import Database
from unico.core.errors import UnicoError
from unico.pricing.model import CartLine
from unico.pricing.service import QuoteRequest, quote_in, record_redemptions_in


def redeem(url: str, sku: str, coupon: str | None, order_id: str, customer_id: str, barrier: Any) -> str:
    """``"ok"`` when this order got the discount, else the refusal's error code."""
    db = Database(url, pool_size=1)
    try:
        barrier.wait(timeout=60)
        return redeem_in(db, sku, coupon, order_id, customer_id)
    finally:
        db.dispose()


def redeem_in(db: Database, sku: str, coupon: str | None, order_id: str, customer_id: str) -> str:
    request = QuoteRequest(
        lines=(CartLine(sku, 1),), channel="web", customer_id=customer_id, coupons=(coupon,) if coupon else ()
    )
    try:
        with db.write() as conn:
            quoted = quote_in(conn, request)
            if quoted.discount == 0:
                return "no_discount"
            record_redemptions_in(conn, quoted, order_id=order_id, customer_id=customer_id)
    except UnicoError as refused:
        return refused.code
    return "ok"
