"""HTTP routes of orders and carts: place (idempotently), read, search, edit, check out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Response, status
from pydantic import BaseModel, Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep, SettingsDep
from unico.api.schemas import StrictModel
from unico.inventory.model import Channel, Method
from unico.orders import carts, editing, service
from unico.orders.model import CustomerRef, LineRequest, OrderRequest
from unico.orders.records import document

router = APIRouter(tags=["orders"])


class CustomerIn(StrictModel):
    customer_id: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)


class LineIn(StrictModel):
    sku: str = Field(min_length=1, max_length=40)
    quantity: int = Field(description="Units (> 0).")
    unit_price: int | None = Field(
        default=None,
        ge=0,
        description="Minor units, VAT included. Omitted: the pricing engine prices the line (list "
        "price, overrides, promotions, coupons); given: a manual price, kept as is, with no promotion.",
    )
    method: Method = Method.HOME_DELIVERY
    pickup_store: str | None = Field(default=None, max_length=40)


class OrderBodyBase(StrictModel):
    channel: Channel
    store: str | None = Field(default=None, max_length=40, description="The originating store.")
    associate: str | None = Field(default=None, max_length=120)
    customer: CustomerIn = CustomerIn()
    discount: int = Field(
        default=0, ge=0, description="A manual discount; only for orders whose lines all carry a price."
    )
    coupons: list[str] = Field(
        default_factory=list, max_length=10, description="Coupon codes, for lines the engine prices."
    )
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    shipping_address: dict[str, Any] | None = None
    max_locations: int | None = Field(default=None, ge=1, le=20)


class OrderIn(OrderBodyBase):
    lines: list[LineIn] = Field(min_length=1, max_length=200)
    cart_id: str | None = Field(default=None, max_length=40)


def order_request(body: OrderBodyBase, lines: list[LineIn], cart_id: str | None = None) -> OrderRequest:
    return OrderRequest(
        channel=body.channel,
        lines=tuple(
            LineRequest(line.sku, line.quantity, line.unit_price, line.method, line.pickup_store)
            for line in lines
        ),
        store=body.store,
        associate=body.associate,
        customer=CustomerRef(**body.customer.model_dump()),
        discount=body.discount,
        coupons=tuple(body.coupons),
        currency=body.currency,
        shipping_address=body.shipping_address,
        cart_id=cart_id,
        max_locations=body.max_locations,
    )


def _json(doc: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(doc), status_code=status_code, media_type="application/json")


@router.post("/orders", status_code=status.HTTP_201_CREATED)
def place_order(
    body: OrderIn,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Place an order from any channel; a retry with the same ``Idempotency-Key`` gets the first
    response back, and 409 ``inventory.insufficient_stock`` names the SKU and what is available."""
    principal.require(Permission.ORDERS_WRITE)
    code, doc = service.submit_order(
        db,
        order_request(body, body.lines, body.cart_id),
        principal,
        idempotency_key,
        hold_hours=settings.reservation_hold_hours,
    )
    return _json(doc, code)


class OrderSummaryOut(BaseModel):
    order_id: str
    status: str
    channel: str
    store: str | None
    customer_id: str | None
    total: int
    currency: str
    created_at: datetime


