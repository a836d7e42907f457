"""The catalog through HTTP, as an integrating channel would use it, on both backends."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import LiveServer, client_for
from unico.catalog.ean import ean13_with_checksum
from unico.core.db import Database

EAN_42 = ean13_with_checksum("800000000042")
EAN_43 = ean13_with_checksum("800000000043")

RUNNING_SHOE: dict[str, Any] = {
    "code": "CAL-100",
    "name_it": "Scarpa da corsa Veloce",
    "name_en": "Veloce running shoe",
    "description_it": "Ammortizzata.",
    "description_en": "Cushioned.",
    "brand": "acme",
    "category": "calzature",
    "attributes": {"drop_mm": 8},
    "images": ["https://img.example/cal-100.jpg"],
    "variants": [
        {"sku": "CAL-100-42", "ean": EAN_42, "size": "42", "colour": "Blu"},
        {"sku": "CAL-100-43", "ean": EAN_43, "size": "43", "colour": "Blu"},
    ],
}


def given_a_catalog(admin: httpx.Client) -> None:
    for body in (
        {"code": "sport", "name_it": "Sport", "name_en": "Sport"},
        {"code": "calzature", "name_it": "Calzature", "name_en": "Footwear", "parent": "sport"},
        {"code": "abbigliamento", "name_it": "Abbigliamento", "name_en": "Clothing", "position": 1},
    ):
        assert admin.post("/api/v1/categories", json=body).status_code == 201
    assert admin.post("/api/v1/brands", json={"code": "acme", "name": "Acme Sport"}).status_code == 201
    for product in (
        RUNNING_SHOE,
        {
            "code": "MAG-200",
            "name_it": "Maglia in cotone",
            "name_en": "Cotton T-shirt",
            "category": "abbigliamento",
            "variants": [{"sku": "MAG-200-S", "size": "S", "colour": "Rossa"}],
        },
        {
            "code": "MAG-300",
            "name_it": "Maglione di lana",
            "name_en": "Wool sweater",
            "category": "abbigliamento",
            "variants": [{"sku": "MAG-300-L", "size": "L", "colour": "Grigio"}],
        },
    ):
        created = admin.post("/api/v1/products", json=product)
        assert created.status_code == 201, created.text


def hits(admin: httpx.Client, **params: Any) -> list[str]:
    response = admin.get("/api/v1/products", params=params)
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


def test_create_returns_the_whole_product(admin: httpx.Client) -> None:
    given_a_catalog(admin)

    body = admin.get("/api/v1/products/CAL-100").json()

    assert body["brand"] == {"code": "acme", "name": "Acme Sport"}
    assert body["category"] == "calzature"
    assert body["category_path"] == [
        {"code": "sport", "name_it": "Sport", "name_en": "Sport"},
        {"code": "calzature", "name_it": "Calzature", "name_en": "Footwear"},
    ]
    assert body["variants"] == [
        {"sku": "CAL-100-42", "ean": EAN_42, "size": "42", "colour": "Blu", "status": "active"},
        {"sku": "CAL-100-43", "ean": EAN_43, "size": "43", "colour": "Blu", "status": "active"},
    ]
    assert (body["attributes"], body["images"], body["status"]) == (
        {"drop_mm": 8},
        ["https://img.example/cal-100.jpg"],
        "active",
    )


def test_search_in_italian_and_english(admin: httpx.Client) -> None:
    given_a_catalog(admin)

    assert hits(admin, q="scarpe da corsa") == ["CAL-100"]
    assert hits(admin, q="running shoes") == ["CAL-100"]
    assert hits(admin, q="MAGLIÈ") == ["MAG-200"]
    assert hits(admin, q=EAN_43) == ["CAL-100"]


def test_search_page_shape_and_locale(admin: httpx.Client) -> None:
    given_a_catalog(admin)

    body = admin.get("/api/v1/products", params={"q": "running shoes", "locale": "en"}).json()

    assert body == {
        "items": [
            {
                "code": "CAL-100",
                "name": "Veloce running shoe",
                "name_it": "Scarpa da corsa Veloce",
                "name_en": "Veloce running shoe",
                "brand": "Acme Sport",
                "category": "calzature",
                "image": "https://img.example/cal-100.jpg",
                "skus": ["CAL-100-42", "CAL-100-43"],
                "status": "active",
            }
        ],
        "total": 1,
        "limit": 20,
        "offset": 0,
    }


def test_listing_filters_and_pages(admin: httpx.Client) -> None:
    given_a_catalog(admin)

    assert hits(admin) == ["CAL-100", "MAG-200", "MAG-300"]
    assert hits(admin, category="sport") == ["CAL-100"]
    assert hits(admin, brand="acme") == ["CAL-100"]
    assert hits(admin, limit=1, offset=1) == ["MAG-200"]
    assert admin.get("/api/v1/products", params={"limit": 0}).json()["error"]["details"]["field"] == "limit"


def test_patch_changes_fields_and_search(admin: httpx.Client) -> None:
    given_a_catalog(admin)

    patched = admin.patch("/api/v1/products/MAG-300", json={"status": "archived", "name_en": "Wool jumper"})

    assert patched.status_code == 200
    assert (patched.json()["status"], patched.json()["name_en"]) == ("archived", "Wool jumper")
    assert hits(admin, q="jumper") == []
    assert hits(admin, q="jumper", status="archived") == ["MAG-300"]
    assert hits(admin, q="jumper", status="any") == ["MAG-300"]


def test_patch_refuses_null_for_a_required_field(admin: httpx.Client) -> None:
    given_a_catalog(admin)

    refused = admin.patch("/api/v1/products/MAG-300", json={"name_it": None})

    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["field"] == "name_it"


def test_add_variant_then_read_it_by_sku(admin: httpx.Client) -> None:
    given_a_catalog(admin)

    added = admin.post(
        "/api/v1/products/MAG-200/variants", json={"sku": "MAG-200-M", "size": "M", "colour": "Verde"}
    )
    variant = admin.get("/api/v1/variants/MAG-200-M")

    assert added.status_code == 201
    assert [v["sku"] for v in added.json()["variants"]] == ["MAG-200-S", "MAG-200-M"]
    assert variant.json() == {
        "sku": "MAG-200-M",
        "ean": None,
        "size": "M",
        "colour": "Verde",
        "status": "active",
        "product_code": "MAG-200",
        "product_name_it": "Maglia in cotone",
        "product_name_en": "Cotton T-shirt",
        "product_status": "active",
    }
    assert hits(admin, q="maglia verde") == ["MAG-200"]


def test_unknown_sku_and_product_are_404_with_codes(admin: httpx.Client) -> None:
    sku = admin.get("/api/v1/variants/NOPE-1")
    product = admin.get("/api/v1/products/NOPE")

    assert (sku.status_code, sku.json()["error"]["code"]) == (404, "catalog.sku_not_found")
    assert sku.json()["error"]["details"] == {"sku": "NOPE-1"}
    assert (product.status_code, product.json()["error"]["code"]) == (404, "catalog.product_not_found")


def test_malformed_ean_is_422_naming_the_field_and_stores_nothing(admin: httpx.Client) -> None:
    given_a_catalog(admin)
    bad = {**RUNNING_SHOE, "code": "CAL-101", "variants": [{"sku": "CAL-101-40", "ean": "8000000000421"}]}

    refused = admin.post("/api/v1/products", json=bad)

    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "catalog.invalid_ean",
        "message": "EAN-13 8000000000421 has check digit 1, expected 2",
        "details": {"field": "variants.0.ean", "ean": "8000000000421"},
    }
    assert admin.get("/api/v1/products/CAL-101").status_code == 404
    assert admin.get("/api/v1/variants/CAL-101-40").status_code == 404


def test_unknown_field_is_422_naming_it(admin: httpx.Client) -> None:
    refused = admin.post(
        "/api/v1/products",
        json={"code": "X-1", "name_it": "X", "name_en": "X", "variants": [{"sku": "X-1-A", "weight": 3}]},
    )

    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "validation.failed"
    assert refused.json()["error"]["details"]["field"] == "variants.0.weight"
    assert admin.get("/api/v1/products/X-1").status_code == 404


def test_duplicate_sku_is_409_and_leaves_no_rows(admin: httpx.Client) -> None:
    given_a_catalog(admin)
    clash = {
        "code": "CAL-101",
        "name_it": "Scarpa",
        "name_en": "Shoe",
        "variants": [{"sku": "CAL-101-40"}, {"sku": "CAL-100-42"}],
    }

    refused = admin.post("/api/v1/products", json=clash)

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "catalog.duplicate_sku"
    assert refused.json()["error"]["details"] == {"field": "variants.1.sku", "sku": "CAL-100-42"}
    assert admin.get("/api/v1/products/CAL-101").status_code == 404
    assert admin.get("/api/v1/variants/CAL-101-40").status_code == 404
    assert hits(admin, status="any") == ["CAL-100", "MAG-200", "MAG-300"]


def test_category_tree_and_brands(admin: httpx.Client) -> None:
    given_a_catalog(admin)

    tree = admin.get("/api/v1/categories").json()
    brands = admin.get("/api/v1/brands").json()

    assert tree == [
        {
            "code": "sport",
            "name_it": "Sport",
            "name_en": "Sport",
            "position": 0,
            "parent": None,
            "children": [
                {
                    "code": "calzature",
                    "name_it": "Calzature",
                    "name_en": "Footwear",
                    "position": 0,
                    "parent": "sport",
                    "children": [],
                }
            ],
        },
        {
            "code": "abbigliamento",
            "name_it": "Abbigliamento",
            "name_en": "Clothing",
            "position": 1,
            "parent": None,
            "children": [],
        },
    ]
    assert brands == [{"code": "acme", "name": "Acme Sport"}]


def test_unknown_parent_category_is_404_naming_the_field(admin: httpx.Client) -> None:
    refused = admin.post(
        "/api/v1/categories", json={"code": "x", "name_it": "X", "name_en": "X", "parent": "boh"}
    )

    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "catalog.category_not_found"
    assert refused.json()["error"]["details"]["field"] == "parent"


def test_analyst_reads_but_may_not_write(server: LiveServer, db: Database, admin: httpx.Client) -> None:
    given_a_catalog(admin)

    with client_for(server, db, "analyst") as analyst:
        assert analyst.get("/api/v1/products/CAL-100").status_code == 200
        refused = analyst.post("/api/v1/brands", json={"code": "nuovo", "name": "Nuovo"})

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "auth.forbidden"
    assert admin.get("/api/v1/brands").json() == [{"code": "acme", "name": "Acme Sport"}]


def test_catalog_needs_a_key(server: LiveServer) -> None:
    assert httpx.get(f"{server.url}/api/v1/products").status_code == 401
