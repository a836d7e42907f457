"""Use cases of orders: place one (from any channel), read one, search them.

``place_order`` is one write transaction: read the SKUs' availability over the network in one
query, decide every line's location in Python (:mod:`unico.orders.allocation`), hold the stock
with one conditional update, then insert the order, its lines, allocations, reservations, store
tasks, the sourcing decision, the timeline and the outbox events with one statement each. With
an ``Idempotency-Key`` the response is stored in the same transaction; a retry gets it back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from unico.access.model import Principal
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import InsufficientStock, UnicoError
from unico.core.events import DomainEvent
from unico.core.idempotency import remember as remember_response
from unico.core.idempotency import stored_response
from unico.core.ids import new_id
from unico.fulfillment.work import TaskKey, open_tasks
from unico.inventory import ledger
from unico.inventory.model import Method, MovementKind, MovementRequest, OwnerType
from unico.inventory.store import locations
from unico.orders.allocation import Placement, check_request, decide
from unico.orders.holds import NewReservation, available_now, give_back, hold_stock, record_reservations
from unico.orders.lifecycle import AllocationStatus, OrderStatus, TaskKind, derive_status, task_kind_for
from unico.orders.model import STORE_METHODS, OrderRequest, OrderSummary, OrderView
from unico.orders.network import Snapshot, destination_point, load_snapshot
from unico.orders.quoting import PricedOrder, check_pricing, price_order, record_redemptions
from unico.orders.records import (
    Allocation,
    Journal,
    Line,
    OrderState,
    document,
    load_order,
    load_timeline,
    order_payload,
    view_from_document,
    view_of,
)
from unico.orders.store import order_allocations, order_lines, orders, sourcing_decisions
from unico.orders.writing import Draft, write_new_order

IDEMPOTENCY_SCOPE = "orders"

# The statements of the hot path, built once: building and keying them per order costs more CPU
# than the database takes to run them.
_INSERT_ORDER = orders.insert().returning(orders.c.id)
_INSERT_LINES = order_lines.insert().returning(order_lines.c.id, sort_by_parameter_order=True)
_INSERT_ALLOCATIONS = order_allocations.insert()
_INSERT_DECISION = sourcing_decisions.insert()
DEFAULT_HOLD_HOURS = 48


class _LostRace(Exception):
    """Another request with the same idempotency key committed first."""


def request_digest(request: OrderRequest) -> str:
    """A fingerprint of the request: the same key with another request is refused."""
    c = request.customer
    shape = (
        request.channel.value,
        request.store,
        request.associate,
        (c.customer_id, c.email, c.name, c.phone),
        request.discount,
        request.currency,
        request.shipping_address,
        request.cart_id,
        request.max_locations,
        list(request.coupons),
        [(ln.sku, ln.quantity, ln.unit_price, ln.method.value, ln.pickup_store) for ln in request.lines],
    )
    return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()


def submit_order(
    db: Database,
    request: OrderRequest,
    principal: Principal,
    idempotency_key: str | None = None,
    *,
    hold_hours: int = DEFAULT_HOLD_HOURS,
    before: Callable[[Connection], None] | None = None,
    after: Callable[[Connection, dict[str, Any]], None] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Place an order and return ``(HTTP status, rendered order)``; a repeat of an idempotency
    key returns what the first request got, and a different request under it is a 409.

    ``before``/``after`` run in the same transaction (a cart checkout releases its holds before
    and closes the cart after)."""
    check_request(request)
    check_pricing(request)
    if principal.store_code and not request.store:
        request = replace(request, store=principal.store_code)  # an associate sells for their store
    digest = request_digest(request) if idempotency_key else ""
    # The key is claimed at the end, in the order's transaction: a first request (the common
    # case) pays no extra read; a repeat finds the key taken and returns what it stores.
    try:
        decided = None
        if db.dialect == "sqlite" and before is None:
            with db.read() as conn:
                decided = _decide(conn, request, principal, clock.now())
        try:
            return _write(db, request, principal, idempotency_key, digest, hold_hours, before, after, decided)
        except InsufficientStock:
            if decided is None:
                raise
            # stock moved between the read and the write: decide again under the write lock
            return _write(db, request, principal, idempotency_key, digest, hold_hours, before, after, None)
    except (_LostRace, UnicoError):
        if not idempotency_key:
            raise
        with db.read() as conn:
            stored = stored_response(conn, IDEMPOTENCY_SCOPE, idempotency_key, digest, "order")
        if stored is None:
            raise
        return stored


