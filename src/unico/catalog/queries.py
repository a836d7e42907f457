"""SQL of the catalog: loading products, variants and categories, and the search statement.

Every function takes the caller's connection, so a use case stays one unit of work.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Float, Integer, and_, case, func, literal_column, or_, select, text, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql.elements import ColumnElement

from unico.catalog import search
from unico.catalog.categories import CategoryRow, category_path, descendant_ids, path_names
from unico.catalog.model import Brand, ProductDetail, ProductSummary, SearchPage, Variant, VariantDetail
from unico.catalog.store import brands, categories, products, variants
from unico.core.db import among


def category_rows(conn: Connection) -> list[CategoryRow]:
    rows = conn.execute(
        select(
            categories.c.id,
            categories.c.code,
            categories.c.parent_id,
            categories.c.name_it,
            categories.c.name_en,
            categories.c.position,
        )
    )
    return [CategoryRow(**row._asdict()) for row in rows]


def category_codes_in(conn: Connection, category_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """Each category id -> its code and its ancestors' codes (what promotions and earning rules
    match a product on). Reads only the categories on those paths, one query per tree level."""
    leaves = set(category_ids)
    parent: dict[int, int | None] = {}
    code: dict[int, str] = {}
    wanted = set(leaves)
    while wanted:
        found = conn.execute(
            select(categories.c.id, categories.c.code, categories.c.parent_id).where(
                among(conn, categories.c.id, sorted(wanted))
            )
        ).all()
        wanted = set()
        for cid, ccode, pid in found:
            code[cid], parent[cid] = ccode, pid
            if pid is not None and pid not in code:
                wanted.add(pid)
    chains: dict[int, frozenset[str]] = {}
    for leaf in leaves:
        names: list[str] = []
        current: int | None = leaf
        while current is not None and current in code and len(names) < 50:  # 50: a corrupt cycle
            names.append(code[current])
            current = parent[current]
        chains[leaf] = frozenset(names)
    return chains


def sku_category_codes_in(conn: Connection, skus: Iterable[str]) -> dict[str, frozenset[str]]:
    """Each known SKU's category codes, ancestors included (unknown SKUs are absent)."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = conn.execute(
        select(variants.c.sku, products.c.category_id)
        .select_from(variants.join(products, variants.c.product_id == products.c.id))
        .where(among(conn, variants.c.sku, wanted))
    ).all()
    chains = category_codes_in(conn, {r.category_id for r in rows if r.category_id is not None})
    return {str(r.sku): chains.get(r.category_id, frozenset()) for r in rows}


def id_by_code(conn: Connection, table: Any, code: str) -> int | None:
    """The id of the brand, category or product with ``code``, if any."""
    found = conn.execute(select(table.c.id).where(table.c.code == code)).scalar()
    return None if found is None else int(found)


def existing_skus(conn: Connection, skus: Sequence[str]) -> set[str]:
    if not skus:
        return set()
    return set(conn.execute(select(variants.c.sku).where(variants.c.sku.in_(skus))).scalars())


def existing_eans(conn: Connection, eans: Sequence[str]) -> set[str]:
    if not eans:
        return set()
    return set(conn.execute(select(variants.c.ean).where(variants.c.ean.in_(eans))).scalars())


def _variants_of(conn: Connection, product_id: int) -> list[Variant]:
    rows = conn.execute(
        select(variants.c.sku, variants.c.ean, variants.c.size, variants.c.colour, variants.c.status)
        .where(variants.c.product_id == product_id)
        .order_by(variants.c.id)
    )
    return [Variant(**row._asdict()) for row in rows]


def _product_row(conn: Connection, code: str) -> Row[Any] | None:
    return conn.execute(
        select(products, brands.c.code.label("brand_code"), brands.c.name.label("brand_name"))
        .select_from(products.outerjoin(brands, brands.c.id == products.c.brand_id))
        .where(products.c.code == code)
    ).first()


