"""Product search and "check stock everywhere": a product's stock in every store and warehouse."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from unico.access.model import Permission
from unico.catalog import service as catalog
from unico.console.rendering import is_htmx, render
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.core.errors import NotFound
from unico.inventory import locations as network
from unico.inventory import service as inventory
from unico.inventory.model import Capability, LocationType, StockRow

router = APIRouter(dependencies=[Depends(require_csrf)])

PAGE = 20
NEAREST = 5


@router.get("/")
def home() -> Response:
    return RedirectResponse("/console/products", status_code=303)


@router.get("/products")
def search(request: Request, db: DbDep, staff: StaffDep, q: str = "", page: int = 1) -> Response:
    """The whole page, or only the results when htmx asks as the associate types."""
    staff.principal.require(Permission.CATALOG_READ)
    page = max(page, 1)
    found = (
        catalog.search_products(db, q.strip(), limit=PAGE, offset=(page - 1) * PAGE) if q.strip() else None
    )
    template = "products/_results.html" if is_htmx(request) else "products/search.html"
    return render(
        request,
        template,
        staff.locale,
        staff=staff,
        csrf_token=staff.csrf_token,
        q=q.strip(),
        found=found,
        page=page,
        pages=-(-found.total // PAGE) if found else 0,
    )


@router.get("/products/{code}")
def product(
    request: Request, db: DbDep, staff: StaffDep, code: str, sku: str = "", near: str = ""
) -> Response:
    """Every variant with its stock at every active location; ``sku`` picks the one in focus."""
    staff.principal.require(Permission.INVENTORY_READ)
    detail = catalog.get_product(db, code)
    skus = [v.sku for v in detail.variants]
    stock = inventory.stock_everywhere(db, skus) if skus else {}
    selected = next(
        (v for v in detail.variants if v.sku == sku), detail.variants[0] if detail.variants else None
    )
    return render(
        request,
        "products/detail.html",
        staff.locale,
        staff=staff,
        csrf_token=staff.csrf_token,
        product=detail,
        stock=stock,
        grid={sku: {row.location: row for row in rows} for sku, rows in stock.items()},
        selected=selected,
        locations=_display_order(next(iter(stock.values()), []), staff.principal.store_code),
        near=near.strip(),
    )


def _display_order(rows: list[StockRow], own: str | None) -> list[StockRow]:
    """The associate's own store on top, then the other stores, then warehouses (stable by code)."""
    return sorted(rows, key=lambda row: (row.location != own, row.location_type == LocationType.WAREHOUSE))


@router.get("/products/{code}/nearest")
def nearest(request: Request, db: DbDep, staff: StaffDep, code: str, sku: str, near: str = "") -> Response:
    """The nearest stores with ``sku`` available: to the place typed in, else to the associate's store."""
    staff.principal.require(Permission.INVENTORY_READ)
    near = near.strip()
    origin: network.Origin | None = None
    unknown_place = False
    if near:
        try:
            origin = network.resolve_place(db, near)
        except NotFound:
            unknown_place = True  # said in the panel, so the associate can retype it
    elif staff.principal.store_code:
        home = network.get_location(db, staff.principal.store_code)
        origin = network.Origin(home.latitude, home.longitude, home.name)
    found = (
        network.nearest_locations(db, origin, skus=[sku], only_available=True, limit=NEAREST)
        if origin
        else []
    )
    return render(
        request,
        "products/_nearest.html",
        staff.locale,
        staff=staff,
        csrf_token=staff.csrf_token,
        product_code=code,
        sku=sku,
        near=near,
        origin=origin,
        unknown_place=unknown_place,
        found=found,
        pickup=Capability.PICKUP,
    )
