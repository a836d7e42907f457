"""E-tickets: the digital receipt of a completed store sale, behind a short code.

A store sale (an order of channel ``store``, or any order with a ``reserve_in_store`` line) gets
one e-ticket when it completes: :func:`issue_for_order` is idempotent and may be called by the
orders service at completion and again by the ``order.completed`` outbox subscriber (see
``fulfillment/jobs.py``); whichever comes first issues it. The customer opens
``<public base url>/e/<code>``; every opening is recorded (the source documents count e-ticket
traffic as an omnichannel metric), without personal data in the event.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from unico.catalog.store import products, variants
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import NotFound
from unico.core.events import DomainEvent, record_event
from unico.fulfillment.returns_store import eticket_opens, etickets
from unico.fulfillment.timeline import record_on_order
from unico.inventory.store import locations
from unico.orders.store import order_lines, orders

# 32 symbols without 0/O and 1/I, so a code read aloud or typed from paper is never ambiguous.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # 32**8 = 2**40 codes: guessing one of a million issued tickets takes ~10**6 tries
USER_AGENT_MAX = 300

COMPLETED = "completed"
STORE_CHANNEL = "store"
RESERVE_IN_STORE = "reserve_in_store"


def new_code() -> str:
    """A fresh random e-ticket code (8 characters of :data:`CODE_ALPHABET`)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    """A code as a customer may type it (lower case, spaces, dashes) in its stored form."""
    return code.strip().upper().replace("-", "").replace(" ", "")


@dataclass(frozen=True)
class ETicket:
    code: str
    order_id: str
    store: str | None
    issued_at: datetime
    opens: int = 0


@dataclass(frozen=True)
class ReceiptLine:
    line_no: int
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    discount_minor: int
    paid_minor: int


@dataclass(frozen=True)
class Receipt:
    """What the customer's receipt page shows (prices VAT included, as paid)."""

    code: str
    order_id: str
    store_name: str | None
    store_address: str | None
    issued_at: datetime
    currency: str
    lines: tuple[ReceiptLine, ...]
    subtotal_minor: int
    discount_minor: int
    total_minor: int


def _is_store_sale(conn: Connection, order: Row[Any]) -> bool:
    if order.channel == STORE_CHANNEL:
        return True
    reserve = conn.execute(
        select(order_lines.c.id)
        .where(order_lines.c.order_id == order.id, order_lines.c.method == RESERVE_IN_STORE)
        .limit(1)
    ).first()
    return reserve is not None


def _store_of(conn: Connection, order: Row[Any]) -> int | None:
    """The store the sale happened at: the origin store, else the reserve-in-store pickup store."""
    if order.origin_location_id is not None:
        return int(order.origin_location_id)
    pickup = conn.execute(
        select(order_lines.c.pickup_location_id)
        .where(order_lines.c.order_id == order.id, order_lines.c.pickup_location_id.is_not(None))
        .order_by(order_lines.c.line_no)
        .limit(1)
    ).scalar()
    return None if pickup is None else int(pickup)


def _view(conn: Connection, row: Row[Any], order_id: str) -> ETicket:
    store = None
    if row.location_id is not None:
        store = conn.execute(select(locations.c.code).where(locations.c.id == row.location_id)).scalar()
    opens = conn.execute(
        select(func.count()).select_from(eticket_opens).where(eticket_opens.c.eticket_id == row.id)
    ).scalar_one()
    return ETicket(row.code, order_id, store, row.issued_at, int(opens))


