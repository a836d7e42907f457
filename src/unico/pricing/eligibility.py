"""Which promotions may apply to a cart, on which of its lines, with which coupons, in what order.

Pure. Built for a book of a few hundred live promotions checked on every quote: a book (its
promotions tuple) quoted more than once is indexed once by targeted SKU, category and brand, so
a quote visits only the promotions that target one of its lines (about twenty of two hundred),
in book order, and checks those for time, channel, store and audience. A book seen once is
scanned: the sets of the cart's SKUs, categories and brands rule out most promotions with an
``isdisjoint`` call or two. Both ways give the same instances in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from operator import itemgetter

from unico.pricing.model import AppliedCoupon, Cart, ListPrice, Promotion, PromotionKind, Target

# (order key, promotion, matched line indexes, coupon position in the cart or -1, coupon)
Instance = tuple[tuple[int, str, str], Promotion, list[int], int, AppliedCoupon | None]
Reject = Callable[[int, str], None]
_ORDER = itemgetter(0)
_Entry = tuple[Promotion, tuple[int, str, str], bool, bool, datetime | None, datetime | None]


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


_Keys = tuple[dict[str, list[int]], dict[str, list[int]], dict[str, list[int]], set[str], set[str], set[str]]


class CartIndex:
    """The cart's lines by SKU, category (with ancestors) and brand (worked out when first
    needed: the book index finds most promotions' lines without them)."""

    __slots__ = ("_keys", "every_line", "listed")

    def __init__(self, listed: Sequence[ListPrice]) -> None:
        self.listed = listed
        self.every_line = list(range(len(listed)))
        self._keys: _Keys | None = None

    def _build(self) -> _Keys:
        by_sku: dict[str, list[int]] = {}
        by_category: dict[str, list[int]] = {}
        by_brand: dict[str, list[int]] = {}
        for index, price in enumerate(self.listed):
            by_sku.setdefault(price.sku, []).append(index)
            for category in price.categories:
                by_category.setdefault(category, []).append(index)
            if price.brand is not None:
                by_brand.setdefault(price.brand, []).append(index)
        self._keys = (by_sku, by_category, by_brand, set(by_sku), set(by_category), set(by_brand))
        return self._keys

    def touches(self, target: Target) -> bool:
        """Whether ``target`` matches a line of the cart (an empty target matches every cart)."""
        skus, categories, brands = target.skus, target.categories, target.brands
        if not (skus or categories or brands):
            return True
        _, _, _, cart_skus, cart_categories, cart_brands = self._keys or self._build()
        return (
            not cart_categories.isdisjoint(categories)
            or not cart_brands.isdisjoint(brands)
            or not cart_skus.isdisjoint(skus)
        )

    def lines(self, target: Target) -> list[int]:
        """Indexes (ascending) of the lines ``target`` matches; every line for an empty target."""
        skus, categories, brands = target.skus, target.categories, target.brands
        if not (skus or categories or brands):
            return self.every_line
        by_sku, by_category, by_brand, cart_skus, cart_categories, cart_brands = self._keys or self._build()
        found: list[int] = []
        if categories:
            for key in cart_categories.intersection(categories):
                found += by_category[key]
        if brands:
            for key in cart_brands.intersection(brands):
                found += by_brand[key]
        if skus:
            for key in cart_skus.intersection(skus):
                found += by_sku[key]
        return sorted(set(found)) if len(found) > 1 else found


class BookIndex:
    """Positions of a book's promotions by targeted SKU, category and brand, and by code.

    Promotions that need a coupon are found only by code (they apply only with one); the
    untargeted ones match every cart.
    """

    __slots__ = (
        "by_brand",
        "by_category",
        "by_code",
        "by_line",
        "by_sku",
        "entries",
        "promotions",
        "untargeted",
    )

    def __init__(self, promotions: Sequence[Promotion]) -> None:
        self.promotions = promotions  # held, so the id of a cached tuple is never reused
        self.by_sku: dict[str, list[int]] = {}
        self.by_category: dict[str, list[int]] = {}
        self.by_brand: dict[str, list[int]] = {}
        self.by_code: dict[str, list[int]] = {}
        self.untargeted: list[int] = []
        # Per position: (promotion, order key, free delivery?, for everyone (active, no channel,
        # store or audience rule)?, valid from, valid to)
        self.entries: list[_Entry] = [_entry(p) for p in promotions]
        for position, p in enumerate(promotions):
            self.by_code.setdefault(p.code, []).append(position)
            if p.requires_coupon:
                continue
            target = p.target
            if not (target.skus or target.categories or target.brands):
                self.untargeted.append(position)
                continue
            for keys, found in (
                (target.skus, self.by_sku),
                (target.categories, self.by_category),
                (target.brands, self.by_brand),
            ):
                for key in keys:
                    found.setdefault(key, []).append(position)
        # (SKU, categories, brand) of a line -> positions of the promotions targeting it
        self.by_line: dict[tuple[str, frozenset[str], str | None], tuple[int, ...]] = {}

    def hits(self, listed: Sequence[ListPrice]) -> dict[int, list[int]]:
        """Position of each promotion targeting one of ``listed`` (promotions behind a coupon and
        untargeted ones apart) -> the indexes (ascending) of the lines it targets."""
        found: dict[int, list[int]] = {}
        by_line = self.by_line
        for line, price in enumerate(listed):
            key = (price.sku, price.categories, price.brand)
            positions = by_line.get(key)
            if positions is None:
                positions = self._line_hits(price)
                if len(by_line) >= _LINES_KEPT:
                    by_line.clear()
                by_line[key] = positions
            for position in positions:
                lines = found.get(position)
                if lines is None:
                    found[position] = [line]
                else:
                    lines.append(line)
        return found

    def _line_hits(self, price: ListPrice) -> tuple[int, ...]:
        found: set[int] = set(self.by_sku.get(price.sku, ()))
        for category in price.categories:
            found.update(self.by_category.get(category, ()))
        if price.brand is not None:
            found.update(self.by_brand.get(price.brand, ()))
        return tuple(found)


