"""Promotions applied one after the other to what is left of a cart's lines.

Pure, integers only. ``CartDiscounts`` holds the state of one quote while its promotion
instances apply in order: what is left of each line, which lines an exclusive promotion claimed,
the delivery fee still due, the budgets left, the adjustments made and the coupons rejected.
"""

from __future__ import annotations

from collections.abc import Iterator

from unico.pricing import wording
from unico.pricing.allocation import div_half_even, split_largest_remainder
from unico.pricing.model import (
    Adjustment,
    AppliedCoupon,
    LineShare,
    Promotion,
    PromotionKind,
    Stacking,
    adjustment,
    line_share,
)

FULL_BP = 10000

_PERCENT_OFF = PromotionKind.PERCENT_OFF
_AMOUNT_OFF = PromotionKind.AMOUNT_OFF
_SPEND_GET = PromotionKind.SPEND_GET
_BUY_X_GET_Y = PromotionKind.BUY_X_GET_Y
_BUNDLE_PRICE = PromotionKind.BUNDLE_PRICE
_FREE_DELIVERY = PromotionKind.FREE_DELIVERY
_EXCLUSIVE = Stacking.EXCLUSIVE
# Kinds without an amount of their own: a coupon's value caps their discount instead.
_VALUE_CAPS = frozenset({_PERCENT_OFF, _BUY_X_GET_Y, _FREE_DELIVERY})

# Why a promotion gave nothing when none of its lines is left: "claimed" if an earlier
# promotion discounted or claimed one of them, else "no_saving" (see ``CartDiscounts.apply``).
_UNDECIDED = ("undecided", 0, 0)

# (line indexes, their discounts before any cap, the amount the wording quotes)
_Computed = tuple[list[int], list[int], int | None]


