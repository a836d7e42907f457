"""Opening stock with the sparsity of a real network: thin in stores, deep in the warehouses.

Each store carries a share of the catalog that depends on its size, middle sizes more often than
the extremes; a few bestsellers are everywhere and a few SKUs are sold out everywhere.
"""

from __future__ import annotations

import random

from unico.demo.model import Location, Product, StockLevel
from unico.demo.network import stocking_depth

BESTSELLER_SHARE = 0.03
SOLD_OUT_SHARE = 0.02
_STORE_UNITS = (0, 1, 2, 3, 4, 5, 6)
_STORE_UNIT_CUMULATIVE = (8, 33, 58, 76, 88, 95, 100)  # weights 8, 25, 25, 18, 12, 7, 5


def _size_curve(index: int, count: int) -> float:
    """1.0 for the middle size, down to 0.5 for the smallest and largest."""
    if count < 3:
        return 1.0
    middle = (count - 1) / 2
    return 1.0 - 0.5 * abs(index - middle) / middle


def generate_stock(
    rng: random.Random, products: list[Product], locations: list[Location]
) -> list[StockLevel]:
    """One row per stocked (SKU, location); zero rows are kept where a store lists an empty shelf."""
    levels: list[StockLevel] = []
    stores = [(loc.code, stocking_depth(loc.profile)) for loc in locations if loc.type == "store"]
    warehouses = [(loc.code, stocking_depth(loc.profile)) for loc in locations if loc.type == "warehouse"]
    for product in products:
        bestseller = rng.random() < BESTSELLER_SHARE
        sizes = sorted({v.size for v in product.variants}, key=[v.size for v in product.variants].index)
        for variant in product.variants:
            sold_out = not bestseller and rng.random() < SOLD_OUT_SHARE
            curve = _size_curve(sizes.index(variant.size), len(sizes))
            for code, depth in stores:
                if not bestseller and rng.random() >= depth * curve:
                    continue
                if sold_out:
                    units = 0
                elif bestseller:
                    units = rng.randint(3, 6)
                else:
                    units = rng.choices(_STORE_UNITS, cum_weights=_STORE_UNIT_CUMULATIVE)[0]
                levels.append(StockLevel(variant.sku, code, units, 1 if rng.random() < 0.25 else 0))
            for code, depth in warehouses:
                if not bestseller and rng.random() >= depth:
                    continue
                units = 0 if sold_out else round(rng.triangular(5, 200, 20))
                levels.append(StockLevel(variant.sku, code, units, rng.randint(0, 5)))
    return levels