def _entry(p: Promotion) -> _Entry:
    return (
        p,
        (-p.priority, p.code, ""),
        p.kind is PromotionKind.FREE_DELIVERY,
        p.status == "active" and not (p.channels or p.stores or p.members_only or p.tiers),
        p.valid_from,
        p.valid_to,
    )


_LINES_KEPT = 50000  # line keys remembered per indexed book

# The live promotions tuple is shared by every quote while the promotions do not change (see
# ``unico.pricing.promotions.live_promotions_in``): index it once. Keyed by the tuple's id, the
# entry holding the tuple itself; a few entries, the least recently used dropped first. A tuple
# seen for the first time is only noted (and scanned, as cheap as indexing it for one quote):
# a one-off book (a preview) costs no index.
_BOOK_INDEXES: dict[int, BookIndex] = {}
_BOOK_INDEXES_KEPT = 8
_SEEN_ONCE: dict[int, Sequence[Promotion]] = {}
_SEEN_ONCE_KEPT = 64


def _book_index(promotions: Sequence[Promotion]) -> BookIndex | None:
    """The index of ``promotions`` if it is a tuple seen before, else None (scan it)."""
    if not isinstance(promotions, tuple):  # a mutable sequence may change between quotes
        return None
    key = id(promotions)
    found = _BOOK_INDEXES.get(key)
    if found is not None and found.promotions is promotions:
        try:
            if next(reversed(_BOOK_INDEXES)) != key:  # the most recently used goes last
                del _BOOK_INDEXES[key]
                _BOOK_INDEXES[key] = found
        except (KeyError, StopIteration, RuntimeError):  # another thread moved it
            pass
        return found
    if _SEEN_ONCE.get(key) is not promotions:
        if len(_SEEN_ONCE) >= _SEEN_ONCE_KEPT:
            _SEEN_ONCE.clear()
        _SEEN_ONCE[key] = promotions
        return None
    _SEEN_ONCE.pop(key, None)
    built = BookIndex(promotions)
    while len(_BOOK_INDEXES) >= _BOOK_INDEXES_KEPT:
        try:
            del _BOOK_INDEXES[next(iter(_BOOK_INDEXES))]
        except (KeyError, StopIteration, RuntimeError):  # another thread got there first
            break
    _BOOK_INDEXES[key] = built
    return built


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

    # Only the promotions the book index finds for the cart's lines (plus the untargeted ones and
    # those a coupon names) can apply; they are visited in book order, as a scan of the whole book
    # (what a book without index gets) would.
    book = _book_index(promotions)
    hits: dict[int, list[int]]
    visit: Iterable[int]
    if book is None:
        entries = None
        hits = {}
        visit = range(len(promotions))
    else:
        entries = book.entries
        hits = book.hits(index.listed)
        found = set(hits)
        found.update(book.untargeted)
        for code in by_promotion:
            found.update(book.by_code.get(code, ()))
        visit = sorted(found)
    lines_of = index.lines
    instances: list[Instance] = []
    deliveries: list[Instance] = []
    at = cart.at
    for position in visit:
        p = promotions[position]
        if by_promotion:
            coupons = by_promotion.pop(p.code, None)
            if coupons is not None:
                _add_coupon_instances(cart, p, coupons, index, reject, instances, deliveries)
                continue
        if p.requires_coupon:
            continue
        matched = hits.get(position)
        if matched is None:  # not indexed, untargeted, or found by a code whose coupons went before
            target = p.target
            if not index.touches(target):
                continue
            matched = lines_of(target)
        _, order, delivery, plain, valid_from, valid_to = _entry(p) if entries is None else entries[position]
        if plain:  # for every channel, store and shopper: ``ineligible`` checks only the dates
            if (valid_from is not None and at < valid_from) or (valid_to is not None and at >= valid_to):
                continue
        elif ineligible(p, cart) is not None:
            continue
        if matched:
            (deliveries if delivery else instances).append((order, p, matched, -1, None))
        elif delivery and not index.every_line:
            deliveries.append((order, p, matched, -1, None))
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
