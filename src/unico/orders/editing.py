"""Edits of an order before its units are picked: cancel it, cancel a line, change the pickup
store; and the carrier's delivery confirmation. Each is one unit of work on the locked order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection

from unico.access.model import Principal
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound
from unico.fulfillment.store import fulfillment_tasks
from unico.inventory.model import Channel, Method, ReservationStatus
from unico.orders.allocation import check_store_for, require_site
from unico.orders.holds import end_reservations
from unico.orders.lifecycle import EDITABLE, ENDED, AllocationStatus, TaskStatus
from unico.orders.model import STORE_METHODS, OrderView
from unico.orders.network import load_snapshot
from unico.orders.reallocation import Move, place_moves
from unico.orders.records import (
    Allocation,
    Journal,
    Line,
    OrderState,
    load_order,
    load_timeline,
    save_allocations,
    settle_status,
    view_of,
)
from unico.orders.store import order_lines


def _forbidden(state: OrderState, what: str) -> Conflict:
    return Conflict(
        f"order {state.order_id} is {state.status}: {what} is only possible before picking",
        code="orders.transition_forbidden",
        order_id=state.order_id,
        state=state.status.value,
    )


def _untouched(line: Line) -> bool:
    return all(a.status is AllocationStatus.RESERVED or a.status in ENDED for a in line.allocations)


def release_allocations(
    conn: Connection, allocations: list[Allocation], status: AllocationStatus, reason: str, at: datetime
) -> None:
    """End the reservations of ``allocations`` and mark them ``status`` (released or expired)."""
    end = ReservationStatus.EXPIRED if status is AllocationStatus.EXPIRED else ReservationStatus.RELEASED
    end_reservations(conn, [a.reservation_id or "" for a in allocations], end, reason, at)
    for a in allocations:
        a.status = status
    save_allocations(conn, allocations, at)


def close_idle_tasks(conn: Connection, state: OrderState, at: datetime) -> None:
    """Cancel the order's tasks that no longer have any live allocation."""
    live = {a.task_id for a in state.allocations() if a.status not in ENDED and a.task_id}
    query = update(fulfillment_tasks).where(
        fulfillment_tasks.c.order_id == state.id,
        fulfillment_tasks.c.status.not_in([TaskStatus.HANDED_OVER.value, TaskStatus.SHIPPED.value]),
    )
    if live:
        query = query.where(fulfillment_tasks.c.id.not_in(list(live)))
    conn.execute(query.values(status=TaskStatus.CANCELLED.value, updated_at=at))


def _save_cancelled(conn: Connection, lines: list[Line]) -> None:
    conn.execute(
        update(order_lines)
        .where(order_lines.c.id == bindparam("lid"))
        .values(quantity_cancelled=bindparam("qc")),
        [{"lid": line.id, "qc": line.quantity_cancelled} for line in lines],
    )


def cancel_order(db: Database, order_id: str, principal: Principal, *, reason: str = "") -> OrderView:
    """Cancel a whole order before picking: every reservation goes back to stock."""
    with db.write() as conn:
        state = load_order(conn, order_id, lock=True)
        if state.status not in EDITABLE or not all(_untouched(line) for line in state.lines):
            raise _forbidden(state, "cancelling")
        journal = Journal(clock.now(), principal.actor)
        live = [a for a in state.allocations() if a.status not in ENDED]
        release_allocations(conn, live, AllocationStatus.RELEASED, "order cancelled", journal.at)
        for line in state.lines:
            line.quantity_cancelled = line.quantity
        _save_cancelled(conn, state.lines)
        close_idle_tasks(conn, state, journal.at)
        settle_status(conn, state, journal)
        if reason:
            journal.note(state.id, "note", reason)
        journal.flush(conn)
        return view_of(state, load_timeline(conn, state.id))


def cancel_line(
    db: Database, order_id: str, line_no: int, principal: Principal, *, reason: str = ""
) -> OrderView:
    """Cancel one line before picking: its reservations go back to stock (``order.line_cancelled``)."""
    with db.write() as conn:
        state = load_order(conn, order_id, lock=True)
        line = state.line(line_no)
        if state.status not in EDITABLE or not _untouched(line):
            raise _forbidden(state, "cancelling a line")
        live = [a for a in line.allocations if a.status not in ENDED]
        if not live:
            raise Conflict(
                f"line {line_no} is already {line.status}",
                code="orders.transition_forbidden",
                order_id=order_id,
                state=line.status,
            )
        journal = Journal(clock.now(), principal.actor)
        release_allocations(conn, live, AllocationStatus.RELEASED, "line cancelled", journal.at)
        line.quantity_cancelled = line.quantity
        _save_cancelled(conn, [line])
        close_idle_tasks(conn, state, journal.at)
        journal.order_event(
            state, "order.line_cancelled", f"line {line_no} cancelled", line_no=line_no, reason=reason
        )
        settle_status(conn, state, journal)
        journal.flush(conn)
        return view_of(state, load_timeline(conn, state.id))


