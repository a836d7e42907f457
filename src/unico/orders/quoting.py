"""What each line of a new order costs: the pricing engine's quote, or the prices the channel sent.

A line without ``unit_price`` is priced by the engine (:func:`unico.pricing.service.quote_in`),
inside the order's transaction, for the order's channel, store, customer (membership and tier
from the loyalty account) and coupons at the order's time. A line with a ``unit_price`` is a
*manual price* (an integration that prices itself, a price agreed at the till): it is kept as
given and takes no promotion. In an order the engine prices, such lines stay out of the quote
(cart thresholds count only the engine-priced lines) and the timeline notes each one. A typed
coupon whose promotion does not apply to the cart refuses the order (422
``pricing.coupon_not_applicable``) rather than being dropped: the customer expects its discount.
The coupon and budget counters move in the order's transaction, so a 409 there (exhausted, over
the customer's limit) leaves no order behind.

An order whose lines all carry a price and that names no coupon is not quoted: no pricing query
on the hot path. Only such an order may carry a request-level ``discount``, spread over its lines
by :func:`unico.orders.pricing.allocate_discount`; engine-priced orders get their discounts
from promotions and coupons, so what is stored (adjustments, VAT) adds up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from unico.core.errors import ValidationFailed
from unico.loyalty.accounts import membership
from unico.orders.model import OrderRequest
from unico.orders.pricing import allocate_discount
from unico.pricing.model import CartLine, Quote
from unico.pricing.service import QuoteRequest, quote_in, record_redemptions_in

MAX_COUPONS = 10


@dataclass(frozen=True)
class LinePrice:
    unit_price: int
    discount: int
    paid: int


@dataclass(frozen=True)
class Note:
    """A timeline line of the pricing: kind, English message, detail (with the Italian text)."""

    kind: str
    message: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class PricedOrder:
    """The request's lines priced, in request order, and what to keep of how."""

    lines: tuple[LinePrice, ...]
    quote: Quote | None = None  # None: every line had its own price
    document: dict[str, Any] | None = None  # stored as orders.pricing
    notes: tuple[Note, ...] = ()

    @property
    def subtotal(self) -> int:
        return sum(line.paid + line.discount for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)


def engine_priced(request: OrderRequest) -> bool:
    """Whether the order goes through the pricing engine (a line without price, or coupons)."""
    return bool(request.coupons) or any(line.unit_price is None for line in request.lines)


def check_pricing(request: OrderRequest) -> None:
    """Pricing rules of the request's shape (no database): raises ``ValidationFailed``."""
    if len(request.coupons) > MAX_COUPONS:
        raise ValidationFailed(f"at most {MAX_COUPONS} coupons per order", field="coupons")
    for i, code in enumerate(request.coupons):
        if not code.strip() or len(code) > 40:
            raise ValidationFailed("a coupon code has 1 to 40 characters", field=f"coupons.{i}")
    if not engine_priced(request):
        return
    if all(line.unit_price is not None for line in request.lines):
        raise ValidationFailed(
            "coupons apply to lines priced by the engine: leave unit_price out",
            code="orders.coupons_need_engine_prices",
            field="coupons",
        )
    if request.discount:
        raise ValidationFailed(
            "an order priced by the engine takes its discounts from promotions and coupons",
            code="orders.discount_with_engine_prices",
            field="discount",
        )


def manual_prices(request: OrderRequest) -> PricedOrder:
    """Every line at the price it came with, the request's discount spread over them. Pure."""
    amounts = [(line.unit_price or 0) * line.quantity for line in request.lines]
    shares = allocate_discount(request.discount, amounts)
    return PricedOrder(
        tuple(
            LinePrice(line.unit_price or 0, share, amount - share)
            for line, amount, share in zip(request.lines, amounts, shares, strict=True)
        )
    )


