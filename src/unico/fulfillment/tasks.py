"""Store and warehouse work on orders: each location's queue of tasks and their steps.

    pick_for_pickup      open ─pick─► picked ─pack─► packed ─ready─► ready ─handover(code)─► handed_over
    pick_for_shipment    open ─pick─► picked ─pack─► packed ─ship(carrier, tracking)─► shipped
    pick_for_transfer    open ─pick─► picked ─pack─► packed ─ship─► shipped  (+ a receive task)
    receive_for_pickup   in_transit ─receive─► received ─ready─► ready ─handover(code)─► handed_over

A short pick (units missing or damaged) writes the loss to the ledger (``damage``), keeps what was
picked, and sources the missing units again elsewhere (never from the same location); what
nobody has is cancelled from the line. Handover and shipment consume the reservation and write
a ``sale`` movement, so on hand and reserved drop together. Store associates work only on their
own store's tasks.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Row

from unico.access.model import Principal
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import NotFound, ValidationFailed
from unico.fulfillment.store import fulfillment_tasks
from unico.fulfillment.work import TaskKey, open_tasks
from unico.inventory import ledger
from unico.inventory.model import Method, MovementKind, MovementRequest, ReservationStatus
from unico.inventory.queries import location_by_code
from unico.inventory.store import locations
from unico.orders.holds import end_reservations, shrink_reservation
from unico.orders.lifecycle import (
    ENDED,
    AllocationStatus,
    OrderStatus,
    TaskKind,
    TaskStatus,
    TaskStep,
    next_task_status,
)
from unico.orders.network import destination_point, load_snapshot
from unico.orders.reallocation import Move, place_moves
from unico.orders.records import (
    Allocation,
    Journal,
    OrderState,
    load_order_by_pk,
    save_allocations,
    settle_status,
)
from unico.orders.store import order_allocations, order_lines, orders

DEFAULT_PICKUP_HOLD_DAYS = 7


@dataclass(frozen=True)
class TaskLine:
    line_no: int
    sku: str
    quantity: int
    status: str


@dataclass(frozen=True)
class TaskView:
    task_id: str
    order_id: str
    location: str
    kind: str
    status: str
    destination: str | None
    carrier: str | None
    tracking_number: str | None
    pickup_code: str | None
    lines: tuple[TaskLine, ...]
    created_at: datetime
    updated_at: datetime


def task_document(task: TaskView) -> dict[str, Any]:
    return {
        "task_id": task.task_id,
        "order_id": task.order_id,
        "location": task.location,
        "kind": task.kind,
        "status": task.status,
        "destination": task.destination,
        "carrier": task.carrier,
        "tracking_number": task.tracking_number,
        "pickup_code": task.pickup_code,
        "lines": [line.__dict__ for line in task.lines],
        "created_at": task.created_at.isoformat(),
        "updated_at": task.updated_at.isoformat(),
    }


_destination = locations.alias("destination")


def _task_query() -> Any:
    return select(
        fulfillment_tasks,
        orders.c.order_id.label("order_code"),
        locations.c.code.label("location_code"),
        _destination.c.code.label("destination_code"),
    ).select_from(
        fulfillment_tasks.join(orders, orders.c.id == fulfillment_tasks.c.order_id)
        .join(locations, locations.c.id == fulfillment_tasks.c.location_id)
        .outerjoin(_destination, _destination.c.id == fulfillment_tasks.c.destination_location_id)
    )


def _views(conn: Connection, rows: Sequence[Row[Any]], *, show_code: bool = False) -> list[TaskView]:
    ids = [int(r.id) for r in rows]
    lines: dict[int, list[TaskLine]] = {i: [] for i in ids}
    if ids:
        for a in conn.execute(
            select(
                order_allocations.c.task_id,
                order_lines.c.line_no,
                order_lines.c.sku,
                order_allocations.c.quantity,
                order_allocations.c.status,
            )
            .select_from(order_allocations.join(order_lines, order_lines.c.id == order_allocations.c.line_id))
            .where(order_allocations.c.task_id.in_(ids))
            .order_by(order_lines.c.line_no, order_allocations.c.id)
        ):
            lines[int(a.task_id)].append(TaskLine(a.line_no, a.sku, a.quantity, a.status))
    return [
        TaskView(
            r.task_id,
            r.order_code,
            r.location_code,
            r.kind,
            r.status,
            r.destination_code,
            r.carrier,
            r.tracking_number,
            r.pickup_code if show_code else None,
            tuple(lines[int(r.id)]),
            r.created_at,
            r.updated_at,
        )
        for r in rows
    ]


def list_tasks(
    db: Database, store: str, principal: Principal, *, status: str | None = None, limit: int = 100
) -> list[TaskView]:
    """A location's queue, oldest first (open work first when no status is given)."""
    with db.read() as conn:
        loc = location_by_code(conn, store)
        principal.require_store(int(loc.id), loc.code)
        query = _task_query().where(fulfillment_tasks.c.location_id == loc.id)
        if status:
            query = query.where(fulfillment_tasks.c.status == status)
        else:
            query = query.where(
                fulfillment_tasks.c.status.not_in(
                    [TaskStatus.HANDED_OVER.value, TaskStatus.SHIPPED.value, TaskStatus.CANCELLED.value]
                )
            )
        rows = conn.execute(query.order_by(fulfillment_tasks.c.id).limit(min(max(limit, 1), 500))).all()
        return _views(conn, rows)


