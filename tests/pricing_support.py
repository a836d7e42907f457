"""Builders for the pricing tests: a small catalog with brands, categories and VAT rates, list
prices, two stores, promotion bodies and the row counts a refused request must leave alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from tests.factories import make_location, make_variants
from unico.access.model import SYSTEM
from unico.api.routers.pricing import PromotionIn
from unico.catalog.store import brands, categories, products
from unico.core.db import Database
from unico.core.events import outbox_events
from unico.pricing import service
from unico.pricing.model import CartLine
from unico.pricing.store import (
    coupon_redemptions,
    coupons,
    list_prices,
    price_audits,
    price_overrides,
    promotion_redemptions,
    promotions,
    vat_rates,
)

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)

RUN42, RUN43 = "RUN-42", "RUN-43"  # running shoes (sport > running), brand NIKE, 99.90
TEE = "TEE-M"  # t-shirt (sport), brand ADIDAS, 25.00
MUG = "MUG-1"  # home, no brand, 12.00 at 10 % VAT
NOPRICE = "NOP-1"  # in the catalog, without a list price

PRICES = {RUN42: 9990, RUN43: 9990, TEE: 2500, MUG: 1200}


def make_pricing_catalog(db: Database, *, prices: bool = True) -> None:
    """The catalog above, stores MI-01 and MI-02, and (unless ``prices`` is False) list prices
    and the mug's 10 % VAT rate written straight to the tables."""
    make_variants(db, RUN42, RUN43, product_code="P-RUN", name="Scarpa da corsa")
    make_variants(db, TEE, product_code="P-TEE", name="Maglietta")
    make_variants(db, MUG, product_code="P-MUG", name="Tazza")
    make_variants(db, NOPRICE, product_code="P-NOP", name="Senza prezzo")
    with db.write() as conn:
        nike, adidas = (
            conn.execute(brands.insert().values(code=c, name=c).returning(brands.c.id)).scalar_one()
            for c in ("NIKE", "ADIDAS")
        )
        ids: dict[str, int] = {}
        for position, (code, parent) in enumerate((("sport", None), ("running", "sport"), ("home", None))):
            ids[code] = conn.execute(
                categories.insert()
                .values(
                    code=code,
                    parent_id=ids.get(parent) if parent else None,
                    name_it=code,
                    name_en=code,
                    position=position,
                )
                .returning(categories.c.id)
            ).scalar_one()
        for product, category, brand in (
            ("P-RUN", "running", nike),
            ("P-TEE", "sport", adidas),
            ("P-MUG", "home", None),
        ):
            conn.execute(
                products.update()
                .where(products.c.code == product)
                .values(category_id=ids[category], brand_id=brand)
            )
        if prices:
            service.set_list_prices_in(conn, sorted(PRICES.items()), "test")
            conn.execute(
                vat_rates.insert().values(
                    product_code="P-MUG", rate_bp=1000, updated_at=T0, updated_by="test"
                )
            )
    make_location(db, "MI-01")
    make_location(db, "MI-02", offset_km=3)


def promotion_body(code: str = "RUN10", **fields: Any) -> dict[str, Any]:
    """10 % off the running category, active, unless ``fields`` say otherwise."""
    body: dict[str, Any] = {
        "code": code,
        "name": f"Promo {code}",
        "kind": "percent_off",
        "percent_bp": 1000,
        "target": {"categories": ["running"]},
    }
    body.update(fields)
    return body


def coupon_promotion_body(code: str = "WELCOME", **fields: Any) -> dict[str, Any]:
    """€10 off a spend of €50 or more, with a coupon."""
    defaults: dict[str, Any] = {
        "kind": "spend_get",
        "percent_bp": None,
        "threshold": 5000,
        "amount": 1000,
        "target": {},
        "requires_coupon": True,
    }
    return promotion_body(code, **{**defaults, **fields})


def lines(*pairs: tuple[str, int]) -> tuple[CartLine, ...]:
    return tuple(CartLine(sku, quantity) for sku, quantity in pairs)


def quote_body(*pairs: tuple[str, int], channel: str = "web", **extra: Any) -> dict[str, Any]:
    return {"lines": [{"sku": s, "quantity": q} for s, q in pairs], "channel": channel, **extra}


PRICING_TABLES = (
    list_prices,
    vat_rates,
    price_overrides,
    promotions,
    coupons,
    coupon_redemptions,
    promotion_redemptions,
    price_audits,
    outbox_events,
)


def pricing_counts(db: Database) -> dict[str, int]:
    """Rows of every pricing table and of the outbox."""
    with db.read() as conn:
        return {
            t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in PRICING_TABLES
        }


def create_promotion(db: Database, **fields: Any) -> None:
    """Save a promotion through the service, from the same fields as the HTTP body."""
    service.create_promotion(db, PromotionIn(**promotion_body(**fields)).promotion(), SYSTEM)