def price_order(conn: Connection, request: OrderRequest, at: datetime) -> PricedOrder:
    """Price the order's lines (see the module docstring); raises the pricing errors (unknown SKU
    price, coupon unknown, expired, exhausted, not yours, not applicable) before anything is written."""
    if not engine_priced(request):
        return manual_prices(request)
    quoted = [no for no, line in enumerate(request.lines, start=1) if line.unit_price is None]
    customer_id = request.customer.customer_id
    member = membership(conn, customer_id) if customer_id else None
    quote = quote_in(
        conn,
        QuoteRequest(
            lines=tuple(CartLine(request.lines[no - 1].sku, request.lines[no - 1].quantity) for no in quoted),
            channel=request.channel.value,
            store=request.store,
            customer_id=customer_id,
            member=member is not None,
            tier=member.tier if member is not None else None,
            coupons=request.coupons,
            at=at,
        ),
    )
    if quote.rejected_coupons:
        rejected = quote.rejected_coupons[0]
        raise ValidationFailed(
            f"coupon {rejected.code} does not apply to this order: {rejected.reason_en}",
            code="pricing.coupon_not_applicable",
            field="coupons",
            coupon=rejected.code,
            reason_it=rejected.reason_it,
        )
    order_line_of = dict(enumerate(quoted, start=1))  # quote line_no -> order line_no
    by_order_line = {order_line_of[p.line_no]: p for p in quote.lines}
    lines = []
    notes = []
    for no, line in enumerate(request.lines, start=1):
        priced = by_order_line.get(no)
        if priced is not None:
            lines.append(LinePrice(priced.unit_price, priced.discount, priced.net))
            continue
        price = line.unit_price or 0
        lines.append(LinePrice(price, 0, price * line.quantity))
        notes.append(
            Note(
                "pricing.manual_price",
                f"line {no} ({line.sku}) at a manual price of {_euro(price)}, no promotion",
                {"line_no": no, "sku": line.sku, "unit_price": price},
            )
        )
    for adjustment in quote.adjustments:
        notes.append(
            Note(
                "pricing.adjustment",
                adjustment.explanation_en,
                {
                    "promotion": adjustment.promotion_code,
                    "coupon": adjustment.coupon,
                    "amount": adjustment.amount,
                    "message_it": adjustment.explanation_it,
                },
            )
        )
    return PricedOrder(tuple(lines), quote, pricing_document(quote, order_line_of), tuple(notes))


def pricing_document(quote: Quote, order_line_of: dict[int, int]) -> dict[str, Any]:
    """What an order keeps of its quote, with the order's line numbers. Pure."""
    return {
        "at": quote.at.isoformat(),
        "channel": quote.channel,
        "store": quote.store,
        "subtotal": quote.subtotal,
        "discount": quote.discount,
        "adjustments": [
            {
                "promotion": a.promotion_code,
                "kind": a.kind.value,
                "coupon": a.coupon,
                "amount": a.amount,
                "shares": {str(order_line_of[s.line_no]): s.amount for s in a.shares},
                "explanation_en": a.explanation_en,
                "explanation_it": a.explanation_it,
            }
            for a in quote.adjustments
        ],
        "lines": [
            {
                "line_no": order_line_of[p.line_no],
                "price_source": p.price_source,
                "price_reason": p.price_reason,
                "vat_rate_bp": p.vat_rate_bp,
                "vat": p.vat,
            }
            for p in quote.lines
        ],
        "vat": [
            {"rate_bp": b.rate_bp, "gross": b.gross, "taxable": b.taxable, "vat": b.vat} for b in quote.vat
        ],
        "vat_total": quote.vat_total,
    }


def record_redemptions(conn: Connection, priced: PricedOrder, order_id: str, customer_id: str | None) -> None:
    """Count the order's coupon and promotion uses, in its transaction (a 409 rolls it all back)."""
    if priced.quote is not None and priced.quote.adjustments:
        record_redemptions_in(conn, priced.quote, order_id=order_id, customer_id=customer_id)


def _euro(minor: int) -> str:
    return f"€{minor // 100}.{minor % 100:02d}"
