"""Checks a catalog draft must pass before anything is stored. Pure.

Each check raises ``ValidationFailed`` naming the offending field with the path an API client
sent it under (``variants.1.ean``), so the error can be shown next to the right input.
"""

from __future__ import annotations

import re
from typing import Any

from unico.catalog.ean import ean13_problem
from unico.catalog.model import (
    KEEP,
    CategoryDraft,
    ProductChanges,
    ProductDraft,
    ProductStatus,
    VariantDraft,
    VariantStatus,
)
from unico.core.errors import Conflict, ValidationFailed

# Codes and SKUs appear in URLs (/products/{code}, /variants/{sku}): keep them URL-safe.
_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
MAX_IMAGES = 50


def check_code(value: str, field: str, *, max_length: int = 40) -> None:
    if not _CODE.fullmatch(value) or len(value) > max_length:
        raise ValidationFailed(
            f"{field} must be 1-{max_length} letters, digits, '.', '_' or '-' (not starting with "
            f"a symbol), got {value!r}",
            field=field,
        )


def check_text(value: str, field: str, *, max_length: int, required: bool = True) -> None:
    if required and not value.strip():
        raise ValidationFailed(f"{field} must not be empty", field=field)
    if len(value) > max_length:
        raise ValidationFailed(f"{field} is longer than {max_length} characters", field=field)


def check_status(value: str, field: str, allowed: type[ProductStatus] | type[VariantStatus]) -> None:
    if value not in {s.value for s in allowed}:
        names = ", ".join(s.value for s in allowed)
        raise ValidationFailed(f"{field} must be one of {names}, got {value!r}", field=field)


def check_ean(value: str, field: str) -> None:
    problem = ean13_problem(value)
    if problem:
        raise ValidationFailed(problem, code="catalog.invalid_ean", field=field, ean=value)


def check_images(images: list[str], field: str = "images") -> None:
    if len(images) > MAX_IMAGES:
        raise ValidationFailed(f"at most {MAX_IMAGES} images per product", field=field)
    for index, url in enumerate(images):
        if not url.startswith(("https://", "http://")) or len(url) > 2000 or any(c.isspace() for c in url):
            raise ValidationFailed(f"image {url!r} is not an http(s) URL", field=f"{field}.{index}")


def check_attributes(attributes: dict[str, Any], field: str = "attributes") -> None:
    for key in attributes:
        if not isinstance(key, str) or not key.strip() or len(key) > 60:
            raise ValidationFailed(f"attribute name {key!r} must be 1-60 characters", field=field)


def check_variant(draft: VariantDraft, prefix: str = "") -> None:
    """Raise unless ``draft`` is a valid variant; fields are named ``{prefix}sku`` and so on."""
    check_code(draft.sku, f"{prefix}sku")
    if draft.ean is not None:
        check_ean(draft.ean, f"{prefix}ean")
    if draft.size is not None:
        check_text(draft.size, f"{prefix}size", max_length=20)
    if draft.colour is not None:
        check_text(draft.colour, f"{prefix}colour", max_length=40)
    check_status(draft.status, f"{prefix}status", VariantStatus)


def check_product(draft: ProductDraft) -> None:
    """Raise unless ``draft`` is valid on its own; duplicates within it are a ``Conflict``."""
    check_code(draft.code, "code")
    check_text(draft.name_it, "name_it", max_length=200)
    check_text(draft.name_en, "name_en", max_length=200)
    check_text(draft.description_it, "description_it", max_length=20_000, required=False)
    check_text(draft.description_en, "description_en", max_length=20_000, required=False)
    check_status(draft.status, "status", ProductStatus)
    check_attributes(draft.attributes)
    check_images(draft.images)
    skus: set[str] = set()
    eans: set[str] = set()
    for index, variant in enumerate(draft.variants):
        check_variant(variant, f"variants.{index}.")
        if variant.sku in skus:
            raise Conflict(
                f"SKU {variant.sku} appears twice in the request",
                code="catalog.duplicate_sku",
                field=f"variants.{index}.sku",
                sku=variant.sku,
            )
        skus.add(variant.sku)
        if variant.ean is not None:
            if variant.ean in eans:
                raise Conflict(
                    f"EAN {variant.ean} appears twice in the request",
                    code="catalog.duplicate_ean",
                    field=f"variants.{index}.ean",
                    ean=variant.ean,
                )
            eans.add(variant.ean)


def check_changes(changes: ProductChanges) -> None:
    """Raise unless every field ``changes`` touches holds a valid value."""
    for name in ("name_it", "name_en"):
        value = getattr(changes, name)
        if value is not KEEP:
            check_text(value, name, max_length=200)
    for name in ("description_it", "description_en"):
        value = getattr(changes, name)
        if value is not KEEP:
            check_text(value, name, max_length=20_000, required=False)
    if changes.status is not KEEP:
        check_status(changes.status, "status", ProductStatus)
    if changes.attributes is not KEEP:
        check_attributes(changes.attributes)
    if changes.images is not KEEP:
        check_images(changes.images)


def check_category(draft: CategoryDraft) -> None:
    check_code(draft.code, "code", max_length=60)
    check_text(draft.name_it, "name_it", max_length=120)
    check_text(draft.name_en, "name_en", max_length=120)


def check_brand(code: str, name: str) -> None:
    check_code(code, "code")
    check_text(name, "name", max_length=120)
