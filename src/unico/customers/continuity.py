"""Continuity across channels: what the customer viewed, searched, wished for and carted.

:func:`build_continuity` is pure: it replays the Segment e-commerce events of a profile in time
order (views, searches, wishlist adds/removes, cart adds/removes, a completed order emptying the
cart). :func:`load_continuity` feeds it from the profile's tracking events and adds the open
shared carts of the orders area (by customer id, or by one of the profile's anonymous ids).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from unico.core.db import among
from unico.customers.graph import profile_row
from unico.customers.store import customer_identifiers
from unico.customers.tracking_store import tracking_events, tracking_sources
from unico.inventory.store import locations
from unico.orders.store import cart_lines, carts

PRODUCT_VIEWED = "Product Viewed"
PRODUCTS_SEARCHED = "Products Searched"
WISHLIST_ADDED = "Product Added to Wishlist"
WISHLIST_REMOVED = "Product Removed from Wishlist"
CART_ADDED = "Product Added"
CART_REMOVED = "Product Removed"
ORDER_COMPLETED = "Order Completed"
CONTINUITY_EVENTS = (
    PRODUCT_VIEWED,
    PRODUCTS_SEARCHED,
    WISHLIST_ADDED,
    WISHLIST_REMOVED,
    CART_ADDED,
    CART_REMOVED,
    ORDER_COMPLETED,
)
RECENT = 20
MAX_EVENTS = 5000
_PRODUCT_FIELDS = ("product_id", "sku", "name", "brand", "category", "variant", "price", "url", "image_url")


@dataclass(frozen=True)
class EventFact:
    """One tracking event as continuity sees it."""

    event: str
    properties: Mapping[str, Any]
    channel: str
    at: datetime


def product_of(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The Segment product fields of an event (camelCase spellings accepted)."""
    out: dict[str, Any] = {}
    for name in _PRODUCT_FIELDS:
        camel = "".join(p if i == 0 else p.capitalize() for i, p in enumerate(name.split("_")))
        value = properties.get(name, properties.get(camel))
        if value is not None:
            out[name] = value
    return out


def _key(product: Mapping[str, Any]) -> str | None:
    key = product.get("product_id") or product.get("sku")
    return str(key) if key is not None else None


def build_continuity(events: Iterable[EventFact]) -> dict[str, list[dict[str, Any]]]:
    """Recently viewed products and searches (newest first, each once), the wishlist and the cart
    as they stand after replaying ``events`` oldest first."""
    viewed: dict[str, dict[str, Any]] = {}
    searches: dict[str, dict[str, Any]] = {}
    wishlist: dict[str, dict[str, Any]] = {}
    cart: dict[str, dict[str, Any]] = {}
    for e in sorted(events, key=lambda e: e.at):
        product = product_of(e.properties)
        key = _key(product)
        if e.event == PRODUCTS_SEARCHED:
            query = str(e.properties.get("query") or "").strip()
            if query:
                searches.pop(query.lower(), None)
                searches[query.lower()] = {"query": query, "channel": e.channel, "at": e.at}
        elif e.event == ORDER_COMPLETED:
            cart.clear()
        elif key is None:
            continue
        elif e.event == PRODUCT_VIEWED:
            viewed.pop(key, None)
            viewed[key] = {**product, "channel": e.channel, "at": e.at}
        elif e.event == WISHLIST_ADDED:
            wishlist.setdefault(key, {**product, "channel": e.channel, "at": e.at})
        elif e.event == WISHLIST_REMOVED:
            wishlist.pop(key, None)
        elif e.event == CART_ADDED:
            quantity = _quantity(e.properties)
            held = cart.get(key, {}).get("quantity", 0)
            cart[key] = {**product, "quantity": held + quantity, "channel": e.channel, "at": e.at}
        elif e.event == CART_REMOVED and key in cart:
            left = cart[key]["quantity"] - _quantity(e.properties)
            if left > 0:
                cart[key] = {**cart[key], "quantity": left, "at": e.at}
            else:
                del cart[key]
    return {
        "recently_viewed": list(reversed(viewed.values()))[:RECENT],
        "searches": list(reversed(searches.values()))[:RECENT],
        "wishlist": list(wishlist.values()),
        "cart": list(cart.values()),
    }


def _quantity(properties: Mapping[str, Any]) -> int:
    value = properties.get("quantity", 1)
    try:
        quantity = int(value)
    except (TypeError, ValueError):
        return 1
    return max(quantity, 1)


def load_continuity(conn: Connection, profile_id: str) -> dict[str, Any]:
    """The continuity panel of ``profile_id`` (a current, unmerged id)."""
    rows = conn.execute(
        select(
            tracking_events.c.event,
            tracking_events.c.properties,
            tracking_events.c.timestamp,
            tracking_sources.c.kind,
        )
        .join(tracking_sources, tracking_sources.c.id == tracking_events.c.source_id)
        .where(
            tracking_events.c.profile_id == profile_id,
            tracking_events.c.type == "track",
            among(conn, tracking_events.c.event, list(CONTINUITY_EVENTS)),
        )
        .order_by(tracking_events.c.timestamp.desc(), tracking_events.c.id.desc())
        .limit(MAX_EVENTS)
    ).all()
    panel: dict[str, Any] = build_continuity(
        EventFact(r.event, r.properties or {}, r.kind, r.timestamp) for r in rows
    )
    panel["carts"] = load_open_carts(conn, profile_id)
    return panel


def load_open_carts(conn: Connection, profile_id: str) -> list[dict[str, Any]]:
    """Open carts of the orders area held by the profile, or started anonymously on one of its
    anonymous ids (the app cart an associate picks up in store)."""
    row = profile_row(conn, profile_id)
    anonymous = [
        r.value
        for r in conn.execute(
            select(customer_identifiers.c.value).where(
                customer_identifiers.c.profile_id == row.id, customer_identifiers.c.kind == "anonymous_id"
            )
        )
    ]
    held = carts.c.customer_id == profile_id
    if anonymous:
        held = or_(held, among(conn, carts.c.anonymous_id, anonymous))
    found = conn.execute(
        select(carts, locations.c.code.label("store"))
        .outerjoin(locations, locations.c.id == carts.c.store_location_id)
        .where(held, carts.c.status == "open")
        .order_by(carts.c.updated_at.desc())
    ).all()
    lines: dict[int, list[dict[str, Any]]] = {c.id: [] for c in found}
    if lines:
        for line in conn.execute(
            select(cart_lines.c.cart_id, cart_lines.c.sku, cart_lines.c.quantity)
            .where(among(conn, cart_lines.c.cart_id, list(lines)))
            .order_by(cart_lines.c.id)
        ):
            lines[line.cart_id].append({"sku": line.sku, "quantity": line.quantity})
    return [
        {
            "cart_id": c.cart_id,
            "channel": c.channel,
            "store": c.store,
            "lines": lines[c.id],
            "updated_at": c.updated_at,
        }
        for c in found
    ]
