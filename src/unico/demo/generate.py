"""``generate_demo``: the whole demo retailer as plain values, from a seed and a scale. Pure."""

from __future__ import annotations

import random
from datetime import date

from unico.demo.catalog import build_brands, build_categories, generate_products
from unico.demo.model import DemoData
from unico.demo.network import generate_locations, load_places
from unico.demo.people import generate_people, paper_signups
from unico.demo.stock import generate_stock

PRODUCTS_AT_SCALE_1 = 2000
# Holidays are listed for the year after this day; the loader passes today's date instead.
REFERENCE_DAY = date(2026, 1, 1)


def product_count(scale: float) -> int:
    """Products for ``scale`` (1 = 2,000), at least one."""
    if scale <= 0:
        raise ValueError("the demo scale must be positive")
    return max(1, round(PRODUCTS_AT_SCALE_1 * scale))


def generate_demo(seed: int, scale: float = 1.0, *, start: date = REFERENCE_DAY) -> DemoData:
    """The demo retailer for ``seed``: the same seed, scale and start give equal data.

    Stores and warehouses do not depend on the scale; the catalog, its stock and the customers
    grow with it. Orders and tracking depend on the day of the load: see ``unico.demo.activity``.
    Nothing here reads the clock: ``start`` fixes the year of holidays and closures.
    """
    rng = random.Random(seed)
    locations = generate_locations(rng, start)
    categories = build_categories()
    products = generate_products(rng, product_count(scale), categories)
    stores = [loc for loc in locations if loc.type == "store"]
    people = generate_people(seed, scale, stores)
    return DemoData(
        seed=seed,
        scale=scale,
        places=list(load_places()),
        locations=locations,
        brands=build_brands(),
        categories=categories,
        products=products,
        stock=generate_stock(rng, products, locations),
        people=people,
        paper_signups=paper_signups(seed, scale, people),
    )
