"""List prices, VAT rates and channel or store overrides.

One list price per SKU (VAT included). A different price in a channel or a store is an explicit
override: through the API (``source='api'``) it must state its reason; a store price pushed by a
till connector or an import (``record_store_price_in``, ``source='pos_sync'|'import'``) may come
without one, and the coherence audit then reports it as unjustified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from unico.access.model import Permission, Principal
from unico.catalog.store import products, variants
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.core.ids import new_id
from unico.pricing.book import overrides_in
from unico.pricing.model import DEFAULT_VAT_RATE_BP, PriceOverride
from unico.pricing.promotions import check_stores_exist
from unico.pricing.rules import MAX_AMOUNT, check_override
from unico.pricing.store import list_prices, price_overrides, vat_rates

SOURCES = ("api", "pos_sync", "import")


def _upsert(conn: Connection, table: Any, key: str, rows: list[dict[str, Any]]) -> None:
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(table)
    updates = {name: statement.excluded[name] for name in rows[0] if name != key}
    conn.execute(statement.on_conflict_do_update(index_elements=[key], set_=updates), rows)


def _product_of(conn: Connection, sku: str) -> str:
    code = conn.execute(
        select(products.c.code)
        .join(variants, variants.c.product_id == products.c.id)
        .where(variants.c.sku == sku)
    ).scalar()
    if code is None:
        raise NotFound(f"no SKU {sku} in the catalog", code="pricing.unknown_sku", sku=sku)
    return str(code)


def _check_amount(amount: int) -> None:
    if not 0 <= amount <= MAX_AMOUNT:
        raise ValidationFailed(
            "a price is between 0 and 1,000,000.00 (minor units, VAT included)",
            code="pricing.price_invalid",
            field="amount",
        )


def _check_rate(rate_bp: int) -> None:
    if not 0 <= rate_bp <= 10000:
        raise ValidationFailed(
            "a VAT rate is between 0 and 10000 basis points",
            code="pricing.vat_rate_invalid",
            field="vat_rate_bp",
        )


def price_in(conn: Connection, sku: str) -> dict[str, Any]:
    """The SKU's list price, VAT rate and overrides (every one, past and future included)."""
    product = _product_of(conn, sku)
    row = conn.execute(select(list_prices).where(list_prices.c.sku == sku)).first()
    rate = conn.execute(select(vat_rates.c.rate_bp).where(vat_rates.c.product_code == product)).scalar()
    return {
        "sku": sku,
        "product_code": product,
        "amount": None if row is None else row.amount_minor,
        "currency": "EUR",
        "vat_rate_bp": DEFAULT_VAT_RATE_BP if rate is None else rate,
        "updated_at": None if row is None else row.updated_at,
        "updated_by": None if row is None else row.updated_by,
        "overrides": [_override_doc(o) for o in overrides_in(conn, [sku], None)],
    }


def _override_doc(o: PriceOverride) -> dict[str, Any]:
    return {
        "override_id": o.override_id,
        "sku": o.sku,
        "amount": o.amount,
        "reason": o.reason,
        "channel": o.channel,
        "store": o.store,
        "valid_from": o.valid_from,
        "valid_to": o.valid_to,
    }


def get_price(db: Database, sku: str) -> dict[str, Any]:
    """See :func:`price_in`; 404 ``pricing.unknown_sku`` for a SKU not in the catalog."""
    with db.read() as conn:
        return price_in(conn, sku)


def set_list_price(
    db: Database, sku: str, amount: int, principal: Principal, *, vat_rate_bp: int | None = None
) -> dict[str, Any]:
    """Set the SKU's list price (and, if given, its product's VAT rate); records
    ``pricing.list_price_changed``. 404 ``pricing.unknown_sku``; 422 ``pricing.price_invalid`` /
    ``pricing.vat_rate_invalid``."""
    principal.require(Permission.PRICING_MANAGE)
    _check_amount(amount)
    if vat_rate_bp is not None:
        _check_rate(vat_rate_bp)
    at = clock.now()
    with db.write() as conn:
        product = _product_of(conn, sku)
        before = conn.execute(select(list_prices.c.amount_minor).where(list_prices.c.sku == sku)).scalar()
        _upsert(
            conn,
            list_prices,
            "sku",
            [{"sku": sku, "amount_minor": amount, "updated_at": at, "updated_by": principal.actor}],
        )
        if vat_rate_bp is not None:
            _set_rate_in(conn, product, vat_rate_bp, principal.actor)
        if before != amount:
            record_event(
                conn,
                DomainEvent(
                    "pricing.list_price_changed", "sku", sku, {"sku": sku, "from": before, "to": amount}
                ),
            )
        return price_in(conn, sku)


