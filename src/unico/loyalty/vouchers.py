"""Loyalty vouchers are pricing coupons: this module is the loyalty side of that seam.

A redeemed reward becomes a single-use coupon of the promotion "LOYALTY-VOUCHER" (spend >= 0,
requires a coupon, stackable), bound to the customer and carrying its own value, which the
quote engine uses in place of the promotion's amount. The till applies the code; the web
checkout types it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.core.errors import NotFound
from unico.pricing import service as pricing
from unico.pricing.model import Promotion, PromotionKind, Stacking
from unico.pricing.store import promotions

PROMOTION_CODE = "LOYALTY-VOUCHER"

VOUCHER_PROMOTION = Promotion(
    code=PROMOTION_CODE,
    name="Buoni fedeltà / Loyalty vouchers",
    kind=PromotionKind.SPEND_GET,
    threshold=0,
    requires_coupon=True,
    stacking=Stacking.STACKABLE,
    priority=-100,  # after the price promotions: a voucher pays what is left
)


def _promotion_pk(conn: Connection, code: str) -> int | None:
    found = conn.execute(select(promotions.c.id).where(promotions.c.code == code)).scalar_one_or_none()
    return None if found is None else int(found)


def ensure_promotion_in(conn: Connection) -> None:
    """Create the "LOYALTY-VOUCHER" promotion if it is missing."""
    if _promotion_pk(conn, PROMOTION_CODE) is None:
        pricing.create_promotion_in(conn, VOUCHER_PROMOTION, "system:loyalty")


def require_promotion_in(conn: Connection, code: str) -> None:
    """Check a reward's promotion exists (the default one is created on demand); 404 otherwise."""
    if code == PROMOTION_CODE:
        ensure_promotion_in(conn)
    elif _promotion_pk(conn, code) is None:
        raise NotFound(f"no promotion {code}", code="pricing.unknown_promotion", promotion_code=code)


def issue_voucher_in(
    conn: Connection, promotion_code: str, *, value_minor: int, customer_id: str, valid_to: datetime | None
) -> str:
    """A new single-use coupon worth ``value_minor`` for ``customer_id``; returns its code."""
    require_promotion_in(conn, promotion_code)
    return pricing.create_coupon_in(
        conn,
        promotion_code,
        pricing.random_code("LV"),  # no 0/O or 1/I: read aloud at the till
        value_minor=value_minor,
        customer_id=customer_id,
        max_redemptions=1,
        per_customer_limit=1,
        valid_to=valid_to,
    )