def get_task(db: Database, task_id: str, principal: Principal) -> TaskView:
    with db.read() as conn:
        row = _row(conn, task_id)
        principal.require_store(int(row.location_id), row.location_code)
        return _views(conn, [row])[0]


def _row(conn: Connection, task_id: str) -> Row[Any]:
    row = conn.execute(_task_query().where(fulfillment_tasks.c.task_id == task_id)).first()
    if row is None:
        raise NotFound(f"unknown task '{task_id}'", code="fulfillment.task_not_found", task_id=task_id)
    return row


@dataclass
class _Work:
    conn: Connection
    row: Row[Any]
    state: OrderState
    journal: Journal
    allocations: list[Allocation]
    target: TaskStatus


def _begin(conn: Connection, task_id: str, step: TaskStep, principal: Principal) -> _Work:
    """Load and lock the task's order, check the associate's store and the step."""
    row = _row(conn, task_id)
    principal.require_store(int(row.location_id), row.location_code)
    state = load_order_by_pk(conn, int(row.order_id), lock=True)
    row = _row(conn, task_id)  # re-read under the order's lock
    target = next_task_status(TaskKind(row.kind), TaskStatus(row.status), step, task_id=task_id)
    mine = [a for a in state.allocations() if a.task_id == int(row.id) and a.status not in ENDED]
    return _Work(conn, row, state, Journal(clock.now(), principal.actor), mine, target)


def _finish(work: _Work, principal: Principal, **values: Any) -> TaskView:
    conn = work.conn
    conn.execute(
        update(fulfillment_tasks)
        .where(fulfillment_tasks.c.id == work.row.id)
        .values(status=work.target.value, updated_at=work.journal.at, **values)
    )
    work.journal.flush(conn)
    return _views(conn, [_row(conn, work.row.task_id)], show_code=True)[0]


def _payload(work: _Work, **extra: Any) -> dict[str, Any]:
    return {"task_id": work.row.task_id, "location": work.row.location_code, "kind": work.row.kind, **extra}


