"""The demo retailer as plain values: what ``generate_demo`` returns and the loader stores. No I/O."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from unico.demo.people import PaperSignup, Person


@dataclass(frozen=True, slots=True)
class Place:
    """A town with one of its postcodes, for the store locator ("Milano", "20121" -> coordinates)."""

    name: str
    name_key: str
    postcode: str
    province: str
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class OpeningSlot:
    weekday: int  # 0 = Monday
    opens: str  # local "HH:MM"
    closes: str


@dataclass(frozen=True, slots=True)
class OpeningException:
    day: date
    closed: bool
    opens: str | None
    closes: str | None
    note: str


@dataclass(frozen=True, slots=True)
class Location:
    """A store or a warehouse, with its week, its exceptional days and its services."""

    code: str
    type: str  # store | warehouse
    profile: str  # metro | city | town | warehouse: how big the store is and how it opens
    name: str
    address: str
    city: str
    province: str
    postcode: str
    latitude: float
    longitude: float
    phone: str
    email: str
    pickup: bool
    reserve_in_store: bool
    ship_from_store: bool
    returns: bool
    pickup_capacity_per_day: int
    hours: tuple[OpeningSlot, ...]
    exceptions: tuple[OpeningException, ...]


@dataclass(frozen=True, slots=True)
class Brand:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Category:
    """A node of the category tree; ``parent`` is the parent's code (None for a department)."""

    code: str
    parent: str | None
    name_it: str
    name_en: str
    position: int


@dataclass(frozen=True, slots=True)
class Variant:
    sku: str
    ean: str
    size: str
    colour: str  # Italian colour name, as the stores label it


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    brand: str  # brand code
    category: str  # leaf category code
    name_it: str
    name_en: str
    description_it: str
    description_en: str
    attributes: dict[str, Any]
    images: tuple[str, ...]
    search_text: str
    variants: tuple[Variant, ...]


@dataclass(frozen=True, slots=True)
class StockLevel:
    sku: str
    location: str  # location code
    on_hand: int
    safety_stock: int


@dataclass(frozen=True)
class DemoData:
    """Everything the demo loads, in insertion order; the same (seed, scale) gives equal values."""

    seed: int
    scale: float
    places: list[Place] = field(default_factory=list)
    locations: list[Location] = field(default_factory=list)
    brands: list[Brand] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    stock: list[StockLevel] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    paper_signups: list[PaperSignup] = field(default_factory=list)

    @property
    def stores(self) -> list[Location]:
        return [loc for loc in self.locations if loc.type == "store"]

    @property
    def warehouses(self) -> list[Location]:
        return [loc for loc in self.locations if loc.type == "warehouse"]

    @property
    def variant_count(self) -> int:
        return sum(len(p.variants) for p in self.products)

    def digest(self) -> str:
        """A SHA-256 of every generated value: equal digests mean equal data.

        The ``repr`` of these dataclasses lists every field in a fixed order (attribute dicts
        are built in a fixed order too), so it identifies the value.
        """
        sha = hashlib.sha256(repr((self.seed, self.scale)).encode())
        parts = (self.places, self.locations, self.brands, self.categories, self.products, self.stock)
        for part in (*parts, self.people, self.paper_signups):
            for item in part:
                sha.update(repr(item).encode())
        return sha.hexdigest()
