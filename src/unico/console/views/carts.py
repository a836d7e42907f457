"""Shared carts at the counter: an associate finds a cart started in the app or on the website
(by cart id, or by the customer's profile, email, phone, card or anonymous id), sees its lines
with what this store and the rest of the network have, and checks it out in the store, choosing
for each line (or the whole cart) carry-out, pickup here, delivery to this store or home delivery.

The order is placed through :func:`unico.orders.carts.checkout`, so the cart is closed and its
soft holds released in the order's own transaction; a refusal changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from unico.access.model import Permission
from unico.catalog import service as catalog
from unico.console.security import StaffSession
from unico.console.sessions import DbDep, SettingsDep, StaffDep, require_csrf
from unico.console.views.order_desk import (
    ContactForm,
    PageError,
    page,
    parse_price,
    store_choices,
    working_store,
)
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, UnicoError, ValidationFailed
from unico.customers import service as customers
from unico.customers.profiles import display_name
from unico.inventory import service as inventory
from unico.inventory.model import Channel, Method, StockRow
from unico.orders import carts
from unico.orders.model import LineRequest, OrderRequest

router = APIRouter(dependencies=[Depends(require_csrf)])

FormStr = Annotated[str, Form()]
FormList = Annotated[list[str], Form()]

# How the customer gets a line, as the page offers it; every one is served by the associate's store.
MODES = ("carry_out", "pickup", "ship_to_store", "home")
PER_LINE = "lines"
_MODE_METHOD = {
    "carry_out": Method.CARRY_OUT,
    "pickup": Method.PICKUP,
    "ship_to_store": Method.SHIP_TO_STORE,
    "home": Method.HOME_DELIVERY,
}
ELSEWHERE = 5  # other locations listed per line
LOOKUP_PROFILES = 5


@dataclass(frozen=True)
class CartRow:
    """One line as the page shows it: the product, the price and where it is available."""

    sku: str
    name: str | None
    quantity: int
    unit_price: int
    here: int | None  # available at the associate's store (None: no store chosen yet)
    elsewhere: list[StockRow]
    held: bool

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


@dataclass
class CheckoutForm(ContactForm):
    """What the associate chose, kept to show the page again after a refusal."""

    store: str = ""
    mode: str = PER_LINE
    line_modes: dict[str, str] = field(default_factory=dict)
    prices: dict[str, str] = field(default_factory=dict)
    seen: str = ""
    key: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    def mode_of(self, sku: str) -> str:
        return self.mode if self.mode in MODES else self.line_modes.get(sku, "")

    def order(self, cart: carts.Cart, currency: str) -> tuple[OrderRequest, list[LineRequest]]:
        """The order this form asks for; ValidationFailed names what is missing."""
        if not self.store:
            raise ValidationFailed("choose the store", code="console.store_required", field="store")
        # A closed cart goes on to the checkout, which refuses it (carts.closed) or, for a repeat
        # of the same form, answers with the order the first submission placed.
        if cart.status == carts.OPEN and self.seen != cart.updated_at.isoformat():
            raise Conflict(
                "the cart changed since the page was opened",
                code="console.cart_changed",
                cart_id=cart.cart_id,
            )
        if not cart.lines:
            raise ValidationFailed("the cart is empty", code="console.no_lines", field="lines")
        lines = []
        for i, line in enumerate(cart.lines):
            mode = self.mode_of(line.sku)
            if mode not in MODES:
                raise ValidationFailed(
                    f"choose how the customer gets {line.sku}",
                    code="console.method_required",
                    field=f"lines.{i}.method",
                    sku=line.sku,
                )
            price: int | None = line.unit_price
            if not price:  # the cart has no price: the one typed here, else the engine's
                typed = self.prices.get(line.sku, "").strip()
                price = parse_price(typed, currency, f"lines.{i}.price") if typed else None
            method = _MODE_METHOD[mode]
            pickup = self.store if method in (Method.PICKUP, Method.SHIP_TO_STORE) else None
            lines.append(LineRequest(line.sku, line.quantity, price, method, pickup))
        address = None
        if any(line.method is Method.HOME_DELIVERY for line in lines):
            address = self.address()
        request = OrderRequest(
            channel=Channel.STORE,
            lines=(),
            store=self.store,
            customer=self.customer(cart.customer_id),
            currency=currency,
            shipping_address=address,
        )
        return request, lines


# --- lookup -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FoundCart:
    cart_id: str
    owner: str
    profile_id: str | None
    channel: str
    store: str | None
    units: int
    skus: int
    updated_at: Any


def _profile_carts(db: Database, staff: StaffSession, q: str) -> list[FoundCart]:
    """Open carts of the customers ``q`` names (profile id, email, phone, card, anonymous id)."""
    if not staff.principal.can(Permission.CUSTOMERS_READ):
        return []
    found = []
    for match in customers.search_profiles(db, q, LOOKUP_PROFILES):
        profile_id = match["profile_id"]
        owner = match["name"] or profile_id
        for cart in customers.get_continuity(db, profile_id)["carts"]:
            found.append(
                FoundCart(
                    cart["cart_id"],
                    owner,
                    profile_id,
                    cart["channel"],
                    cart["store"],
                    sum(line["quantity"] for line in cart["lines"]),
                    len(cart["lines"]),
                    cart["updated_at"],
                )
            )
    return found


def _id_carts(db: Database, q: str) -> list[FoundCart]:
    """Open carts held under ``q`` as a customer id or an anonymous id."""
    found = carts.find_carts(db, customer_id=q, anonymous_id=None)
    found += carts.find_carts(db, customer_id=None, anonymous_id=q)
    return [
        FoundCart(
            c.cart_id,
            c.customer_id or c.anonymous_id or "",
            c.customer_id,
            c.channel,
            c.store,
            sum(line.quantity for line in c.lines),
            len(c.lines),
            c.updated_at,
        )
        for c in found
    ]


@router.get("/carts")
def lookup(request: Request, db: DbDep, staff: StaffDep, q: str = "") -> Response:
    """A cart by its id (straight to its page), or the open carts of a customer."""
    staff.principal.require(Permission.ORDERS_READ)
    text = q.strip()
    found: list[FoundCart] | None = None
    if text:
        try:
            cart = carts.get_cart(db, text)
        except NotFound:
            cart = None
        if cart is not None:
            return RedirectResponse(f"/console/carts/{cart.cart_id}", status_code=303)
        unique: dict[str, FoundCart] = {}
        for row in _profile_carts(db, staff, text) + _id_carts(db, text):
            unique.setdefault(row.cart_id, row)
        found = sorted(unique.values(), key=lambda c: c.updated_at, reverse=True)
    return page(request, "carts/lookup.html", staff, q=text, found=found)


# --- the cart -----------------------------------------------------------------------------------


def _rows(db: Database, cart: carts.Cart, shop: str | None, locale: str) -> list[CartRow]:
    skus = [line.sku for line in cart.lines]
    stock = inventory.stock_everywhere(db, skus) if skus else {}
    rows = []
    for line in cart.lines:
        try:
            variant = catalog.get_variant(db, line.sku)
            name: str | None = variant.product_name_it if locale == "it" else variant.product_name_en
        except NotFound:
            name = None
        where = stock.get(line.sku, [])
        own = [r for r in where if r.location == shop]
        others = sorted(
            (r for r in where if r.location != shop and r.available > 0),
            key=lambda r: (-r.available, r.location),
        )
        rows.append(
            CartRow(
                line.sku,
                name,
                line.quantity,
                line.unit_price,
                (own[0].available if own else 0) if shop else None,
                others[:ELSEWHERE],
                bool(line.reservation_id),
            )
        )
    return rows


def _owner(db: Database, staff: StaffSession, cart: carts.Cart) -> dict[str, Any]:
    """The customer's profile (name, email) when the cart's holder is known to the customers area."""
    if not staff.principal.can(Permission.CUSTOMERS_READ):
        return {}
    try:
        if cart.customer_id:
            profile = customers.get_profile(db, cart.customer_id)
        elif cart.anonymous_id:
            matches = customers.search_profiles(db, cart.anonymous_id, 2)
            if len(matches) != 1:
                return {}
            profile = customers.get_profile(db, matches[0]["profile_id"])
        else:
            return {}
    except NotFound:
        return {}
    emails = [i["value"] for i in profile["identifiers"] if i["kind"] == "email"]
    phones = [i["value"] for i in profile["identifiers"] if i["kind"] == "phone"]
    return {
        "profile_id": profile["profile_id"],
        "name": display_name(profile["traits"]) or "",
        "email": emails[0] if emails else "",
        "phone": phones[0] if phones else "",
    }


def _default_form(
    cart: carts.Cart, rows: list[CartRow], shop: str | None, owner: dict[str, Any]
) -> CheckoutForm:
    """Carry-out where this store has the units, else delivery to this store."""
    return CheckoutForm(
        store=shop or "",
        line_modes={
            r.sku: "carry_out" if r.here is not None and r.here >= r.quantity else "ship_to_store"
            for r in rows
        },
        customer_name=owner.get("name", ""),
        customer_email=owner.get("email", ""),
        customer_phone=owner.get("phone", ""),
        seen=cart.updated_at.isoformat(),
    )


def _cart_page(
    request: Request,
    db: Database,
    staff: StaffSession,
    cart_id: str,
    shop: str | None,
    *,
    form: CheckoutForm | None = None,
    error: PageError | None = None,
    status_code: int = 200,
    placed: bool = False,
) -> Response:
    cart = carts.get_cart(db, cart_id)
    rows = _rows(db, cart, shop, staff.locale)
    owner = _owner(db, staff, cart)
    proposed = _default_form(cart, rows, shop, owner)
    if form is None:
        form = proposed
    else:
        form.seen = proposed.seen  # the page now shows the cart as it is
        form.line_modes = proposed.line_modes | {
            sku: mode for sku, mode in form.line_modes.items() if mode in MODES
        }
    return page(
        request,
        "carts/detail.html",
        staff,
        status_code=status_code,
        cart=cart,
        rows=rows,
        total=sum(r.total for r in rows),
        owner=owner,
        shop=shop,
        bound=staff.principal.store_code,
        stores=store_choices(db),
        form=form,
        modes=MODES,
        error=error,
        placed=placed,
        can_checkout=staff.principal.can(Permission.ORDERS_WRITE),
    )


@router.get("/carts/{cart_id}")
def detail(
    request: Request, db: DbDep, staff: StaffDep, cart_id: str, store: str = "", placed: int = 0
) -> Response:
    """The cart's lines, prices and availability here and elsewhere, and its checkout form (once
    checked out: the order it became)."""
    staff.principal.require(Permission.ORDERS_READ)
    return _cart_page(request, db, staff, cart_id, working_store(staff, store), placed=bool(placed))


@router.post("/carts/{cart_id}/checkout")
def checkout(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    staff: StaffDep,
    cart_id: str,
    store: FormStr = "",
    mode: FormStr = PER_LINE,
    line_sku: FormList = [],  # noqa: B006  (FastAPI copies Form defaults)
    line_mode: FormList = [],  # noqa: B006
    line_price: FormList = [],  # noqa: B006
    customer_name: FormStr = "",
    customer_email: FormStr = "",
    customer_phone: FormStr = "",
    line1: FormStr = "",
    postcode: FormStr = "",
    city: FormStr = "",
    seen: FormStr = "",
    key: FormStr = "",
) -> Response:
    """Place the cart as a store order (one idempotency key per page, so a double tap places it
    once); refused: the page again with the reason, and nothing changed."""
    staff.principal.require(Permission.ORDERS_WRITE)
    shop = working_store(staff, store)
    form = CheckoutForm(
        store=shop or "",
        mode=mode,
        line_modes=dict(zip(line_sku, line_mode, strict=False)),
        prices=dict(zip(line_sku, line_price, strict=False)),
        customer_name=customer_name,
        customer_email=customer_email,
        customer_phone=customer_phone,
        line1=line1,
        postcode=postcode,
        city=city,
        seen=seen,
        key=key or secrets.token_urlsafe(16),
    )
    try:
        cart = carts.get_cart(db, cart_id)
        order, lines = form.order(cart, settings.currency)
        carts.checkout(
            db,
            cart_id,
            order,
            lines,
            staff.principal,
            idempotency_key=f"console-cart:{form.key}",
            hold_hours=settings.reservation_hold_hours,
        )
    except UnicoError as refused:
        return _cart_page(
            request,
            db,
            staff,
            cart_id,
            shop,
            form=form,
            error=PageError.of(refused),
            status_code=refused.status,
        )
    return RedirectResponse(f"/console/carts/{cart_id}?placed=1", status_code=303)