def change_pickup_store(
    db: Database, order_id: str, store: str, principal: Principal, *, lines: list[int] | None = None
) -> OrderView:
    """Collect at ``store`` instead: hold the units there (its own stock for pickup and
    reserve-in-store lines, sourced again for ship-to-store ones), release the old holds."""
    with db.write() as conn:
        state = load_order(conn, order_id, lock=True)
        chosen = [
            line
            for line in state.lines
            if line.method in STORE_METHODS
            and (lines is None or line.line_no in lines)
            and any(a.status not in ENDED for a in line.allocations)
        ]
        if lines is not None and len(chosen) != len(set(lines)):
            raise NotFound(
                "no live pickup line with those numbers", code="orders.line_not_found", lines=lines
            )
        if not chosen:
            raise Conflict("the order has no line collected at a store", code="orders.no_pickup_lines")
        if state.status not in EDITABLE or not all(_untouched(line) for line in chosen):
            raise _forbidden(state, "changing the pickup store")
        at = clock.now()
        journal = Journal(at, principal.actor)
        snapshot = load_snapshot(conn, [line.sku for line in chosen], [store], hours_for=[store], at=at)
        site = require_site(snapshot, store)
        for line in chosen:
            check_store_for(site, Method(line.method), Channel(state.channel), snapshot, at)
        old = {line.line_no: line.pickup_store for line in chosen}
        for line in chosen:
            live = [a for a in line.allocations if a.status not in ENDED]
            release_allocations(conn, live, AllocationStatus.RELEASED, f"pickup moved to {store}", at)
        # the released units count again for the new decision (same transaction)
        snapshot = load_snapshot(conn, [line.sku for line in chosen], [store], hours_for=[store], at=at)
        site = snapshot.by_code[store]
        moves = []
        for line in chosen:
            quantity = line.quantity - line.quantity_cancelled
            line.pickup_location_id, line.pickup_store = site.id, site.code
            if line.method == Method.SHIP_TO_STORE.value:
                point = (site.ref.latitude, site.ref.longitude)
                moves.append(Move(line, quantity, method=Method.SHIP_TO_STORE, point=point))
            else:
                moves.append(Move(line, quantity, site=site))
        conn.execute(
            update(order_lines)
            .where(order_lines.c.id == bindparam("lid"))
            .values(pickup_location_id=bindparam("pid")),
            [{"lid": line.id, "pid": site.id} for line in chosen],
        )
        place_moves(conn, state, moves, snapshot, journal, reason="pickup store changed")
        close_idle_tasks(conn, state, at)
        journal.order_event(
            state,
            "order.pickup_store_changed",
            f"pickup moved to {store}",
            to=store,
            lines=[{"line_no": no, "from": code} for no, code in old.items()],
        )
        settle_status(conn, state, journal)
        journal.flush(conn)
        return view_of(state, load_timeline(conn, state.id))


def confirm_delivery(db: Database, order_id: str, principal: Principal) -> OrderView:
    """The carrier delivered the shipped units: they are delivered, and the order completes once
    nothing else is outstanding."""
    with db.write() as conn:
        state = load_order(conn, order_id, lock=True)
        shipped = [a for a in state.allocations() if a.status is AllocationStatus.SHIPPED]
        if not shipped:
            raise Conflict(
                f"order {order_id} has nothing shipped to deliver",
                code="orders.transition_forbidden",
                order_id=order_id,
                state=state.status.value,
            )
        journal = Journal(clock.now(), principal.actor)
        for a in shipped:
            a.status = AllocationStatus.DELIVERED
        save_allocations(conn, shipped, journal.at)
        journal.note(state.id, "order.delivered", "delivered by the carrier")
        settle_status(conn, state, journal)
        journal.flush(conn)
        return view_of(state, load_timeline(conn, state.id))