@router.get("/orders", response_model=list[OrderSummaryOut])
def list_orders(
    db: DbDep,
    principal: PrincipalDep,
    status: str | None = None,
    channel: str | None = None,
    store: str | None = None,
    customer_id: str | None = None,
    q: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[OrderSummaryOut]:
    principal.require(Permission.ORDERS_READ)
    found = service.list_orders(
        db,
        status=status,
        channel=channel,
        store=store,
        customer_id=customer_id,
        q=q,
        limit=limit,
        offset=offset,
    )
    return [OrderSummaryOut(**o.__dict__) for o in found]


@router.get("/orders/{order_id}")
def get_order(order_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    """One order with its lines, allocations and timeline."""
    principal.require(Permission.ORDERS_READ)
    return _json(document(service.get_order(db, order_id)))


@router.get("/orders/{order_id}/sourcing")
def get_sourcing(order_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    """The sourcing decisions taken for an order, with their reasons."""
    principal.require(Permission.ORDERS_READ)
    return _json(service.sourcing_history(db, order_id))


# --- edits before picking ---------------------------------------------------------------------


class ReasonIn(StrictModel):
    reason: str = Field(default="", max_length=200)


@router.post("/orders/{order_id}/cancel")
def cancel_order(order_id: str, db: DbDep, principal: PrincipalDep, body: ReasonIn | None = None) -> Response:
    principal.require(Permission.ORDERS_WRITE)
    return _json(document(editing.cancel_order(db, order_id, principal, reason=body.reason if body else "")))


@router.post("/orders/{order_id}/lines/{line_no}/cancel")
def cancel_line(
    order_id: str, line_no: int, db: DbDep, principal: PrincipalDep, body: ReasonIn | None = None
) -> Response:
    principal.require(Permission.ORDERS_WRITE)
    view = editing.cancel_line(db, order_id, line_no, principal, reason=body.reason if body else "")
    return _json(document(view))


class PickupStoreIn(StrictModel):
    store: str = Field(min_length=1, max_length=40)
    lines: list[int] | None = Field(default=None, description="Line numbers; all store lines if omitted.")


@router.post("/orders/{order_id}/pickup-store")
def change_pickup_store(order_id: str, body: PickupStoreIn, db: DbDep, principal: PrincipalDep) -> Response:
    """Collect at another store: its stock is reserved and the old store's released, atomically."""
    principal.require(Permission.ORDERS_WRITE)
    return _json(document(editing.change_pickup_store(db, order_id, body.store, principal, lines=body.lines)))


@router.post("/orders/{order_id}/delivered")
def confirm_delivery(order_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    """The carrier delivered what was shipped: the order completes."""
    principal.require(Permission.FULFILLMENT_WRITE)
    return _json(document(editing.confirm_delivery(db, order_id, principal)))


# --- carts ------------------------------------------------------------------------------------


class CartIn(StrictModel):
    customer_id: str | None = Field(default=None, max_length=40)
    anonymous_id: str | None = Field(default=None, max_length=120)
    channel: Channel = Channel.WEB
    store: str | None = Field(default=None, max_length=40)


class CartLineIn(StrictModel):
    quantity: int = Field(ge=0, description="0 removes the line.")
    unit_price: int | None = Field(
        default=None,
        ge=0,
        description="Minor units, VAT included; omitted: the engine prices it at checkout.",
    )
    method: Method = Method.HOME_DELIVERY
    pickup_store: str | None = Field(default=None, max_length=40)


class CartReserveIn(StrictModel):
    location: str = Field(min_length=1, max_length=40)
    ttl_seconds: int | None = Field(default=None, gt=0, le=7 * 24 * 3600)


class CheckoutIn(OrderBodyBase):
    lines: list[LineIn] | None = Field(
        default=None,
        description="Per-SKU methods and prices; default: the cart's lines, at their prices or, "
        "without one, at the engine's.",
    )


@router.post("/carts", status_code=status.HTTP_201_CREATED)
def create_cart(body: CartIn, db: DbDep, principal: PrincipalDep) -> Response:
    principal.require(Permission.ORDERS_WRITE)
    cart = carts.create_cart(
        db,
        customer_id=body.customer_id,
        anonymous_id=body.anonymous_id,
        channel=body.channel,
        store=body.store,
        actor=principal.actor,
    )
    return _json(carts.cart_document(cart), 201)


@router.get("/carts")
def find_carts(
    db: DbDep, principal: PrincipalDep, customer_id: str | None = None, anonymous_id: str | None = None
) -> Response:
    """The open carts of a customer or an anonymous visitor (an associate picks one up in store)."""
    principal.require(Permission.ORDERS_READ)
    found = carts.find_carts(db, customer_id=customer_id, anonymous_id=anonymous_id)
    return _json([carts.cart_document(c) for c in found])


@router.get("/carts/{cart_id}")
def get_cart(cart_id: str, db: DbDep, principal: PrincipalDep) -> Response:
    principal.require(Permission.ORDERS_READ)
    return _json(carts.cart_document(carts.get_cart(db, cart_id)))


@router.put("/carts/{cart_id}/lines/{sku}")
def set_cart_line(cart_id: str, sku: str, body: CartLineIn, db: DbDep, principal: PrincipalDep) -> Response:
    principal.require(Permission.ORDERS_WRITE)
    cart = carts.set_line(
        db,
        cart_id,
        sku,
        body.quantity,
        principal,
        unit_price=body.unit_price or 0,
        method=body.method,
        pickup_store=body.pickup_store,
    )
    return _json(carts.cart_document(cart))


@router.post("/carts/{cart_id}/reserve")
def reserve_cart(
    cart_id: str, body: CartReserveIn, db: DbDep, settings: SettingsDep, principal: PrincipalDep
) -> Response:
    """Hold the cart's units at one location for ``ttl_seconds`` (a soft reservation)."""
    principal.require(Permission.RESERVATIONS_WRITE)
    ttl = body.ttl_seconds or settings.reservation_default_ttl_seconds
    return _json(carts.cart_document(carts.reserve_cart(db, cart_id, body.location, ttl, principal)))


@router.post("/carts/{cart_id}/checkout", status_code=status.HTTP_201_CREATED)
def checkout_cart(
    cart_id: str,
    body: CheckoutIn,
    db: DbDep,
    settings: SettingsDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Response:
    """Turn the cart into an order (same body as ``POST /orders`` without lines, or with lines to
    give each SKU its method and price); the cart's soft reservations are released in the same
    transaction as the order takes its own."""
    principal.require(Permission.ORDERS_WRITE)
    lines = [
        LineRequest(line.sku, line.quantity, line.unit_price, line.method, line.pickup_store)
        for line in body.lines or []
    ]
    code, doc = carts.checkout(
        db,
        cart_id,
        order_request(body, [], cart_id),
        lines,
        principal,
        idempotency_key,
        hold_hours=settings.reservation_hold_hours,
    )
    return _json(doc, code)