def _write(
    db: Database,
    request: OrderRequest,
    principal: Principal,
    idempotency_key: str | None,
    digest: str,
    hold_hours: int,
    before: Callable[[Connection], None] | None,
    after: Callable[[Connection, dict[str, Any]], None] | None,
    decided: tuple[Snapshot, Placement] | None,
) -> tuple[int, dict[str, Any]]:
    with db.write() as conn:
        if before is not None:
            before(conn)
        remember = (idempotency_key, digest) if idempotency_key else None
        doc, remembered = _place(conn, request, principal, hold_hours, decided, remember)
        if not remembered:
            raise _LostRace
        if after is not None:
            after(conn, doc)
        return 201, doc


def place_order(
    db: Database,
    request: OrderRequest,
    principal: Principal,
    idempotency_key: str | None = None,
    *,
    hold_hours: int = DEFAULT_HOLD_HOURS,
) -> OrderView:
    """Place an order from any channel: sourcing, reservation, store tasks and events, atomically."""
    _status, doc = submit_order(db, request, principal, idempotency_key, hold_hours=hold_hours)
    return view_from_document(doc)


def _decide(
    conn: Connection, request: OrderRequest, principal: Principal, at: datetime
) -> tuple[Snapshot, Placement]:
    """Read the network and decide every line's locations (raises on any refusal)."""
    skus = [line.sku for line in request.lines]
    pickup_codes = [line.pickup_store for line in request.lines if line.pickup_store]
    collect_codes = [
        line.pickup_store for line in request.lines if line.method in STORE_METHODS and line.pickup_store
    ]
    snapshot = load_snapshot(conn, skus, [request.store or "", *pickup_codes], hours_for=collect_codes, at=at)
    home = any(line.method is Method.HOME_DELIVERY for line in request.lines)
    point = destination_point(conn, request.shipping_address) if home else None
    placement = decide(request, snapshot, home_point=point, at=at)
    if placement.origin is not None:
        principal.require_store(placement.origin.id, placement.origin.code)
    return snapshot, placement


