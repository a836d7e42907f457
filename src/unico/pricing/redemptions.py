"""Counting what an order used: its coupons and promotions, inside the order's transaction.

Concurrency by conditional updates: a coupon's counter moves only while it is under its limit
(``UPDATE coupons SET redemptions = redemptions + 1 WHERE id = :id AND (max_redemptions IS NULL
OR redemptions < max_redemptions)``), a limited promotion's counters only while its budgets
allow; no row changed means someone else took the last use, and the whole order rolls back with
a 409. The update also locks the row until the order commits (PostgreSQL; SQLite writers are
serial), so the per-customer count that follows it sees every committed use. Rows are taken in
a fixed order (coupons by code, then promotions by code) so two orders never deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.pricing.model import Quote
from unico.pricing.store import coupon_redemptions, coupons, promotion_redemptions, promotions


@dataclass
class _Use:
    discount: int = 0
    coupons: list[str] = field(default_factory=list)


def _uses_of(quote: Quote) -> tuple[dict[str, int], dict[str, _Use]]:
    """coupon -> discount, promotion -> discount and coupons, of adjustments that gave something."""
    by_coupon: dict[str, int] = {}
    by_promotion: dict[str, _Use] = {}
    for adjustment in quote.adjustments:
        if adjustment.amount <= 0:
            continue
        use = by_promotion.setdefault(adjustment.promotion_code, _Use())
        use.discount += adjustment.amount
        if adjustment.coupon is not None:
            use.coupons.append(adjustment.coupon)
            by_coupon[adjustment.coupon] = by_coupon.get(adjustment.coupon, 0) + adjustment.amount
    return by_coupon, by_promotion


def record_redemptions_in(conn: Connection, quote: Quote, *, order_id: str, customer_id: str | None) -> None:
    """Record the order's use of each coupon and promotion its quote applied, within budgets and
    limits. Raises (rolling the order back) 409 ``pricing.coupon_exhausted``, 409
    ``pricing.budget_exhausted``, 409 ``pricing.coupon_customer_limit``, 409
    ``pricing.promotion_customer_limit`` or 422 ``pricing.coupon_not_yours``. Recording the
    same order again changes nothing."""
    by_coupon, by_promotion = _uses_of(quote)
    at = clock.now()
    for code in sorted(by_coupon):
        _redeem_coupon(conn, code, by_coupon[code], order_id, customer_id, at)
    for code in sorted(by_promotion):
        _redeem_promotion(conn, code, by_promotion[code], order_id, customer_id, at)


def _redeem_coupon(
    conn: Connection, code: str, discount: int, order_id: str, customer_id: str | None, at: datetime
) -> None:
    row = conn.execute(select(coupons).where(coupons.c.code == code)).first()
    if row is None:
        raise NotFound(f"coupon {code} does not exist", code="pricing.coupon_unknown", coupon=code)
    done = conn.execute(
        select(coupon_redemptions.c.id).where(
            coupon_redemptions.c.coupon_id == row.id, coupon_redemptions.c.order_id == order_id
        )
    ).first()
    if done is not None:
        return
    if row.customer_id is not None and row.customer_id != customer_id:
        raise ValidationFailed(
            f"coupon {code} belongs to another customer",
            code="pricing.coupon_not_yours",
            field="coupons",
            coupon=code,
        )
    taken = conn.execute(
        coupons.update()
        .where(
            coupons.c.id == row.id,
            coupons.c.max_redemptions.is_(None) | (coupons.c.redemptions < coupons.c.max_redemptions),
        )
        .values(redemptions=coupons.c.redemptions + 1)
    )
    if taken.rowcount != 1:
        raise Conflict(
            f"coupon {code} has been used up", code="pricing.coupon_exhausted", field="coupons", coupon=code
        )
    if row.per_customer_limit is not None and customer_id is not None:
        used = conn.execute(
            select(func.count()).where(
                coupon_redemptions.c.coupon_id == row.id, coupon_redemptions.c.customer_id == customer_id
            )
        ).scalar_one()
        if used >= row.per_customer_limit:
            raise Conflict(
                f"coupon {code} was already used by this customer",
                code="pricing.coupon_customer_limit",
                field="coupons",
                coupon=code,
            )
    conn.execute(
        coupon_redemptions.insert().values(
            coupon_id=row.id,
            order_id=order_id,
            customer_id=customer_id,
            discount_minor=discount,
            redeemed_at=at,
        )
    )


def _redeem_promotion(
    conn: Connection, code: str, use: _Use, order_id: str, customer_id: str | None, at: datetime
) -> None:
    row = conn.execute(select(promotions).where(promotions.c.code == code)).first()
    if row is None:
        raise NotFound(f"no promotion {code}", code="pricing.unknown_promotion", promotion=code)
    done = conn.execute(
        select(promotion_redemptions.c.id).where(
            promotion_redemptions.c.promotion_id == row.id, promotion_redemptions.c.order_id == order_id
        )
    ).first()
    if done is not None:
        return
    limited = (
        row.max_redemptions is not None or row.budget_minor is not None or row.per_customer_limit is not None
    )
    if limited:
        taken = conn.execute(
            promotions.update()
            .where(
                promotions.c.id == row.id,
                promotions.c.max_redemptions.is_(None)
                | (promotions.c.redemptions < promotions.c.max_redemptions),
                promotions.c.budget_minor.is_(None)
                | (promotions.c.discount_minor + use.discount <= promotions.c.budget_minor),
            )
            .values(
                redemptions=promotions.c.redemptions + 1,
                discount_minor=promotions.c.discount_minor + use.discount,
            )
        )
        if taken.rowcount != 1:
            raise Conflict(
                f"the budget of promotion {code} is used up", code="pricing.budget_exhausted", promotion=code
            )
    if row.per_customer_limit is not None and customer_id is not None:
        used = conn.execute(
            select(func.count()).where(
                promotion_redemptions.c.promotion_id == row.id,
                promotion_redemptions.c.customer_id == customer_id,
            )
        ).scalar_one()
        if used >= row.per_customer_limit:
            raise Conflict(
                f"this customer has had promotion {code} as often as it allows",
                code="pricing.promotion_customer_limit",
                promotion=code,
            )
    conn.execute(
        promotion_redemptions.insert().values(
            promotion_id=row.id,
            order_id=order_id,
            customer_id=customer_id,
            coupon=use.coupons[0] if use.coupons else None,
            discount_minor=use.discount,
            redeemed_at=at,
        )
    )
