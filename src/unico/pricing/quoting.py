"""Quoting a cart: load the price book, check the typed coupons, run the pure engine.

The engine (:func:`unico.pricing.engine.quote`) decides everything; this module only gathers
what it needs at the cart's moment, so the same cart at the same time gets the same quote in
every channel unless an explicit rule (override, channel/store promotion) says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.db import Database
from unico.core.errors import ValidationFailed
from unico.inventory.store import locations
from unico.pricing import engine
from unico.pricing.book import load_price_book_in
from unico.pricing.coupons import applied_coupons_in
from unico.pricing.model import (
    AppliedCoupon,
    Cart,
    CartLine,
    PriceBook,
    Promotion,
    PromotionStatus,
    Quote,
    Shopper,
)
from unico.pricing.promotions import check_promotion_in
from unico.pricing.rules import CHANNELS

MAX_LINES = 500
MAX_COUPONS = 10
PREVIEW_COUPON = "PREVIEW"

# Finds a customer's loyalty membership (an object with ``tier``) or None; the API passes
# ``unico.loyalty.accounts.membership`` (pricing never imports loyalty).
MembershipLookup = Callable[[Connection, str], Any]


@dataclass(frozen=True)
class QuoteRequest:
    lines: tuple[CartLine, ...]
    channel: str
    store: str | None = None
    customer_id: str | None = None
    member: bool = False
    tier: str | None = None
    coupons: tuple[str, ...] = ()
    at: datetime | None = None  # None = now
    delivery_fee: int = 0


def _check_request(conn: Connection, request: QuoteRequest) -> None:
    if request.channel not in CHANNELS:
        raise ValidationFailed(
            f"unknown channel {request.channel!r}", code="pricing.invalid_channel", field="channel"
        )
    if not request.lines or len(request.lines) > MAX_LINES:
        raise ValidationFailed(
            f"a cart has 1 to {MAX_LINES} lines", code="pricing.invalid_cart", field="lines"
        )
    for index, line in enumerate(request.lines):
        if line.quantity < 1:
            raise ValidationFailed(
                f"quantity of {line.sku} must be at least 1",
                code="pricing.invalid_quantity",
                field=f"lines[{index}].quantity",
            )
    if len(request.coupons) > MAX_COUPONS:
        raise ValidationFailed(
            f"at most {MAX_COUPONS} coupons per cart", code="pricing.too_many_coupons", field="coupons"
        )
    if request.delivery_fee < 0:
        raise ValidationFailed(
            "delivery fee must not be negative", code="pricing.invalid_delivery_fee", field="delivery_fee"
        )
    if request.at is not None and request.at.tzinfo is None:
        raise ValidationFailed("at must carry a time zone", code="pricing.invalid_time", field="at")
    if request.store is not None:
        known = conn.execute(select(locations.c.id).where(locations.c.code == request.store)).first()
        if known is None:
            raise ValidationFailed(
                f"unknown store {request.store!r}",
                code="pricing.unknown_store",
                field="store",
                store=request.store,
            )


def _with_membership(
    conn: Connection, request: QuoteRequest, membership: MembershipLookup | None
) -> QuoteRequest:
    if membership is None or request.customer_id is None or request.member:
        return request
    found = membership(conn, request.customer_id)
    if found is None:
        return request
    return replace(request, member=True, tier=getattr(found, "tier", None))


def _cart(request: QuoteRequest, at: datetime, applied: tuple[AppliedCoupon, ...]) -> Cart:
    return Cart(
        lines=request.lines,
        channel=request.channel,
        at=at,
        store=request.store,
        shopper=Shopper(customer_id=request.customer_id, member=request.member, tier=request.tier),
        coupons=applied,
        delivery_fee=request.delivery_fee,
    )


def quote_in(conn: Connection, request: QuoteRequest, *, membership: MembershipLookup | None = None) -> Quote:
    """Quote ``request`` inside the caller's transaction (an order prices itself this way).
    422 for a bad cart (``pricing.invalid_channel``, ``pricing.invalid_quantity``,
    ``pricing.unknown_store``, ``pricing.no_price`` naming the SKU...) and the coupon errors of
    :func:`unico.pricing.coupons.applied_coupons_in`. A coupon that exists and is valid but
    whose promotion does not apply to this cart is not an error: it is listed in
    ``rejected_coupons`` with the reason."""
    _check_request(conn, request)
    request = _with_membership(conn, request, membership)
    at = request.at or clock.now()
    applied = applied_coupons_in(conn, request.coupons, at=at, customer_id=request.customer_id)
    book = load_price_book_in(conn, (line.sku for line in request.lines), at, customer_id=request.customer_id)
    return engine.quote(_cart(request, at, applied), book)


def quote(db: Database, request: QuoteRequest, *, membership: MembershipLookup | None = None) -> Quote:
    """Quote ``request`` in a read-only unit of work (nothing is recorded)."""
    with db.read() as conn:
        return quote_in(conn, request, membership=membership)


def preview_promotion(
    db: Database, draft: Promotion, request: QuoteRequest, *, membership: MembershipLookup | None = None
) -> Quote:
    """Quote ``request`` as if ``draft`` were saved and active (replacing a saved promotion of the
    same code); nothing is recorded. A draft that needs a coupon gets a stand-in ``PREVIEW``
    coupon. 422 ``pricing.promotion_invalid`` for a definition that contradicts itself."""
    with db.read() as conn:
        draft = replace(draft, status=PromotionStatus.ACTIVE, budget_left_minor=draft.budget_minor)
        check_promotion_in(conn, draft)
        _check_request(conn, request)
        request = _with_membership(conn, request, membership)
        at = request.at or clock.now()
        typed = tuple(c for c in request.coupons if c.strip().upper() != PREVIEW_COUPON)
        applied = applied_coupons_in(conn, typed, at=at, customer_id=request.customer_id)
        if draft.requires_coupon:
            applied += (AppliedCoupon(code=PREVIEW_COUPON, promotion_code=draft.code),)
        book = load_price_book_in(
            conn, (line.sku for line in request.lines), at, customer_id=request.customer_id
        )
        others = tuple(p for p in book.promotions if p.code != draft.code)
        book = PriceBook(prices=book.prices, overrides=book.overrides, promotions=(*others, draft))
        return engine.quote(_cart(request, at, applied), book)
