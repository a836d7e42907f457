"""Loading the price book a quote needs: list prices of the cart's SKUs with what promotions
match them on (categories with their ancestors, brand), VAT rates, overrides and live promotions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from unico.catalog.queries import category_codes_in
from unico.catalog.store import brands, products, variants
from unico.core.db import among
from unico.core.errors import ValidationFailed
from unico.pricing.model import DEFAULT_VAT_RATE_BP, ListPrice, PriceBook, PriceOverride, Promotion
from unico.pricing.promotions import live_promotions_in
from unico.pricing.store import list_prices, price_overrides, promotion_redemptions, promotions, vat_rates

CHUNK = 5000  # SKUs per query (SQLite caps the parameters of one statement)


def list_prices_in(conn: Connection, skus: Iterable[str]) -> dict[str, ListPrice]:
    """List prices of ``skus`` that have one, with VAT rate, categories (and ancestors), brand."""
    wanted = sorted(set(skus))
    found: dict[str, ListPrice] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(_list_prices_chunk(conn, wanted[start : start + CHUNK]))
    return found


def _list_prices_chunk(conn: Connection, wanted: list[str]) -> dict[str, ListPrice]:
    rows = conn.execute(
        select(
            list_prices.c.sku,
            list_prices.c.amount_minor,
            products.c.category_id,
            brands.c.code.label("brand"),
            vat_rates.c.rate_bp,
        )
        .select_from(list_prices)
        .outerjoin(variants, variants.c.sku == list_prices.c.sku)
        .outerjoin(products, products.c.id == variants.c.product_id)
        .outerjoin(brands, brands.c.id == products.c.brand_id)
        .outerjoin(vat_rates, vat_rates.c.product_code == products.c.code)
        .where(among(conn, list_prices.c.sku, wanted))
    ).all()
    chains = category_codes_in(conn, {r.category_id for r in rows if r.category_id is not None})
    return {
        r.sku: ListPrice(
            sku=r.sku,
            amount=r.amount_minor,
            vat_rate_bp=DEFAULT_VAT_RATE_BP if r.rate_bp is None else r.rate_bp,
            categories=chains.get(r.category_id, frozenset()) if r.category_id is not None else frozenset(),
            brand=r.brand,
        )
        for r in rows
    }


def overrides_in(conn: Connection, skus: Iterable[str], at: datetime | None) -> tuple[PriceOverride, ...]:
    """Overrides of ``skus`` (valid at ``at``; all of them when ``at`` is None), by id."""
    query = select(price_overrides).where(among(conn, price_overrides.c.sku, sorted(set(skus))))
    if at is not None:
        query = query.where(
            (price_overrides.c.valid_from.is_(None)) | (price_overrides.c.valid_from <= at),
            (price_overrides.c.valid_to.is_(None)) | (price_overrides.c.valid_to > at),
        )
    return tuple(
        PriceOverride(
            override_id=r.override_id,
            sku=r.sku,
            amount=r.amount_minor,
            reason=r.reason or "",
            channel=r.channel,
            store=r.store,
            valid_from=r.valid_from,
            valid_to=r.valid_to,
        )
        for r in conn.execute(query.order_by(price_overrides.c.override_id))
    )


def promotions_used_up_by(conn: Connection, customer_id: str, candidates: list[Promotion]) -> set[str]:
    """Codes of ``candidates`` with a per-customer limit that ``customer_id`` has reached."""
    limited = {p.code: p.per_customer_limit for p in candidates if p.per_customer_limit is not None}
    if not limited:
        return set()
    used = conn.execute(
        select(promotions.c.code, func.count())
        .select_from(promotion_redemptions)
        .join(promotions, promotions.c.id == promotion_redemptions.c.promotion_id)
        .where(
            among(conn, promotions.c.code, sorted(limited)),
            promotion_redemptions.c.customer_id == customer_id,
        )
        .group_by(promotions.c.code)
    ).all()
    return {code for code, count in used if count >= (limited[code] or 0)}


def load_price_book_in(
    conn: Connection, skus: Iterable[str], at: datetime, *, customer_id: str | None = None
) -> PriceBook:
    """Everything the engine needs to price ``skus`` at ``at``. A SKU without a list price is a
    422 ``pricing.no_price`` naming it. Promotions whose budget is used up, or whose
    per-customer limit ``customer_id`` has reached, are left out."""
    wanted = list(dict.fromkeys(skus))
    prices = list_prices_in(conn, wanted)
    for sku in wanted:
        if sku not in prices:
            raise ValidationFailed(
                f"SKU {sku} has no list price", code="pricing.no_price", field="sku", sku=sku
            )
    live = live_promotions_in(conn, at)
    if customer_id is not None:
        spent = promotions_used_up_by(conn, customer_id, list(live))
        if spent:
            live = _without(live, frozenset(spent))
    return PriceBook(prices=prices, overrides=overrides_in(conn, wanted, at), promotions=live)


# The live promotions less those a customer has used up, per (live tuple, codes left out): the
# same customer's next quotes reuse the tuple (and the engine its index of it). Kept small; each
# entry holds its live tuple so the id in its key is not reused.
_WITHOUT_KEPT = 256
_without_cache: dict[tuple[int, frozenset[str]], tuple[tuple[Promotion, ...], tuple[Promotion, ...]]] = {}


def _without(live: tuple[Promotion, ...], spent: frozenset[str]) -> tuple[Promotion, ...]:
    key = (id(live), spent)
    cached = _without_cache.get(key)
    if cached is not None and cached[0] is live:
        return cached[1]
    kept = tuple(p for p in live if p.code not in spent)
    if len(_without_cache) >= _WITHOUT_KEPT:
        _without_cache.clear()
    _without_cache[key] = (live, kept)
    return kept