class CartDiscounts:
    """The running state of one quote's promotions; ``apply`` them in priority order."""

    __slots__ = (
        "adjustments",
        "budgets",
        "claimed",
        "delivery_left",
        "discounted",
        "quantities",
        "rejected",
        "remaining",
        "why",
    )

    def __init__(self, gross: list[int], quantities: list[int], delivery_fee: int) -> None:
        self.remaining = list(gross)
        self.quantities = quantities
        self.discounted = [False] * len(gross)
        self.claimed = [False] * len(gross)
        self.delivery_left = delivery_fee
        self.budgets: dict[str, int] = {}
        self.adjustments: list[Adjustment] = []
        self.rejected: dict[int, tuple[str, str]] = {}
        self.why: tuple[str, int, int] = ("no_saving", 0, 0)

    def reject(self, position: int, key: str, threshold: int = 0, quantity: int = 0) -> None:
        """Record why the cart's coupon at ``position`` gives nothing."""
        self.rejected[position] = wording.rejection(key, threshold=threshold, quantity=quantity)

    def _fail(self, key: str, threshold: int = 0, quantity: int = 0) -> None:
        self.why = (key, threshold, quantity)

    def apply(self, p: Promotion, matched: list[int], position: int, coupon: AppliedCoupon | None) -> None:
        """Apply one promotion instance; when it gives nothing its coupon, if any, is rejected.

        Line promotions discount what is left of their matched lines (never below zero),
        skipping lines an earlier exclusive promotion claimed; an exclusive one also skips lines
        already discounted and claims those it discounts. The promotion's budget left, and a
        coupon's value for kinds without an amount, cap the discount.
        """
        code, kind = p.code, p.kind
        value = coupon.value if coupon is not None else None
        budget = p.budget_left_minor
        if budget is not None:
            budget = self.budgets.get(code, budget)
        if budget is not None and budget <= 0:
            self._fail("budget")
            computed = None
        elif kind is _FREE_DELIVERY:
            computed = self._free_delivery(p, matched)
        else:
            computed = self._discount_lines(p, matched, value)
        if computed is None:
            if coupon is not None:
                why = self.why
                if why is _UNDECIDED:
                    claimed, discounted = self.claimed, self.discounted
                    blocked = any(claimed[i] or discounted[i] for i in matched)
                    why = ("claimed" if blocked else "no_saving", 0, 0)
                self.reject(position, *why)
            return
        indexes, amounts, used = computed
        total = sum(amounts)
        limit = budget
        if value is not None and kind in _VALUE_CAPS:
            limit = value if limit is None else min(limit, value)
        capped = limit is not None and total > limit
        if capped:
            assert limit is not None
            amounts = split_largest_remainder(limit, amounts)
            total = limit
        if budget is not None:
            self.budgets[code] = budget - total
        shares: list[LineShare] = []
        if kind is _FREE_DELIVERY:
            self.delivery_left -= total
        else:
            remaining, discounted, claimed = self.remaining, self.discounted, self.claimed
            exclusive = p.stacking == _EXCLUSIVE
            pairs: Iterator[tuple[int, int]] = zip(indexes, amounts, strict=True)
            if kind is _BUY_X_GET_Y or kind is _BUNDLE_PRICE:
                pairs = iter(sorted(pairs))  # these pick units by price, not in line order
            for i, amount in pairs:
                if amount:
                    remaining[i] -= amount
                    discounted[i] = True
                    if exclusive:
                        claimed[i] = True
                    shares.append(line_share(i + 1, amount))
        coupon_code = coupon.code if coupon is not None else None
        en, it = wording.explain(
            p, amount=total, lines=len(shares), value=used, coupon=coupon_code, capped=capped
        )
        self.adjustments.append(adjustment(code, kind, total, tuple(shares), coupon_code, en, it))

    def _free_delivery(self, p: Promotion, matched: list[int]) -> _Computed | None:
        if self.delivery_left <= 0:
            self._fail("no_delivery")
            return None
        threshold = p.threshold or 0
        if threshold:
            remaining = self.remaining
            if sum([remaining[i] for i in matched]) < threshold:
                self._fail("threshold", threshold)
                return None
        return [], [self.delivery_left], None

    def _discount_lines(self, p: Promotion, matched: list[int], value: int | None) -> _Computed | None:
        remaining, claimed, discounted = self.remaining, self.claimed, self.discounted
        if p.stacking == _EXCLUSIVE:
            lines = [i for i in matched if not claimed[i] and not discounted[i] and remaining[i] > 0]
        else:
            lines = [i for i in matched if not claimed[i] and remaining[i] > 0]
        if not lines:
            self.why = _UNDECIDED  # "claimed" or "no_saving": worked out only for a coupon
            return None
        kind = p.kind
        if kind is _PERCENT_OFF:
            bp = p.percent_bp or 0
            amounts = [div_half_even(remaining[i] * bp, FULL_BP) for i in lines]
            return (lines, amounts, None) if any(amounts) else self._nothing()
        if kind is _AMOUNT_OFF:
            each = value if value is not None else p.amount or 0
            q = self.quantities
            amounts = [min(remaining[i], each * q[i]) for i in lines]
            return (lines, amounts, each) if any(amounts) else self._nothing()
        if kind is _SPEND_GET:
            return self._spend_get(p, lines, value)
        if kind is _BUY_X_GET_Y:
            return self._buy_x_get_y(p, lines)
        if kind is _BUNDLE_PRICE:
            return self._bundle(p, lines, value if value is not None else p.amount or 0)
        return self._nothing()

    def _nothing(self) -> _Computed | None:
        """Nothing to discount: None, remembering why."""
        self._fail("no_saving")
        return None

    def _spend_get(self, p: Promotion, lines: list[int], value: int | None) -> _Computed | None:
        weights = [self.remaining[i] for i in lines]
        spend = sum(weights)
        threshold = p.threshold or 0
        if spend < threshold:
            self._fail("threshold", threshold)
            return None
        off = value if value is not None else p.amount
        total = min(spend, off) if off is not None else div_half_even(spend * (p.percent_bp or 0), FULL_BP)
        if total <= 0:
            return self._nothing()
        return lines, split_largest_remainder(total, weights), off

    def _buy_x_get_y(self, p: Promotion, lines: list[int]) -> _Computed | None:
        """Per buy+get targeted units, the cheapest ``get`` units (by what is left of their
        line per unit, then line order) are discounted by ``percent_bp`` (default: free)."""
        remaining, q = self.remaining, self.quantities
        get = p.get_quantity or 1
        group = (p.buy_quantity or 1) + get
        free = sum([q[i] for i in lines]) // group * get
        if not free:
            self._fail("quantity", 0, group)
            return None
        bp = p.percent_bp if p.percent_bp is not None else FULL_BP
        taken, amounts = [], []
        for i in sorted(lines, key=lambda i: (remaining[i] / q[i], i)):
            units = min(q[i], free)
            taken.append(i)
            amounts.append(div_half_even(remaining[i] * units * bp, q[i] * FULL_BP))
            free -= units
            if not free:
                break
        return (taken, amounts, None) if any(amounts) else self._nothing()

    def _bundle(self, p: Promotion, lines: list[int], price: int) -> _Computed | None:
        """Every ``bundle_quantity`` targeted units cost ``price`` together; the most expensive
        units are bundled first and the saving is spread over them pro rata."""
        remaining, q = self.remaining, self.quantities
        size = p.bundle_quantity or 0
        bundles = sum([q[i] for i in lines]) // size if size > 0 else 0
        if not bundles:
            self._fail("quantity", 0, max(size, 1))
            return None
        left = bundles * size
        taken, values = [], []
        for i in sorted(lines, key=lambda i: (-remaining[i] / q[i], i)):
            units = min(q[i], left)
            taken.append(i)
            values.append(div_half_even(remaining[i] * units, q[i]))
            left -= units
            if not left:
                break
        saving = sum(values) - bundles * price
        if saving <= 0:
            return self._nothing()
        return taken, split_largest_remainder(saving, values), price
