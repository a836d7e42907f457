"""Reads shared by the inventory use cases: resolving codes and loading the network."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from unico.catalog.store import variants
from unico.core.db import among
from unico.core.errors import NotFound
from unico.inventory.model import Capability, LocationRef, LocationType
from unico.inventory.store import locations


def location_ref(row: Row[Any]) -> LocationRef:
    return LocationRef(
        id=int(row.id),
        code=row.code,
        name=row.name,
        type=LocationType(row.type),
        capabilities=frozenset(c for c in Capability if getattr(row, c.value)),
        latitude=row.latitude,
        longitude=row.longitude,
        active=row.status == "active",
    )


def load_network(conn: Connection) -> list[LocationRef]:
    """Every location, ordered by code (a few hundred rows at most)."""
    return [location_ref(r) for r in conn.execute(select(locations).order_by(locations.c.code))]


def location_by_code(conn: Connection, code: str) -> Row[Any]:
    row = conn.execute(select(locations).where(locations.c.code == code)).first()
    if row is None:
        raise NotFound(f"unknown location '{code}'", code="inventory.location_not_found", location=code)
    return row


def variant_ids(conn: Connection, skus: Iterable[str]) -> dict[str, int]:
    """SKU -> variant id for the SKUs that exist (chunked to stay under SQLite's parameter limit)."""
    wanted = list(dict.fromkeys(skus))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        query = select(variants.c.sku, variants.c.id).where(among(conn, variants.c.sku, chunk))
        found.update(conn.execute(query).all())
    return found


def require_variants(conn: Connection, skus: Sequence[str]) -> dict[str, int]:
    """Like :func:`variant_ids`, but an unknown SKU is a 404 naming every unknown one."""
    found = variant_ids(conn, skus)
    missing = [s for s in dict.fromkeys(skus) if s not in found]
    if missing:
        label = missing[0] if len(missing) == 1 else f"{missing[0]} and {len(missing) - 1} more"
        raise NotFound(f"unknown SKU {label}", code="catalog.sku_not_found", skus=missing)
    return found