def _place(
    conn: Connection,
    request: OrderRequest,
    principal: Principal,
    hold_hours: int,
    decided: tuple[Snapshot, Placement] | None = None,
    remember: tuple[str, str] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Hold the stock and save the order. ``decided``: a decision taken before this transaction
    (SQLite decides in a read transaction so the write lock is held only to write; the
    conditional hold still refuses anything that was taken meanwhile)."""
    at = clock.now()
    snapshot, placement = decided or _decide(conn, request, principal, at)
    priced = price_order(conn, request, at)  # no query when every line has its price
    failed = hold_stock(
        conn,
        (
            (snapshot.variant_ids[request.lines[p.line_no - 1].sku], p.location_id, p.quantity)
            for p in placement.picks
        ),
        at,
    )
    if failed:
        raise _refusal(conn, request, placement, snapshot, failed[0])
    return _save(conn, request, principal, placement, snapshot, priced, at, hold_hours, remember)


def _refusal(
    conn: Connection, request: OrderRequest, placement: Placement, snapshot: Snapshot, pair: tuple[int, int]
) -> InsufficientStock:
    variant_id, location_id = pair
    sku = next(s for s, v in snapshot.variant_ids.items() if v == variant_id)
    wanted = sum(
        p.quantity
        for p in placement.picks
        if p.location_id == location_id and request.lines[p.line_no - 1].sku == sku
    )
    available = available_now(conn, variant_id, location_id)
    code = snapshot.sites[location_id].code
    return InsufficientStock(
        f"only {available} of {sku} available at {code}, {wanted} requested",
        sku=sku,
        wanted=wanted,
        available=available,
        location=code,
    )


def _build(
    request: OrderRequest,
    principal: Principal,
    placement: Placement,
    snapshot: Snapshot,
    priced: PricedOrder,
    at: datetime,
    hold_hours: int,
) -> Draft:
    """Lines, allocations, reservations, tasks, statuses, timeline and events, in memory."""
    order_id = new_id("ord")
    subtotal, discount = priced.subtotal, priced.discount
    e_reservation = any(line.method is Method.RESERVE_IN_STORE for line in request.lines)
    expires_at = at + timedelta(hours=hold_hours) if e_reservation else None
    associate = request.associate or (principal.name if principal.kind == "user" else None)
    origin = placement.origin
    customer = request.customer
    sites = snapshot.sites
    lines = [
        Line(
            0,
            no,
            snapshot.variant_ids[req.sku],
            req.sku,
            req.quantity,
            req.method.value,
            placement.pickup_ids[no] if req.method in STORE_METHODS else None,
            sites[placement.pickup_ids[no] or 0].code if placement.pickup_ids[no] else None,
            price.unit_price,
            price.discount,
            price.paid,
            OrderStatus.ALLOCATED.value,
            0,
        )
        for no, (req, price) in enumerate(zip(request.lines, priced.lines, strict=True), start=1)
    ]
    owner = {True: OwnerType.E_RESERVATION.value, False: OwnerType.ORDER.value}
    made: list[NewReservation] = []
    placed: list[tuple[Line, Allocation, TaskKey | None]] = []
    sold: list[tuple[Line, int, int]] = []
    task_ids: dict[TaskKey, str] = {}
    for pick in placement.picks:
        line = lines[pick.line_no - 1]
        kind = task_kind_for(line.method, pick.location_id, line.pickup_location_id)
        if kind is None:  # a till sale: the units leave the shelf now
            status, reservation_id = AllocationStatus.COLLECTED, None
            sold.append((line, pick.location_id, pick.quantity))
        else:
            status, reservation_id = AllocationStatus.RESERVED, new_id("res")
            made.append(
                NewReservation(
                    reservation_id,
                    line.variant_id,
                    pick.location_id,
                    pick.quantity,
                    owner[line.method == Method.RESERVE_IN_STORE.value],
                    order_id,
                    request.channel.value,
                )
            )
        dest = line.pickup_location_id if kind is TaskKind.PICK_FOR_TRANSFER else None
        key = TaskKey(pick.location_id, kind, dest) if kind else None
        if key is not None and key not in task_ids:
            task_ids[key] = new_id("tsk")
        allocation = Allocation(
            0, 0, pick.location_id, sites[pick.location_id].code, pick.quantity, reservation_id, status, None
        )
        line.allocations.append(allocation)
        placed.append((line, allocation, key))
    for line in lines:
        line.status = derive_status(a.status for a in line.allocations).value
    state = OrderState(
        0,
        order_id,
        request.channel.value,
        OrderStatus.PLACED,
        customer.customer_id,
        origin.code if origin else None,
        associate,
        request.currency,
        subtotal,
        discount,
        subtotal - discount,
        request.cart_id,
        expires_at,
        at,
        lines,
        priced.document,
    )
    journal = Journal(at, principal.actor)
    # the associate's name stays in the timeline, out of the outbox (no personal data there)
    journal.note(
        0,
        "order.placed",
        f"placed on {state.channel}",
        {"associate": associate},
        event=DomainEvent("order.placed", "order", order_id, order_payload(state)),
    )
    for note in priced.notes:
        journal.note(0, note.kind, note.message, note.detail)
    state.status = OrderStatus.ALLOCATED
    where = sorted({a.location for _l, a, _k in placed})
    journal.order_event(state, "order.allocated", "allocated at " + ", ".join(where), locations=where)
    for key, task_id in task_ids.items():
        journal.task_event(
            state,
            "fulfillment.task_created",
            f"{key.kind.value} task at {sites[key.location_id].code}",
            task_id=task_id,
            location=sites[key.location_id].code,
            kind=key.kind.value,
        )
    final = derive_status(a.status for _l, a, _k in placed)
    if final is not OrderStatus.ALLOCATED:
        state.status = final
        journal.order_event(state, f"order.{final.value}", f"allocated → {final.value}", previous="allocated")
    head = {
        "order_id": order_id,
        "channel": request.channel.value,
        "status": state.status.value,
        "customer_id": customer.customer_id,
        "customer_email": customer.email,
        "customer_name": customer.name,
        "customer_phone": customer.phone,
        "shipping_address": request.shipping_address,
        "origin_location_id": origin.id if origin else None,
        "associate": associate,
        "currency": request.currency,
        "subtotal_minor": subtotal,
        "discount_minor": discount,
        "total_minor": subtotal - discount,
        "cart_id": request.cart_id,
        "expires_at": expires_at,
        "pricing": priced.document,
        "created_at": at,
        "updated_at": at,
    }
    decision = None
    if placement.groups:
        decision = {
            "line_refs": [no for g in placement.groups for no in g.line_nos],
            "plan": plan_document(placement),
        }
    return Draft(head, state, placed, made, sold, task_ids, decision, journal, document(view_of(state)))


def _line_row(line: Line) -> dict[str, Any]:
    return {
        "line_no": line.line_no,
        "variant_id": line.variant_id,
        "sku": line.sku,
        "quantity": line.quantity,
        "method": line.method,
        "pickup_location_id": line.pickup_location_id,
        "unit_price_minor": line.unit_price,
        "discount_minor": line.discount,
        "paid_minor": line.paid,
        "status": line.status,
        "quantity_cancelled": 0,
    }


def _write_draft(conn: Connection, draft: Draft, at: datetime) -> None:
    """Write a new order statement by statement (SQLite, where statements cost no round trip)."""
    order_pk = int(conn.execute(_INSERT_ORDER, draft.head).scalar_one())
    draft.state.id = order_pk
    lines = draft.state.lines
    line_ids = conn.execute(
        _INSERT_LINES, [{"order_id": order_pk, **_line_row(ln)} for ln in lines]
    ).scalars()
    for line, line_pk in zip(lines, line_ids.all(), strict=True):
        line.id = int(line_pk)
    keys = [key for _l, _a, key in draft.placed if key is not None]
    tasks = open_tasks(conn, order_pk, keys, at, task_ids=draft.task_ids)
    rows = []
    for line, allocation, key in draft.placed:
        allocation.line_id = line.id
        allocation.task_id = tasks[key][0] if key else None
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
    conn.execute(_INSERT_ALLOCATIONS, rows)
    record_reservations(conn, draft.made, at)
    if draft.decision is not None:
        conn.execute(_INSERT_DECISION, {"order_id": order_pk, "created_at": at, **draft.decision})
    for row in draft.journal.rows:
        row["order_id"] = order_pk
    draft.journal.flush(conn)


def _save(
    conn: Connection,
    request: OrderRequest,
    principal: Principal,
    placement: Placement,
    snapshot: Snapshot,
    priced: PricedOrder,
    at: datetime,
    hold_hours: int,
    remember: tuple[str, str] | None = None,
) -> tuple[dict[str, Any], bool]:
    """Write the order; returns its document and whether ``remember`` (key, digest) was stored
    (False: another request took the key first)."""
    draft = _build(request, principal, placement, snapshot, priced, at, hold_hours)
    if conn.dialect.name == "postgresql":
        claim = (IDEMPOTENCY_SCOPE, *remember) if remember else None
        remembered = write_new_order(conn, draft, at, claim)
    else:
        _write_draft(conn, draft, at)
        remembered = remember is None or remember_response(
            conn, IDEMPOTENCY_SCOPE, remember[0], remember[1], draft.doc
        )
    record_redemptions(conn, priced, draft.state.order_id, request.customer.customer_id)
    sites = snapshot.sites
    for line, location_id, quantity in draft.sold:
        give_back(conn, [(line.variant_id, location_id, quantity)], at)
        ledger.apply_movement_in(
            conn,
            MovementRequest(
                f"{draft.state.order_id}/{line.line_no}/{sites[location_id].code}",
                line.sku,
                sites[location_id].code,
                MovementKind.SALE,
                quantity,
                reason="till sale",
                reference=draft.state.order_id,
            ),
            principal,
        )
    return draft.doc, remembered


def plan_document(placement: Placement) -> list[dict[str, Any]]:
    """The sourcing decisions of an order, with their reasons, as stored and shown."""
    return [
        {
            "method": g.method.value,
            "destination": g.destination,
            "lines": list(g.line_nos),
            "assignments": [
                {"line_no": int(a.line_ref), "sku": a.sku, "location": a.code, "quantity": a.quantity}
                for a in g.plan.assignments
            ],
            "locations": list(g.plan.locations),
            "considered": g.plan.considered,
            "reasons": list(g.plan.reasons),
        }
        for g in placement.groups
    ]


def get_order(db: Database, order_id: str) -> OrderView:
    """One order with its lines, allocations and timeline."""
    with db.read() as conn:
        state = load_order(conn, order_id)
        return view_of(state, load_timeline(conn, state.id))


def sourcing_history(db: Database, order_id: str) -> list[dict[str, Any]]:
    """Every sourcing decision taken for an order (placement and re-sourcing), oldest first."""
    with db.read() as conn:
        state = load_order(conn, order_id)
        rows = conn.execute(
            select(sourcing_decisions)
            .where(sourcing_decisions.c.order_id == state.id)
            .order_by(sourcing_decisions.c.id)
        ).all()
    return [{"at": r.created_at.isoformat(), "lines": r.line_refs, "plan": r.plan} for r in rows]


def list_orders(
    db: Database,
    *,
    status: str | None = None,
    channel: str | None = None,
    store: str | None = None,
    customer_id: str | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[OrderSummary]:
    """Orders newest first, filtered; ``q`` matches an order id, customer id, email or name."""
    origin = locations.alias("origin")
    query = select(orders, origin.c.code.label("origin_code")).select_from(
        orders.outerjoin(origin, origin.c.id == orders.c.origin_location_id)
    )
    if status:
        query = query.where(orders.c.status == status)
    if channel:
        query = query.where(orders.c.channel == channel)
    if store:
        query = query.where(origin.c.code == store)
    if customer_id:
        query = query.where(orders.c.customer_id == customer_id)
    if q:
        term = q.strip()
        like = f"%{term.lower()}%"
        query = query.where(
            or_(
                orders.c.order_id == term,
                orders.c.customer_id == term,
                orders.c.customer_email.ilike(like),
                orders.c.customer_name.ilike(like),
            )
        )
    query = query.order_by(orders.c.id.desc()).limit(min(max(limit, 1), 500)).offset(max(offset, 0))
    with db.read() as conn:
        rows = conn.execute(query).all()
    return [
        OrderSummary(
            r.order_id,
            r.status,
            r.channel,
            r.origin_code,
            r.customer_id,
            r.total_minor,
            r.currency,
            r.created_at,
        )
        for r in rows
    ]
