"""Checks of pricing definitions before they are saved. Pure: no I/O.

``check_promotion`` refuses a promotion whose definition contradicts itself and
``check_override`` an override without its reason; both raise ``ValidationFailed`` (422) with a
stable code and the ``field`` at fault, so that a form can show the reason beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from unico.core.errors import ValidationFailed
from unico.inventory.model import Channel
from unico.pricing.model import PriceOverride, Promotion, PromotionKind

CHANNELS = frozenset(c.value for c in Channel)
FULL_BP = 10000
MAX_PRIORITY = 10_000
MAX_AMOUNT = 100_000_000  # one million euro: anything above is a typo
PROMOTION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
COUPON_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,39}$")

# What each kind needs (required) and what it may also carry; everything else must be empty.
_FIELDS: dict[PromotionKind, tuple[frozenset[str], frozenset[str]]] = {
    PromotionKind.PERCENT_OFF: (frozenset({"percent_bp"}), frozenset()),
    PromotionKind.AMOUNT_OFF: (frozenset({"amount"}), frozenset()),
    PromotionKind.SPEND_GET: (frozenset({"threshold"}), frozenset({"amount", "percent_bp"})),
    PromotionKind.BUY_X_GET_Y: (frozenset({"buy_quantity", "get_quantity", "percent_bp"}), frozenset()),
    PromotionKind.BUNDLE_PRICE: (frozenset({"bundle_quantity", "amount"}), frozenset()),
    PromotionKind.FREE_DELIVERY: (frozenset(), frozenset({"threshold"})),
}
_KIND_FIELDS = ("percent_bp", "amount", "threshold", "buy_quantity", "get_quantity", "bundle_quantity")


def invalid(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code="pricing.promotion_invalid", field=field)


def _check_window(
    valid_from: datetime | None, valid_to: datetime | None, error: Callable[[str, str], Exception]
) -> None:
    for name, value in (("valid_from", valid_from), ("valid_to", valid_to)):
        if value is not None and value.tzinfo is None:
            raise error(f"{name} must carry a time zone", name)
    if valid_from is not None and valid_to is not None and valid_to <= valid_from:
        raise error("the validity ends before it starts (valid_to <= valid_from)", "valid_to")


def check_promotion(p: Promotion) -> None:
    """Raise ``ValidationFailed`` (``pricing.promotion_invalid``, with ``field``) unless ``p`` is a
    coherent definition: code format, a name, a validity that ends after it starts, the fields
    its kind needs and no others, positive amounts, percentages within 1..10000 basis points,
    limits and budgets of at least 1, known channels, non-blank stores, tiers and targets."""
    if not PROMOTION_CODE.match(p.code or ""):
        raise invalid(
            "the code is 2 to 40 upper-case letters, digits, '-' or '_' (e.g. SALDI-RUNNING)", "code"
        )
    if not p.name or not p.name.strip() or len(p.name) > 200:
        raise invalid("a name of 1 to 200 characters is required", "name")
    _check_window(p.valid_from, p.valid_to, invalid)
    _check_kind_fields(p)
    if p.percent_bp is not None and not 1 <= p.percent_bp <= FULL_BP:
        raise invalid("percent_bp is between 1 and 10000 basis points (0.01 % to 100 %)", "percent_bp")
    if p.amount is not None and not 1 <= p.amount <= MAX_AMOUNT:
        raise invalid("amount must be positive (minor units)", "amount")
    if p.threshold is not None and not 0 <= p.threshold <= MAX_AMOUNT:
        raise invalid("threshold must not be negative", "threshold")
    for name in ("buy_quantity", "get_quantity"):
        value = getattr(p, name)
        if value is not None and not 1 <= value <= 1000:
            raise invalid(f"{name} must be between 1 and 1000", name)
    if p.bundle_quantity is not None and not 2 <= p.bundle_quantity <= 1000:
        raise invalid("a bundle has 2 to 1000 units", "bundle_quantity")
    if not -MAX_PRIORITY <= p.priority <= MAX_PRIORITY:
        raise invalid(f"priority is between -{MAX_PRIORITY} and {MAX_PRIORITY}", "priority")
    for name in ("per_customer_limit", "max_redemptions", "budget_minor"):
        value = getattr(p, name)
        if value is not None and value < 1:
            raise invalid(f"{name} must be at least 1 (leave it empty for no limit)", name)
    unknown = sorted(set(p.channels) - CHANNELS)
    if unknown:
        raise invalid(f"unknown channel {unknown[0]!r} (one of {', '.join(sorted(CHANNELS))})", "channels")
    for name in ("stores", "tiers"):
        if any(not v or not v.strip() or len(v) > 40 for v in getattr(p, name)):
            raise invalid(f"{name} must not hold blank or over-long entries", name)
    for name in ("skus", "categories", "brands"):
        if any(not v or not v.strip() or len(v) > 60 for v in getattr(p.target, name)):
            raise invalid(f"target {name} must not hold blank entries", f"target.{name}")


def _check_kind_fields(p: Promotion) -> None:
    required, optional = _FIELDS[p.kind]
    for name in _KIND_FIELDS:
        value = getattr(p, name)
        if name in required and value is None:
            raise invalid(f"a {p.kind.value} promotion needs {name}", name)
        if value is not None and name not in required and name not in optional:
            raise invalid(f"{name} has no meaning for a {p.kind.value} promotion; leave it empty", name)
    if p.kind is PromotionKind.SPEND_GET and p.amount is not None and p.percent_bp is not None:
        raise invalid("a spend_get promotion gives either an amount or a percentage, not both", "percent_bp")
    if (
        p.kind is PromotionKind.SPEND_GET
        and p.amount is None
        and p.percent_bp is None
        and not p.requires_coupon
    ):
        # Without a coupon nothing could say how much it gives (a voucher's value can).
        raise invalid("a spend_get promotion needs amount or percent_bp", "amount")


def _override_invalid(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code="pricing.override_invalid", field=field)


def check_override(o: PriceOverride, *, reason_required: bool = True) -> None:
    """Raise ``ValidationFailed`` (``pricing.override_invalid``, with ``field``) unless ``o`` is an
    explicit channel or store price: a SKU, a channel and/or a store, an amount >= 0, a validity
    that ends after it starts and, when ``reason_required`` (every operator's override), a
    non-blank reason."""
    if not o.sku or not o.sku.strip() or len(o.sku) > 40:
        raise _override_invalid("a SKU is required", "sku")
    if o.channel is None and o.store is None:
        raise _override_invalid(
            "an override names a channel, a store or both (change the list price otherwise)", "channel"
        )
    if o.channel is not None and o.channel not in CHANNELS:
        raise _override_invalid(f"unknown channel {o.channel!r}", "channel")
    if o.store is not None and (not o.store.strip() or len(o.store) > 40):
        raise _override_invalid("the store code must not be blank", "store")
    if not 0 <= o.amount <= MAX_AMOUNT:
        raise _override_invalid("the amount must not be negative (minor units)", "amount")
    if reason_required and (not o.reason or not o.reason.strip()):
        raise _override_invalid("a channel or store price needs the reason that justifies it", "reason")
    if o.reason is not None and len(o.reason) > 300:
        raise _override_invalid("the reason is at most 300 characters", "reason")
    _check_window(o.valid_from, o.valid_to, _override_invalid)


def normalise_coupon_code(code: str) -> str:
    """A typed coupon code as stored: trimmed and upper case."""
    return code.strip().upper()


def check_coupon_code(code: str) -> str:
    """The normalised code, or ``ValidationFailed`` (``pricing.coupon_invalid``, field ``code``)."""
    normal = normalise_coupon_code(code)
    if not COUPON_CODE.match(normal):
        raise ValidationFailed(
            "a coupon code is 3 to 40 letters, digits, '-' or '_'",
            code="pricing.coupon_invalid",
            field="code",
        )
    return normal
