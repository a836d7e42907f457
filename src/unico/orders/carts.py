"""Carts shared across channels: started in the app, shown and checked out by an associate.

A cart belongs to a customer profile id or an anonymous id. It can hold its units at one
location for a while (a *soft* reservation through :mod:`unico.inventory.reservations`, which
the worker expires), and checking out turns it into an order in the same transaction that
releases those holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from unico.access.model import Principal
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.core.ids import new_id
from unico.inventory.model import Channel, Method, OwnerType, ReservationRequest, ReservationStatus
from unico.inventory.queries import location_by_code, require_variants
from unico.inventory.reservations import reserve_in
from unico.inventory.store import locations
from unico.orders import service
from unico.orders.holds import end_reservations
from unico.orders.model import LineRequest, OrderRequest
from unico.orders.store import cart_lines, carts

OPEN, CHECKED_OUT = "open", "checked_out"


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int
    unit_price: int
    method: str
    pickup_store: str | None
    reservation_id: str | None


@dataclass(frozen=True)
class Cart:
    cart_id: str
    customer_id: str | None
    anonymous_id: str | None
    channel: str
    store: str | None
    status: str
    order_id: str | None
    reserved_until: datetime | None
    lines: tuple[CartLine, ...]
    created_at: datetime
    updated_at: datetime


def cart_document(cart: Cart) -> dict[str, Any]:
    return {
        "cart_id": cart.cart_id,
        "customer_id": cart.customer_id,
        "anonymous_id": cart.anonymous_id,
        "channel": cart.channel,
        "store": cart.store,
        "status": cart.status,
        "order_id": cart.order_id,
        "reserved_until": cart.reserved_until.isoformat() if cart.reserved_until else None,
        "lines": [line.__dict__ for line in cart.lines],
        "created_at": cart.created_at.isoformat(),
        "updated_at": cart.updated_at.isoformat(),
    }


def create_cart(
    db: Database,
    *,
    customer_id: str | None,
    anonymous_id: str | None,
    channel: Channel,
    store: str | None,
    actor: str,
) -> Cart:
    """An empty cart for a customer or an anonymous visitor (one of the two is required)."""
    if not customer_id and not anonymous_id:
        raise ValidationFailed("give customer_id or anonymous_id", field="customer_id")
    at = clock.now()
    cart_id = new_id("crt")
    with db.write() as conn:
        store_id = int(location_by_code(conn, store).id) if store else None
        conn.execute(
            carts.insert().values(
                cart_id=cart_id,
                customer_id=customer_id,
                anonymous_id=anonymous_id,
                channel=channel.value,
                store_location_id=store_id,
                status=OPEN,
                created_at=at,
                updated_at=at,
            )
        )
        record_event(
            conn, DomainEvent("cart.created", "cart", cart_id, {"channel": channel.value, "store": store})
        )
        return _load(conn, cart_id)


def _load(conn: Connection, cart_id: str, *, lock: bool = False) -> Cart:
    query = (
        select(carts, locations.c.code.label("store_code"))
        .select_from(carts.outerjoin(locations, locations.c.id == carts.c.store_location_id))
        .where(carts.c.cart_id == cart_id)
    )
    if lock:
        query = query.with_for_update(of=carts)
    row = conn.execute(query).first()
    if row is None:
        raise NotFound(f"unknown cart '{cart_id}'", code="carts.not_found", cart_id=cart_id)
    lines = conn.execute(
        select(cart_lines).where(cart_lines.c.cart_id == row.id).order_by(cart_lines.c.id)
    ).all()
    return Cart(
        row.cart_id,
        row.customer_id,
        row.anonymous_id,
        row.channel,
        row.store_code,
        row.status,
        row.order_id,
        row.reserved_until,
        tuple(
            CartLine(r.sku, r.quantity, r.unit_price_minor, r.method, r.pickup_store, r.reservation_id)
            for r in lines
        ),
        row.created_at,
        row.updated_at,
    )


def get_cart(db: Database, cart_id: str) -> Cart:
    with db.read() as conn:
        return _load(conn, cart_id)


def find_carts(db: Database, *, customer_id: str | None, anonymous_id: str | None) -> list[Cart]:
    """Open carts of a customer or an anonymous id, newest first."""
    if not customer_id and not anonymous_id:
        raise ValidationFailed("give customer_id or anonymous_id", field="customer_id")
    query = select(carts.c.cart_id).where(carts.c.status == OPEN)
    if customer_id:
        query = query.where(carts.c.customer_id == customer_id)
    if anonymous_id:
        query = query.where(carts.c.anonymous_id == anonymous_id)
    with db.read() as conn:
        ids = conn.execute(query.order_by(carts.c.id.desc()).limit(20)).scalars().all()
        return [_load(conn, cart_id) for cart_id in ids]


def _open_cart_pk(conn: Connection, cart_id: str) -> int:
    row = conn.execute(
        select(carts.c.id, carts.c.status).where(carts.c.cart_id == cart_id).with_for_update()
    ).first()
    if row is None:
        raise NotFound(f"unknown cart '{cart_id}'", code="carts.not_found", cart_id=cart_id)
    if row.status != OPEN:
        raise Conflict(
            f"cart {cart_id} is {row.status}", code="carts.closed", cart_id=cart_id, status=row.status
        )
    return int(row.id)


def set_line(
    db: Database,
    cart_id: str,
    sku: str,
    quantity: int,
    principal: Principal,
    *,
    unit_price: int = 0,
    method: Method = Method.HOME_DELIVERY,
    pickup_store: str | None = None,
) -> Cart:
    """Set a SKU's quantity in the cart (0 removes it); a soft hold on it is released."""
    if quantity < 0:
        raise ValidationFailed("quantity cannot be negative", field="quantity")
    at = clock.now()
    with db.write() as conn:
        pk = _open_cart_pk(conn, cart_id)
        require_variants(conn, [sku])
        current = conn.execute(
            select(cart_lines).where(cart_lines.c.cart_id == pk, cart_lines.c.sku == sku)
        ).first()
        if current is not None and current.reservation_id:
            end_reservations(conn, [current.reservation_id], ReservationStatus.RELEASED, "cart changed", at)
        if current is not None:
            conn.execute(cart_lines.delete().where(cart_lines.c.id == current.id))
        if quantity > 0:
            conn.execute(
                cart_lines.insert().values(
                    cart_id=pk,
                    sku=sku,
                    quantity=quantity,
                    unit_price_minor=unit_price,
                    method=method.value,
                    pickup_store=pickup_store,
                )
            )
        conn.execute(update(carts).where(carts.c.id == pk).values(updated_at=at))
        return _load(conn, cart_id)