def pick(db: Database, task_id: str, picked: dict[int, int], principal: Principal) -> TaskView:
    """Record what was picked per line number (missing lines: all of it). Units not found or
    damaged are written off and sourced again elsewhere; see the module docstring."""
    with db.write() as conn:
        work = _begin(conn, task_id, TaskStep.PICK, principal)
        state, journal, at = work.state, work.journal, work.journal.at
        by_line: dict[int, list[Allocation]] = {}
        for a in work.allocations:
            by_line.setdefault(_line_no(state, a), []).append(a)
        unknown = [no for no in picked if no not in by_line]
        if unknown:
            raise ValidationFailed(
                f"line {unknown[0]} is not part of task {task_id}", field="lines", line_no=unknown[0]
            )
        moves: list[Move] = []
        shorts = []
        changed: list[Allocation] = []
        for line_no, allocations in by_line.items():
            wanted = sum(a.quantity for a in allocations)
            got = picked.get(line_no, wanted)
            if got < 0 or got > wanted:
                raise ValidationFailed(
                    f"picked must be between 0 and {wanted} for line {line_no}",
                    field="lines",
                    line_no=line_no,
                )
            missing = wanted - got
            for a in allocations:
                take = min(a.quantity, got)
                got -= take
                short = a.quantity - take
                if short and a.reservation_id:
                    if take:
                        shrink_reservation(conn, a.reservation_id, take, at)
                    else:
                        end_reservations(
                            conn, [a.reservation_id], ReservationStatus.RELEASED, "short pick", at
                        )
                if take:
                    a.quantity, a.status = take, AllocationStatus.PICKED
                else:
                    a.status = AllocationStatus.REJECTED
                changed.append(a)
                if short and take:
                    _record_rejected(conn, a, short, at)
            if missing:
                line = state.line(line_no)
                shorts.append((line, missing))
        save_allocations(conn, changed, at)
        for line, missing in shorts:
            ledger.apply_movement_in(
                conn,
                MovementRequest(
                    f"{task_id}/{line.line_no}/short",
                    line.sku,
                    work.row.location_code,
                    MovementKind.DAMAGE,
                    missing,
                    reason="short pick",
                    reference=state.order_id,
                ),
                principal,
            )
        if shorts:
            moves = _resourcing_moves(conn, state, shorts, int(work.row.location_id))
            codes = [line.pickup_store or "" for line, _m in shorts]
            snapshot = load_snapshot(conn, [line.sku for line, _m in shorts], codes, at=at)
            known = {line.id: len(line.allocations) for line, _m in shorts}
            placed = place_moves(conn, state, moves, snapshot, journal, partial=True, reason="short pick")
            for line, missing in shorts:
                found = placed.get(line.id, 0)
                journal.task_event(
                    state,
                    "fulfillment.short_picked",
                    f"{missing} x {line.sku} missing at {work.row.location_code}",
                    **_payload(work, line_no=line.line_no, sku=line.sku, missing=missing),
                )
                where = sorted({a.location for a in line.allocations[known[line.id] :]})
                if found:
                    journal.order_event(
                        state,
                        "order.resourced",
                        f"line {line.line_no}: {found} re-sourced from {', '.join(where)}",
                        line_no=line.line_no,
                        quantity=found,
                        rejected_at=work.row.location_code,
                        locations=where,
                    )
                if found < missing:
                    line.quantity_cancelled += missing - found
                    conn.execute(
                        update(order_lines)
                        .where(order_lines.c.id == line.id)
                        .values(quantity_cancelled=line.quantity_cancelled)
                    )
                    journal.order_event(
                        state,
                        "order.line_cancelled",
                        f"line {line.line_no}: {missing - found} cancelled, nowhere in stock",
                        line_no=line.line_no,
                        quantity=missing - found,
                        reason="out of stock",
                    )
        if not any(a.status is AllocationStatus.PICKED for a in work.allocations):
            work.target = TaskStatus.CANCELLED
        else:
            journal.task_event(
                state,
                "fulfillment.picked",
                f"picked at {work.row.location_code}",
                **_payload(work, lines=[{"line_no": no, "picked": picked.get(no)} for no in by_line]),
            )
        settle_status(conn, state, journal)
        return _finish(work, principal)


