"""The catalog's values: drafts coming in, details and summaries going out. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any


class ProductStatus(StrEnum):
    """A product is sold only while ``active``; ``draft`` is not yet live, ``archived`` no longer."""

    ACTIVE = "active"
    DRAFT = "draft"
    ARCHIVED = "archived"


class VariantStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class Keep(Enum):
    """Marks a field of a change set that the caller did not touch (as opposed to setting None)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class VariantDraft:
    """A sellable variant to create: a SKU with an optional EAN-13, size and colour."""

    sku: str
    ean: str | None = None
    size: str | None = None
    colour: str | None = None
    status: str = VariantStatus.ACTIVE


@dataclass(frozen=True)
class ProductDraft:
    """A product to create. ``brand`` and ``category`` are codes of existing ones."""

    code: str
    name_it: str
    name_en: str
    description_it: str = ""
    description_en: str = ""
    brand: str | None = None
    category: str | None = None
    status: str = ProductStatus.ACTIVE
    attributes: dict[str, Any] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    variants: list[VariantDraft] = field(default_factory=list)


@dataclass(frozen=True)
class ProductChanges:
    """A partial update of a product: fields left at ``KEEP`` stay as they are.

    ``brand`` and ``category`` may be set to None to detach the product from them.
    """

    name_it: str | Keep = KEEP
    name_en: str | Keep = KEEP
    description_it: str | Keep = KEEP
    description_en: str | Keep = KEEP
    brand: str | Keep | None = KEEP
    category: str | Keep | None = KEEP
    status: str | Keep = KEEP
    attributes: dict[str, Any] | Keep = KEEP
    images: list[str] | Keep = KEEP

    def changed_fields(self) -> list[str]:
        """Names of the fields this change set touches, in declaration order."""
        return [name for name in self.__dataclass_fields__ if getattr(self, name) is not KEEP]


@dataclass(frozen=True)
class CategoryDraft:
    code: str
    name_it: str
    name_en: str
    parent: str | None = None
    position: int = 0


@dataclass(frozen=True)
class Brand:
    code: str
    name: str


@dataclass(frozen=True)
class CategoryRef:
    """One step of a category path, root first."""

    code: str
    name_it: str
    name_en: str


@dataclass(frozen=True)
class Category:
    """A node of the category tree, with its children sorted by position then code."""

    code: str
    name_it: str
    name_en: str
    position: int
    parent: str | None
    children: list[Category] = field(default_factory=list)


@dataclass(frozen=True)
class Variant:
    sku: str
    ean: str | None
    size: str | None
    colour: str | None
    status: str


@dataclass(frozen=True)
class ProductDetail:
    """A product with everything a product page needs."""

    code: str
    name_it: str
    name_en: str
    description_it: str
    description_en: str
    status: str
    brand: Brand | None
    category_path: list[CategoryRef]
    attributes: dict[str, Any]
    images: list[str]
    variants: list[Variant]
    created_at: datetime
    updated_at: datetime

    @property
    def category(self) -> str | None:
        """Code of the product's own (deepest) category."""
        return self.category_path[-1].code if self.category_path else None


@dataclass(frozen=True)
class VariantDetail:
    """A variant found by SKU, with the product it belongs to."""

    sku: str
    ean: str | None
    size: str | None
    colour: str | None
    status: str
    product_code: str
    product_name_it: str
    product_name_en: str
    product_status: str


@dataclass(frozen=True)
class ProductSummary:
    """One search or listing hit."""

    code: str
    name_it: str
    name_en: str
    brand: str | None
    category: str | None
    image: str | None
    skus: list[str]
    status: str

    def name(self, locale: str) -> str:
        """The name in ``locale`` ('it' or 'en'), falling back to the other when it is empty."""
        preferred, other = (self.name_en, self.name_it) if locale == "en" else (self.name_it, self.name_en)
        return preferred or other


@dataclass(frozen=True)
class SearchPage:
    """One page of hits and how many there are in all."""

    items: list[ProductSummary]
    total: int
