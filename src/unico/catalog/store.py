"""Tables of the catalog domain.

Search: ``products.search_text`` holds accent-free Italian and English stems of the product's
names, description, brand, category and colours (see ``catalog.search``). SQLite indexes it with
an FTS5 table kept in sync by triggers; PostgreSQL with a generated ``tsvector`` and a GIN index.
Both are created by the migration, outside this metadata.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from unico.core.db import BigId, Json, UTCDateTime, metadata

brands = Table(
    "brands",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(120), nullable=False),
)

categories = Table(
    "categories",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(60), nullable=False, unique=True),
    Column("parent_id", BigId, ForeignKey("categories.id"), nullable=True),
    Column("name_it", String(120), nullable=False),
    Column("name_en", String(120), nullable=False),
    Column("position", Integer, nullable=False, default=0),
)

products = Table(
    "products",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("brand_id", BigId, ForeignKey("brands.id"), nullable=True),
    Column("category_id", BigId, ForeignKey("categories.id"), nullable=True),
    Column("name_it", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("description_it", Text, nullable=False, default=""),
    Column("description_en", Text, nullable=False, default=""),
    Column("status", String(16), nullable=False, default="active"),
    Column("attributes", Json, nullable=False),
    Column("images", Json, nullable=False),
    Column("search_text", Text, nullable=False, default=""),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_products_category", "category_id"),
)

variants = Table(
    "variants",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("sku", String(40), nullable=False, unique=True),
    Column("product_id", BigId, ForeignKey("products.id", ondelete="CASCADE"), nullable=False),
    Column("ean", String(13), nullable=True, unique=True),
    Column("size", String(20), nullable=True),
    Column("colour", String(40), nullable=True),
    Column("status", String(16), nullable=False, default="active"),
    Index("ix_variants_product", "product_id"),
)