def set_list_prices_in(conn: Connection, rows: Sequence[tuple[str, int]], actor: str) -> int:
    """Upsert many list prices at once inside the caller's transaction (demo, imports); no
    events. Returns how many rows were written."""
    if not rows:
        return 0
    for _, amount in rows:
        _check_amount(amount)
    at = clock.now()
    values = [
        {"sku": sku, "amount_minor": amount, "updated_at": at, "updated_by": actor} for sku, amount in rows
    ]
    for start in range(0, len(values), 1000):
        _upsert(conn, list_prices, "sku", values[start : start + 1000])
    return len(values)


def _set_rate_in(conn: Connection, product_code: str, rate_bp: int, actor: str) -> None:
    _upsert(
        conn,
        vat_rates,
        "product_code",
        [{"product_code": product_code, "rate_bp": rate_bp, "updated_at": clock.now(), "updated_by": actor}],
    )


def set_vat_rate(db: Database, product_code: str, rate_bp: int, principal: Principal) -> None:
    """Set a product's VAT rate (basis points, 2200 = 22 %). 404 ``pricing.unknown_product``;
    422 ``pricing.vat_rate_invalid``."""
    principal.require(Permission.PRICING_MANAGE)
    _check_rate(rate_bp)
    with db.write() as conn:
        if conn.execute(select(products.c.id).where(products.c.code == product_code)).first() is None:
            raise NotFound(f"no product {product_code}", code="pricing.unknown_product", product=product_code)
        _set_rate_in(conn, product_code, rate_bp, principal.actor)


def _insert_override(conn: Connection, o: PriceOverride, source: str, actor: str) -> PriceOverride:
    saved = replace(o, override_id=new_id("pov"))
    conn.execute(
        price_overrides.insert().values(
            override_id=saved.override_id,
            sku=o.sku,
            channel=o.channel,
            store=o.store,
            amount_minor=o.amount,
            reason=o.reason.strip() if o.reason and o.reason.strip() else None,
            source=source,
            valid_from=o.valid_from,
            valid_to=o.valid_to,
            created_at=clock.now(),
            created_by=actor,
        )
    )
    record_event(
        conn,
        DomainEvent(
            "pricing.override_created",
            "sku",
            o.sku,
            {
                "override_id": saved.override_id,
                "sku": o.sku,
                "channel": o.channel,
                "store": o.store,
                "amount": o.amount,
                "source": source,
            },
        ),
    )
    return saved


def _check_priced(conn: Connection, sku: str) -> None:
    _product_of(conn, sku)
    if conn.execute(select(list_prices.c.id).where(list_prices.c.sku == sku)).first() is None:
        raise ValidationFailed(f"SKU {sku} has no list price", code="pricing.no_price", field="sku", sku=sku)


def create_override(db: Database, override: PriceOverride, principal: Principal) -> PriceOverride:
    """Save an explicit channel and/or store price with its reason and validity (its
    ``override_id`` is assigned). 422 ``pricing.override_invalid`` (``field``), 404
    ``pricing.unknown_sku``, 422 ``pricing.no_price`` when the SKU has no list price yet."""
    principal.require(Permission.PRICING_MANAGE)
    check_override(override, reason_required=True)
    with db.write() as conn:
        _check_priced(conn, override.sku)
        if override.store is not None:
            check_stores_exist(conn, frozenset({override.store}), "store", "pricing.override_invalid")
        return _insert_override(conn, override, "api", principal.actor)


def record_store_price_in(
    conn: Connection,
    sku: str,
    store: str,
    amount: int,
    source: str,
    *,
    reason: str | None = None,
    actor: str = "connector",
) -> str:
    """A store's own price pushed by a till (``pos_sync``) or an import, inside the caller's
    transaction: it ends the open price of the same SKU, store and source and starts a new one
    now. A reason is optional here (required for ``api``); returns the override id."""
    if source not in SOURCES:
        raise ValidationFailed(f"unknown source {source!r}", code="pricing.override_invalid", field="source")
    at = clock.now()
    override = PriceOverride(
        override_id="", sku=sku, amount=amount, reason=reason or "", store=store, valid_from=at
    )
    check_override(override, reason_required=source == "api")
    _check_priced(conn, sku)
    conn.execute(
        price_overrides.update()
        .where(
            price_overrides.c.sku == sku,
            price_overrides.c.store == store,
            price_overrides.c.channel.is_(None),
            price_overrides.c.source == source,
            price_overrides.c.valid_from.is_(None) | (price_overrides.c.valid_from <= at),
            price_overrides.c.valid_to.is_(None) | (price_overrides.c.valid_to > at),
        )
        .values(valid_to=at)
    )
    return _insert_override(conn, override, source, actor).override_id
