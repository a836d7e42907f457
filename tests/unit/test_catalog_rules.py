"""Draft checks and the category tree. Pure."""

from __future__ import annotations

import pytest

from unico.catalog.categories import CategoryRow, category_path, category_tree, descendant_ids, path_names
from unico.catalog.ean import ean13_with_checksum
from unico.catalog.model import CategoryRef, ProductChanges, ProductDraft, VariantDraft
from unico.catalog.rules import check_changes, check_product, check_variant
from unico.core.errors import Conflict, ValidationFailed

EAN = ean13_with_checksum("800000000001")


def draft(**overrides: object) -> ProductDraft:
    fields: dict[str, object] = {"code": "P-1", "name_it": "Maglia", "name_en": "Shirt"}
    fields.update(overrides)
    return ProductDraft(**fields)  # type: ignore[arg-type]


def test_a_complete_draft_passes() -> None:
    check_product(
        draft(
            images=["https://img.example/p-1.jpg"],
            attributes={"material": "cotone"},
            variants=[VariantDraft("P-1-S", EAN, "S", "Rosso"), VariantDraft("P-1-M", None, "M")],
        )
    )


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"code": "P 1"}, "code", "validation.failed"),
        ({"code": "-P1"}, "code", "validation.failed"),
        ({"code": "P" * 41}, "code", "validation.failed"),
        ({"name_it": "  "}, "name_it", "validation.failed"),
        ({"status": "deleted"}, "status", "validation.failed"),
        ({"images": ["ftp://img.example/a.jpg"]}, "images.0", "validation.failed"),
        (
            {"images": ["https://ok.example/a.jpg", "https://bad example/b.jpg"]},
            "images.1",
            "validation.failed",
        ),
        ({"variants": [VariantDraft("P-1-S", "8000000000011")]}, "variants.0.ean", "catalog.invalid_ean"),
        ({"variants": [VariantDraft("P-1-S"), VariantDraft("P/1")]}, "variants.1.sku", "validation.failed"),
        ({"variants": [VariantDraft("P-1-S", status="draft")]}, "variants.0.status", "validation.failed"),
    ],
)
def test_a_bad_draft_names_the_field(overrides: dict[str, object], field: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_product(draft(**overrides))

    assert refused.value.code == code
    assert refused.value.details["field"] == field


def test_the_same_sku_or_ean_twice_in_one_draft_is_a_conflict() -> None:
    with pytest.raises(Conflict) as sku:
        check_product(draft(variants=[VariantDraft("P-1-S"), VariantDraft("P-1-S")]))
    with pytest.raises(Conflict) as ean:
        check_product(draft(variants=[VariantDraft("P-1-S", EAN), VariantDraft("P-1-M", EAN)]))

    assert (sku.value.code, sku.value.details["field"]) == ("catalog.duplicate_sku", "variants.1.sku")
    assert (ean.value.code, ean.value.details["field"]) == ("catalog.duplicate_ean", "variants.1.ean")


def test_a_lone_variant_names_its_fields_without_prefix() -> None:
    with pytest.raises(ValidationFailed) as refused:
        check_variant(VariantDraft("P-1-S", "123"))

    assert refused.value.details == {"field": "ean", "ean": "123"}


def test_changes_are_checked_only_where_touched() -> None:
    assert ProductChanges(name_en="Shirt", brand=None).changed_fields() == ["name_en", "brand"]
    check_changes(ProductChanges())
    with pytest.raises(ValidationFailed) as refused:
        check_changes(ProductChanges(status="gone"))
    assert refused.value.details["field"] == "status"


ROWS = [
    CategoryRow(1, "sport", None, "Sport", "Sport", 1),
    CategoryRow(2, "calzature", 1, "Calzature", "Footwear", 0),
    CategoryRow(3, "running", 2, "Corsa", "Running", 0),
    CategoryRow(4, "abbigliamento", None, "Abbigliamento", "Clothing", 0),
    CategoryRow(5, "borse", 1, "Borse", "Bags", 0),
]


def test_category_path_runs_from_the_root() -> None:
    path = category_path(ROWS, 3)

    assert [ref.code for ref in path] == ["sport", "calzature", "running"]
    assert path_names(path)[:2] == ["Sport", "Sport"]
    assert category_path(ROWS, None) == []
    assert category_path(ROWS, 4) == [CategoryRef("abbigliamento", "Abbigliamento", "Clothing")]


def test_descendants_include_the_category_itself() -> None:
    assert descendant_ids(ROWS, 1) == {1, 2, 3, 5}
    assert descendant_ids(ROWS, 3) == {3}


def test_tree_sorts_siblings_by_position_then_code() -> None:
    tree = category_tree(ROWS)

    assert [root.code for root in tree] == ["abbigliamento", "sport"]
    assert [child.code for child in tree[1].children] == ["borse", "calzature"]
    assert tree[1].children[1].children[0].code == "running"
    assert tree[1].children[1].children[0].parent == "calzature"
