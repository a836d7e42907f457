"""Reservations: units held at one location for a cart, an order or an e-reservation.

Reserving is one conditional UPDATE (``reserved = reserved + q WHERE on_hand - reserved -
safety_stock >= q``): whatever the number of processes, stock is never promised twice. A
reservation ends once: released, expired by the worker, or fulfilled; each end is a conditional
UPDATE on its status, so two workers can never give the same units back twice.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.engine import Connection, Row

from unico.access.model import Principal
from unico.catalog.store import variants
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.core.ids import new_id
from unico.inventory.availability import available_to_promise
from unico.inventory.model import (
    Reservation,
    ReservationRequest,
    ReservationStatus,
)
from unico.inventory.queries import location_by_code, require_variants
from unico.inventory.store import locations, reservations, stock


def _reservation(row: Row[Any], sku: str, location: str) -> Reservation:
    return Reservation(
        row.reservation_id,
        sku,
        location,
        row.quantity,
        row.owner_type,
        row.owner_id,
        row.channel,
        ReservationStatus(row.status),
        row.expires_at,
        row.created_at,
    )


def _ttl_of(req: ReservationRequest, default_ttl: int) -> int:
    """Check a request at the edge of the domain; returns its time to live in seconds."""
    if req.quantity <= 0:
        raise ValidationFailed("quantity must be a positive number of units", field="quantity")
    if not req.owner_id:
        raise ValidationFailed("owner_id is required", field="owner_id")
    ttl = default_ttl if req.ttl_seconds is None else req.ttl_seconds
    if ttl <= 0:
        raise ValidationFailed("ttl_seconds must be positive", field="ttl_seconds")
    return ttl


def _reservation_made(req: ReservationRequest, reservation_id: str, at: datetime, ttl: int) -> Reservation:
    return Reservation(
        reservation_id,
        req.sku,
        req.location,
        req.quantity,
        req.owner_type,
        req.owner_id,
        req.channel,
        ReservationStatus.ACTIVE,
        at + timedelta(seconds=ttl),
        at,
    )


def _reserved_event(made: Reservation) -> DomainEvent:
    return DomainEvent(
        "inventory.stock_reserved",
        "reservation",
        made.reservation_id,
        {
            "sku": made.sku,
            "location": made.location,
            "quantity": made.quantity,
            "owner_type": made.owner_type.value,
            "owner_id": made.owner_id,
            "expires_at": made.expires_at.isoformat() if made.expires_at else None,
        },
    )


def reserve_in(
    conn: Connection, req: ReservationRequest, principal: Principal, *, default_ttl: int
) -> Reservation:
    """Reserve inside the caller's transaction: one conditional update, or ``InsufficientStock``."""
    ttl = _ttl_of(req, default_ttl)
    made = _reservation_made(req, new_id("res"), clock.now(), ttl)
    # Resolve the SKU and location inside the conditional update: one statement when it succeeds.
    done = conn.execute(
        update(stock)
        .where(
            stock.c.variant_id == select(variants.c.id).where(variants.c.sku == req.sku).scalar_subquery(),
            stock.c.location_id
            == select(locations.c.id).where(locations.c.code == req.location).scalar_subquery(),
            stock.c.on_hand - stock.c.reserved - stock.c.safety_stock >= req.quantity,
        )
        .values(reserved=stock.c.reserved + req.quantity, updated_at=made.created_at)
        .returning(stock.c.variant_id, stock.c.location_id)
    ).first()
    if done is None:
        raise _why_not_reserved(conn, req)
    principal.require_store(int(done.location_id), req.location)  # raising rolls the update back
    conn.execute(
        reservations.insert().values(
            reservation_id=made.reservation_id,
            variant_id=done.variant_id,
            location_id=done.location_id,
            quantity=made.quantity,
            owner_type=made.owner_type.value,
            owner_id=made.owner_id,
            channel=made.channel,
            status=made.status.value,
            expires_at=made.expires_at,
            created_at=made.created_at,
            end_reason="",
        )
    )
    record_event(conn, _reserved_event(made))
    return made


# PostgreSQL runs a standalone reservation as one atomic statement in autocommit: the
# conditional update, the reservation row and its outbox event travel in one round trip, where
# the unit-of-work path needs BEGIN, three statements and COMMIT. Same rows, same event.
_RESERVE_IN_ONE_STATEMENT = text(
    """
    WITH held AS (
        UPDATE stock SET reserved = reserved + :quantity, updated_at = :at
        WHERE variant_id = (SELECT id FROM variants WHERE sku = :sku)
          AND location_id = (SELECT id FROM locations WHERE code = :location)
          AND on_hand - reserved - safety_stock >= :quantity
        RETURNING variant_id, location_id
    ), made AS (
        INSERT INTO reservations (reservation_id, variant_id, location_id, quantity, owner_type, owner_id,
                                  channel, status, expires_at, created_at, end_reason)
        SELECT :reservation_id, variant_id, location_id, :quantity, :owner_type, :owner_id,
               :channel, 'active', :expires_at, :at, '' FROM held
    ), told AS (
        INSERT INTO outbox_events (event_id, type, aggregate_type, aggregate_id, payload, occurred_at)
        SELECT :event_id, :event_type, :aggregate_type, :reservation_id, CAST(:payload AS jsonb), :at
        FROM held
    )
    SELECT location_id FROM held
    """
)


