"""The demo retailer's prices and offers, stored through the pricing service.

Every variant's list price is its product's ``list_price_minor`` (:mod:`unico.demo.prices`),
VAT included at 22 %: the catalog is clothing, sport goods and household goods, all at the
Italian standard rate (the reduced rates cover food, books, energy and building work, none sold
here), so no SKU needs a rate of its own. Promotions cover every kind the engine knows: a
category sale with a validity window, an amount off bags, a spend threshold, a 3-for-2, a
bundle price, free delivery, an offer for loyalty members, one for the gold tier, a coupon
campaign with generated codes and a season sale that ended a month ago. Explicit prices, each
with its reason, start today: the outlet store clears two products, and the marketplace sells
one at a price that carries its commission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Connection

from unico.access.model import Principal, Role
from unico.core.db import Database
from unico.demo.model import DemoData, Product
from unico.demo.prices import list_price_minor
from unico.pricing import service as pricing
from unico.pricing.model import PriceOverride, Promotion, PromotionKind, Stacking, Target

ACTOR = "demo"
PRICING = Principal(kind="system", name="demo", role=Role.ADMIN)
COUPON_CAMPAIGN = "BENVENUTO10"
COUPON_THRESHOLD = 5_000
COUPONS = 60
OUTLET_CLEARANCE_BP = 6_000  # the outlet sells at 60 % of the list price, ending in ,90
CLEARED_TYPES = ("CPT", "GIA", "SCA", "OGI", "PIU")  # coats, jackets, last season's boots


@dataclass(frozen=True)
class Offers:
    promotions: int
    overrides: int
    coupons: tuple[str, ...]  # the campaign's codes, for orders that use one
    outlet: str | None  # the store clearing stock at its own prices


def price_catalog_in(conn: Connection, data: DemoData) -> int:
    """Store every variant's list price (one bulk write); returns how many."""
    rows = [(v.sku, list_price_minor(p.code)) for p in data.products for v in p.variants]
    pricing.set_list_prices_in(conn, rows, ACTOR)
    return len(rows)


def demo_promotions(now: datetime, bundle_skus: frozenset[str]) -> list[Promotion]:
    """The retailer's promotions as of ``now`` (the bundle only when there are candles to bundle)."""
    ago = now - timedelta(days=90)
    found = [
        Promotion(
            "SALDI-CORSA",
            "Saldi corsa -20%",
            PromotionKind.PERCENT_OFF,
            Target(categories=frozenset({"sport-running"})),
            percent_bp=2_000,
            priority=20,
            valid_from=now - timedelta(days=21),
            valid_to=now + timedelta(days=14),
        ),
        Promotion(
            "SPENDI100",
            "Spendi 100 €, 15 € di sconto",
            PromotionKind.SPEND_GET,
            threshold=10_000,
            amount=1_500,
            valid_from=ago,
        ),
        Promotion(
            "TAVOLA-3X2",
            "Tavola: prendi 3, paghi 2",
            PromotionKind.BUY_X_GET_Y,
            Target(categories=frozenset({"home-table"})),
            buy_quantity=2,
            get_quantity=1,
            percent_bp=10_000,
            priority=10,
            stacking=Stacking.EXCLUSIVE,
            valid_from=ago,
        ),
        Promotion(
            "BORSE-10",
            "Borse e zaini: 10 € di sconto",
            PromotionKind.AMOUNT_OFF,
            Target(categories=frozenset({"fashion-accessories-bags"})),
            amount=1_000,
            valid_from=ago,
        ),
        Promotion(
            "SOCI-OUTDOOR",
            "Soci: outdoor -10%",
            PromotionKind.PERCENT_OFF,
            Target(categories=frozenset({"sport-outdoor"})),
            percent_bp=1_000,
            members_only=True,
            valid_from=ago,
        ),
        Promotion(
            "ORO-15",
            "Livello Oro: -15% su tutto",
            PromotionKind.PERCENT_OFF,
            percent_bp=1_500,
            tiers=frozenset({"gold"}),
            priority=30,
            stacking=Stacking.EXCLUSIVE,
            valid_from=ago,
        ),
        Promotion(
            COUPON_CAMPAIGN,
            "Benvenuto: 10 € su 50 € con il codice",
            PromotionKind.SPEND_GET,
            threshold=COUPON_THRESHOLD,
            amount=1_000,
            requires_coupon=True,
            per_customer_limit=1,
            max_redemptions=COUPONS,
            valid_from=ago,
        ),
        Promotion(
            "CONSEGNA-GRATIS",
            "Consegna gratuita sopra 49 €",
            PromotionKind.FREE_DELIVERY,
            threshold=4_900,
            channels=frozenset({"web", "app", "contact_center"}),
            valid_from=ago,
        ),
        Promotion(
            "PRIMAVERA",
            "Saldi di primavera donna -15%",
            PromotionKind.PERCENT_OFF,
            Target(categories=frozenset({"fashion-women"})),
            percent_bp=1_500,
            valid_from=now - timedelta(days=75),
            valid_to=now - timedelta(days=30),
        ),
    ]
    if bundle_skus:
        found.append(
            Promotion(
                "CANDELE-2X15",
                "Due candele a 15 €",
                PromotionKind.BUNDLE_PRICE,
                Target(skus=bundle_skus),
                bundle_quantity=2,
                amount=1_500,
                valid_from=ago,
            )
        )
    return found


def clearance_price(amount: int) -> int:
    """The outlet's price of a product listed at ``amount``: 60 %, down to ,90."""
    euros = amount * OUTLET_CLEARANCE_BP // 10_000 // 100
    return max(euros, 1) * 100 - 10


def _explicit_prices(data: DemoData) -> list[tuple[Product, str | None, str | None, str, int]]:
    """(product, channel, store, reason, price) of every explicit price, each with its reason."""
    found: list[tuple[Product, str | None, str | None, str, int]] = []
    outlet = data.stores[-1].code if data.stores else None
    if outlet is not None:
        cleared = [p for p in data.products if p.code.split("-", 1)[0] in CLEARED_TYPES][:2]
        for product in cleared:
            price = clearance_price(list_price_minor(product.code))
            found.append((product, None, outlet, "outlet store clearance of last season's stock", price))
    runner = next((p for p in data.products if p.code.startswith("RUN-")), None)
    if runner is not None:
        price = list_price_minor(runner.code) + 500
        reason = "marketplace price carries the platform's sales commission"
        found.append((runner, "marketplace", None, reason, price))
    return found


def create_offers(db: Database, data: DemoData, now: datetime) -> Offers:
    """Promotions, the coupon campaign's codes and the explicit prices, as of ``now``."""
    candles = [p for p in data.products if p.code.startswith("CND-") and list_price_minor(p.code) <= 1_490]
    bundle = frozenset(v.sku for p in candles[:3] for v in p.variants)
    promotions = demo_promotions(now, bundle)
    for promotion in promotions:
        pricing.create_promotion(db, promotion, PRICING)
    _batch, codes = pricing.generate_coupons(db, COUPON_CAMPAIGN, COUPONS, PRICING, prefix="BENV")
    overrides = 0
    for product, channel, store, reason, amount in _explicit_prices(data):
        for variant in product.variants:
            pricing.create_override(
                db,
                PriceOverride("", variant.sku, amount, reason, channel=channel, store=store, valid_from=now),
                PRICING,
            )
            overrides += 1
    return Offers(len(promotions), overrides, tuple(codes), data.stores[-1].code if data.stores else None)
