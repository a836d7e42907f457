"""The stock ledger: every change of on-hand stock is an append-only movement with an id.

Movements are receipts, sales, counts, damage, transfers and returns. Each is applied with one
conditional UPDATE of the stock row (``on_hand + delta >= 0``) and one ledger row, in the same
transaction; a movement id seen before changes nothing, so feeds can be replayed safely.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from unico.access.model import Principal
from unico.catalog.store import variants
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.inventory.availability import available_to_promise
from unico.inventory.model import (
    MovementKind,
    MovementRequest,
    MovementResult,
    StockRow,
)
from unico.inventory.queries import location_by_code, require_variants
from unico.inventory.store import locations, stock, stock_movements

_OUT = {MovementKind.SALE, MovementKind.DAMAGE}


def _ensure_stock_row(conn: Connection, variant_id: int, location_id: int, at: datetime) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    conn.execute(
        insert(stock)
        .values(
            variant_id=variant_id,
            location_id=location_id,
            on_hand=0,
            reserved=0,
            safety_stock=0,
            updated_at=at,
        )
        .on_conflict_do_nothing()
    )


def _validate_movement(m: MovementRequest) -> None:
    if not m.movement_id or len(m.movement_id) > 80:
        raise ValidationFailed("movement_id must be 1-80 characters", field="movement_id")
    if m.kind is MovementKind.COUNT:
        if m.quantity < 0:
            raise ValidationFailed("a count cannot be negative", field="quantity")
    elif m.quantity <= 0:
        raise ValidationFailed("quantity must be a positive number of units", field="quantity")
    if m.kind is MovementKind.TRANSFER:
        if not m.to_location:
            raise ValidationFailed("a transfer needs to_location", field="to_location")
        if m.to_location == m.location:
            raise ValidationFailed("a transfer must go to another location", field="to_location")
    elif m.to_location:
        raise ValidationFailed("to_location is only for transfers", field="to_location")


def _apply_one(
    conn: Connection,
    m: MovementRequest,
    variant_id: int,
    location_id: int,
    *,
    kind: MovementKind,
    movement_id: str,
    delta: int | None,
    counterpart_id: int | None,
    actor: str,
    at: datetime,
) -> tuple[int, int, int]:
    """Change on hand by ``delta`` (or set it, for counts); returns (signed change, on hand, available)."""
    _ensure_stock_row(conn, variant_id, location_id, at)
    key = and_(stock.c.variant_id == variant_id, stock.c.location_id == location_id)
    if delta is None:  # a count sets on hand to what was counted
        before = conn.execute(select(stock.c.on_hand).where(key).with_for_update()).scalar_one()
        delta = m.quantity - before
        row: Row[Any] = conn.execute(
            update(stock)
            .where(key)
            .values(on_hand=m.quantity, updated_at=at)
            .returning(stock.c.on_hand, stock.c.reserved, stock.c.safety_stock)
        ).one()
    else:
        changed = conn.execute(
            update(stock)
            .where(key, stock.c.on_hand + delta >= 0)
            .values(on_hand=stock.c.on_hand + delta, updated_at=at)
            .returning(stock.c.on_hand, stock.c.reserved, stock.c.safety_stock)
        ).first()
        if changed is None:
            on_hand = conn.execute(select(stock.c.on_hand).where(key)).scalar_one()
            raise Conflict(
                f"only {on_hand} on hand of {m.sku} at {m.location}, cannot remove {-delta}",
                code="inventory.insufficient_on_hand",
                sku=m.sku,
                location=m.location,
                on_hand=on_hand,
                requested=-delta,
            )
        row = changed
    conn.execute(
        stock_movements.insert().values(
            movement_id=movement_id,
            variant_id=variant_id,
            location_id=location_id,
            kind=kind.value,
            quantity=delta,
            on_hand_after=row.on_hand,
            reason=m.reason,
            reference=m.reference,
            counterpart_location_id=counterpart_id,
            actor=actor,
            created_at=at,
        )
    )
    return delta, row.on_hand, available_to_promise(row.on_hand, row.reserved, row.safety_stock)


def _previous(
    conn: Connection, m: MovementRequest, variant_id: int, location_id: int
) -> MovementResult | None:
    """The already-applied movement with this id, or None; a different request is a 409."""
    first_id = f"{m.movement_id}/out" if m.kind is MovementKind.TRANSFER else m.movement_id
    row = conn.execute(select(stock_movements).where(stock_movements.c.movement_id == first_id)).first()
    if row is None:
        return None
    same_quantity = row.quantity == m.quantity or (
        m.kind in _OUT | {MovementKind.TRANSFER} and row.quantity == -m.quantity
    )
    if (
        row.variant_id != variant_id
        or row.location_id != location_id
        or row.kind != m.kind
        or (m.kind is not MovementKind.COUNT and not same_quantity)
    ):
        raise Conflict(
            f"movement id '{m.movement_id}' was already used for a different movement",
            code="inventory.movement_id_reused",
            movement_id=m.movement_id,
        )
    s = conn.execute(
        select(stock).where(stock.c.variant_id == variant_id, stock.c.location_id == location_id)
    ).one()
    return MovementResult(
        m.movement_id,
        m.sku,
        m.location,
        m.kind,
        row.quantity,
        s.on_hand,
        available_to_promise(s.on_hand, s.reserved, s.safety_stock),
        applied=False,
        created_at=row.created_at,
    )


def apply_movement_in(conn: Connection, m: MovementRequest, principal: Principal) -> MovementResult:
    """Apply one movement inside the caller's transaction (used by batches and imports)."""
    _validate_movement(m)
    ids = require_variants(conn, [m.sku])
    loc = location_by_code(conn, m.location)
    principal.require_store(int(loc.id), loc.code)
    variant_id = ids[m.sku]
    previous = _previous(conn, m, variant_id, int(loc.id))
    if previous is not None:
        return previous
    at = clock.now()
    if m.kind is MovementKind.TRANSFER:
        assert m.to_location is not None
        dest = location_by_code(conn, m.to_location)
        out = _apply_one(
            conn,
            m,
            variant_id,
            int(loc.id),
            kind=m.kind,
            movement_id=f"{m.movement_id}/out",
            delta=-m.quantity,
            counterpart_id=int(dest.id),
            actor=principal.actor,
            at=at,
        )
        into = _apply_one(
            conn,
            m,
            variant_id,
            int(dest.id),
            kind=m.kind,
            movement_id=f"{m.movement_id}/in",
            delta=m.quantity,
            counterpart_id=int(loc.id),
            actor=principal.actor,
            at=at,
        )
        counterpart = MovementResult(
            m.movement_id, m.sku, dest.code, m.kind, into[0], into[1], into[2], True, at
        )
        result = MovementResult(
            m.movement_id, m.sku, loc.code, m.kind, out[0], out[1], out[2], True, at, counterpart
        )
    else:
        delta = None if m.kind is MovementKind.COUNT else (-m.quantity if m.kind in _OUT else m.quantity)
        change, on_hand, available = _apply_one(
            conn,
            m,
            variant_id,
            int(loc.id),
            kind=m.kind,
            movement_id=m.movement_id,
            delta=delta,
            counterpart_id=None,
            actor=principal.actor,
            at=at,
        )
        result = MovementResult(m.movement_id, m.sku, loc.code, m.kind, change, on_hand, available, True, at)
    record_event(
        conn,
        DomainEvent(
            "inventory.stock_moved",
            "stock",
            f"{m.sku}@{loc.code}",
            {
                "movement_id": m.movement_id,
                "sku": m.sku,
                "location": loc.code,
                "kind": m.kind.value,
                "quantity": result.quantity,
                "on_hand": result.on_hand,
                "available": result.available,
                "to_location": m.to_location,
            },
        ),
    )
    return result


