"""HTTP routes of the catalog: products, variants, categories, brands and search."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field, field_validator

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep
from unico.catalog import service
from unico.catalog.model import (
    CategoryDraft,
    ProductChanges,
    ProductDraft,
    ProductStatus,
    VariantDraft,
    VariantStatus,
)

router = APIRouter(tags=["catalog"])

Locale = Literal["it", "en"]
StatusFilter = Literal["active", "draft", "archived", "any"]


# --- input ---------------------------------------------------------------------------------------


class VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=40)
    ean: str | None = Field(default=None, description="EAN-13, check digit included.")
    size: str | None = Field(default=None, max_length=20)
    colour: str | None = Field(default=None, max_length=40)
    status: VariantStatus = VariantStatus.ACTIVE

    def draft(self) -> VariantDraft:
        return VariantDraft(**self.model_dump())


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40)
    name_it: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    description_it: str = ""
    description_en: str = ""
    brand: str | None = Field(default=None, description="Brand code.")
    category: str | None = Field(default=None, description="Category code.")
    status: ProductStatus = ProductStatus.ACTIVE
    attributes: dict[str, Any] = Field(default_factory=dict)
    images: list[str] = Field(default_factory=list, description="Image URLs, the first is the main one.")
    variants: list[VariantIn] = Field(default_factory=list)

    def draft(self) -> ProductDraft:
        fields = self.model_dump(exclude={"variants"})
        return ProductDraft(**fields, variants=[v.draft() for v in self.variants])


class ProductPatch(BaseModel):
    """Only the fields sent change; ``brand`` or ``category`` set to null detach the product."""

    model_config = ConfigDict(extra="forbid")
    name_it: str | None = Field(default=None, min_length=1, max_length=200)
    name_en: str | None = Field(default=None, min_length=1, max_length=200)
    description_it: str | None = None
    description_en: str | None = None
    brand: str | None = None
    category: str | None = None
    status: ProductStatus | None = None
    attributes: dict[str, Any] | None = None
    images: list[str] | None = None

    @field_validator(
        "name_it",
        "name_en",
        "description_it",
        "description_en",
        "status",
        "attributes",
        "images",
        mode="before",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Validators do not run on defaults, so this refuses only an explicit null.
        if value is None:
            raise ValueError("may be left out but not set to null")
        return value

    def changes(self) -> ProductChanges:
        return ProductChanges(**self.model_dump(exclude_unset=True))


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=60)
    name_it: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    parent: str | None = Field(default=None, description="Parent category code; none for a root.")
    position: int = Field(default=0, ge=0)


class BrandIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=120)


# --- output --------------------------------------------------------------------------------------


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class BrandOut(_Out):
    code: str
    name: str


class CategoryRefOut(_Out):
    code: str
    name_it: str
    name_en: str


class CategoryOut(_Out):
    code: str
    name_it: str
    name_en: str
    position: int
    parent: str | None
    children: list[CategoryOut]


class VariantOut(_Out):
    sku: str
    ean: str | None
    size: str | None
    colour: str | None
    status: str


class ProductOut(_Out):
    code: str
    name_it: str
    name_en: str
    description_it: str
    description_en: str
    status: str
    brand: BrandOut | None
    category: str | None
    category_path: list[CategoryRefOut]
    attributes: dict[str, Any]
    images: list[str]
    variants: list[VariantOut]
    created_at: datetime
    updated_at: datetime


class VariantDetailOut(_Out):
    sku: str
    ean: str | None
    size: str | None
    colour: str | None
    status: str
    product_code: str
    product_name_it: str
    product_name_en: str
    product_status: str


class ProductSummaryOut(BaseModel):
    code: str
    name: str = Field(description="The name in the requested locale.")
    name_it: str
    name_en: str
    brand: str | None
    category: str | None
    image: str | None
    skus: list[str]
    status: str


class ProductPageOut(BaseModel):
    items: list[ProductSummaryOut]
    total: int
    limit: int
    offset: int


# --- routes --------------------------------------------------------------------------------------


@router.get("/products", response_model=ProductPageOut)
def search_products(
    db: DbDep,
    principal: PrincipalDep,
    q: Annotated[
        str, Query(max_length=200, description="Words in Italian or English, or a SKU/EAN/code.")
    ] = "",
    category: str | None = None,
    brand: str | None = None,
    status: Annotated[StatusFilter, Query(description="'any' lists every status.")] = "active",
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
    locale: Locale = "it",
) -> ProductPageOut:
    principal.require(Permission.CATALOG_READ)
    page = service.search_products(
        db,
        q,
        limit=limit,
        offset=offset,
        category=category,
        brand=brand,
        status=None if status == "any" else status,
    )
    items = [ProductSummaryOut(name=hit.name(locale), **asdict(hit)) for hit in page.items]
    return ProductPageOut(items=items, total=page.total, limit=limit, offset=offset)


@router.get("/products/{code}", response_model=ProductOut)
def get_product(code: str, db: DbDep, principal: PrincipalDep) -> ProductOut:
    principal.require(Permission.CATALOG_READ)
    return ProductOut.model_validate(service.get_product(db, code))


@router.post("/products", status_code=status.HTTP_201_CREATED, response_model=ProductOut)
def create_product(body: ProductIn, db: DbDep, principal: PrincipalDep) -> ProductOut:
    principal.require(Permission.CATALOG_WRITE)
    return ProductOut.model_validate(service.create_product(db, body.draft(), principal.actor))


@router.patch("/products/{code}", response_model=ProductOut)
def update_product(code: str, body: ProductPatch, db: DbDep, principal: PrincipalDep) -> ProductOut:
    principal.require(Permission.CATALOG_WRITE)
    return ProductOut.model_validate(service.update_product(db, code, body.changes(), principal.actor))


@router.post("/products/{code}/variants", status_code=status.HTTP_201_CREATED, response_model=ProductOut)
def add_variant(code: str, body: VariantIn, db: DbDep, principal: PrincipalDep) -> ProductOut:
    principal.require(Permission.CATALOG_WRITE)
    return ProductOut.model_validate(service.add_variant(db, code, body.draft(), principal.actor))


@router.get("/variants/{sku}", response_model=VariantDetailOut)
def get_variant(sku: str, db: DbDep, principal: PrincipalDep) -> VariantDetailOut:
    principal.require(Permission.CATALOG_READ)
    return VariantDetailOut.model_validate(service.get_variant(db, sku))


@router.get("/categories", response_model=list[CategoryOut])
def list_categories(db: DbDep, principal: PrincipalDep) -> list[CategoryOut]:
    principal.require(Permission.CATALOG_READ)
    return [CategoryOut.model_validate(root) for root in service.list_categories(db)]


@router.post("/categories", status_code=status.HTTP_201_CREATED, response_model=CategoryOut)
def create_category(body: CategoryIn, db: DbDep, principal: PrincipalDep) -> CategoryOut:
    principal.require(Permission.CATALOG_WRITE)
    created = service.create_category(db, CategoryDraft(**body.model_dump()), principal.actor)
    return CategoryOut.model_validate(created)


@router.get("/brands", response_model=list[BrandOut])
def list_brands(db: DbDep, principal: PrincipalDep) -> list[BrandOut]:
    principal.require(Permission.CATALOG_READ)
    return [BrandOut.model_validate(brand) for brand in service.list_brands(db)]


@router.post("/brands", status_code=status.HTTP_201_CREATED, response_model=BrandOut)
def create_brand(body: BrandIn, db: DbDep, principal: PrincipalDep) -> BrandOut:
    principal.require(Permission.CATALOG_WRITE)
    return BrandOut.model_validate(service.create_brand(db, body.code, body.name, principal.actor))
