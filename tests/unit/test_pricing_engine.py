"""The quote engine, case by case, with exact cents: prices, each promotion kind, stacking,
coupons, audience, budgets, VAT, delivery and errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from unico.core.errors import NotFound, ValidationFailed
from unico.pricing.engine import quote
from unico.pricing.model import (
    AppliedCoupon,
    Cart,
    CartLine,
    LineShare,
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
    VatBucket,
)

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
PRICES = {
    "SHOE": ListPrice("SHOE", 8990, categories=frozenset({"running", "footwear"}), brand="asics"),
    "SOCK": ListPrice("SOCK", 990, categories=frozenset({"running", "socks"}), brand="nike"),
    "TEE": ListPrice("TEE", 2500, categories=frozenset({"apparel"}), brand="nike"),
    "MUG": ListPrice("MUG", 1200, vat_rate_bp=1000, categories=frozenset({"home"})),
}
RUNNING = Target(categories=frozenset({"running"}))
SOCKS = Target(skus=frozenset({"SOCK"}))
SHOES = Target(skus=frozenset({"SHOE"}))


def cart(*lines: tuple[str, int], channel: str = "web", **extra: Any) -> Cart:
    return Cart(tuple(CartLine(sku, qty) for sku, qty in lines), channel, AT, **extra)


def book(*promotions: Promotion, overrides: tuple[PriceOverride, ...] = ()) -> PriceBook:
    return PriceBook(PRICES, overrides, promotions)


def promo(code: str, kind: PromotionKind, **fields: Any) -> Promotion:
    return Promotion(code, code.title(), kind, **fields)


def shares(q: Quote) -> list[list[tuple[int, int]]]:
    return [[(s.line_no, s.amount) for s in a.shares] for a in q.adjustments]


def discounts(q: Quote) -> list[int]:
    return [line.discount for line in q.lines]


# --- prices -----------------------------------------------------------------------------------


def test_list_prices_without_promotions_give_gross_totals_and_vat() -> None:
    q = quote(cart(("SHOE", 2)), book())
    line = q.lines[0]
    assert (line.unit_price, line.price_source, line.gross, line.discount, line.net) == (
        8990,
        "list",
        17980,
        0,
        17980,
    )
    assert (q.subtotal, q.discount, q.delivery_fee, q.total) == (17980, 0, 0, 17980)
    assert q.vat == (VatBucket(rate_bp=2200, gross=17980, taxable=14738, vat=3242),)
    assert line.vat == q.vat_total == 3242
    assert q.adjustments == () and q.rejected_coupons == () and q.currency == "EUR"


OVERRIDES = (
    PriceOverride("O1", "SHOE", 8490, "web price match", channel="web"),
    PriceOverride("O2", "SHOE", 7990, "store clearance", store="S001"),
    PriceOverride("O3", "SHOE", 7490, "in-store event", channel="store", store="S001"),
    PriceOverride("O4", "SHOE", 6990, "ended", store="S001", valid_to=AT),
    PriceOverride("O5", "SHOE", 5990, "not yet", channel="web", valid_from=AT + timedelta(seconds=1)),
    PriceOverride("O6", "SOCK", 800, "outlet", store="S002"),
    PriceOverride("O0", "SOCK", 850, "outlet", store="S002", valid_from=AT),
)


@pytest.mark.parametrize(
    ("channel", "store", "expected", "source"),
    [
        ("web", None, 8490, "override:O1"),
        ("contact_center", "S001", 7990, "override:O2"),
        ("store", "S001", 7490, "override:O3"),
        ("app", None, 8990, "list"),
        ("store", "S002", 8990, "list"),
    ],
)
def test_the_most_specific_valid_override_prices_the_line(
    channel: str, store: str | None, expected: int, source: str
) -> None:
    q = quote(cart(("SHOE", 1), channel=channel, store=store), book(overrides=OVERRIDES))
    assert (q.lines[0].unit_price, q.lines[0].price_source) == (expected, source)


def test_an_override_carries_its_reason_and_ties_go_to_the_smallest_id() -> None:
    q = quote(cart(("SOCK", 2), channel="store", store="S002"), book(overrides=OVERRIDES))
    line = q.lines[0]
    assert (line.unit_price, line.price_source, line.price_reason, line.gross) == (
        850,
        "override:O0",
        "outlet",
        1700,
    )


# --- the six kinds ----------------------------------------------------------------------------


def test_percent_off_discounts_each_targeted_line_and_explains_itself() -> None:
    p = promo("SALDI10", PromotionKind.PERCENT_OFF, target=RUNNING, percent_bp=1000)
    q = quote(cart(("SHOE", 1), ("SOCK", 3), ("TEE", 1)), book(p))
    assert discounts(q) == [899, 297, 0]
    (adjustment,) = q.adjustments
    assert (adjustment.promotion_code, adjustment.kind, adjustment.amount) == ("SALDI10", p.kind, 1196)
    assert adjustment.shares == (LineShare(1, 899), LineShare(2, 297))
    assert adjustment.explanation_en == "SALDI10: 10% off running (2 lines), -€11.96"
    assert adjustment.explanation_it == "SALDI10: sconto 10% su running (2 righe), -11,96 €"
    assert (q.subtotal, q.discount, q.total) == (14460, 1196, 13264)


def test_percent_off_rounds_half_to_even() -> None:
    p = promo("P15", PromotionKind.PERCENT_OFF, target=SOCKS, percent_bp=1500)
    assert discounts(quote(cart(("SOCK", 1)), book(p))) == [148]  # 148.5 -> 148


def test_amount_off_is_per_unit_and_never_below_zero() -> None:
    two = promo("SOCK2", PromotionKind.AMOUNT_OFF, target=SOCKS, amount=200)
    q = quote(cart(("SOCK", 3)), book(two))
    assert discounts(q) == [600]
    assert q.adjustments[0].explanation_en == "SOCK2: €2.00 off each item of SOCK (1 line), -€6.00"
    assert q.adjustments[0].explanation_it == "SOCK2: 2,00 € di sconto a pezzo su SOCK (1 riga), -6,00 €"
    big = promo("SOCK15", PromotionKind.AMOUNT_OFF, target=SOCKS, amount=1500)
    q = quote(cart(("SOCK", 2)), book(big))
    assert (q.lines[0].discount, q.lines[0].net, q.total) == (1980, 0, 0)


def test_spend_get_needs_the_threshold_and_spreads_the_amount_pro_rata() -> None:
    p = promo("RUN10", PromotionKind.SPEND_GET, target=RUNNING, threshold=10000, amount=1000)
    q = quote(cart(("SHOE", 1), ("SOCK", 2), ("TEE", 1)), book(p))
    assert shares(q) == [[(1, 820), (2, 180)]]
    assert (
        q.adjustments[0].explanation_en
        == "RUN10: spend €100.00 on running, get €10.00 off (2 lines), -€10.00"
    )
    assert q.adjustments[0].explanation_it == (
        "RUN10: spendi 100,00 € su running, sconto di 10,00 € (2 righe), -10,00 €"
    )
    assert quote(cart(("SOCK", 2), ("TEE", 4)), book(p)).adjustments == ()


def test_spend_get_with_a_percentage() -> None:
    p = promo("ALL5", PromotionKind.SPEND_GET, threshold=5000, percent_bp=500)
    q = quote(cart(("SHOE", 1), ("TEE", 1)), book(p))
    assert q.discount == 574  # 5% of 114.90 = 5.745 -> 5.74 (half even)
    assert shares(q) == [[(1, 449), (2, 125)]]


def test_buy_two_get_one_free_discounts_the_cheapest_unit() -> None:
    p = promo("3X2", PromotionKind.BUY_X_GET_Y, target=RUNNING, buy_quantity=2, get_quantity=1)
    q = quote(cart(("SHOE", 1), ("SOCK", 2)), book(p))
    assert shares(q) == [[(2, 990)]]
    assert q.adjustments[0].explanation_en == "3X2: buy 2 get 1 free on running (1 line), -€9.90"
    assert q.adjustments[0].explanation_it == "3X2: compra 2, 1 in omaggio su running (1 riga), -9,90 €"
    six = quote(cart(("SHOE", 2), ("SOCK", 4)), book(p))
    assert shares(six) == [[(2, 1980)]]
    assert quote(cart(("SHOE", 1), ("SOCK", 1)), book(p)).adjustments == ()


def test_buy_one_get_one_half_price() -> None:
    p = promo(
        "B1G1", PromotionKind.BUY_X_GET_Y, target=SOCKS, buy_quantity=1, get_quantity=1, percent_bp=5000
    )
    q = quote(cart(("SOCK", 3)), book(p))
    assert discounts(q) == [495]
    assert "buy 1 get 1 at 50% off" in q.adjustments[0].explanation_en
    assert "compra 1, 1 scontati del 50%" in q.adjustments[0].explanation_it


def test_bundle_price_charges_the_bundle_amount_for_each_full_bundle() -> None:
    p = promo("3SOCKS", PromotionKind.BUNDLE_PRICE, target=SOCKS, bundle_quantity=3, amount=2000)
    q = quote(cart(("SOCK", 4)), book(p))
    assert discounts(q) == [970]  # 3 x 9.90 = 29.70 for 20.00, the 4th unit at list price
    assert q.adjustments[0].explanation_en == "3SOCKS: 3 for €20.00 on SOCK (1 line), -€9.70"
    assert q.adjustments[0].explanation_it == "3SOCKS: 3 a 20,00 € su SOCK (1 riga), -9,70 €"


def test_bundle_across_lines_spreads_the_saving_over_the_bundled_units() -> None:
    nike = Target(brands=frozenset({"nike"}))
    p = promo("NIKE2", PromotionKind.BUNDLE_PRICE, target=nike, bundle_quantity=2, amount=3000)
    q = quote(cart(("SOCK", 1), ("TEE", 1)), book(p))
    assert shares(q) == [[(1, 139), (2, 351)]]
    dearer = promo("DEAR", PromotionKind.BUNDLE_PRICE, target=SOCKS, bundle_quantity=2, amount=5000)
    assert quote(cart(("SOCK", 2)), book(dearer)).adjustments == ()


def test_free_delivery_over_a_threshold_waives_the_fee() -> None:
    p = promo("SHIP50", PromotionKind.FREE_DELIVERY, threshold=5000)
    q = quote(cart(("SHOE", 1), delivery_fee=490), book(p))
    assert (q.delivery_fee, q.delivery_vat, q.total, q.discount) == (0, 0, 8990, 0)
    (adjustment,) = q.adjustments
    assert (adjustment.amount, adjustment.shares) == (490, ())
    assert adjustment.explanation_en == "SHIP50: free delivery over €50.00, -€4.90"
    assert adjustment.explanation_it == "SHIP50: consegna gratuita sopra 50,00 €, -4,90 €"
    below = quote(cart(("SOCK", 1), delivery_fee=490), book(p))
    assert (below.delivery_fee, below.total, below.adjustments) == (490, 1480, ())


# --- stacking and priority --------------------------------------------------------------------


def test_stackable_promotions_discount_what_is_left_in_priority_order() -> None:
    ten = promo("TEN", PromotionKind.PERCENT_OFF, target=RUNNING, percent_bp=1000, priority=1)
    five = promo("FIVE", PromotionKind.AMOUNT_OFF, target=SHOES, amount=500)
    q = quote(cart(("SHOE", 1)), book(five, ten))
    assert [a.promotion_code for a in q.adjustments] == ["TEN", "FIVE"]
    assert shares(q) == [[(1, 899)], [(1, 500)]]
    assert q.lines[0].net == 7591


def test_an_exclusive_promotion_claims_the_lines_it_discounts() -> None:
    solo = promo(
        "SOLO",
        PromotionKind.PERCENT_OFF,
        target=SHOES,
        percent_bp=2000,
        priority=5,
        stacking=Stacking.EXCLUSIVE,
    )
    ten = promo("TEN", PromotionKind.PERCENT_OFF, target=RUNNING, percent_bp=1000, priority=1)
    q = quote(cart(("SHOE", 1), ("SOCK", 1)), book(ten, solo))
    assert shares(q) == [[(1, 1798)], [(2, 99)]]


def test_an_exclusive_promotion_skips_lines_already_discounted() -> None:
    ten = promo("TEN", PromotionKind.PERCENT_OFF, target=RUNNING, percent_bp=1000, priority=5)
    solo = promo("SOLO", PromotionKind.PERCENT_OFF, percent_bp=3000, priority=1, stacking=Stacking.EXCLUSIVE)
    q = quote(cart(("SHOE", 1), ("SOCK", 1), ("TEE", 1)), book(solo, ten))
    assert shares(q) == [[(1, 899), (2, 99)], [(3, 750)]]


def test_equal_priorities_apply_in_code_order() -> None:
    fields: dict[str, Any] = {"target": SHOES, "stacking": Stacking.EXCLUSIVE}
    bbb = promo("BBB", PromotionKind.PERCENT_OFF, percent_bp=2000, **fields)
    aaa = promo("AAA", PromotionKind.PERCENT_OFF, percent_bp=1000, **fields)
    q = quote(cart(("SHOE", 1)), book(bbb, aaa))
    assert [(a.promotion_code, a.amount) for a in q.adjustments] == [("AAA", 899)]


# --- eligibility: time, status, channel, store, audience ------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"status": PromotionStatus.PAUSED},
        {"valid_to": AT},
        {"valid_from": AT + timedelta(minutes=1)},
        {"channels": frozenset({"store"})},
        {"stores": frozenset({"S001"})},
        {"members_only": True},
        {"tiers": frozenset({"gold"})},
    ],
)
def test_a_promotion_outside_its_window_channel_store_or_audience_does_not_apply(
    changes: dict[str, Any],
) -> None:
    p = promo("TEN", PromotionKind.PERCENT_OFF, percent_bp=1000, **changes)
    assert quote(cart(("TEE", 1), shopper=Shopper("C1")), book(p)).discount == 0


def test_a_promotion_inside_its_window_channel_store_and_audience_applies() -> None:
    p = promo(
        "TEN",
        PromotionKind.PERCENT_OFF,
        percent_bp=1000,
        valid_from=AT,
        valid_to=AT + timedelta(days=1),
        channels=frozenset({"store"}),
        stores=frozenset({"S001"}),
        members_only=True,
        tiers=frozenset({"gold"}),
    )
    shopper = Shopper("C1", member=True, tier="gold")
    assert quote(cart(("TEE", 1), channel="store", store="S001", shopper=shopper), book(p)).discount == 250
    assert quote(cart(("TEE", 1), channel="store", store="S002", shopper=shopper), book(p)).discount == 0


def test_member_offers_need_membership() -> None:
    p = promo("SOCI", PromotionKind.AMOUNT_OFF, target=SOCKS, amount=100, members_only=True)
    assert quote(cart(("SOCK", 1), shopper=Shopper("C1")), book(p)).discount == 0
    assert quote(cart(("SOCK", 1), shopper=Shopper("C1", member=True)), book(p)).discount == 100


# --- coupons ----------------------------------------------------------------------------------


def test_a_coupon_promotion_applies_only_with_its_coupon() -> None:
    p = promo("WELCOME", PromotionKind.PERCENT_OFF, percent_bp=1000, requires_coupon=True)
    assert quote(cart(("TEE", 1)), book(p)).adjustments == ()
    q = quote(cart(("TEE", 1), coupons=(AppliedCoupon("WELC-123", "WELCOME"),)), book(p))
    (adjustment,) = q.adjustments
    assert (adjustment.coupon, adjustment.amount) == ("WELC-123", 250)
    assert adjustment.explanation_en == "WELCOME (coupon WELC-123): 10% off everything (1 line), -€2.50"
    assert adjustment.explanation_it == "WELCOME (coupon WELC-123): sconto 10% su tutto (1 riga), -2,50 €"


def test_coupons_that_cannot_apply_are_rejected_with_a_reason() -> None:
    web = frozenset({"web"})
    web_only = promo("WEB", PromotionKind.PERCENT_OFF, percent_bp=1000, requires_coupon=True, channels=web)
    big_spend = promo("BIG", PromotionKind.SPEND_GET, threshold=10000, amount=1000, requires_coupon=True)
    coupons = (
        AppliedCoupon("C-WEB", "WEB"),
        AppliedCoupon("C-BIG", "BIG"),
        AppliedCoupon("C-GONE", "EXPIRED-PROMO"),
        AppliedCoupon("C-WEB", "WEB"),
    )
    q = quote(cart(("TEE", 1), channel="app", coupons=coupons), book(big_spend, web_only))
    assert q.adjustments == ()
    assert [(r.code, r.reason_en, r.reason_it) for r in q.rejected_coupons] == [
        ("C-WEB", "not valid in this channel", "non valida in questo canale"),
        ("C-BIG", "spend at least €100.00 on eligible items", "spesa minima di 100,00 € su articoli idonei"),
        ("C-GONE", "promotion not available", "promozione non disponibile"),
        ("C-WEB", "coupon already applied", "coupon già applicato"),
    ]


def test_a_voucher_value_replaces_the_promotion_amount_and_each_voucher_counts() -> None:
    voucher = promo("LOYALTY-VOUCHER", PromotionKind.SPEND_GET, threshold=0, requires_coupon=True)
    coupons = (AppliedCoupon("V-B", "LOYALTY-VOUCHER", 500), AppliedCoupon("V-A", "LOYALTY-VOUCHER", 1000))
    q = quote(cart(("TEE", 1)), book(voucher))
    assert q.adjustments == ()
    q = quote(cart(("TEE", 1), coupons=coupons), book(voucher))
    assert [(a.coupon, a.amount) for a in q.adjustments] == [("V-A", 1000), ("V-B", 500)]
    assert q.total == 1000
    assert (
        q.adjustments[0].explanation_en
        == "LOYALTY-VOUCHER (coupon V-A): €10.00 off everything (1 line), -€10.00"
    )
    huge = quote(cart(("SOCK", 1), coupons=(AppliedCoupon("V-C", "LOYALTY-VOUCHER", 5000),)), book(voucher))
    assert (huge.discount, huge.total) == (990, 0)


def test_a_coupon_value_caps_a_percentage() -> None:
    p = promo("HALF", PromotionKind.PERCENT_OFF, percent_bp=5000, requires_coupon=True)
    q = quote(cart(("SHOE", 1), coupons=(AppliedCoupon("H1", "HALF", 1000),)), book(p))
    assert q.discount == 1000
    assert q.adjustments[0].explanation_en == "HALF (coupon H1): 50% off everything (1 line), capped, -€10.00"


# --- budgets ----------------------------------------------------------------------------------


def test_the_budget_left_caps_the_discount_and_is_spread_pro_rata() -> None:
    p = promo("TEN", PromotionKind.PERCENT_OFF, target=RUNNING, percent_bp=1000, budget_left_minor=500)
    q = quote(cart(("SHOE", 1), ("SOCK", 1)), book(p))
    assert shares(q) == [[(1, 450), (2, 50)]]


def test_a_spent_budget_gives_nothing_and_rejects_its_coupon() -> None:
    p = promo("TEN", PromotionKind.PERCENT_OFF, percent_bp=1000, budget_left_minor=0, requires_coupon=True)
    q = quote(cart(("TEE", 1), coupons=(AppliedCoupon("T1", "TEN"),)), book(p))
    assert q.discount == 0
    assert [(r.code, r.reason_en) for r in q.rejected_coupons] == [("T1", "promotion budget exhausted")]


# --- VAT --------------------------------------------------------------------------------------


def test_vat_is_rounded_per_rate_and_split_exactly_over_lines_and_delivery() -> None:
    q = quote(cart(("SHOE", 1), ("MUG", 2), delivery_fee=490), book())
    assert q.vat == (
        VatBucket(rate_bp=1000, gross=2400, taxable=2182, vat=218),
        VatBucket(rate_bp=2200, gross=9480, taxable=7770, vat=1710),
    )
    assert [line.vat for line in q.lines] == [1622, 218]
    assert (q.delivery_vat, q.vat_total, q.total) == (88, 1928, 11880)


def test_line_vat_follows_the_discounted_net() -> None:
    p = promo("HALF", PromotionKind.PERCENT_OFF, target=SOCKS, percent_bp=5000)
    q = quote(cart(("SOCK", 1), ("TEE", 1)), book(p))
    assert [line.net for line in q.lines] == [495, 2500]
    assert q.vat_total == 540  # 29.95 at 22% -> 5.4008
    assert [line.vat for line in q.lines] == [89, 451]


# --- errors -----------------------------------------------------------------------------------


def test_an_unknown_sku_is_not_found() -> None:
    with pytest.raises(NotFound) as caught:
        quote(cart(("NOPE", 1)), book())
    assert caught.value.code == "pricing.unknown_sku"
    assert caught.value.details == {"sku": "NOPE"}


@pytest.mark.parametrize("quantity", [0, -1])
def test_a_quantity_below_one_is_refused(quantity: int) -> None:
    with pytest.raises(ValidationFailed) as caught:
        quote(cart(("TEE", 1), ("SOCK", quantity)), book())
    assert caught.value.code == "pricing.invalid_quantity"
    assert caught.value.details["field"] == "lines[1].quantity"


def test_a_negative_delivery_fee_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        quote(cart(("TEE", 1), delivery_fee=-1), book())


def test_the_fast_builders_make_the_same_values_as_the_classes() -> None:
    from unico.pricing.model import (
        Adjustment,
        LineShare,
        PricedLine,
        PromotionKind,
        adjustment,
        line_share,
        priced_line,
    )

    args = (1, "SKU-1", 2, 1000, "list", None, 2000, 100, 1900, 2200, 343)
    assert priced_line(*args) == PricedLine(*args)
    assert hash(priced_line(*args)) == hash(PricedLine(*args))
    assert repr(line_share(2, 50)) == repr(LineShare(2, 50))
    shares = (LineShare(1, 100),)
    made = adjustment("P", PromotionKind.PERCENT_OFF, 100, shares, None, "en", "it")
    assert made == Adjustment("P", PromotionKind.PERCENT_OFF, 100, shares, None, "en", "it")
    with pytest.raises(AttributeError):
        made.amount = 5  # type: ignore[misc]
