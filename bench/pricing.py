"""Pricing benchmark: quotes per second of the pure engine, 10-line carts, 200 live promotions.

A synthetic catalogue: 5,000 SKUs in 30 departments of 10 categories each (a SKU matches
promotions on its category and its department) and 120 brands; VAT 22%, 10% in two departments.
200 active promotions: 4 site-wide (two spend thresholds, two free deliveries) and 196 item
promotions of every kind (percent off 35%, amount off 20%, spend threshold 15%, buy-x-get-y 15%,
bundle 10%, free delivery 5%) targeting 1-3 categories, a department, 1-2 brands or 5-40 SKUs.
A quarter are exclusive; priorities 0-5; 15% are limited to two channels, 5% to five stores, 10%
to members, 5% to silver/gold tiers, 10% need a coupon and 10% have a discount budget left
(some of it spent). 300 price overrides (store, channel, store+channel; 10% expired).

Each cart has 10 distinct random SKUs (quantities 1-3), a random channel (web, app, store,
contact_center; a store for "store"), a member or not, a 4.90 delivery fee on web and app, and one
time in three a coupon of a coupon promotion (a third of them vouchers with their own value).
Each cart gets the price book ``pricing.book.load_price_book_in`` would load for it: the list
prices and overrides of its SKUs and all 200 promotions, as one tuple shared by every book, as the
loader hands out the same live tuple while no promotion, validity or budget left changes (so the
engine's index of it, built once, serves every quote). Carts and books are built beforehand;
the timed loop calls only ``unico.pricing.engine.quote``, in one process, for a few seconds after
a warm-up. Printed: quotes per second, per-quote latency percentiles, and how much each quote
did on average (promotions that applied, lines discounted), so the load is visible.
``--departments``/``--brands`` change how many promotions each line meets (fewer = denser).
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.support import percentile
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
    Shopper,
    Stacking,
    Target,
)

AT = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CHANNELS = ("web", "app", "store", "contact_center")
STORES = tuple(f"S{n:03d}" for n in range(1, 31))
TIERS = ("base", "silver", "gold")
SITE_WIDE = (
    PromotionKind.SPEND_GET,
    PromotionKind.SPEND_GET,
    PromotionKind.FREE_DELIVERY,
    PromotionKind.FREE_DELIVERY,
)
KINDS = list(PromotionKind)
KIND_WEIGHTS = [35, 20, 15, 15, 10, 5]  # in PromotionKind order


@dataclass(frozen=True)
class Catalogue:
    departments: tuple[str, ...]
    categories: tuple[str, ...]
    brands: tuple[str, ...]
    skus: tuple[str, ...]
    prices: dict[str, ListPrice]


def build_catalogue(rng: random.Random, skus: int, departments: int, brands: int) -> Catalogue:
    depts = tuple(f"dept-{d:02d}" for d in range(departments))
    categories = tuple(f"{dept}/cat-{c}" for dept in depts for c in range(10))
    brand_codes = tuple(f"brand-{b:03d}" for b in range(brands))
    reduced = set(depts[-2:])
    prices = {}
    for n in range(skus):
        sku = f"SKU{n:05d}"
        category = rng.choice(categories)
        department = category.split("/")[0]
        prices[sku] = ListPrice(
            sku=sku,
            amount=rng.randrange(199, 19999, 10),
            vat_rate_bp=1000 if department in reduced else 2200,
            categories=frozenset({category, department}),
            brand=rng.choice(brand_codes),
        )
    return Catalogue(depts, categories, brand_codes, tuple(sorted(prices)), prices)


def random_target(rng: random.Random, catalogue: Catalogue) -> Target:
    """A few categories, a department, one or two brands, or a list of SKUs."""
    pick = rng.random()
    if pick < 0.5:
        return Target(categories=frozenset(rng.sample(catalogue.categories, rng.randint(1, 3))))
    if pick < 0.55:
        return Target(categories=frozenset({rng.choice(catalogue.departments)}))
    if pick < 0.8:
        return Target(brands=frozenset(rng.sample(catalogue.brands, rng.randint(1, 2))))
    return Target(skus=frozenset(rng.sample(catalogue.skus, rng.randint(5, 40))))


def kind_fields(rng: random.Random, kind: PromotionKind) -> dict[str, int]:
    if kind is PromotionKind.PERCENT_OFF:
        return {"percent_bp": rng.choice((500, 1000, 1500, 2000, 3000))}
    if kind is PromotionKind.AMOUNT_OFF:
        return {"amount": rng.choice((100, 200, 500, 1000))}
    if kind is PromotionKind.SPEND_GET:
        threshold = rng.choice((2000, 5000, 10000))
        if rng.random() < 0.5:
            return {"threshold": threshold, "amount": rng.choice((500, 1000, 1500))}
        return {"threshold": threshold, "percent_bp": rng.choice((500, 1000))}
    if kind is PromotionKind.BUY_X_GET_Y:
        return {
            "buy_quantity": rng.choice((1, 2)),
            "get_quantity": 1,
            "percent_bp": rng.choice((5000, 10000)),
        }
    if kind is PromotionKind.BUNDLE_PRICE:
        return {"bundle_quantity": rng.choice((2, 3)), "amount": rng.choice((2000, 3000, 5000))}
    return {"threshold": rng.choice((0, 3000, 6000))}


def build_promotions(rng: random.Random, catalogue: Catalogue, count: int) -> list[Promotion]:
    promotions = []
    for n in range(count):
        site_wide = n < len(SITE_WIDE)
        kind = SITE_WIDE[n] if site_wide else rng.choices(KINDS, KIND_WEIGHTS)[0]
        roll = rng.random()
        promotions.append(
            Promotion(
                code=f"PROMO{n:03d}",
                name=f"Promotion {n}",
                kind=kind,
                target=Target() if site_wide else random_target(rng, catalogue),
                priority=rng.randint(0, 5),
                stacking=Stacking.EXCLUSIVE if rng.random() < 0.25 else Stacking.STACKABLE,
                valid_from=AT - timedelta(days=rng.randint(1, 30)),
                valid_to=AT + timedelta(days=rng.randint(1, 30)),
                channels=frozenset(rng.sample(CHANNELS, 2)) if roll < 0.15 else frozenset(),
                stores=frozenset(rng.sample(STORES, 5)) if 0.15 <= roll < 0.2 else frozenset(),
                members_only=0.2 <= roll < 0.3,
                tiers=frozenset({"silver", "gold"}) if 0.3 <= roll < 0.35 else frozenset(),
                requires_coupon=0.35 <= roll < 0.45,
                budget_left_minor=rng.choice((0, 500, 100000)) if 0.45 <= roll < 0.55 else None,
                **kind_fields(rng, kind),  # type: ignore[arg-type]
            )
        )
    return promotions


def build_overrides(rng: random.Random, catalogue: Catalogue, count: int) -> list[PriceOverride]:
    overrides = []
    for n in range(count):
        shape = rng.random()
        overrides.append(
            PriceOverride(
                override_id=f"OVR{n:04d}",
                sku=rng.choice(catalogue.skus),
                amount=rng.randrange(99, 9999, 10),
                reason="store clearance" if shape < 0.6 else "marketplace price match",
                channel=rng.choice(CHANNELS) if shape >= 0.4 else None,
                store=rng.choice(STORES) if shape < 0.6 else None,
                valid_to=AT - timedelta(days=1) if rng.random() < 0.1 else None,
            )
        )
    return overrides


def build_carts(
    rng: random.Random, catalogue: Catalogue, coupon_promotions: list[str], count: int
) -> list[Cart]:
    carts = []
    for n in range(count):
        channel = rng.choice(CHANNELS)
        member = rng.random() < 0.5
        coupons: tuple[AppliedCoupon, ...] = ()
        if coupon_promotions and rng.random() < 1 / 3:
            value = rng.choice((None, None, 1000))
            coupons = (AppliedCoupon(f"CPN{n:06d}", rng.choice(coupon_promotions), value),)
        carts.append(
            Cart(
                lines=tuple(CartLine(sku, rng.randint(1, 3)) for sku in rng.sample(catalogue.skus, 10)),
                channel=channel,
                at=AT,
                store=rng.choice(STORES) if channel == "store" else None,
                shopper=Shopper(f"C{n:06d}", member=member, tier=rng.choice(TIERS) if member else None),
                coupons=coupons,
                delivery_fee=490 if channel in ("web", "app") else 0,
            )
        )
    return carts


def book_for(
    cart: Cart, catalogue: Catalogue, overrides: list[PriceOverride], promotions: tuple[Promotion, ...]
) -> PriceBook:
    """What ``pricing.book.load_price_book_in`` hands the engine for ``cart``: the list prices and
    overrides of its SKUs, and every live promotion (the one shared live tuple)."""
    wanted = {line.sku for line in cart.lines}
    return PriceBook(
        {sku: catalogue.prices[sku] for sku in wanted},
        tuple(o for o in overrides if o.sku in wanted),
        promotions,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skus", type=int, default=5000)
    parser.add_argument("--departments", type=int, default=30, help="of 10 categories each")
    parser.add_argument("--brands", type=int, default=120)
    parser.add_argument("--promotions", type=int, default=200)
    parser.add_argument("--overrides", type=int, default=300)
    parser.add_argument("--carts", type=int, default=2000, help="distinct carts, quoted in turn")
    parser.add_argument("--seconds", type=float, default=5.0, help="timed run length")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    catalogue = build_catalogue(rng, args.skus, args.departments, args.brands)
    promotions = tuple(build_promotions(rng, catalogue, args.promotions))
    overrides = build_overrides(rng, catalogue, args.overrides)
    coupon_promotions = [p.code for p in promotions if p.requires_coupon]
    carts = build_carts(rng, catalogue, coupon_promotions, args.carts)
    jobs = [(cart, book_for(cart, catalogue, overrides, promotions)) for cart in carts]

    for cart, book in jobs[:200]:  # warm-up
        quote(cart, book)
    samples: list[float] = []
    adjustments = discounted = rejected = 0
    clock = time.perf_counter
    cpu_started = time.process_time()
    started = clock()
    deadline = started + args.seconds
    n = 0
    while True:
        cart, book = jobs[n % len(jobs)]
        t0 = clock()
        result = quote(cart, book)
        t1 = clock()
        samples.append(t1 - t0)
        adjustments += len(result.adjustments)
        discounted += sum(1 for line in result.lines if line.discount)
        rejected += len(result.rejected_coupons)
        n += 1
        if t1 >= deadline:
            break
    elapsed = clock() - started
    cpu = time.process_time() - cpu_started
    quotes_per_s = round(n / elapsed)
    quotes_per_cpu_s = round(n / cpu)
    p50_us = percentile(samples, 50) * 1e6
    p99_us = percentile(samples, 99) * 1e6
    print(
        f"{args.skus:,} SKUs ({args.departments * 10} categories, {args.brands} brands), "
        f"{args.promotions} active promotions, {args.overrides} overrides, {len(carts):,} carts of 10 lines"
    )
    print(f"quotes: {n:,} in {elapsed:.2f} s = {quotes_per_s:,} quotes/s (one process)")
    print(
        f"CPU: {cpu:.2f} s = {quotes_per_cpu_s:,} quotes per CPU second (the same when the machine is idle)"
    )
    print(f"per quote: p50 {p50_us:.0f} µs, p99 {p99_us:.0f} µs")
    print(
        f"per quote on average: {adjustments / n:.2f} adjustments, {discounted / n:.2f} of 10 lines "
        f"discounted, {rejected / n:.2f} coupons rejected"
    )
    print(
        json.dumps(
            {
                "quotes_per_s": quotes_per_s,
                "p50_us": round(p50_us, 1),
                "p99_us": round(p99_us, 1),
                "quotes_per_cpu_s": quotes_per_cpu_s,
                "adjustments_per_quote": round(adjustments / n, 2),
                "promotions": args.promotions,
                "lines": 10,
            }
        )
    )


if __name__ == "__main__":
    main()
