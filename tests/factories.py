"""Deterministic builders of catalog and network rows for tests of other domains."""

from __future__ import annotations

from sqlalchemy import select

from unico.access.model import SYSTEM
from unico.catalog.store import products, variants
from unico.catalog.text import search_document
from unico.core import clock
from unico.core.db import Database
from unico.inventory import ledger
from unico.inventory import locations as network
from unico.inventory.model import Capability, LocationType, MovementKind, MovementRequest
from unico.inventory.store import places

ALL_WEEK = {d: (("09:00", "20:00"),) for d in range(7)}

# Real coordinates of a few Italian city centres.
CITIES = {
    "Milano": (45.4642, 9.1900, "20121", "MI"),
    "Monza": (45.5845, 9.2744, "20900", "MB"),
    "Bergamo": (45.6983, 9.6773, "24121", "BG"),
    "Roma": (41.9028, 12.4964, "00184", "RM"),
    "Torino": (45.0703, 7.6869, "10121", "TO"),
}


def make_variants(
    db: Database, *skus: str, product_code: str = "P-TEST", name: str = "Prodotto di prova"
) -> None:
    """One active product with the given SKUs as variants."""
    at = clock.now()
    with db.write() as conn:
        existing = conn.execute(select(products.c.id).where(products.c.code == product_code)).scalar()
        if existing is None:
            existing = conn.execute(
                products.insert().values(
                    code=product_code,
                    name_it=name,
                    name_en=name,
                    description_it="",
                    description_en="",
                    status="active",
                    attributes={},
                    images=[],
                    search_text=search_document([name]),
                    created_at=at,
                    updated_at=at,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        conn.execute(
            variants.insert(), [{"sku": s, "product_id": existing, "status": "active"} for s in skus]
        )


def make_location(
    db: Database,
    code: str,
    *,
    city: str = "Milano",
    type: LocationType = LocationType.STORE,
    capabilities: frozenset[Capability] = frozenset({Capability.PICKUP, Capability.RETURNS}),
    offset_km: float = 0.0,
    hours: dict[int, tuple[tuple[str, str], ...]] | None = None,
) -> None:
    lat, lon, postcode, province = CITIES[city]
    network.create_location(
        db,
        network.LocationDraft(
            code=code,
            name=f"{type.value.title()} {code}",
            type=type,
            latitude=lat + offset_km / 111.0,
            longitude=lon,
            city=city,
            postcode=postcode,
            province=province,
            capabilities=capabilities,
            pickup_capacity_per_day=30 if type is LocationType.STORE else 0,
            hours=ALL_WEEK if hours is None else hours,
        ),
        "test",
    )


def receive(db: Database, sku: str, location: str, quantity: int, movement_id: str | None = None) -> None:
    ledger.apply_movements(
        db,
        [
            MovementRequest(
                movement_id or f"rcv-{sku}-{location}-{quantity}",
                sku,
                location,
                MovementKind.RECEIPT,
                quantity,
            )
        ],
        SYSTEM,
    )


def make_places(db: Database) -> None:
    with db.write() as conn:
        conn.execute(
            places.insert(),
            [
                {
                    "name": n,
                    "name_key": n.lower(),
                    "postcode": pc,
                    "province": pr,
                    "latitude": la,
                    "longitude": lo,
                }
                for n, (la, lo, pc, pr) in CITIES.items()
            ],
        )