def apply_movements(
    db: Database, batch: Sequence[MovementRequest], principal: Principal
) -> list[MovementResult]:
    """Apply movements all-or-nothing: any rejected movement leaves every row as it was."""
    if not batch:
        raise ValidationFailed("give at least one movement", field="movements")
    ids = [m.movement_id for m in batch]
    if len(set(ids)) != len(ids):
        raise ValidationFailed("movement ids must be unique within a batch", field="movements")
    with db.write() as conn:
        return [apply_movement_in(conn, m, principal) for m in batch]


def set_safety_stock(db: Database, sku: str, location: str, quantity: int, principal: Principal) -> StockRow:
    if quantity < 0:
        raise ValidationFailed("safety stock cannot be negative", field="safety_stock")
    with db.write() as conn:
        vid = require_variants(conn, [sku])[sku]
        loc = location_by_code(conn, location)
        principal.require_store(int(loc.id), loc.code)
        at = clock.now()
        _ensure_stock_row(conn, vid, int(loc.id), at)
        row = conn.execute(
            update(stock)
            .where(stock.c.variant_id == vid, stock.c.location_id == loc.id)
            .values(safety_stock=quantity, updated_at=at)
            .returning(stock.c.on_hand, stock.c.reserved, stock.c.safety_stock)
        ).one()
        record_event(
            conn,
            DomainEvent(
                "inventory.safety_stock_set",
                "stock",
                f"{sku}@{loc.code}",
                {"sku": sku, "location": loc.code, "safety_stock": quantity},
            ),
        )
    return StockRow(loc.code, loc.name, loc.type, loc.city, row.on_hand, row.reserved, row.safety_stock)


@dataclass(frozen=True)
class MovementLine:
    id: int
    movement_id: str
    sku: str
    kind: str
    quantity: int
    on_hand_after: int
    reason: str
    reference: str
    counterpart: str | None
    actor: str
    created_at: datetime


def list_movements(
    db: Database,
    location: str,
    *,
    sku: str | None = None,
    kind: MovementKind | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[MovementLine]:
    """One location's ledger, newest first; page with ``before_id`` (the last id seen)."""
    counterpart = locations.alias("counterpart")
    with db.read() as conn:
        loc = location_by_code(conn, location)
        query = (
            select(stock_movements, variants.c.sku, counterpart.c.code.label("counterpart_code"))
            .select_from(
                stock_movements.join(variants, variants.c.id == stock_movements.c.variant_id).outerjoin(
                    counterpart, counterpart.c.id == stock_movements.c.counterpart_location_id
                )
            )
            .where(stock_movements.c.location_id == loc.id)
        )
        if sku:
            query = query.where(variants.c.sku == sku)
        if kind:
            query = query.where(stock_movements.c.kind == kind.value)
        if before_id:
            query = query.where(stock_movements.c.id < before_id)
        rows = conn.execute(query.order_by(stock_movements.c.id.desc()).limit(min(max(limit, 1), 500))).all()
    return [
        MovementLine(
            r.id,
            r.movement_id,
            r.sku,
            r.kind,
            r.quantity,
            r.on_hand_after,
            r.reason,
            r.reference,
            r.counterpart_code,
            r.actor,
            r.created_at,
        )
        for r in rows
    ]
