"""Catalog use cases against a real database, on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from unico.catalog import service
from unico.catalog.ean import ean13_with_checksum
from unico.catalog.model import (
    Brand,
    CategoryDraft,
    CategoryRef,
    ProductChanges,
    ProductDraft,
    Variant,
    VariantDraft,
)
from unico.catalog.search import build_search_text
from unico.catalog.store import products, variants
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import outbox_events

ACTOR = "test:catalog"
EAN_42 = ean13_with_checksum("800000000042")
EAN_43 = ean13_with_checksum("800000000043")


def given_a_small_catalog(db: Database) -> None:
    """Two brands, a category tree, and four products: shoes, shorts, a T-shirt, a sweater."""
    service.create_brand(db, "acme", "Acme Sport", ACTOR)
    service.create_brand(db, "lanificio", "Lanificio Biellese", ACTOR)
    service.create_category(db, CategoryDraft("sport", "Sport", "Sport"), ACTOR)
    service.create_category(db, CategoryDraft("calzature", "Calzature", "Footwear", parent="sport"), ACTOR)
    service.create_category(db, CategoryDraft("abbigliamento", "Abbigliamento", "Clothing"), ACTOR)
    service.create_product(
        db,
        ProductDraft(
            code="CAL-100",
            name_it="Scarpa da corsa Veloce",
            name_en="Veloce running shoe",
            description_it="Ammortizzata, per l'asfalto.",
            description_en="Cushioned, for the road.",
            brand="acme",
            category="calzature",
            attributes={"drop_mm": 8, "waterproof": False},
            images=["https://img.example/cal-100-a.jpg", "https://img.example/cal-100-b.jpg"],
            variants=[
                VariantDraft("CAL-100-42", EAN_42, "42", "Blu"),
                VariantDraft("CAL-100-43", EAN_43, "43", "Blu"),
            ],
        ),
        ACTOR,
    )
    service.create_product(
        db,
        ProductDraft(
            code="PAN-400",
            name_it="Pantaloncini da corsa",
            name_en="Running shorts",
            brand="acme",
            category="sport",
            variants=[VariantDraft("PAN-400-M", None, "M", "Nero")],
        ),
        ACTOR,
    )
    service.create_product(
        db,
        ProductDraft(
            code="MAG-200",
            name_it="Maglia in cotone",
            name_en="Cotton T-shirt",
            brand="acme",
            category="abbigliamento",
            variants=[VariantDraft("MAG-200-S", None, "S", "Rossa")],
        ),
        ACTOR,
    )
    service.create_product(
        db,
        ProductDraft(
            code="MAG-300",
            name_it="Maglione di lana",
            name_en="Wool sweater",
            brand="lanificio",
            category="abbigliamento",
            variants=[VariantDraft("MAG-300-L", None, "L", "Grigio")],
        ),
        ACTOR,
    )


def codes(db: Database, query: str, **filters: Any) -> list[str]:
    return [hit.code for hit in service.search_products(db, query, **filters).items]


def test_created_product_reads_back_with_variants_brand_and_category_path(db: Database) -> None:
    given_a_small_catalog(db)

    product = service.get_product(db, "CAL-100")

    assert product.name_it == "Scarpa da corsa Veloce"
    assert product.brand == Brand("acme", "Acme Sport")
    assert product.category_path == [
        CategoryRef("sport", "Sport", "Sport"),
        CategoryRef("calzature", "Calzature", "Footwear"),
    ]
    assert product.category == "calzature"
    assert product.attributes == {"drop_mm": 8, "waterproof": False}
    assert product.images == ["https://img.example/cal-100-a.jpg", "https://img.example/cal-100-b.jpg"]
    assert product.variants == [
        Variant("CAL-100-42", EAN_42, "42", "Blu", "active"),
        Variant("CAL-100-43", EAN_43, "43", "Blu", "active"),
    ]
    assert product.created_at.tzinfo is not None


def test_search_text_is_what_build_search_text_gives(db: Database) -> None:
    given_a_small_catalog(db)

    with db.read() as conn:
        stored = conn.execute(select(products.c.search_text).where(products.c.code == "CAL-100")).scalar_one()

    assert stored == build_search_text(
        code="CAL-100",
        name_it="Scarpa da corsa Veloce",
        name_en="Veloce running shoe",
        description_it="Ammortizzata, per l'asfalto.",
        description_en="Cushioned, for the road.",
        brand="Acme Sport",
        category_names=["Sport", "Sport", "Calzature", "Footwear"],
        colours=["Blu", "Blu"],
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("scarpe da corsa", ["CAL-100"]),  # Italian plural and a stopword
        ("running shoes", ["CAL-100"]),  # through the English name
        ("SCARPÈ", ["CAL-100"]),  # case and accents
        ("scarpe da cor", ["CAL-100"]),  # the last word is typed so far
        ("footwear", ["CAL-100"]),  # the category's English name
        ("sport blu", ["CAL-100"]),  # an ancestor category and a colour
        ("maglie", ["MAG-200"]),  # plural finds 'maglia' and not 'maglione'
        ("màglia cotone", ["MAG-200"]),
        ("wool", ["MAG-300"]),
        ("lanificio", ["MAG-300"]),  # brand name
        ("ombrello", []),
        ("da", []),  # nothing but a stopword
    ],
)
def test_search_finds_products_in_italian_and_english(db: Database, query: str, expected: list[str]) -> None:
    given_a_small_catalog(db)

    page = service.search_products(db, query)

    assert [hit.code for hit in page.items] == expected
    assert page.total == len(expected)


def test_search_requires_every_word(db: Database) -> None:
    given_a_small_catalog(db)

    assert sorted(codes(db, "corsa")) == ["CAL-100", "PAN-400"]
    assert codes(db, "corsa nero") == ["PAN-400"]


def test_hit_summary_carries_brand_category_first_image_and_skus(db: Database) -> None:
    given_a_small_catalog(db)

    (hit,) = service.search_products(db, "scarpe da corsa").items

    assert (hit.code, hit.name_it, hit.name_en) == (
        "CAL-100",
        "Scarpa da corsa Veloce",
        "Veloce running shoe",
    )
    assert (hit.brand, hit.category, hit.status) == ("Acme Sport", "calzature", "active")
    assert hit.image == "https://img.example/cal-100-a.jpg"
    assert hit.skus == ["CAL-100-42", "CAL-100-43"]


@pytest.mark.parametrize("query", ["CAL-100-43", EAN_42, "CAL-100", "cal-100-43"])
def test_a_sku_ean_or_code_finds_its_product(db: Database, query: str) -> None:
    given_a_small_catalog(db)

    assert codes(db, query)[0] == "CAL-100"


def test_exact_code_comes_before_better_text_matches(db: Database) -> None:
    given_a_small_catalog(db)
    service.create_product(db, ProductDraft(code="CORSA", name_it="Fascia", name_en="Headband"), ACTOR)

    found = codes(db, "corsa")

    assert found[0] == "CORSA"
    assert sorted(found[1:]) == ["CAL-100", "PAN-400"]


def test_blank_query_lists_by_code_with_filters_and_paging(db: Database) -> None:
    given_a_small_catalog(db)

    assert codes(db, "") == ["CAL-100", "MAG-200", "MAG-300", "PAN-400"]
    assert codes(db, "", category="sport") == ["CAL-100", "PAN-400"]  # includes subcategories
    assert codes(db, "", category="calzature") == ["CAL-100"]
    assert codes(db, "", brand="lanificio") == ["MAG-300"]
    assert codes(db, "", category="nessuna") == []
    page = service.search_products(db, "", limit=2, offset=2)
    assert [hit.code for hit in page.items] == ["MAG-300", "PAN-400"]
    assert page.total == 4


def test_status_filter_hides_drafts_by_default(db: Database) -> None:
    given_a_small_catalog(db)
    service.update_product(db, "MAG-300", ProductChanges(status="draft"), ACTOR)

    assert codes(db, "wool") == []
    assert codes(db, "wool", status="draft") == ["MAG-300"]
    assert codes(db, "", status=None) == ["CAL-100", "MAG-200", "MAG-300", "PAN-400"]


def test_search_follows_product_and_variant_changes(db: Database) -> None:
    given_a_small_catalog(db)

    service.update_product(
        db, "CAL-100", ProductChanges(name_en="Veloce trail shoe", category="abbigliamento"), ACTOR
    )
    service.add_variant(db, "CAL-100", VariantDraft("CAL-100-44", None, "44", "Verde"), ACTOR)

    assert codes(db, "running shoes") == []
    assert codes(db, "trail") == ["CAL-100"]
    assert codes(db, "footwear") == []
    assert codes(db, "clothing verde") == ["CAL-100"]
    assert service.get_product(db, "CAL-100").category_path == [
        CategoryRef("abbigliamento", "Abbigliamento", "Clothing")
    ]


def test_update_can_detach_brand_and_records_an_event(db: Database) -> None:
    given_a_small_catalog(db)

    updated = service.update_product(db, "MAG-200", ProductChanges(brand=None, images=[]), ACTOR)

    assert updated.brand is None
    assert updated.images == []
    assert sorted(codes(db, "acme")) == ["CAL-100", "PAN-400"]
    with db.read() as conn:
        payload = conn.execute(
            select(outbox_events.c.payload).where(outbox_events.c.type == "catalog.product_updated")
        ).scalar_one()
    assert payload == {"code": "MAG-200", "fields": ["brand", "images"], "actor": ACTOR}


def test_variant_reads_back_with_its_product(db: Database) -> None:
    given_a_small_catalog(db)

    found = service.get_variant(db, "CAL-100-42")

    assert (found.sku, found.ean, found.size, found.colour) == ("CAL-100-42", EAN_42, "42", "Blu")
    assert (found.product_code, found.product_name_it, found.product_name_en) == (
        "CAL-100",
        "Scarpa da corsa Veloce",
        "Veloce running shoe",
    )


def test_unknown_sku_and_code_are_not_found_with_codes(db: Database) -> None:
    with pytest.raises(NotFound) as sku:
        service.get_variant(db, "NOPE-1")
    with pytest.raises(NotFound) as product:
        service.get_product(db, "NOPE")

    assert sku.value.code == "catalog.sku_not_found"
    assert product.value.code == "catalog.product_not_found"


def test_a_refused_create_leaves_no_rows_and_no_event(db: Database) -> None:
    given_a_small_catalog(db)
    with db.read() as conn:
        events_before = conn.execute(select(func.count()).select_from(outbox_events)).scalar_one()

    with pytest.raises(Conflict) as refused:
        service.create_product(
            db,
            ProductDraft(
                code="CAL-101",
                name_it="Scarpa",
                name_en="Shoe",
                variants=[VariantDraft("CAL-101-40"), VariantDraft("CAL-100-42")],
            ),
            ACTOR,
        )

    assert refused.value.code == "catalog.duplicate_sku"
    assert refused.value.details == {"field": "variants.1.sku", "sku": "CAL-100-42"}
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(products)).scalar_one() == 4
        assert conn.execute(select(func.count()).select_from(variants)).scalar_one() == 5
        assert conn.execute(select(func.count()).select_from(outbox_events)).scalar_one() == events_before


def test_unknown_category_refuses_create_without_rows(db: Database) -> None:
    with pytest.raises(NotFound) as refused:
        service.create_product(
            db,
            ProductDraft(
                code="X-1", name_it="X", name_en="X", category="boh", variants=[VariantDraft("X-1-A")]
            ),
            ACTOR,
        )

    assert refused.value.code == "catalog.category_not_found"
    assert refused.value.details["field"] == "category"
    with db.read() as conn:
        assert conn.execute(select(func.count()).select_from(products)).scalar_one() == 0
        assert conn.execute(select(func.count()).select_from(variants)).scalar_one() == 0


def test_invalid_ean_is_refused_naming_the_field(db: Database) -> None:
    bad = EAN_42[:-1] + str((int(EAN_42[-1]) + 1) % 10)

    with pytest.raises(ValidationFailed) as refused:
        service.create_product(
            db,
            ProductDraft(code="X-1", name_it="X", name_en="X", variants=[VariantDraft("X-1-A", bad)]),
            ACTOR,
        )

    assert refused.value.code == "catalog.invalid_ean"
    assert refused.value.details["field"] == "variants.0.ean"


def test_duplicates_are_conflicts(db: Database) -> None:
    given_a_small_catalog(db)

    with pytest.raises(Conflict) as product:
        service.create_product(db, ProductDraft(code="CAL-100", name_it="X", name_en="X"), ACTOR)
    with pytest.raises(Conflict) as ean:
        service.add_variant(db, "MAG-200", VariantDraft("MAG-200-M", EAN_43), ACTOR)
    with pytest.raises(Conflict) as brand:
        service.create_brand(db, "acme", "Acme", ACTOR)
    with pytest.raises(Conflict) as category:
        service.create_category(db, CategoryDraft("sport", "Sport", "Sport"), ACTOR)

    assert product.value.code == "catalog.duplicate_product"
    assert ean.value.code == "catalog.duplicate_ean"
    assert ean.value.details == {"field": "ean", "ean": EAN_43}
    assert brand.value.code == "catalog.duplicate_brand"
    assert category.value.code == "catalog.duplicate_category"


def test_category_tree_and_brands_list(db: Database) -> None:
    given_a_small_catalog(db)
    service.create_category(db, CategoryDraft("running", "Running", "Running", parent="calzature"), ACTOR)

    tree = service.list_categories(db)

    assert [(root.code, [c.code for c in root.children]) for root in tree] == [
        ("abbigliamento", []),
        ("sport", ["calzature"]),
    ]
    assert [c.code for c in tree[1].children[0].children] == ["running"]
    assert tree[1].children[0].children[0].parent == "calzature"
    assert service.list_brands(db) == [Brand("acme", "Acme Sport"), Brand("lanificio", "Lanificio Biellese")]


def test_writes_record_catalog_events(db: Database) -> None:
    given_a_small_catalog(db)

    with db.read() as conn:
        rows = conn.execute(
            select(outbox_events.c.type, outbox_events.c.aggregate_id, outbox_events.c.payload).order_by(
                outbox_events.c.id
            )
        ).all()

    assert [(row.type, row.aggregate_id) for row in rows] == [
        ("catalog.brand_created", "acme"),
        ("catalog.brand_created", "lanificio"),
        ("catalog.category_created", "sport"),
        ("catalog.category_created", "calzature"),
        ("catalog.category_created", "abbigliamento"),
        ("catalog.product_created", "CAL-100"),
        ("catalog.product_created", "PAN-400"),
        ("catalog.product_created", "MAG-200"),
        ("catalog.product_created", "MAG-300"),
    ]
    assert rows[5].payload == {"code": "CAL-100", "skus": ["CAL-100-42", "CAL-100-43"], "actor": ACTOR}