def issue_for_order(conn: Connection, order_id: str) -> ETicket | None:
    """The e-ticket of a completed store sale, issued on the first call (one per order).

    Returns None for an order that is not a store sale or not completed yet, so callers may call
    it for every order that completes. Runs inside the caller's transaction.
    """
    order = conn.execute(select(orders).where(orders.c.order_id == order_id)).first()
    if order is None:
        raise NotFound(f"unknown order '{order_id}'", code="orders.not_found", order_id=order_id)
    existing = conn.execute(select(etickets).where(etickets.c.order_id == order.id)).first()
    if existing is not None:
        return _view(conn, existing, order_id)
    if order.status != COMPLETED or not _is_store_sale(conn, order):
        return None
    location_id = _store_of(conn, order)
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    while True:  # a code collision (one in ~10**6 at a million tickets) just draws again
        code = new_code()
        inserted = conn.execute(
            insert(etickets)
            .values(code=code, order_id=order.id, location_id=location_id, issued_at=clock.now())
            .on_conflict_do_nothing()
            .returning(etickets.c.id)
        ).first()
        if inserted is not None:
            break
        # Another transaction issued this order's ticket meanwhile: that one stands.
        raced = conn.execute(select(etickets).where(etickets.c.order_id == order.id)).first()
        if raced is not None:
            return _view(conn, raced, order_id)
    ticket = _view(conn, conn.execute(select(etickets).where(etickets.c.id == inserted.id)).one(), order_id)
    record_on_order(
        conn,
        int(order.id),
        DomainEvent(
            "eticket.issued",
            "eticket",
            ticket.code,
            {
                "code": ticket.code,
                "order_id": order_id,
                "store": ticket.store,
                "total_minor": int(order.total_minor),
                "currency": order.currency,
            },
        ),
        f"E-ticket {ticket.code} issued",
        "system:unico",
    )
    return ticket


def _ticket_row(conn: Connection, code: str) -> Row[Any]:
    row = conn.execute(
        select(etickets, orders.c.order_id.label("public_order_id"))
        .select_from(etickets.join(orders, orders.c.id == etickets.c.order_id))
        .where(etickets.c.code == normalise_code(code))
    ).first()
    if row is None:
        raise NotFound("no e-ticket with this code", code="etickets.not_found")
    return row


def get_eticket(db: Database, code: str) -> ETicket:
    """An e-ticket by its code, with how many times it was opened (for staff)."""
    with db.read() as conn:
        row = _ticket_row(conn, code)
        return _view(conn, row, row.public_order_id)


def eticket_for_order(db: Database, order_id: str) -> ETicket:
    """The e-ticket of an order; 404 ``etickets.not_found`` when none was issued."""
    with db.read() as conn:
        order = conn.execute(select(orders.c.id).where(orders.c.order_id == order_id)).first()
        if order is None:
            raise NotFound(f"unknown order '{order_id}'", code="orders.not_found", order_id=order_id)
        row = conn.execute(select(etickets).where(etickets.c.order_id == order.id)).first()
        if row is None:
            raise NotFound(
                f"order '{order_id}' has no e-ticket", code="etickets.not_found", order_id=order_id
            )
        return _view(conn, row, order_id)


def _receipt(conn: Connection, row: Row[Any]) -> Receipt:
    order = conn.execute(select(orders).where(orders.c.id == row.order_id)).one()
    store = None
    if row.location_id is not None:
        store = conn.execute(select(locations).where(locations.c.id == row.location_id)).one()
    lines = conn.execute(
        select(order_lines, products.c.name_it)
        .select_from(
            order_lines.join(variants, variants.c.id == order_lines.c.variant_id).join(
                products, products.c.id == variants.c.product_id
            )
        )
        .where(order_lines.c.order_id == order.id)
        .order_by(order_lines.c.line_no)
    ).all()
    address = None if store is None else ", ".join(p for p in (store.address, store.city) if p)
    return Receipt(
        code=row.code,
        order_id=order.order_id,
        store_name=None if store is None else store.name,
        store_address=address,
        issued_at=row.issued_at,
        currency=order.currency,
        lines=tuple(
            ReceiptLine(
                line.line_no,
                line.sku,
                line.name_it,
                line.quantity,
                line.unit_price_minor,
                line.discount_minor,
                line.paid_minor,
            )
            for line in lines
        ),
        subtotal_minor=order.subtotal_minor,
        discount_minor=order.discount_minor,
        total_minor=order.total_minor,
    )


def open_eticket(db: Database, code: str, user_agent: str = "") -> Receipt:
    """The receipt behind ``code``, recording that it was opened (``eticket.opened``)."""
    with db.write() as conn:
        row = _ticket_row(conn, code)
        conn.execute(
            eticket_opens.insert().values(
                eticket_id=row.id, opened_at=clock.now(), user_agent=user_agent[:USER_AGENT_MAX]
            )
        )
        receipt = _receipt(conn, row)
        opens = conn.execute(
            select(func.count()).select_from(eticket_opens).where(eticket_opens.c.eticket_id == row.id)
        ).scalar_one()
        record_event(
            conn,
            DomainEvent(
                "eticket.opened",
                "eticket",
                row.code,
                {"code": row.code, "order_id": receipt.order_id, "opens": int(opens)},
            ),
        )
    return receipt
