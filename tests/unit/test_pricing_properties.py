"""Properties of the quote engine over random carts and price books (hypothesis): totals never
negative, allocations that add up, VAT that adds up after rounding, one price in every channel
unless a channel rule says otherwise, and determinism."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unico.orders.pricing import allocate_discount
from unico.pricing.allocation import split_largest_remainder
from unico.pricing.engine import quote
from unico.pricing.model import (
    AppliedCoupon,
    Cart,
    CartLine,
    ListPrice,
    PriceBook,
    PriceOverride,
    Promotion,
    PromotionKind,
    PromotionStatus,
    Quote,
    Shopper,
    Stacking,
    Target,
)
from unico.pricing.vat import vat_included

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SKUS = ("A", "B", "C", "D", "E", "F")
CATEGORIES = ("shoes", "socks", "home")
BRANDS = ("asics", "nike")
STORES = ("S001", "S002")
# Moderate counts keep the file to a few seconds; each example is a whole random book and cart.
EXAMPLES = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

amounts = st.integers(min_value=0, max_value=60000)
subsets = st.frozensets


@st.composite
def list_prices(draw: st.DrawFn) -> dict[str, ListPrice]:
    return {
        sku: ListPrice(
            sku,
            draw(amounts),
            vat_rate_bp=draw(st.sampled_from((400, 1000, 2200))),
            categories=draw(subsets(st.sampled_from(CATEGORIES), max_size=2)),
            brand=draw(st.sampled_from((*BRANDS, None))),
        )
        for sku in SKUS
    }


@st.composite
def targets(draw: st.DrawFn) -> Target:
    which = draw(st.sampled_from(("all", "skus", "categories", "brands", "mixed")))
    if which == "all":
        return Target()
    skus = (
        draw(subsets(st.sampled_from(SKUS), min_size=1, max_size=3))
        if which in ("skus", "mixed")
        else frozenset()
    )
    cats = (
        draw(subsets(st.sampled_from(CATEGORIES), min_size=1, max_size=2)) if which != "skus" else frozenset()
    )
    brands = (
        draw(subsets(st.sampled_from(BRANDS), max_size=1)) if which in ("brands", "mixed") else frozenset()
    )
    return Target(
        skus=skus, categories=cats if which in ("categories", "mixed") else frozenset(), brands=brands
    )


@st.composite
def promotions(draw: st.DrawFn, code: str, channel_rules: bool) -> Promotion:
    kind = draw(st.sampled_from(list(PromotionKind)))
    fields: dict[str, object] = {}
    if kind is PromotionKind.PERCENT_OFF:
        fields["percent_bp"] = draw(st.integers(1, 10000))
    elif kind is PromotionKind.AMOUNT_OFF:
        fields["amount"] = draw(st.integers(1, 20000))
    elif kind is PromotionKind.SPEND_GET:
        fields["threshold"] = draw(st.integers(0, 50000))
        if draw(st.booleans()):
            fields["amount"] = draw(st.integers(1, 20000))
        else:
            fields["percent_bp"] = draw(st.integers(1, 10000))
    elif kind is PromotionKind.BUY_X_GET_Y:
        fields.update(buy_quantity=draw(st.integers(1, 3)), get_quantity=draw(st.integers(1, 2)))
        fields["percent_bp"] = draw(st.integers(1, 10000))
    elif kind is PromotionKind.BUNDLE_PRICE:
        fields.update(bundle_quantity=draw(st.integers(2, 4)), amount=draw(st.integers(0, 40000)))
    else:
        fields["threshold"] = draw(st.integers(0, 30000))
    channels: frozenset[str] = frozenset()
    if channel_rules and draw(st.booleans()):
        channels = frozenset({"store"})
    return Promotion(
        code=code,
        name=code,
        kind=kind,
        target=draw(targets()),
        priority=draw(st.integers(0, 3)),
        stacking=draw(st.sampled_from(list(Stacking))),
        channels=channels,
        stores=draw(st.sampled_from((frozenset(), frozenset({"S001"})))),
        members_only=draw(st.booleans()),
        tiers=draw(st.sampled_from((frozenset(), frozenset({"gold"})))),
        requires_coupon=draw(st.booleans()),
        budget_left_minor=draw(st.none() | st.integers(0, 5000)),
        status=draw(st.sampled_from((PromotionStatus.ACTIVE,) * 4 + (PromotionStatus.PAUSED,))),
        valid_to=draw(st.sampled_from((None, AT, AT + timedelta(days=1)))),
        **fields,  # type: ignore[arg-type]
    )


@st.composite
def overrides(draw: st.DrawFn, channel_rules: bool) -> tuple[PriceOverride, ...]:
    rows = []
    for n in range(draw(st.integers(0, 4))):
        channel = draw(st.sampled_from((None, "store"))) if channel_rules else None
        store = draw(st.sampled_from((None, *STORES)))
        rows.append(
            PriceOverride(f"O{n}", draw(st.sampled_from(SKUS)), draw(amounts), "reason", channel, store)
        )
    return tuple(rows)


@st.composite
def cases(draw: st.DrawFn, channel_rules: bool = True) -> tuple[Cart, PriceBook]:
    book_promotions = tuple(draw(promotions(f"P{n}", channel_rules)) for n in range(draw(st.integers(0, 8))))
    coupon_targets = [p.code for p in book_promotions if p.requires_coupon] + ["UNKNOWN"]
    coupons = tuple(
        AppliedCoupon(
            f"C{n % 4}", draw(st.sampled_from(coupon_targets)), draw(st.none() | st.integers(0, 3000))
        )
        for n in range(draw(st.integers(0, 3)))
    )
    lines = draw(st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 5)), min_size=0, max_size=6))
    member = draw(st.booleans())
    cart = Cart(
        lines=tuple(CartLine(sku, quantity) for sku, quantity in lines),
        channel=draw(st.sampled_from(("web", "app", "store"))),
        at=AT,
        store=draw(st.sampled_from((None, *STORES))),
        shopper=Shopper(
            "C1", member=member, tier=draw(st.sampled_from(("base", "gold"))) if member else None
        ),
        coupons=coupons,
        delivery_fee=draw(st.integers(0, 1500)),
    )
    return cart, PriceBook(draw(list_prices()), draw(overrides(channel_rules)), book_promotions)


@EXAMPLES
@given(cases())
def test_amounts_are_never_negative_and_totals_add_up(case: tuple[Cart, PriceBook]) -> None:
    cart, book = case
    q = quote(cart, book)
    assert q.total >= 0 and q.discount >= 0 and 0 <= q.delivery_fee <= cart.delivery_fee
    for line in q.lines:
        assert line.gross == line.unit_price * line.quantity
        assert 0 <= line.discount <= line.gross and line.net == line.gross - line.discount >= 0
    assert q.subtotal == sum(line.gross for line in q.lines)
    assert q.total == q.subtotal - q.discount + q.delivery_fee


@EXAMPLES
@given(cases())
def test_allocated_shares_add_up_to_each_adjustment_and_to_the_cart_discount(
    case: tuple[Cart, PriceBook],
) -> None:
    cart, book = case
    q = quote(cart, book)
    per_line = [0] * len(q.lines)
    waived = 0
    for adjustment in q.adjustments:
        assert adjustment.amount > 0
        if adjustment.kind is PromotionKind.FREE_DELIVERY:
            assert adjustment.shares == ()
            waived += adjustment.amount
            continue
        assert sum(share.amount for share in adjustment.shares) == adjustment.amount
        for share in adjustment.shares:
            assert share.amount > 0
            per_line[share.line_no - 1] += share.amount
    assert per_line == [line.discount for line in q.lines]
    assert sum(per_line) == q.discount
    assert waived == cart.delivery_fee - q.delivery_fee


@EXAMPLES
@given(cases())
def test_line_vat_and_delivery_vat_add_up_to_the_buckets(case: tuple[Cart, PriceBook]) -> None:
    cart, book = case
    q = quote(cart, book)
    assert sum(line.vat for line in q.lines) + q.delivery_vat == q.vat_total == sum(b.vat for b in q.vat)
    for bucket in q.vat:
        assert bucket.vat == vat_included(bucket.gross, bucket.rate_bp)
        assert bucket.taxable == bucket.gross - bucket.vat
        lines_gross = sum(line.net for line in q.lines if line.vat_rate_bp == bucket.rate_bp)
        delivery = q.delivery_fee if bucket.rate_bp == 2200 else 0
        assert bucket.gross == lines_gross + delivery
    assert sum(b.gross for b in q.vat) == q.total


@EXAMPLES
@given(cases(), st.randoms(use_true_random=False))
def test_the_same_input_gives_the_same_quote_whatever_the_book_order(
    case: tuple[Cart, PriceBook], rng: random.Random
) -> None:
    cart, book = case
    first = quote(cart, book)
    assert quote(cart, book) == first
    shuffled_promotions = list(book.promotions)
    shuffled_overrides = list(book.overrides)
    rng.shuffle(shuffled_promotions)
    rng.shuffle(shuffled_overrides)
    shuffled = PriceBook(
        dict(reversed(book.prices.items())), tuple(shuffled_overrides), tuple(shuffled_promotions)
    )
    assert quote(cart, shuffled) == first


def _in(channel: str, cart: Cart, book: PriceBook) -> Quote:
    return dataclasses.replace(quote(dataclasses.replace(cart, channel=channel), book), channel="any")


@EXAMPLES
@given(cases(channel_rules=False))
def test_without_channel_rules_every_channel_gets_the_same_quote(case: tuple[Cart, PriceBook]) -> None:
    cart, book = case
    web = _in("web", cart, book)
    assert _in("app", cart, book) == web
    assert _in("store", cart, book) == web
    assert _in("contact_center", cart, book) == web


@EXAMPLES
@given(cases(channel_rules=True))
def test_channel_rules_change_only_the_channel_they_name(case: tuple[Cart, PriceBook]) -> None:
    cart, book = case
    # Every channel rule in these books names "store": web, app and the contact centre agree.
    web = _in("web", cart, book)
    assert _in("app", cart, book) == web
    assert _in("contact_center", cart, book) == web
    unrestricted = PriceBook(
        book.prices,
        tuple(o for o in book.overrides if o.channel is None),
        tuple(p for p in book.promotions if not p.channels),
    )
    without = _in("web", cart, unrestricted)
    # A coupon of a removed promotion is rejected either way, only the reason's wording changes.
    assert [r.code for r in without.rejected_coupons] == [r.code for r in web.rejected_coupons]
    assert dataclasses.replace(without, rejected_coupons=()) == dataclasses.replace(web, rejected_coupons=())


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 100000), min_size=1, max_size=12), st.integers(0, 10**6))
def test_the_split_is_the_orders_largest_remainder_split(weights: list[int], total: int) -> None:
    total = min(total, sum(weights))
    shares = split_largest_remainder(total, weights)
    assert shares == allocate_discount(total, weights)
    assert all(0 <= share <= weight for share, weight in zip(shares, weights, strict=True))
    assert sum(shares) == (total if sum(weights) else 0)
