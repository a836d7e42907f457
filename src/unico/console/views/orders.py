"""Orders in the console: search, the detail with its timeline, order entry by an associate
(endless aisle and reserve in store) and the e-reservations and pickups due today.

The store's fulfillment queue, the returns desk and shared carts checked out at the counter live
in their own modules; their routers are included here, so the console mounts the whole order desk
through this one router.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from unico.access.model import Permission
from unico.console.rendering import is_htmx
from unico.console.sessions import DbDep, SettingsDep, StaffDep, require_csrf
from unico.console.views import carts, fulfillment, returns
from unico.console.views.order_desk import (
    ContactForm,
    PageError,
    page,
    parse_price,
    store_choices,
    working_store,
)
from unico.core.errors import NotFound, UnicoError, ValidationFailed
from unico.fulfillment import etickets, options
from unico.inventory import locations as network
from unico.inventory import service as inventory
from unico.inventory.model import Channel, Method
from unico.orders import console_queries, service
from unico.orders.lifecycle import OrderStatus
from unico.orders.model import LineRequest, OrderRequest

router = APIRouter(dependencies=[Depends(require_csrf)])

PAGE = 50
ENTRY_ROWS = 3
MODES = ("home", "ship_to_store", "reserve")
_MODE_METHOD = {
    "home": Method.HOME_DELIVERY,
    "ship_to_store": Method.SHIP_TO_STORE,
    "reserve": Method.RESERVE_IN_STORE,
}
FormStr = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]


@router.get("/orders")
def search(
    request: Request,
    db: DbDep,
    staff: StaffDep,
    q: str = "",
    status: str = "",
    channel: str = "",
    store: str = "",
) -> Response:
    """Orders newest first by id, customer email or name, status, channel and originating store."""
    staff.principal.require(Permission.ORDERS_READ)
    filters = {"q": q.strip(), "status": status, "channel": channel, "store": store.strip()}
    found = service.list_orders(
        db,
        q=filters["q"] or None,
        status=status or None,
        channel=channel or None,
        store=filters["store"] or None,
        limit=PAGE,
    )
    return page(
        request,
        "orders/_results.html" if is_htmx(request) else "orders/search.html",
        staff,
        found=found,
        filters=filters,
        statuses=[s.value for s in OrderStatus],
        channels=[c.value for c in Channel],
        stores=store_choices(db),
    )


# --- order entry ------------------------------------------------------------------------------


@dataclass
class EntryForm(ContactForm):
    """What the associate typed, kept to show the form again after an error."""

    store: str = ""
    mode: str = "ship_to_store"
    skus: list[str] = field(default_factory=lambda: [""] * ENTRY_ROWS)
    quantities: list[str] = field(default_factory=lambda: ["1"] * ENTRY_ROWS)
    prices: list[str] = field(default_factory=lambda: [""] * ENTRY_ROWS)
    key: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def request(self, currency: str) -> OrderRequest:
        """The order this form asks for; ValidationFailed names the field that is wrong."""
        if self.mode not in MODES:
            raise ValidationFailed("choose how the customer gets the goods", field="mode")
        if not self.store:
            raise ValidationFailed("choose the store", field="store")
        method = _MODE_METHOD[self.mode]
        lines = []
        for i, (sku, qty, price) in enumerate(zip(self.skus, self.quantities, self.prices, strict=False)):
            if not sku.strip():
                continue
            try:
                quantity = int(qty)
            except ValueError:
                raise ValidationFailed(f"'{qty}' is not a quantity", field=f"lines.{i}.quantity") from None
            lines.append(
                LineRequest(
                    sku.strip(),
                    quantity,
                    # blank: the pricing engine's price, as every channel gets; typed: a manual price
                    parse_price(price, currency, f"lines.{i}.price") if price.strip() else None,
                    method,
                    None if method is Method.HOME_DELIVERY else self.store,
                )
            )
        if not lines:
            raise ValidationFailed("give at least one SKU", code="console.no_lines", field="lines")
        address = None
        if method is Method.HOME_DELIVERY:
            address = self.address()
        return OrderRequest(
            channel=Channel.STORE,
            lines=tuple(lines),
            store=self.store,
            customer=self.customer(),
            currency=currency,
            shipping_address=address,
        )


def _entry_page(
    request: Request, db: DbDep, staff: StaffDep, form: EntryForm, error: PageError | None, status: int
) -> Response:
    return page(
        request,
        "orders/new.html",
        staff,
        status_code=status,
        form=form,
        error=error,
        stores=store_choices(db),
        bound=staff.principal.store_code,
    )


@router.get("/orders/new")
def entry_form(
    request: Request,
    db: DbDep,
    staff: StaffDep,
    store: str = "",
    sku: str = "",
    price: str = "",
    mode: str = "",
) -> Response:
    """A new order taken in the store: SKU lines and how the customer gets them. ``sku`` and
    ``price`` prefill the first line (a link from a product or a cart can carry them)."""
    staff.principal.require(Permission.ORDERS_WRITE)
    form = EntryForm(store=working_store(staff, store) or "", mode=mode if mode in MODES else "ship_to_store")
    form.skus[0], form.prices[0] = sku.strip(), price.strip()
    return _entry_page(request, db, staff, form, None, 200)


@router.post("/orders/new")
def place(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    staff: StaffDep,
    mode: FormStr = "",
    store: FormStr = "",
    sku: FormList = [],  # noqa: B006  (FastAPI copies Form defaults)
    quantity: FormList = [],  # noqa: B006
    price: FormList = [],  # noqa: B006
    customer_name: FormStr = "",
    customer_email: FormStr = "",
    customer_phone: FormStr = "",
    line1: FormStr = "",
    postcode: FormStr = "",
    city: FormStr = "",
    key: FormStr = "",
) -> Response:
    """Place the order (one idempotency key per form, so a double tap places it once)."""
    staff.principal.require(Permission.ORDERS_WRITE)
    rows = max(len(sku), ENTRY_ROWS)
    form = EntryForm(
        store=working_store(staff, store) or "",
        mode=mode,
        skus=(sku + [""] * rows)[:rows],
        quantities=(quantity + ["1"] * rows)[:rows],
        prices=(price + [""] * rows)[:rows],
        customer_name=customer_name,
        customer_email=customer_email,
        customer_phone=customer_phone,
        line1=line1,
        postcode=postcode,
        city=city,
        key=key or secrets.token_urlsafe(16),
    )
    try:
        order = service.place_order(
            db,
            form.request(settings.currency),
            staff.principal,
            idempotency_key=f"console:{form.key}",
            hold_hours=settings.reservation_hold_hours,
        )
    except UnicoError as refused:
        return _entry_page(request, db, staff, form, PageError.of(refused), refused.status)
    return RedirectResponse(f"/console/orders/{order.order_id}?placed=1", status_code=303)


@router.get("/orders/new/availability")
def availability(request: Request, db: DbDep, staff: StaffDep, store: str = "", sku: str = "") -> Response:
    """Where the SKU is available (this store first), and by when home or store delivery arrives."""
    staff.principal.require(Permission.INVENTORY_READ)
    here = working_store(staff, store)
    sku = sku.strip()
    context: dict[str, Any] = {"sku": sku, "shop": here, "rows": [], "home_by": None, "store_by": None}
    if sku:
        try:
            stock = inventory.stock_everywhere(db, [sku])[sku]
            context["rows"] = sorted(
                (r for r in stock if r.available > 0 or r.location == here),
                key=lambda r: (r.location != here, -r.available, r.location),
            )
            origin = network.get_location(db, here) if here else None
            offer = options.fulfillment_options(
                db,
                [(sku, 1)],
                channel=Channel.STORE,
                latitude=origin.latitude if origin else None,
                longitude=origin.longitude if origin else None,
            )
            for method in offer["methods"]:
                if method["method"] == Method.HOME_DELIVERY.value:
                    context["home_by"] = _day(method["by"])
                elif method["method"] == Method.SHIP_TO_STORE.value:
                    mine = [s for s in method["stores"] if s["store"] == here]
                    context["store_by"] = _day(mine[0]["by"]) if mine else None
        except UnicoError as refused:
            context["error"] = PageError.of(refused)
    return page(request, "orders/_availability.html", staff, **context)


def _day(iso: str | None) -> date | None:
    return date.fromisoformat(iso) if iso else None


# --- due today ----------------------------------------------------------------------------------


@router.get("/orders/due")
def due(request: Request, db: DbDep, staff: StaffDep, store: str = "") -> Response:
    """E-reservations and pickups at the store whose hold ends today, and the overdue ones."""
    staff.principal.require(Permission.ORDERS_READ)
    here = working_store(staff, store)
    found = console_queries.store_deadlines(db, here) if here else []
    return page(
        request,
        "orders/due.html",
        staff,
        shop=here,
        stores=store_choices(db),
        overdue=[d for d in found if d.overdue],
        today=[d for d in found if not d.overdue],
    )


# --- detail -------------------------------------------------------------------------------------


@router.get("/orders/{order_id}")
def detail(
    request: Request, db: DbDep, settings: SettingsDep, staff: StaffDep, order_id: str, placed: int = 0
) -> Response:
    """Lines, allocations, store tasks, every transition, the sourcing reasons and the e-ticket."""
    staff.principal.require(Permission.ORDERS_READ)
    order = service.get_order(db, order_id)
    try:
        ticket: etickets.ETicket | None = etickets.eticket_for_order(db, order_id)
    except NotFound:
        ticket = None
    base = settings.public_base_url.rstrip("/")
    return page(
        request,
        "orders/detail.html",
        staff,
        order=order,
        facts=console_queries.order_desk_facts(db, order_id),
        sourcing=service.sourcing_history(db, order_id),
        decision_at=datetime.fromisoformat,
        ticket=ticket,
        ticket_url=f"{base}/e/{ticket.code}" if ticket else None,
        placed=bool(placed),
    )


router.include_router(fulfillment.router)
router.include_router(returns.router)
router.include_router(carts.router)
