"""POS receipts: the till links a loyalty card (and the receipt's code) to a profile.

At the till a customer shows a loyalty card; the receipt printed for that sale carries a code
(the e-ticket code). Both become identifiers of one profile (found or created by deterministic
stitching), so that the web session that later opens the e-ticket, or identifies with the card,
joins the same person. An optional email or phone given at the till is stitched too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from unico.access.model import Permission, Principal
from unico.core.db import Database
from unico.core.errors import NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.customers.identity import is_blocked
from unico.customers.service import find_or_create_profile, normalise_identifier
from unico.inventory.store import locations
from unico.orders.store import orders


@dataclass(frozen=True)
class Receipt:
    receipt_code: str
    loyalty_card: str
    store: str
    order_id: str | None = None
    email: str | None = None
    phone: str | None = None


def link_receipt(db: Database, receipt: Receipt, principal: Principal) -> dict[str, Any]:
    """Stitch the receipt's card and code (and contact) onto one profile; returns where they went.

    An associate may only link receipts of their own store. With ``order_id`` (a POS sale placed
    through Unico), an order with no customer yet is attributed to the profile.
    """
    principal.require(Permission.CUSTOMERS_WRITE)
    identifiers = _identifiers(receipt)
    with db.write() as conn:
        row = conn.execute(
            select(locations.c.id, locations.c.type).where(locations.c.code == receipt.store)
        ).first()
        if row is None:
            raise NotFound(
                f"unknown location '{receipt.store}'",
                code="inventory.location_not_found",
                location=receipt.store,
            )
        principal.require_store(int(row.id), receipt.store)
        order = None
        if receipt.order_id is not None:
            order = conn.execute(
                select(orders.c.id, orders.c.customer_id).where(orders.c.order_id == receipt.order_id)
            ).first()
            if order is None:
                raise NotFound(
                    f"unknown order {receipt.order_id}", code="orders.not_found", order_id=receipt.order_id
                )
        profile_id = find_or_create_profile(conn, identifiers, {}, f"pos:{receipt.store}"[:40])
        order_linked = False
        if order is not None and order.customer_id is None:
            conn.execute(orders.update().where(orders.c.id == order.id).values(customer_id=profile_id))
            order_linked = True
        record_event(
            conn,
            DomainEvent(
                "customer.receipt_linked",
                "customer",
                profile_id,
                {"profile_id": profile_id, "store": receipt.store, "order_id": receipt.order_id},
            ),
        )
    return {
        "profile_id": profile_id,
        "identifiers": [{"kind": k, "value": v} for k, v in identifiers.items()],
        "order_id": receipt.order_id,
        "order_linked": order_linked,
    }


def _identifiers(receipt: Receipt) -> dict[str, str]:
    """Normalised identifiers; a blocked or malformed card or code is a 422, not silently dropped
    (the till sent something wrong), an optional contact the same."""
    wanted = {
        "loyalty_card": receipt.loyalty_card,
        "receipt_code": receipt.receipt_code,
        "email": receipt.email,
        "phone": receipt.phone,
    }
    out: dict[str, str] = {}
    for kind, value in wanted.items():
        if value is None:
            continue
        normal = None if is_blocked(value) else normalise_identifier(kind, value)
        if normal is None:
            raise ValidationFailed(
                f"{kind} is not a usable {kind.replace('_', ' ')}",
                code="customers.bad_identifier",
                field=kind,
            )
        out[kind] = normal
    return out