def product_detail(conn: Connection, code: str) -> ProductDetail | None:
    """The product with ``code`` with its variants, brand and category path; None if unknown."""
    row = _product_row(conn, code)
    if row is None:
        return None
    brand = Brand(code=row.brand_code, name=row.brand_name) if row.brand_code is not None else None
    return ProductDetail(
        code=row.code,
        name_it=row.name_it,
        name_en=row.name_en,
        description_it=row.description_it,
        description_en=row.description_en,
        status=row.status,
        brand=brand,
        category_path=category_path(category_rows(conn), row.category_id),
        attributes=dict(row.attributes),
        images=list(row.images),
        variants=_variants_of(conn, row.id),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def variant_detail(conn: Connection, sku: str) -> VariantDetail | None:
    row = conn.execute(
        select(
            variants.c.sku,
            variants.c.ean,
            variants.c.size,
            variants.c.colour,
            variants.c.status,
            products.c.code.label("product_code"),
            products.c.name_it.label("product_name_it"),
            products.c.name_en.label("product_name_en"),
            products.c.status.label("product_status"),
        )
        .select_from(variants.join(products, products.c.id == variants.c.product_id))
        .where(variants.c.sku == sku)
    ).first()
    return None if row is None else VariantDetail(**row._asdict())


def refresh_search_text(conn: Connection, product_id: int) -> None:
    """Rebuild one product's ``search_text`` from what is stored now (the index follows it)."""
    row = conn.execute(
        select(products, brands.c.name.label("brand_name"))
        .select_from(products.outerjoin(brands, brands.c.id == products.c.brand_id))
        .where(products.c.id == product_id)
    ).one()
    colours = conn.execute(
        select(variants.c.colour).where(variants.c.product_id == product_id).order_by(variants.c.id)
    ).scalars()
    text_now = search.build_search_text(
        code=row.code,
        name_it=row.name_it,
        name_en=row.name_en,
        description_it=row.description_it,
        description_en=row.description_en,
        brand=row.brand_name,
        category_names=path_names(category_path(category_rows(conn), row.category_id)),
        colours=list(colours),
    )
    if text_now != row.search_text:
        conn.execute(update(products).where(products.c.id == product_id).values(search_text=text_now))


@dataclass(frozen=True)
class _FullText:
    """How one backend matches and ranks a query: what to join, what to filter, how to order."""

    join: Any | None
    matches: ColumnElement[bool]
    relevance: ColumnElement[Any]  # lower is better


def _full_text(dialect: str, query: str) -> _FullText | None:
    if dialect == "sqlite":
        match = search.fts5_match(query)
        if match is None:
            return None
        fts = (
            text(
                "SELECT rowid AS product_id, bm25(product_fts) AS score "
                "FROM product_fts WHERE product_fts MATCH :match"
            )
            .bindparams(match=match)
            .columns(product_id=Integer, score=Float)
            .subquery("fts")
        )
        return _FullText(join=fts, matches=fts.c.product_id.is_not(None), relevance=fts.c.score)
    tsq = search.tsquery(query)
    if tsq is None:
        return None
    # search_vector is a generated column made by the migration, outside the table metadata.
    vector: ColumnElement[Any] = literal_column("products.search_vector")
    parsed = func.to_tsquery(literal_column("'simple'"), tsq)
    return _FullText(join=None, matches=vector.op("@@")(parsed), relevance=0.0 - func.ts_rank(vector, parsed))


def search_products(
    conn: Connection,
    dialect: str,
    query: str,
    *,
    limit: int,
    offset: int,
    category: str | None,
    brand: str | None,
    status: str | None,
) -> SearchPage:
    """Products matching ``query`` (all of them when blank) and the filters, best first.

    An exact SKU, EAN or product code comes before every full-text hit; then relevance; then code.
    """
    conditions: list[ColumnElement[bool]] = []
    if status is not None:
        conditions.append(products.c.status == status)
    if brand is not None:
        conditions.append(brands.c.code == brand)
    if category is not None:
        rows = category_rows(conn)
        chosen = next((row.id for row in rows if row.code == category), None)
        conditions.append(products.c.category_id.in_(descendant_ids(rows, chosen) if chosen else []))

    source: Any = products.outerjoin(brands, brands.c.id == products.c.brand_id).outerjoin(
        categories, categories.c.id == products.c.category_id
    )
    order: list[Any] = []
    if query.strip():
        keys = search.exact_keys(query)
        exact_ids = set(
            conn.execute(
                select(variants.c.product_id).where(or_(variants.c.sku.in_(keys), variants.c.ean.in_(keys)))
            ).scalars()
        ) | set(conn.execute(select(products.c.id).where(products.c.code.in_(keys))).scalars())
        is_exact = products.c.id.in_(sorted(exact_ids))
        full_text = _full_text(dialect, query)
        if full_text is None:
            conditions.append(is_exact)
        elif not exact_ids:
            # The common case: only text matches, so the full-text index alone filters.
            if full_text.join is not None:
                source = source.join(full_text.join, full_text.join.c.product_id == products.c.id)
            conditions.append(full_text.matches)
            order.append(full_text.relevance)
        else:
            if full_text.join is not None:
                source = source.outerjoin(full_text.join, full_text.join.c.product_id == products.c.id)
            conditions.append(or_(is_exact, full_text.matches))
            order.extend([case((is_exact, 0), else_=1), full_text.relevance])
    order.append(products.c.code)

    where = and_(*conditions) if conditions else None
    counted = select(func.count()).select_from(source)
    listed = select(
        products.c.id,
        products.c.code,
        products.c.name_it,
        products.c.name_en,
        products.c.status,
        products.c.images,
        brands.c.name.label("brand"),
        categories.c.code.label("category"),
    ).select_from(source)
    if where is not None:
        counted, listed = counted.where(where), listed.where(where)
    total = int(conn.execute(counted).scalar_one())
    page = conn.execute(listed.order_by(*order).limit(limit).offset(offset)).all()
    skus = _skus_of(conn, [row.id for row in page])
    items = [
        ProductSummary(
            code=row.code,
            name_it=row.name_it,
            name_en=row.name_en,
            brand=row.brand,
            category=row.category,
            image=row.images[0] if row.images else None,
            skus=skus.get(row.id, []),
            status=row.status,
        )
        for row in page
    ]
    return SearchPage(items=items, total=total)


def _skus_of(conn: Connection, product_ids: list[int]) -> dict[int, list[str]]:
    if not product_ids:
        return {}
    found: dict[int, list[str]] = {}
    rows = conn.execute(
        select(variants.c.product_id, variants.c.sku)
        .where(variants.c.product_id.in_(product_ids))
        .order_by(variants.c.id)
    )
    for product_id, sku in rows:
        found.setdefault(product_id, []).append(sku)
    return found
