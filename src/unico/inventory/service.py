"""Use cases of stock reads: availability to promise across the network, stock everywhere.

Writes live beside this module: ``ledger`` (movements) and ``reservations``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.engine import Connection

from unico.catalog.store import variants
from unico.core.db import Database, among
from unico.core.errors import NotFound, ValidationFailed
from unico.inventory.availability import (
    ServingRule,
    available_to_promise,
    network_availability,
    serving_rules,
)
from unico.inventory.model import (
    Channel,
    LocationType,
    Method,
    SkuAvailability,
    StockLevel,
    StockRow,
)
from unico.inventory.queries import location_by_code, require_variants
from unico.inventory.store import locations, stock

MAX_BASKET = 1000


# --- availability ---------------------------------------------------------------------------


def check_availability(
    db: Database,
    skus: Sequence[str],
    *,
    channel: Channel,
    method: Method,
    location_codes: Sequence[str] = (),
    include_locations: bool = True,
) -> list[SkuAvailability]:
    """What the network can promise for each SKU, for one channel and fulfilment method.

    Up to 1,000 SKUs per call. ``location_codes`` narrows the answer (e.g. one pickup store).
    One query does the work: the channel's serving rules become its WHERE clause, and only
    locations with something to promise come back.
    """
    if not skus:
        raise ValidationFailed("give at least one SKU", field="skus")
    if len(skus) > MAX_BASKET:
        raise ValidationFailed(f"at most {MAX_BASKET} SKUs per call", field="skus")
    rules = serving_rules(channel, method)
    if not rules:
        raise ValidationFailed(f"channel {channel} does not offer {method}", field="method")
    wanted = list(dict.fromkeys(skus))
    with db.read() as conn:
        if location_codes:
            _require_locations(conn, location_codes)
        serving = _serving_locations(conn, rules, location_codes)
        rows = _promisable(conn, wanted, list(serving))
        found = {sku for sku, _loc, _atp in rows}
        missing = [sku for sku in wanted if sku not in found]
        if missing:  # nothing to promise, or unknown: only these need looking up (404 if unknown)
            require_variants(conn, missing)
    return network_availability(wanted, rows, serving, include_locations=include_locations)


_TYPES = {t.value: t for t in LocationType}


def _serving_locations(
    conn: Connection, rules: Sequence[ServingRule], location_codes: Sequence[str]
) -> dict[int, tuple[str, LocationType]]:
    """Id -> (code, type) of the active locations the rules allow (the channel's rules as SQL)."""
    clause = or_(
        *(
            and_(locations.c.type == rule.location_type.value, locations.c[rule.capability.value].is_(True))
            if rule.capability
            else locations.c.type == rule.location_type.value
            for rule in rules
        )
    )
    query = select(locations.c.id, locations.c.code, locations.c.type).where(
        locations.c.status == "active", clause
    )
    if location_codes:
        query = query.where(locations.c.code.in_(list(location_codes)))
    return {int(i): (code, _TYPES[kind]) for i, code, kind in conn.execute(query)}


def _promisable(conn: Connection, skus: list[str], location_ids: list[int]) -> list[tuple[str, int, int]]:
    """(SKU, location id, available) for rows with something to promise, largest first, read
    from the partial covering index ``ix_stock_promisable``."""
    if not location_ids:
        return []
    atp = stock.c.on_hand - stock.c.reserved - stock.c.safety_stock
    query = (
        select(variants.c.sku, stock.c.location_id, atp)
        .select_from(variants.join(stock, stock.c.variant_id == variants.c.id))
        .where(atp > 0, among(conn, stock.c.location_id, location_ids))
        .order_by(atp.desc(), stock.c.location_id)
    )
    rows: list[tuple[str, int, int]] = []
    for start in range(0, len(skus), 900):
        chunk = query.where(among(conn, variants.c.sku, skus[start : start + 900]))
        rows.extend(conn.execute(chunk).all())
    return rows


def _require_locations(conn: Connection, codes: Sequence[str]) -> None:
    known = set(conn.execute(select(locations.c.code).where(locations.c.code.in_(list(codes)))).scalars())
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise NotFound(
            f"unknown location '{unknown[0]}'", code="inventory.location_not_found", location=unknown[0]
        )


def stock_everywhere(db: Database, skus: Sequence[str]) -> dict[str, list[StockRow]]:
    """For each SKU, its stock at every active location (zeros included), by location code."""
    with db.read() as conn:
        ids = require_variants(conn, skus)
        network = conn.execute(
            select(locations)
            .where(locations.c.status == "active")
            .order_by(locations.c.type.desc(), locations.c.code)
        ).all()
        found = {
            (r.variant_id, r.location_id): r
            for r in conn.execute(select(stock).where(stock.c.variant_id.in_(list(ids.values()))))
        }
    result: dict[str, list[StockRow]] = {}
    for sku, vid in ids.items():
        rows = []
        for loc in network:
            s = found.get((vid, loc.id))
            rows.append(
                StockRow(
                    loc.code,
                    loc.name,
                    loc.type,
                    loc.city,
                    s.on_hand if s else 0,
                    s.reserved if s else 0,
                    s.safety_stock if s else 0,
                )
            )
        result[sku] = rows
    return result


@dataclass(frozen=True)
class LocationStockRow:
    sku: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int


def stock_at_location(
    db: Database, code: str, *, limit: int = 100, offset: int = 0
) -> list[LocationStockRow]:
    with db.read() as conn:
        loc = location_by_code(conn, code)
        rows = conn.execute(
            select(variants.c.sku, stock.c.on_hand, stock.c.reserved, stock.c.safety_stock)
            .select_from(stock.join(variants, variants.c.id == stock.c.variant_id))
            .where(stock.c.location_id == loc.id)
            .order_by(variants.c.sku)
            .limit(limit)
            .offset(offset)
        ).all()
    return [
        LocationStockRow(
            r.sku,
            r.on_hand,
            r.reserved,
            r.safety_stock,
            available_to_promise(r.on_hand, r.reserved, r.safety_stock),
        )
        for r in rows
    ]


def stock_level(db: Database, sku: str, location: str) -> StockLevel:
    with db.read() as conn:
        vid = require_variants(conn, [sku])[sku]
        loc = location_by_code(conn, location)
        row = conn.execute(
            select(stock).where(stock.c.variant_id == vid, stock.c.location_id == loc.id)
        ).first()
    if row is None:
        return StockLevel(int(loc.id), 0, 0, 0)
    return StockLevel(int(loc.id), row.on_hand, row.reserved, row.safety_stock)
