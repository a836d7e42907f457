"""Use cases of the catalog. Each one is a single unit of work: check, load, decide, save, record.

Writes record outbox events (``catalog.product_created``, ``catalog.product_updated``,
``catalog.variant_added``, ``catalog.category_created``, ``catalog.brand_created``) in the same
transaction, and keep ``products.search_text`` in step with what search indexes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from unico.catalog import queries, rules
from unico.catalog.categories import category_tree
from unico.catalog.model import (
    KEEP,
    Brand,
    Category,
    CategoryDraft,
    ProductChanges,
    ProductDetail,
    ProductDraft,
    ProductStatus,
    SearchPage,
    VariantDetail,
    VariantDraft,
)
from unico.catalog.store import brands, categories, products, variants
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event

MAX_PAGE = 200


# --- reading -------------------------------------------------------------------------------------


def search_products(
    db: Database,
    query: str,
    *,
    limit: int = 20,
    offset: int = 0,
    category: str | None = None,
    brand: str | None = None,
    status: str | None = "active",
) -> SearchPage:
    """Products matching ``query`` in Italian or English, best first; a blank query lists them all.

    An exact SKU, EAN or product code puts that product first. ``category`` includes its
    subcategories; ``status=None`` searches every status.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if offset < 0:
        raise ValidationFailed("offset must not be negative", field="offset")
    if status is not None:
        rules.check_status(status, "status", ProductStatus)
    with db.read() as conn:
        return queries.search_products(
            conn,
            db.dialect,
            query,
            limit=limit,
            offset=offset,
            category=category,
            brand=brand,
            status=status,
        )


def get_product(db: Database, code: str) -> ProductDetail:
    """The product with ``code``; ``NotFound`` (catalog.product_not_found) if there is none."""
    with db.read() as conn:
        return _product_or_404(conn, code)


def get_variant(db: Database, sku: str) -> VariantDetail:
    """The variant with ``sku`` and its product; ``NotFound`` (catalog.sku_not_found) if none."""
    with db.read() as conn:
        found = queries.variant_detail(conn, sku)
    if found is None:
        raise NotFound(f"no variant with SKU {sku}", code="catalog.sku_not_found", sku=sku)
    return found


def list_categories(db: Database) -> list[Category]:
    """The whole category tree: roots with nested children."""
    with db.read() as conn:
        return category_tree(queries.category_rows(conn))


def list_brands(db: Database) -> list[Brand]:
    """Every brand, by name."""
    with db.read() as conn:
        rows = conn.execute(select(brands.c.code, brands.c.name).order_by(brands.c.name, brands.c.code))
        return [Brand(code=row.code, name=row.name) for row in rows]


# --- writing -------------------------------------------------------------------------------------


def create_product(db: Database, draft: ProductDraft, actor: str) -> ProductDetail:
    """Create a product with its variants; nothing is stored if any part is refused."""
    rules.check_product(draft)
    with _unique_guard(), db.write() as conn:
        if queries.id_by_code(conn, products, draft.code) is not None:
            raise Conflict(
                f"a product with code {draft.code} exists",
                code="catalog.duplicate_product",
                field="code",
                product=draft.code,
            )
        _refuse_taken(conn, draft.variants, field_prefix="variants.")
        now = clock.now()
        product_id = conn.execute(
            products.insert()
            .values(
                code=draft.code,
                brand_id=_brand_id(conn, draft.brand),
                category_id=_category_id(conn, draft.category),
                name_it=draft.name_it.strip(),
                name_en=draft.name_en.strip(),
                description_it=draft.description_it,
                description_en=draft.description_en,
                status=draft.status,
                attributes=draft.attributes,
                images=draft.images,
                search_text="",
                created_at=now,
                updated_at=now,
            )
            .returning(products.c.id)
        ).scalar_one()
        if draft.variants:
            conn.execute(variants.insert(), [_variant_values(v, product_id) for v in draft.variants])
        queries.refresh_search_text(conn, product_id)
        record_event(
            conn,
            DomainEvent(
                "catalog.product_created",
                "product",
                draft.code,
                {"code": draft.code, "skus": [v.sku for v in draft.variants], "actor": actor},
            ),
        )
        return _product_or_404(conn, draft.code)


def update_product(db: Database, code: str, changes: ProductChanges, actor: str) -> ProductDetail:
    """Apply ``changes`` to the product with ``code``; a change set touching nothing is a no-op."""
    rules.check_changes(changes)
    touched = changes.changed_fields()
    with db.write() as conn:
        product_id = _product_id_or_404(conn, code)
        if not touched:
            return _product_or_404(conn, code)
        values: dict[str, Any] = {
            name: getattr(changes, name) for name in touched if name not in ("brand", "category")
        }
        for name in ("name_it", "name_en"):
            if name in values:
                values[name] = values[name].strip()
        if changes.brand is not KEEP:
            values["brand_id"] = _brand_id(conn, changes.brand)
        if changes.category is not KEEP:
            values["category_id"] = _category_id(conn, changes.category)
        values["updated_at"] = clock.now()
        conn.execute(update(products).where(products.c.id == product_id).values(**values))
        queries.refresh_search_text(conn, product_id)
        record_event(
            conn,
            DomainEvent(
                "catalog.product_updated", "product", code, {"code": code, "fields": touched, "actor": actor}
            ),
        )
        return _product_or_404(conn, code)