def _line_no(state: OrderState, allocation: Allocation) -> int:
    return next(line.line_no for line in state.lines if line.id == allocation.line_id)


def _record_rejected(conn: Connection, a: Allocation, quantity: int, at: datetime) -> None:
    conn.execute(
        order_allocations.insert().values(
            line_id=a.line_id,
            location_id=a.location_id,
            quantity=quantity,
            reservation_id=None,
            status=AllocationStatus.REJECTED.value,
            task_id=a.task_id,
            updated_at=at,
        )
    )


def _resourcing_moves(conn: Connection, state: OrderState, shorts: list[Any], rejected_at: int) -> list[Move]:
    """Missing units go to the same destination: the address, or the pickup store by transfer."""
    moves = []
    address = conn.execute(select(orders.c.shipping_address).where(orders.c.id == state.id)).scalar()
    home = destination_point(conn, address)
    for line, missing in shorts:
        exclude = frozenset({rejected_at})
        if line.method == Method.HOME_DELIVERY.value:
            moves.append(Move(line, missing, method=Method.HOME_DELIVERY, point=home, exclude=exclude))
        else:
            store = conn.execute(
                select(locations.c.latitude, locations.c.longitude).where(
                    locations.c.id == line.pickup_location_id
                )
            ).one()
            point = (float(store.latitude), float(store.longitude))
            moves.append(Move(line, missing, method=Method.SHIP_TO_STORE, point=point, exclude=exclude))
    return moves


def pack(db: Database, task_id: str, principal: Principal) -> TaskView:
    with db.write() as conn:
        work = _begin(conn, task_id, TaskStep.PACK, principal)
        for a in work.allocations:
            a.status = AllocationStatus.PACKED
        save_allocations(conn, work.allocations, work.journal.at)
        work.journal.task_event(
            work.state, "fulfillment.packed", f"packed at {work.row.location_code}", **_payload(work)
        )
        settle_status(conn, work.state, work.journal)
        return _finish(work, principal)


def ready(
    db: Database, task_id: str, principal: Principal, *, pickup_hold_days: int = DEFAULT_PICKUP_HOLD_DAYS
) -> TaskView:
    """Waiting at the counter: a 6-digit pickup code is issued and the pickup deadline set."""
    with db.write() as conn:
        work = _begin(conn, task_id, TaskStep.READY, principal)
        state, journal = work.state, work.journal
        code = f"{secrets.randbelow(1_000_000):06d}"
        for a in work.allocations:
            a.status = AllocationStatus.READY
        save_allocations(conn, work.allocations, journal.at)
        deadline = journal.at + timedelta(days=pickup_hold_days)
        if state.expires_at is not None:
            deadline = min(deadline, state.expires_at)
        state.expires_at = deadline
        conn.execute(update(orders).where(orders.c.id == state.id).values(expires_at=deadline))
        before = state.status
        settle_status(conn, state, journal)
        if not (state.status is OrderStatus.READY_FOR_PICKUP and before is not OrderStatus.READY_FOR_PICKUP):
            journal.order_event(
                state, "order.ready_for_pickup", f"ready at {work.row.location_code}", partial=True
            )
        extra = {
            "task_id": task_id,
            "store": work.row.location_code,
            "pickup_code": code,
            "collect_by": deadline.isoformat(),
        }
        for event in journal.events:
            if event.type == "order.ready_for_pickup":
                event.payload.update(extra)
        return _finish(work, principal, pickup_code=code, due_by=deadline)


