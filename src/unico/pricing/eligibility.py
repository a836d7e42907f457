"""Which promotions may apply to a cart, on which of its lines, with which coupons, in what order.

Pure. Built for a book of a few hundred live promotions checked on every quote: the sets of the
cart's SKUs, categories and brands rule out most promotions with an ``isdisjoint`` call or two,
and only the few left are checked for time, channel, store and audience.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter

from unico.pricing.model import AppliedCoupon, Cart, ListPrice, Promotion, PromotionKind, Target

# (order key, promotion, matched line indexes, coupon position in the cart or -1, coupon)
Instance = tuple[tuple[int, str, str], Promotion, list[int], int, AppliedCoupon | None]
Reject = Callable[[int, str], None]
_ORDER = itemgetter(0)


def ineligible(promotion: Promotion, cart: Cart) -> str | None:
    """The reason key a promotion does not apply at the cart's moment, channel, store and
    shopper (see ``unico.pricing.wording.REASONS``), or None when it does."""
    p = promotion
    if p.status != "active":
        return "inactive"
    at = cart.at
    if p.valid_from is not None and at < p.valid_from:
        return "not_yet"
    if p.valid_to is not None and at >= p.valid_to:
        return "ended"
    if p.channels and cart.channel not in p.channels:
        return "channel"
    if p.stores and cart.store not in p.stores:
        return "store"
    if p.members_only and not cart.shopper.member:
        return "members_only"
    if p.tiers and cart.shopper.tier not in p.tiers:
        return "tier"
    return None


class CartIndex:
    """The cart's lines by SKU, category (with ancestors) and brand."""

    __slots__ = ("brands", "by_brand", "by_category", "by_sku", "categories", "every_line", "skus")

    def __init__(self, listed: Sequence[ListPrice]) -> None:
        self.by_sku: dict[str, list[int]] = {}
        self.by_category: dict[str, list[int]] = {}
        self.by_brand: dict[str, list[int]] = {}
        for index, price in enumerate(listed):
            self.by_sku.setdefault(price.sku, []).append(index)
            for category in price.categories:
                self.by_category.setdefault(category, []).append(index)
            if price.brand is not None:
                self.by_brand.setdefault(price.brand, []).append(index)
        self.skus, self.categories, self.brands = set(self.by_sku), set(self.by_category), set(self.by_brand)
        self.every_line = list(range(len(listed)))

    def lines(self, target: Target) -> list[int]:
        """Indexes (ascending) of the lines ``target`` matches; every line for an empty target."""
        skus, categories, brands = target.skus, target.categories, target.brands
        if not (skus or categories or brands):
            return self.every_line
        found: list[int] = []
        if categories:
            for key in self.categories.intersection(categories):
                found += self.by_category[key]
        if brands:
            for key in self.brands.intersection(brands):
                found += self.by_brand[key]
        if skus:
            for key in self.skus.intersection(skus):
                found += self.by_sku[key]
        return sorted(set(found)) if len(found) > 1 else found


def select_promotions(
    cart: Cart, promotions: Sequence[Promotion], index: CartIndex, reject: Reject
) -> tuple[list[Instance], list[Instance]]:
    """The promotion instances that may apply, in the order they apply: line promotions by
    priority desc, then code, then coupon code; free delivery ones apart, in the same order.

    A promotion behind a coupon gives one instance per valued coupon (voucher) and one for the
    first coupon without value; ``reject(position, reason)`` is called for every cart coupon that
    cannot apply (duplicate, unknown or not live promotion, not eligible, nothing matched).
    """
    by_promotion: dict[str, list[tuple[int, AppliedCoupon]]] = {}
    seen: set[str] = set()
    for position, coupon in enumerate(cart.coupons):
        if coupon.code in seen:
            reject(position, "duplicate")
            continue
        seen.add(coupon.code)
        by_promotion.setdefault(coupon.promotion_code, []).append((position, coupon))

    # isdisjoint walks the smaller set: the cart's few SKUs rather than a long SKU list.
    no_sku, no_category, no_brand = (
        index.skus.isdisjoint,
        index.categories.isdisjoint,
        index.brands.isdisjoint,
    )
    lines_of = index.lines
    instances: list[Instance] = []
    deliveries: list[Instance] = []
    free_delivery = PromotionKind.FREE_DELIVERY
    for p in promotions:
        if by_promotion:
            coupons = by_promotion.pop(p.code, None)
            if coupons is not None:
                _add_coupon_instances(cart, p, coupons, index, reject, instances, deliveries)
                continue
        if p.requires_coupon:
            continue
        target = p.target
        # The hot path: most promotions target nothing in this cart. Truth tests before calls,
        # categories first (the commonest target); an empty target matches every line.
        categories = target.categories
        if categories:
            if no_category(categories):
                brands, skus = target.brands, target.skus
                if not ((brands and not no_brand(brands)) or (skus and not no_sku(skus))):
                    continue
        else:
            brands, skus = target.brands, target.skus
            if brands:
                if no_brand(brands) and (not skus or no_sku(skus)):
                    continue
            elif skus and no_sku(skus):
                continue
        if ineligible(p, cart) is not None:
            continue
        matched = lines_of(target)
        if matched:
            bucket = deliveries if p.kind is free_delivery else instances
            bucket.append(((-p.priority, p.code, ""), p, matched, -1, None))
        elif not index.every_line and p.kind is free_delivery:
            deliveries.append(((-p.priority, p.code, ""), p, matched, -1, None))
    for left in by_promotion.values():
        for position, _ in left:
            reject(position, "unavailable")
    instances.sort(key=_ORDER)
    deliveries.sort(key=_ORDER)
    return instances, deliveries


def _add_coupon_instances(
    cart: Cart,
    p: Promotion,
    coupons: list[tuple[int, AppliedCoupon]],
    index: CartIndex,
    reject: Reject,
    instances: list[Instance],
    deliveries: list[Instance],
) -> None:
    reason = ineligible(p, cart)
    matched: list[int] = []
    if reason is None:
        matched = index.lines(p.target)
        if not matched and (index.every_line or p.kind is not PromotionKind.FREE_DELIVERY):
            reason = "no_items"
    if reason is not None:
        for position, _ in coupons:
            reject(position, reason)
        return
    bucket = deliveries if p.kind is PromotionKind.FREE_DELIVERY else instances
    plain_taken = False
    for position, coupon in sorted(coupons, key=lambda entry: entry[1].code):
        if coupon.value is None:
            if plain_taken:
                reject(position, "duplicate")
                continue
            plain_taken = True
        bucket.append(((-p.priority, p.code, coupon.code), p, matched, position, coupon))