def _reserve_in_one_statement(db: Database, req: ReservationRequest, ttl: int) -> Reservation:
    made = _reservation_made(req, new_id("res"), clock.now(), ttl)
    event = _reserved_event(made)
    params = {
        "sku": req.sku,
        "location": req.location,
        "quantity": req.quantity,
        "reservation_id": made.reservation_id,
        "owner_type": made.owner_type.value,
        "owner_id": made.owner_id,
        "channel": made.channel,
        "expires_at": made.expires_at,
        "at": made.created_at,
        "event_id": new_id("evt"),
        "event_type": event.type,
        "aggregate_type": event.aggregate_type,
        "payload": json.dumps(event.payload),
    }
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        held = conn.execute(_RESERVE_IN_ONE_STATEMENT, params).first()
    if held is None:
        with db.read() as conn:
            raise _why_not_reserved(conn, req)
    return made


def _why_not_reserved(conn: Connection, req: ReservationRequest) -> NotFound | InsufficientStock:
    """After a refused reservation: the unknown SKU or location, or what is available."""
    vid = require_variants(conn, [req.sku])[req.sku]
    loc = location_by_code(conn, req.location)
    s = conn.execute(select(stock).where(stock.c.variant_id == vid, stock.c.location_id == loc.id)).first()
    available = available_to_promise(s.on_hand, s.reserved, s.safety_stock) if s else 0
    return InsufficientStock(
        f"only {available} of {req.sku} available at {loc.code}, {req.quantity} requested",
        sku=req.sku,
        location=loc.code,
        requested=req.quantity,
        available=available,
    )


def reserve_stock(
    db: Database, req: ReservationRequest, principal: Principal, *, default_ttl: int = 1800
) -> Reservation:
    """Hold ``quantity`` units at one location for a cart, order or e-reservation, until it expires."""
    if db.dialect == "postgresql" and principal.store_id is None:
        return _reserve_in_one_statement(db, req, _ttl_of(req, default_ttl))
    with db.write() as conn:
        return reserve_in(conn, req, principal, default_ttl=default_ttl)


def _end_reservation(
    conn: Connection, reservation_id: str, status: ReservationStatus, reason: str, at: datetime
) -> bool:
    """Move an active reservation to ``status`` and give its units back; False if not active."""
    row = conn.execute(
        select(reservations.c.variant_id, reservations.c.location_id, reservations.c.quantity).where(
            reservations.c.reservation_id == reservation_id
        )
    ).first()
    if row is None:
        raise NotFound(f"unknown reservation '{reservation_id}'", code="inventory.reservation_not_found")
    ended = conn.execute(
        update(reservations)
        .where(
            reservations.c.reservation_id == reservation_id,
            reservations.c.status == ReservationStatus.ACTIVE.value,
        )
        .values(status=status.value, ended_at=at, end_reason=reason)
    )
    if ended.rowcount != 1:
        return False
    conn.execute(
        update(stock)
        .where(stock.c.variant_id == row.variant_id, stock.c.location_id == row.location_id)
        .values(reserved=stock.c.reserved - row.quantity, updated_at=at)
    )
    record_event(
        conn,
        DomainEvent(
            f"inventory.reservation_{status.value}",
            "reservation",
            reservation_id,
            {"quantity": row.quantity, "reason": reason},
        ),
    )
    return True


def _load(conn: Connection, reservation_id: str) -> Row[Any]:
    row = conn.execute(
        select(reservations, variants.c.sku, locations.c.code.label("location_code"))
        .select_from(
            reservations.join(variants, variants.c.id == reservations.c.variant_id).join(
                locations, locations.c.id == reservations.c.location_id
            )
        )
        .where(reservations.c.reservation_id == reservation_id)
    ).first()
    if row is None:
        raise NotFound(f"unknown reservation '{reservation_id}'", code="inventory.reservation_not_found")
    return row


def get_reservation(db: Database, reservation_id: str) -> Reservation:
    with db.read() as conn:
        row = _load(conn, reservation_id)
    return _reservation(row, row.sku, row.location_code)


def release_reservation(
    db: Database, reservation_id: str, principal: Principal, reason: str = "released"
) -> Reservation:
    """Give a reservation's units back to available stock; a second release is a 409."""
    with db.write() as conn:
        current = _load(conn, reservation_id)
        principal.require_store(int(current.location_id), current.location_code)
        at = clock.now()
        if not _end_reservation(conn, reservation_id, ReservationStatus.RELEASED, reason, at):
            raise Conflict(
                f"reservation {reservation_id} is {current.status}, not active",
                code="inventory.reservation_not_active",
                status=current.status,
            )
    released = _reservation(current, current.sku, current.location_code)
    return replace(released, status=ReservationStatus.RELEASED)


def release_expired_reservations(db: Database, *, limit: int = 500) -> int:
    """Expire every active reservation whose time is up (the worker calls this); returns how many."""
    at = clock.now()
    with db.read() as conn:
        due = (
            conn.execute(
                select(reservations.c.reservation_id)
                .where(
                    reservations.c.status == ReservationStatus.ACTIVE.value, reservations.c.expires_at <= at
                )
                .order_by(reservations.c.expires_at)
                .limit(limit)
            )
            .scalars()
            .all()
        )
    released = 0
    for start in range(0, len(due), 100):
        with db.write() as conn:
            for reservation_id in due[start : start + 100]:
                released += _end_reservation(conn, reservation_id, ReservationStatus.EXPIRED, "expired", at)
    return released
