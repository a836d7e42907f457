"""Use cases of stock reads: availability to promise across the network, stock everywhere.

Concurrency: every change of ``stock`` is one conditional UPDATE on the (variant, location) row,
e.g. reserving is ``reserved = reserved + q WHERE on_hand - reserved - safety_stock >= q``; a
row that does not satisfy the condition is not touched and the caller gets a 409. Nothing reads a
quantity, decides in Python and writes it back, so no number of processes can oversell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.catalog.store import variants
from unico.core.db import Database
from unico.core.errors import NotFound, ValidationFailed
from unico.inventory.availability import (
    DEFAULT_RULES,
    available_to_promise,
    network_availability,
    serving_locations,
)
from unico.inventory.model import (
    Channel,
    Method,
    SkuAvailability,
    StockLevel,
    StockRow,
)
from unico.inventory.queries import load_network, location_by_code, require_variants
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
    """
    if not skus:
        raise ValidationFailed("give at least one SKU", field="skus")
    if len(skus) > MAX_BASKET:
        raise ValidationFailed(f"at most {MAX_BASKET} SKUs per call", field="skus")
    if (channel, method) not in DEFAULT_RULES:
        raise ValidationFailed(f"channel {channel} does not offer {method}", field="method")
    with db.read() as conn:
        ids = require_variants(conn, skus)
        network = load_network(conn)
        if location_codes:
            known = {loc.code for loc in network}
            unknown = [c for c in location_codes if c not in known]
            if unknown:
                raise NotFound(
                    f"unknown location '{unknown[0]}'",
                    code="inventory.location_not_found",
                    location=unknown[0],
                )
            network = [loc for loc in network if loc.code in set(location_codes)]
        serving = serving_locations(network, channel, method)
        levels = _levels(conn, ids, [loc.id for loc in serving])
    return network_availability(
        list(dict.fromkeys(skus)), levels, serving, include_locations=include_locations
    )


def _levels(
    conn: Connection, ids: dict[str, int], location_ids: Sequence[int]
) -> dict[str, list[StockLevel]]:
    """Stock rows with something to promise, for the given variants and locations."""
    if not location_ids:
        return {}
    by_variant = {v: s for s, v in ids.items()}
    levels: dict[str, list[StockLevel]] = defaultdict(list)
    wanted_locations = set(location_ids)
    query = select(
        stock.c.variant_id, stock.c.location_id, stock.c.on_hand, stock.c.reserved, stock.c.safety_stock
    ).where(
        stock.c.variant_id.in_(list(ids.values())),
        stock.c.on_hand - stock.c.reserved - stock.c.safety_stock > 0,
    )
    for variant_id, location_id, on_hand, reserved, safety in conn.execute(query):
        if location_id in wanted_locations:
            levels[by_variant[variant_id]].append(StockLevel(location_id, on_hand, reserved, safety))
    return levels


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
