"""The pricing domain's plain values: prices, promotions, carts and quotes. No I/O.

Amounts are integer minor units (euro cents) with VAT included; rates are basis points
(2200 = 22 %). Datetimes are timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

DEFAULT_VAT_RATE_BP = 2200  # Italian standard rate


class PromotionKind(StrEnum):
    PERCENT_OFF = "percent_off"  # percent_bp off each targeted unit
    AMOUNT_OFF = "amount_off"  # amount off each targeted unit (never below zero)
    SPEND_GET = "spend_get"  # targeted spend >= threshold -> amount (or percent_bp) off those lines
    BUY_X_GET_Y = "buy_x_get_y"  # per buy_quantity + get_quantity targeted units, the cheapest get_quantity
    #                              are discounted by percent_bp (10000 = free)
    BUNDLE_PRICE = "bundle_price"  # every bundle_quantity targeted units cost amount together
    FREE_DELIVERY = "free_delivery"  # delivery fee waived when targeted spend >= threshold (0 = always)


class Stacking(StrEnum):
    STACKABLE = "stackable"  # combines with other stackable promotions on the same lines
    EXCLUSIVE = "exclusive"  # lines it discounts get no other promotion
    #                          (applied in priority order: a higher priority claims lines first)


class PromotionStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class Target:
    """What a promotion applies to: a line matches if its SKU, one of its categories (with
    ancestors) or its brand is listed. All empty = every line."""

    skus: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    brands: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Promotion:
    code: str  # stable human code, upper case: "SALDI-RUNNING"
    name: str
    kind: PromotionKind
    target: Target = field(default_factory=Target)
    percent_bp: int | None = None
    amount: int | None = None
    threshold: int | None = None
    buy_quantity: int | None = None
    get_quantity: int | None = None
    bundle_quantity: int | None = None
    priority: int = 0  # higher first; ties by code
    stacking: Stacking = Stacking.STACKABLE
    valid_from: datetime | None = None
    valid_to: datetime | None = None  # exclusive
    channels: frozenset[str] = frozenset()  # empty = every channel
    stores: frozenset[str] = frozenset()  # empty = every store (and non-store channels)
    members_only: bool = False
    tiers: frozenset[str] = frozenset()  # non-empty = only these loyalty tiers
    requires_coupon: bool = False
    per_customer_limit: int | None = None  # redemptions per customer
    max_redemptions: int | None = None  # budget: orders in total
    budget_minor: int | None = None  # budget: discount in total
    status: PromotionStatus = PromotionStatus.ACTIVE
    # Filled by the service from the redemption counters: the discount budget still unspent.
    # The engine caps the promotion's discount at it.
    budget_left_minor: int | None = None


@dataclass(frozen=True)
class ListPrice:
    """A SKU's list price and what promotions match it on."""

    sku: str
    amount: int
    vat_rate_bp: int = DEFAULT_VAT_RATE_BP
    categories: frozenset[str] = frozenset()  # category codes with their ancestors
    brand: str | None = None


@dataclass(frozen=True)
class PriceOverride:
    """An explicit channel or store price, with the reason that justifies it."""

    override_id: str
    sku: str
    amount: int
    reason: str
    channel: str | None = None  # None = any channel
    store: str | None = None  # None = any store
    valid_from: datetime | None = None
    valid_to: datetime | None = None  # exclusive


@dataclass(frozen=True)
class AppliedCoupon:
    """A coupon the customer typed, already checked (exists, valid, not exhausted) by the service."""

    code: str
    promotion_code: str
    value: int | None = None  # a loyalty voucher's own amount, replacing the promotion's amount


@dataclass(frozen=True)
class Shopper:
    customer_id: str | None = None
    member: bool = False
    tier: str | None = None


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Cart:
    lines: tuple[CartLine, ...]
    channel: str
    at: datetime
    store: str | None = None
    shopper: Shopper = field(default_factory=Shopper)
    coupons: tuple[AppliedCoupon, ...] = ()
    delivery_fee: int = 0  # VAT included, at the standard rate