def add_variant(db: Database, code: str, draft: VariantDraft, actor: str) -> ProductDetail:
    """Add one variant to the product with ``code``; returns the product with all its variants."""
    rules.check_variant(draft)
    with _unique_guard(), db.write() as conn:
        product_id = _product_id_or_404(conn, code)
        _refuse_taken(conn, [draft], field_prefix=None)
        conn.execute(variants.insert().values(**_variant_values(draft, product_id)))
        conn.execute(update(products).where(products.c.id == product_id).values(updated_at=clock.now()))
        queries.refresh_search_text(conn, product_id)
        record_event(
            conn,
            DomainEvent(
                "catalog.variant_added", "product", code, {"code": code, "sku": draft.sku, "actor": actor}
            ),
        )
        return _product_or_404(conn, code)


def create_category(db: Database, draft: CategoryDraft, actor: str) -> Category:
    """Create a category, at the root or under ``draft.parent``."""
    rules.check_category(draft)
    with _unique_guard(), db.write() as conn:
        if queries.id_by_code(conn, categories, draft.code) is not None:
            raise Conflict(
                f"a category with code {draft.code} exists",
                code="catalog.duplicate_category",
                field="code",
                category=draft.code,
            )
        parent_id = _category_id(conn, draft.parent, field="parent")
        conn.execute(
            categories.insert().values(
                code=draft.code,
                parent_id=parent_id,
                name_it=draft.name_it.strip(),
                name_en=draft.name_en.strip(),
                position=draft.position,
            )
        )
        record_event(
            conn,
            DomainEvent(
                "catalog.category_created",
                "category",
                draft.code,
                {"code": draft.code, "parent": draft.parent, "actor": actor},
            ),
        )
    return Category(
        code=draft.code,
        name_it=draft.name_it.strip(),
        name_en=draft.name_en.strip(),
        position=draft.position,
        parent=draft.parent,
    )


def create_brand(db: Database, code: str, name: str, actor: str) -> Brand:
    """Create a brand with a unique ``code``."""
    rules.check_brand(code, name)
    with _unique_guard(), db.write() as conn:
        if queries.id_by_code(conn, brands, code) is not None:
            raise Conflict(
                f"a brand with code {code} exists", code="catalog.duplicate_brand", field="code", brand=code
            )
        conn.execute(brands.insert().values(code=code, name=name.strip()))
        record_event(
            conn,
            DomainEvent("catalog.brand_created", "brand", code, {"code": code, "name": name, "actor": actor}),
        )
    return Brand(code=code, name=name.strip())


# --- inside a unit of work -----------------------------------------------------------------------


@contextmanager
def _unique_guard() -> Iterator[None]:
    """Turn a unique-constraint race lost to a concurrent writer into a 409 (after rollback)."""
    try:
        yield
    except IntegrityError as exc:
        raise Conflict(
            "the catalog changed concurrently; a code, SKU or EAN is already taken",
            code="catalog.conflict",
        ) from exc


def _product_or_404(conn: Connection, code: str) -> ProductDetail:
    found = queries.product_detail(conn, code)
    if found is None:
        raise NotFound(f"no product with code {code}", code="catalog.product_not_found", product=code)
    return found


def _product_id_or_404(conn: Connection, code: str) -> int:
    found = queries.id_by_code(conn, products, code)
    if found is None:
        raise NotFound(f"no product with code {code}", code="catalog.product_not_found", product=code)
    return found


def _brand_id(conn: Connection, code: str | None) -> int | None:
    if code is None:
        return None
    found = queries.id_by_code(conn, brands, code)
    if found is None:
        raise NotFound(
            f"no brand with code {code}", code="catalog.brand_not_found", field="brand", brand=code
        )
    return found


def _category_id(conn: Connection, code: str | None, *, field: str = "category") -> int | None:
    if code is None:
        return None
    found = queries.id_by_code(conn, categories, code)
    if found is None:
        raise NotFound(
            f"no category with code {code}", code="catalog.category_not_found", field=field, category=code
        )
    return found


def _refuse_taken(conn: Connection, drafts: list[VariantDraft], *, field_prefix: str | None) -> None:
    """Conflict if a SKU or EAN of ``drafts`` already belongs to a stored variant."""

    def field(index: int, name: str) -> str:
        return name if field_prefix is None else f"{field_prefix}{index}.{name}"

    taken_skus = queries.existing_skus(conn, [d.sku for d in drafts])
    taken_eans = queries.existing_eans(conn, [d.ean for d in drafts if d.ean is not None])
    for index, draft in enumerate(drafts):
        if draft.sku in taken_skus:
            raise Conflict(
                f"SKU {draft.sku} already exists",
                code="catalog.duplicate_sku",
                field=field(index, "sku"),
                sku=draft.sku,
            )
        if draft.ean is not None and draft.ean in taken_eans:
            raise Conflict(
                f"EAN {draft.ean} already belongs to another variant",
                code="catalog.duplicate_ean",
                field=field(index, "ean"),
                ean=draft.ean,
            )


def _variant_values(draft: VariantDraft, product_id: int) -> dict[str, Any]:
    return {
        "sku": draft.sku,
        "product_id": product_id,
        "ean": draft.ean,
        "size": draft.size,
        "colour": draft.colour,
        "status": draft.status,
    }