def reserve_cart(db: Database, cart_id: str, location: str, ttl_seconds: int, principal: Principal) -> Cart:
    """Hold every line of the cart at ``location`` for ``ttl_seconds`` (all or nothing)."""
    at = clock.now()
    with db.write() as conn:
        pk = _open_cart_pk(conn, cart_id)
        cart = _load(conn, cart_id)
        if not cart.lines:
            raise ValidationFailed("the cart is empty", field="lines")
        end_reservations(
            conn,
            [line.reservation_id or "" for line in cart.lines],
            ReservationStatus.RELEASED,
            "re-reserved",
            at,
        )
        for line in cart.lines:
            made = reserve_in(
                conn,
                ReservationRequest(
                    line.sku, location, line.quantity, OwnerType.CART, cart_id, cart.channel, ttl_seconds
                ),
                principal,
                default_ttl=ttl_seconds,
            )
            conn.execute(
                update(cart_lines)
                .where(cart_lines.c.cart_id == pk, cart_lines.c.sku == line.sku)
                .values(reservation_id=made.reservation_id)
            )
        conn.execute(
            update(carts)
            .where(carts.c.id == pk)
            .values(reserved_until=at + timedelta(seconds=ttl_seconds), updated_at=at)
        )
        return _load(conn, cart_id)


def checkout(
    db: Database,
    cart_id: str,
    request: OrderRequest,
    lines: Sequence[LineRequest],
    principal: Principal,
    idempotency_key: str | None = None,
    *,
    hold_hours: int = service.DEFAULT_HOLD_HOURS,
) -> tuple[int, dict[str, Any]]:
    """Place the cart as an order (its lines, or ``lines`` when given); the cart is closed and its
    soft holds released in the order's transaction. A cart line without a price (0) is priced by
    the pricing engine, like an order line without ``unit_price``."""
    if not lines:
        cart = get_cart(db, cart_id)
        lines = [
            LineRequest(
                line.sku, line.quantity, line.unit_price or None, Method(line.method), line.pickup_store
            )
            for line in cart.lines
        ]
        if not lines:
            raise ValidationFailed("the cart is empty", field="lines")
    request = replace(request, lines=tuple(lines), cart_id=cart_id)

    def release_holds(conn: Connection) -> None:
        pk = _open_cart_pk(conn, cart_id)
        held = (
            conn.execute(select(cart_lines.c.reservation_id).where(cart_lines.c.cart_id == pk))
            .scalars()
            .all()
        )
        end_reservations(conn, [r for r in held if r], ReservationStatus.RELEASED, "checked out", clock.now())

    def close(conn: Connection, doc: dict[str, Any]) -> None:
        conn.execute(
            update(carts)
            .where(carts.c.cart_id == cart_id)
            .values(status=CHECKED_OUT, order_id=doc["order_id"], updated_at=clock.now())
        )

    return service.submit_order(
        db, request, principal, idempotency_key, hold_hours=hold_hours, before=release_holds, after=close
    )
