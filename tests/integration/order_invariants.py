"""What must hold in the database after any burst of orders, crash or race."""

from __future__ import annotations

from sqlalchemy import func, select

from unico.core.db import Database
from unico.inventory.model import ReservationStatus
from unico.inventory.store import reservations, stock, stock_movements
from unico.orders.store import cart_lines, order_allocations, order_lines, orders

# Allocation states in which the units are still held by a reservation at their location.
HOLDING = ("reserved", "picked", "packed", "ready")


def stock_problems(db: Database) -> list[str]:
    """Every stock row: 0 <= reserved <= on hand, on hand = its ledger, reserved = its reservations."""
    with db.read() as conn:
        rows = conn.execute(
            select(stock.c.variant_id, stock.c.location_id, stock.c.on_hand, stock.c.reserved)
        ).all()
        ledger = {
            (v, loc): int(q)
            for v, loc, q in conn.execute(
                select(
                    stock_movements.c.variant_id,
                    stock_movements.c.location_id,
                    func.sum(stock_movements.c.quantity),
                ).group_by(stock_movements.c.variant_id, stock_movements.c.location_id)
            )
        }
        held = {
            (v, loc): int(q)
            for v, loc, q in conn.execute(
                select(
                    reservations.c.variant_id, reservations.c.location_id, func.sum(reservations.c.quantity)
                )
                .where(reservations.c.status == ReservationStatus.ACTIVE.value)
                .group_by(reservations.c.variant_id, reservations.c.location_id)
            )
        }
    problems = []
    for v, loc, on_hand, reserved in rows:
        if on_hand < 0 or reserved < 0 or reserved > on_hand:
            problems.append(f"stock ({v}, {loc}): on hand {on_hand}, reserved {reserved}")
        if on_hand != ledger.get((v, loc), 0):
            problems.append(f"stock ({v}, {loc}): on hand {on_hand}, ledger {ledger.get((v, loc), 0)}")
        if reserved != held.get((v, loc), 0):
            problems.append(
                f"stock ({v}, {loc}): reserved {reserved}, active reservations {held.get((v, loc), 0)}"
            )
    return problems


def reservation_problems(db: Database) -> list[str]:
    """Active reservations and the allocations or cart lines holding them match one to one."""
    with db.read() as conn:
        active = set(
            conn.execute(
                select(reservations.c.reservation_id).where(
                    reservations.c.status == ReservationStatus.ACTIVE.value
                )
            ).scalars()
        )
        by_orders = {
            rid: order_id
            for rid, order_id in conn.execute(
                select(order_allocations.c.reservation_id, orders.c.order_id)
                .select_from(
                    order_allocations.join(order_lines, order_lines.c.id == order_allocations.c.line_id).join(
                        orders, orders.c.id == order_lines.c.order_id
                    )
                )
                .where(
                    order_allocations.c.status.in_(HOLDING), order_allocations.c.reservation_id.is_not(None)
                )
            )
        }
        by_carts = set(
            conn.execute(
                select(cart_lines.c.reservation_id).where(cart_lines.c.reservation_id.is_not(None))
            ).scalars()
        )
    problems = [
        f"active reservation {rid} held by nothing"
        for rid in active
        if rid not in by_orders and rid not in by_carts
    ]
    problems += [
        f"allocation of {order} holds {rid}, which is not active"
        for rid, order in by_orders.items()
        if rid not in active
    ]
    return problems