@dataclass(frozen=True)
class PriceBook:
    """What the engine prices with: list prices of the cart's SKUs, overrides, live promotions."""

    prices: dict[str, ListPrice]
    overrides: tuple[PriceOverride, ...] = ()
    promotions: tuple[Promotion, ...] = ()


@dataclass(frozen=True)
class LineShare:
    line_no: int
    amount: int


@dataclass(frozen=True)
class Adjustment:
    """One promotion's effect on the cart, allocated to lines, with its explanation."""

    promotion_code: str
    kind: PromotionKind
    amount: int  # total discount of this promotion (delivery waived counts here too)
    shares: tuple[LineShare, ...]  # per line; sums to amount except for free delivery
    coupon: str | None
    explanation_en: str
    explanation_it: str


@dataclass(frozen=True)
class PricedLine:
    line_no: int  # 1-based, in cart order
    sku: str
    quantity: int
    unit_price: int  # list price or override
    price_source: str  # "list" or "override:<override_id>"
    price_reason: str | None  # the override's reason
    gross: int  # unit_price * quantity
    discount: int  # sum of this line's shares
    net: int  # gross - discount: what the line is paid; refunds use it
    vat_rate_bp: int
    vat: int  # VAT included in net


@dataclass(frozen=True)
class VatBucket:
    rate_bp: int
    gross: int  # VAT included
    taxable: int  # gross - vat
    vat: int


@dataclass(frozen=True)
class RejectedCoupon:
    code: str
    reason_en: str
    reason_it: str


@dataclass(frozen=True)
class Quote:
    currency: str
    channel: str
    store: str | None
    at: datetime
    lines: tuple[PricedLine, ...]
    adjustments: tuple[Adjustment, ...]
    subtotal: int  # sum of gross
    discount: int  # sum of line discounts
    delivery_fee: int  # after any free delivery
    total: int  # subtotal - discount + delivery_fee
    vat: tuple[VatBucket, ...]  # by rate, delivery included at the standard rate
    vat_total: int  # sum of bucket VAT == sum of line VAT + delivery VAT
    delivery_vat: int
    rejected_coupons: tuple[RejectedCoupon, ...] = ()


# Fast constructors for the quote engine's hot path: a quote makes ten ``PricedLine``, about
# twenty-five ``LineShare`` and six ``Adjustment``. A frozen dataclass's ``__init__`` sets each
# field through ``object.__setattr__``; these fill the new instance's ``__dict__`` at once and give
# an object equal to (and indistinguishable from) the one the class call makes: same class, same
# fields, no default factory or ``__post_init__`` skipped.
_new = object.__new__


def priced_line(
    line_no: int,
    sku: str,
    quantity: int,
    unit_price: int,
    price_source: str,
    price_reason: str | None,
    gross: int,
    discount: int,
    net: int,
    vat_rate_bp: int,
    vat: int,
) -> PricedLine:
    """``PricedLine(...)``, built faster."""
    line = _new(PricedLine)
    line.__dict__.update(
        line_no=line_no,
        sku=sku,
        quantity=quantity,
        unit_price=unit_price,
        price_source=price_source,
        price_reason=price_reason,
        gross=gross,
        discount=discount,
        net=net,
        vat_rate_bp=vat_rate_bp,
        vat=vat,
    )
    return line


def line_share(line_no: int, amount: int) -> LineShare:
    """``LineShare(line_no, amount)``, built faster."""
    share = _new(LineShare)
    share.__dict__.update(line_no=line_no, amount=amount)
    return share


def adjustment(
    promotion_code: str,
    kind: PromotionKind,
    amount: int,
    shares: tuple[LineShare, ...],
    coupon: str | None,
    explanation_en: str,
    explanation_it: str,
) -> Adjustment:
    """``Adjustment(...)``, built faster."""
    made = _new(Adjustment)
    made.__dict__.update(
        promotion_code=promotion_code,
        kind=kind,
        amount=amount,
        shares=shares,
        coupon=coupon,
        explanation_en=explanation_en,
        explanation_it=explanation_it,
    )
    return made
