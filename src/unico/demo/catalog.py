"""The demo catalog: a category tree, brands, and products drawn combinatorially from their types.

Every product gets names and descriptions in Italian and English, attributes, image URLs, its
variants (colour x size, with an EAN-13 under the GS1 Italy prefix 80) and the same
``search_text`` the catalog service would compute.
"""

from __future__ import annotations

import random

from unico.catalog.ean import ean13_with_checksum
from unico.catalog.search import build_search_text
from unico.demo.model import Brand, Category, Product, Variant
from unico.demo.prices import list_price_minor
from unico.demo.product_types import PRODUCT_TYPES, ProductType
from unico.demo.vocabulary import (
    BRANDS,
    CATEGORIES,
    COLOURS,
    GENDERS,
    LINES,
    MATERIALS,
    PALETTES,
    SEASONS,
    SIZE_RUNS,
    Style,
)

IMAGE_BASE = "https://img.demo.unico.example/p"
_EAN_SPAN = 10**10  # the ten digits after the "80" prefix
_EAN_STEP = 7919  # a prime, so consecutive variants get scattered yet never repeated codes
_COLOUR_COUNT_WEIGHTS = (5, 3, 2)


def build_categories() -> list[Category]:
    positions: dict[str | None, int] = {}
    categories = []
    for code, parent, name_it, name_en in CATEGORIES:
        positions[parent] = positions.get(parent, 0) + 1
        categories.append(Category(code, parent, name_it, name_en, positions[parent]))
    return categories


def build_brands() -> list[Brand]:
    return [Brand(code, name) for code, name, _ in BRANDS]


class _Tree:
    """Ancestors and bilingual path names of the category tree, for brands and search."""

    def __init__(self, categories: list[Category]) -> None:
        self._by_code = {c.code: c for c in categories}

    def path(self, code: str) -> list[Category]:
        path = []
        current: Category | None = self._by_code[code]
        while current is not None:
            path.append(current)
            current = self._by_code[current.parent] if current.parent else None
        return list(reversed(path))

    def names(self, code: str) -> list[str]:
        return [name for c in self.path(code) for name in (c.name_it, c.name_en)]

    def brands_for(self, code: str) -> list[str]:
        ancestors = {c.code for c in self.path(code)}
        return [brand for brand, _, scope in BRANDS if ancestors.intersection(scope)]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _names(ptype: ProductType, style: Style, line: str, gender: str | None) -> tuple[str, str]:
    name_it = f"{ptype.noun_it} {style.it} {line}"
    name_en = f"{line} {style.en} {ptype.noun_en}"
    if gender:
        word_it, word_en = GENDERS[gender]
        return f"{name_it} {word_it}", f"{word_en} {name_en}"
    return name_it, name_en


def _descriptions(
    ptype: ProductType,
    style: Style,
    line: str,
    gender: str | None,
    brand: str,
    material: str,
    season: str,
    features: list[tuple[str, str]],
) -> tuple[str, str]:
    lead_it = f"{ptype.noun_it} {style.it}" + (f" da {GENDERS[gender][0]}" if gender else "")
    lead_en = (f"{GENDERS[gender][1]} " if gender else "") + f"{style.en} {ptype.noun_en}"
    material_it, material_en = MATERIALS[material]
    season_it, season_en = SEASONS[season]
    text_it = [f"{lead_it} della linea {line} di {brand}.", *(f"{it}." for it, _ in features)]
    text_en = [f"{_capitalised(lead_en)} from the {line} line by {brand}.", *(f"{en}." for _, en in features)]
    text_it += [f"Materiale principale: {material_it}.", season_it]
    text_en += [f"Main material: {material_en}.", season_en]
    return " ".join(text_it), " ".join(text_en)


def _colour_codes(ptype: ProductType, rng: random.Random) -> list[str]:
    palette = PALETTES[ptype.palette]
    most = min(ptype.max_colours, len(palette))
    count = rng.choices(range(1, most + 1), _COLOUR_COUNT_WEIGHTS[:most])[0]
    return rng.sample(palette, count)


def generate_products(rng: random.Random, count: int, categories: list[Category]) -> list[Product]:
    """``count`` products; (type, gender, style, line) repeats only when the combinations run out."""
    tree = _Tree(categories)
    brand_names = {code: name for code, name, _ in BRANDS}
    type_weights = [t.weight for t in PRODUCT_TYPES]
    ean_offset = rng.randrange(_EAN_SPAN)
    variant_number = 0
    seen: set[tuple[str, str | None, str, str]] = set()
    products = []
    for number in range(1, count + 1):
        for _attempt in range(20):
            ptype = rng.choices(PRODUCT_TYPES, type_weights)[0]
            gender, category = rng.choice(ptype.categories)
            style = rng.choice(ptype.styles)
            line = rng.choice(LINES)
            if (ptype.code, gender, style.it, line) not in seen:
                break
        seen.add((ptype.code, gender, style.it, line))
        brand = rng.choice(tree.brands_for(category))
        material = style.material or rng.choice(ptype.materials)
        season = rng.choice(ptype.seasons)
        features = rng.sample(ptype.features, min(len(ptype.features), rng.randint(1, 2)))
        code = f"{ptype.code}-{number:05d}"
        name_it, name_en = _names(ptype, style, line, gender)
        description_it, description_en = _descriptions(
            ptype, style, line, gender, brand_names[brand], material, season, features
        )
        colours = _colour_codes(ptype, rng)
        sizes = SIZE_RUNS[ptype.sizes.format(g=gender or "unisex")]
        variants = []
        for colour in colours:
            for size_code, size_label in sizes:
                body = f"80{(ean_offset + variant_number * _EAN_STEP) % _EAN_SPAN:010d}"
                variant_number += 1
                variants.append(
                    Variant(
                        sku=f"{code}-{colour}-{size_code}",
                        ean=ean13_with_checksum(body),
                        size=size_label,
                        colour=COLOURS[colour][0],
                    )
                )
        attributes: dict[str, object] = {
            "line": line,
            "material": material,
            "season": season,
            "list_price_minor": list_price_minor(code),
        }
        if gender:
            attributes["gender"] = gender
        products.append(
            Product(
                code=code,
                brand=brand,
                category=category,
                name_it=name_it,
                name_en=name_en,
                description_it=description_it,
                description_en=description_en,
                attributes=attributes,
                images=(f"{IMAGE_BASE}/{code}.jpg", f"{IMAGE_BASE}/{code}-2.jpg"),
                search_text=build_search_text(
                    code=code,
                    name_it=name_it,
                    name_en=name_en,
                    description_it=description_it,
                    description_en=description_en,
                    brand=brand_names[brand],
                    category_names=tree.names(category),
                    colours=[name for c in colours for name in COLOURS[c]],
                ),
                variants=tuple(variants),
            )
        )
    return products