def handover(db: Database, task_id: str, code: str, principal: Principal) -> TaskView:
    """Give the units to the customer after checking the pickup code; a wrong code changes nothing."""
    with db.write() as conn:
        work = _begin(conn, task_id, TaskStep.HANDOVER, principal)
        if not work.row.pickup_code or not hmac.compare_digest(str(work.row.pickup_code), code.strip()):
            raise ValidationFailed(
                "the pickup code does not match", code="fulfillment.pickup_code_mismatch", field="code"
            )
        _sell(work, principal, "handed over")
        for a in work.allocations:
            a.status = AllocationStatus.COLLECTED
        save_allocations(conn, work.allocations, work.journal.at)
        work.journal.task_event(
            work.state,
            "fulfillment.handed_over",
            f"handed over at {work.row.location_code}",
            **_payload(work),
        )
        settle_status(conn, work.state, work.journal)
        return _finish(work, principal)


def _sell(work: _Work, principal: Principal, reason: str) -> None:
    """Consume the reservations of the task's units and write their sale at this location."""
    conn, at = work.conn, work.journal.at
    # Only units held here leave here: a transfer received at a pickup store was already sold
    # at its source when it was shipped.
    here = int(work.row.location_id)
    held = [a for a in work.allocations if a.reservation_id and a.location_id == here]
    end_reservations(conn, [a.reservation_id or "" for a in held], ReservationStatus.FULFILLED, reason, at)
    for a in held:
        line = next(line for line in work.state.lines if line.id == a.line_id)
        ledger.apply_movement_in(
            conn,
            MovementRequest(
                f"{work.row.task_id}/{a.id}",
                line.sku,
                a.location,
                MovementKind.SALE,
                a.quantity,
                reason=reason,
                reference=work.state.order_id,
            ),
            principal,
        )


def ship(db: Database, task_id: str, carrier: str, tracking_number: str, principal: Principal) -> TaskView:
    """Hand the parcel to the carrier: stock leaves this location (a sale); a transfer to a pickup
    store opens the store's receive task."""
    if not carrier.strip() or not tracking_number.strip():
        raise ValidationFailed("carrier and tracking_number are required", field="tracking_number")
    with db.write() as conn:
        work = _begin(conn, task_id, TaskStep.SHIP, principal)
        state, journal = work.state, work.journal
        _sell(work, principal, "shipped")
        transfer = work.row.kind == TaskKind.PICK_FOR_TRANSFER.value
        if transfer:
            key = TaskKey(int(work.row.destination_location_id), TaskKind.RECEIVE_FOR_PICKUP, None)
            receive = open_tasks(conn, state.id, [key], journal.at)[key]
            for a in work.allocations:
                a.status, a.task_id = AllocationStatus.IN_TRANSIT, receive[0]
            conn.execute(
                update(order_allocations)
                .where(order_allocations.c.id.in_([a.id for a in work.allocations]))
                .values(task_id=receive[0])
            )
            journal.task_event(
                state,
                "fulfillment.task_created",
                f"receive task at {work.row.destination_code}",
                task_id=receive[1],
                location=work.row.destination_code,
                kind=TaskKind.RECEIVE_FOR_PICKUP.value,
            )
        else:
            for a in work.allocations:
                a.status = AllocationStatus.SHIPPED
        save_allocations(conn, work.allocations, journal.at)
        journal.task_event(
            state,
            "fulfillment.shipped",
            f"shipped from {work.row.location_code} with {carrier}",
            **_payload(work, carrier=carrier, tracking_number=tracking_number, to=work.row.destination_code),
        )
        settle_status(conn, state, journal)
        return _finish(work, principal, carrier=carrier, tracking_number=tracking_number)


def receive(db: Database, task_id: str, principal: Principal) -> TaskView:
    """A transfer arrived at the pickup store; it can be made ready for the customer."""
    with db.write() as conn:
        work = _begin(conn, task_id, TaskStep.RECEIVE, principal)
        for a in work.allocations:
            a.status = AllocationStatus.RECEIVED
        save_allocations(conn, work.allocations, work.journal.at)
        work.journal.task_event(
            work.state, "fulfillment.received", f"received at {work.row.location_code}", **_payload(work)
        )
        settle_status(conn, work.state, work.journal)
        return _finish(work, principal)
