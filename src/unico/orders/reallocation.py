"""Allocating again part of an existing order: a new pickup store, or units a store could not pick.

Both run inside the caller's transaction on a locked order: hold the stock (one conditional
update), record the reservations, the allocations and the store tasks, and save the sourcing
decision with its reasons. Nothing here commits; a refusal raises and the caller's unit of work
rolls everything back.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from unico.core.errors import InsufficientStock
from unico.core.ids import new_id
from unico.fulfillment.sourcing import SourcingLine, SourcingPolicy, source
from unico.fulfillment.work import TaskKey, open_tasks
from unico.inventory.model import Channel, Method, OwnerType
from unico.orders.allocation import candidates_for
from unico.orders.holds import NewReservation, available_now, hold_stock, record_reservations
from unico.orders.lifecycle import AllocationStatus, TaskKind, task_kind_for
from unico.orders.network import Site, Snapshot
from unico.orders.records import Allocation, Journal, Line, OrderState
from unico.orders.store import order_allocations, sourcing_decisions


@dataclass(frozen=True)
class Move:
    """``quantity`` units of ``line`` to hold at ``site`` (fixed) or to source over the network."""

    line: Line
    quantity: int
    site: Site | None = None  # fixed: this store's own stock
    method: Method = Method.HOME_DELIVERY  # sourced: served like this method
    point: tuple[float, float] | None = None  # sourced: the destination
    exclude: frozenset[int] = frozenset()


def place_moves(
    conn: Connection,
    state: OrderState,
    moves: list[Move],
    snapshot: Snapshot,
    journal: Journal,
    *,
    partial: bool = False,
    reason: str = "",
) -> dict[int, int]:
    """Hold and record new allocations for ``moves``; returns line id -> units placed.

    Fixed moves need the full quantity at their store, else ``InsufficientStock``. Sourced moves
    take what the network has; with ``partial`` a shortfall is placed as far as it goes (the
    caller cancels the rest), without it a shortfall raises.
    """
    at = journal.at
    picks: list[tuple[Line, int, int]] = []  # (line, location id, quantity)
    placed: dict[int, int] = {}
    plans = []
    for move in moves:
        line = move.line
        if move.site is not None:
            available = snapshot.available(line.sku, move.site.id)
            if available < move.quantity:
                raise InsufficientStock(
                    f"only {available} of {line.sku} at {move.site.code}, {move.quantity} requested",
                    sku=line.sku,
                    wanted=move.quantity,
                    available=available,
                    location=move.site.code,
                )
            picks.append((line, move.site.id, move.quantity))
            placed[line.id] = placed.get(line.id, 0) + move.quantity
            continue
        candidates = candidates_for(
            snapshot, Channel(state.channel), move.method, {line.sku}, {}, move.point, move.exclude
        )
        plan = source(
            [SourcingLine(str(line.line_no), line.sku, move.quantity)], candidates, SourcingPolicy()
        )
        if not plan.complete and not partial:
            short = plan.shortfalls[0]
            raise InsufficientStock(
                f"only {short.available} of {line.sku} available, {short.wanted} requested",
                sku=line.sku,
                wanted=short.wanted,
                available=short.available,
            )
        for a in plan.assignments:
            picks.append((line, a.location_id, a.quantity))
            placed[line.id] = placed.get(line.id, 0) + a.quantity
        plans.append(
            {
                "method": move.method.value,
                "reason": reason,
                "lines": [line.line_no],
                "assignments": [
                    {"line_no": line.line_no, "sku": line.sku, "location": a.code, "quantity": a.quantity}
                    for a in plan.assignments
                ],
                "shortfalls": [
                    {"sku": s.sku, "wanted": s.wanted, "available": s.available} for s in plan.shortfalls
                ],
                "considered": plan.considered,
                "reasons": list(plan.reasons),
            }
        )
    failed = hold_stock(conn, ((line.variant_id, loc, q) for line, loc, q in picks), at)
    if failed:
        variant_id, location_id = failed[0]
        line = next(line for line, loc, _q in picks if line.variant_id == variant_id and loc == location_id)
        available = available_now(conn, variant_id, location_id)
        raise InsufficientStock(
            f"only {available} of {line.sku} available at {snapshot.sites[location_id].code}",
            sku=line.sku,
            wanted=sum(q for ln, loc, q in picks if ln.variant_id == variant_id and loc == location_id),
            available=available,
            location=snapshot.sites[location_id].code,
        )
    keys: list[TaskKey] = []
    rows = []
    made = []
    new_allocations: list[tuple[Line, Allocation, TaskKey]] = []
    for line, location_id, quantity in picks:
        kind = task_kind_for(line.method, location_id, line.pickup_location_id) or TaskKind.PICK_FOR_PICKUP
        key = TaskKey(
            location_id, kind, line.pickup_location_id if kind is TaskKind.PICK_FOR_TRANSFER else None
        )
        keys.append(key)
        reservation_id = new_id("res")
        line_owner = (
            OwnerType.E_RESERVATION if line.method == Method.RESERVE_IN_STORE.value else OwnerType.ORDER
        )
        made.append(
            NewReservation(
                reservation_id,
                line.variant_id,
                location_id,
                quantity,
                line_owner.value,
                state.order_id,
                state.channel,
            )
        )
        allocation = Allocation(
            0,
            line.id,
            location_id,
            snapshot.sites[location_id].code,
            quantity,
            reservation_id,
            AllocationStatus.RESERVED,
            None,
        )
        new_allocations.append((line, allocation, key))
    tasks = open_tasks(conn, state.id, keys, at, reuse=True)
    for line, allocation, key in new_allocations:
        allocation.task_id = tasks[key][0]
        line.allocations.append(allocation)
        rows.append(
            {
                "line_id": line.id,
                "location_id": allocation.location_id,
                "quantity": allocation.quantity,
                "reservation_id": allocation.reservation_id,
                "status": allocation.status.value,
                "task_id": allocation.task_id,
                "updated_at": at,
            }
        )
    if rows:
        ids = (
            conn.execute(
                order_allocations.insert().returning(order_allocations.c.id, sort_by_parameter_order=True),
                rows,
            )
            .scalars()
            .all()
        )
        for (_line, allocation, _key), pk in zip(new_allocations, ids, strict=True):
            allocation.id = int(pk)
    record_reservations(conn, made, at)
    if plans:
        conn.execute(
            sourcing_decisions.insert().values(
                order_id=state.id, line_refs=[m.line.line_no for m in moves], plan=plans, created_at=at
            )
        )
    for key, (_pk, task_id, created) in tasks.items():
        if created:
            journal.task_event(
                state,
                "fulfillment.task_created",
                f"{key.kind.value} task at {snapshot.sites[key.location_id].code}",
                task_id=task_id,
                location=snapshot.sites[key.location_id].code,
                kind=key.kind.value,
            )
    return placed
