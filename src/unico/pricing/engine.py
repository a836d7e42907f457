"""The quote engine: a cart and a price book become priced lines, adjustments, VAT and totals.

Pure and deterministic, integers only. ``quote`` does no I/O; the same cart and book always give
the same quote, whatever order the book lists its promotions or overrides in.

Rules beyond the shared contract (issue 5):
- A PERCENT_OFF discount is rounded half-even per line on what is left of the line.
- SPEND_GET and FREE_DELIVERY thresholds compare with what is left of the targeted lines after
  the promotions applied before them (the shopper's actual spend), not with list prices.
- BUY_X_GET_Y discounts the cheapest targeted units; BUNDLE_PRICE bundles the most expensive
  targeted units (the better deal for the shopper), and gives nothing when the bundle price is
  not below what the units cost.
- FREE_DELIVERY promotions run after every line promotion (they discount no line, so they claim
  none); the first one that qualifies waives the fee, the others find nothing left to waive.
- A coupon's ``value`` replaces ``amount`` for AMOUNT_OFF, SPEND_GET (also instead of
  ``percent_bp``) and BUNDLE_PRICE; for PERCENT_OFF, BUY_X_GET_Y and FREE_DELIVERY it caps the
  discount. Several valued coupons (vouchers) of one promotion apply one after the other, each its
  own adjustment; a second coupon without value of the same promotion is rejected as a duplicate.
- Every coupon of the cart ends up either on an adjustment or in ``rejected_coupons``: a coupon
  whose promotion is unknown or not live, not for this moment, channel, store or shopper, finds
  no eligible line, misses its threshold or quantity, has its budget spent, saves nothing, or
  repeats a code already typed, is rejected with the reason in English and Italian.
- A promotion that gives nothing makes no adjustment (amounts are always positive). A budget left
  (``budget_left_minor``) is shared by all instances of its promotion in the quote.
- Overrides with neither channel nor store apply everywhere and rank below channel overrides.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from unico.core.errors import NotFound, ValidationFailed
from unico.pricing.discounts import CartDiscounts
from unico.pricing.eligibility import CartIndex, select_promotions
from unico.pricing.model import (
    DEFAULT_VAT_RATE_BP,
    Cart,
    ListPrice,
    PriceBook,
    PriceOverride,
    Quote,
    RejectedCoupon,
    priced_line,
)
from unico.pricing.vat import split_vat

CURRENCY = "EUR"


def quote(cart: Cart, book: PriceBook) -> Quote:
    """Price ``cart`` with ``book``: unit prices, promotions allocated to lines, VAT, totals.

    Raises ``ValidationFailed`` (``pricing.invalid_quantity``, ``pricing.invalid_delivery_fee``)
    for a quantity below 1 or a negative delivery fee and ``NotFound`` (``pricing.unknown_sku``)
    for a SKU without a list price.
    """
    listed = _listed(cart, book.prices)
    chosen = _overrides(cart, book.overrides)
    lines = cart.lines
    units = []
    quantities = []
    gross = []
    overridden: list[PriceOverride | None] = []  # the override pricing each line, if any
    for line, price in zip(lines, listed, strict=True):
        override = chosen.get(line.sku) if chosen else None
        overridden.append(override)
        unit = override.amount if override is not None else price.amount
        quantity = line.quantity
        units.append(unit)
        quantities.append(quantity)
        gross.append(unit * quantity)
    run = CartDiscounts(gross, quantities, cart.delivery_fee)
    instances, deliveries = select_promotions(cart, book.promotions, CartIndex(listed), run.reject)
    apply = run.apply
    for _, promotion, matched, position, coupon in instances:
        apply(promotion, matched, position, coupon)
    for _, promotion, matched, position, coupon in deliveries:
        apply(promotion, matched, position, coupon)

    nets = run.remaining
    rates = [price.vat_rate_bp for price in listed]
    delivery = run.delivery_left
    line_vats, delivery_vat, buckets = split_vat(nets, rates, delivery, DEFAULT_VAT_RATE_BP)
    priced = [
        priced_line(
            index + 1,
            line.sku,
            quantity,
            unit,
            "list" if override is None else f"override:{override.override_id}",
            None if override is None else override.reason,
            line_gross,
            line_gross - net,
            net,
            rate,
            line_vat,
        )
        for index, (line, quantity, unit, override, line_gross, net, rate, line_vat) in enumerate(
            zip(lines, quantities, units, overridden, gross, nets, rates, line_vats, strict=True)
        )
    ]
    subtotal = sum(gross)
    discount = subtotal - sum(nets)
    rejected: tuple[RejectedCoupon, ...] = ()
    if run.rejected:
        codes = cart.coupons
        rejected = tuple(
            RejectedCoupon(codes[position].code, *reason) for position, reason in sorted(run.rejected.items())
        )
    return Quote(
        currency=CURRENCY,
        channel=cart.channel,
        store=cart.store,
        at=cart.at,
        lines=tuple(priced),
        adjustments=tuple(run.adjustments),
        subtotal=subtotal,
        discount=discount,
        delivery_fee=delivery,
        total=subtotal - discount + delivery,
        vat=buckets,
        vat_total=sum([bucket.vat for bucket in buckets]),
        delivery_vat=delivery_vat,
        rejected_coupons=rejected,
    )


def _listed(cart: Cart, prices: dict[str, ListPrice]) -> list[ListPrice]:
    """The list price of each line, in cart order, after checking quantities and the fee."""
    if cart.delivery_fee < 0:
        raise ValidationFailed(
            "delivery fee must not be negative", code="pricing.invalid_delivery_fee", field="delivery_fee"
        )
    listed = []
    for index, line in enumerate(cart.lines):
        if line.quantity < 1:
            raise ValidationFailed(
                f"quantity of {line.sku} must be at least 1",
                code="pricing.invalid_quantity",
                field=f"lines[{index}].quantity",
            )
        price = prices.get(line.sku)
        if price is None:
            raise NotFound(f"SKU {line.sku} has no list price", code="pricing.unknown_sku", sku=line.sku)
        listed.append(price)
    return listed


def _valid_at(valid_from: datetime | None, valid_to: datetime | None, at: datetime) -> bool:
    return (valid_from is None or valid_from <= at) and (valid_to is None or at < valid_to)


def _overrides(cart: Cart, overrides: Sequence[PriceOverride]) -> dict[str, PriceOverride]:
    """The override that prices each SKU, if any: valid at the cart's moment, for its channel
    and store; store+channel beats store beats channel beats neither, ties to the smallest id."""
    if not overrides:
        return {}
    skus = {line.sku for line in cart.lines}
    channel, store, at = cart.channel, cart.store, cart.at
    best: dict[str, tuple[int, str, PriceOverride]] = {}
    for o in overrides:
        if o.sku not in skus:
            continue
        if (o.channel is not None and o.channel != channel) or (o.store is not None and o.store != store):
            continue
        if not _valid_at(o.valid_from, o.valid_to, at):
            continue
        rank = (2 if o.store is not None else 0) + (1 if o.channel is not None else 0)
        current = best.get(o.sku)
        if current is None or rank > current[0] or (rank == current[0] and o.override_id < current[1]):
            best[o.sku] = (rank, o.override_id, o)
    return {sku: entry[2] for sku, entry in best.items()}
