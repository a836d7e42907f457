"""Loading an order with its lines and allocations, moving its status, and writing its journal.

Every change of an order goes through :class:`Journal`: a timeline row and an outbox event per
transition, written together when the unit of work ends. :func:`settle_status` derives the
order's and its lines' status from the allocations and checks the move against the lifecycle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from unico.core.errors import NotFound
from unico.core.events import DomainEvent, record_events
from unico.inventory.store import locations
from unico.orders.lifecycle import AllocationStatus, OrderStatus, derive_status, require_transition
from unico.orders.model import AllocationView, LineView, OrderView, TimelineEntry
from unico.orders.store import order_allocations, order_lines, order_timeline, orders

_INSERT_TIMELINE = order_timeline.insert()


@dataclass
class Allocation:
    id: int
    line_id: int
    location_id: int
    location: str
    quantity: int
    reservation_id: str | None
    status: AllocationStatus
    task_id: int | None


@dataclass
class Line:
    id: int
    line_no: int
    variant_id: int
    sku: str
    quantity: int
    method: str
    pickup_location_id: int | None
    pickup_store: str | None
    unit_price: int
    discount: int
    paid: int
    status: str
    quantity_cancelled: int
    allocations: list[Allocation] = field(default_factory=list)


@dataclass
class OrderState:
    id: int
    order_id: str
    channel: str
    status: OrderStatus
    customer_id: str | None
    store: str | None
    associate: str | None
    currency: str
    subtotal: int
    discount: int
    total: int
    cart_id: str | None
    expires_at: datetime | None
    created_at: datetime
    lines: list[Line]
    pricing: dict[str, Any] | None = None  # the engine's adjustments and VAT (orders.pricing)

    def line(self, line_no: int) -> Line:
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise NotFound(
            f"order {self.order_id} has no line {line_no}",
            code="orders.line_not_found",
            order_id=self.order_id,
            line_no=line_no,
        )

    def allocations(self) -> list[Allocation]:
        return [a for line in self.lines for a in line.allocations]


def order_payload(state: OrderState, **extra: Any) -> dict[str, Any]:
    """What every ``order.*`` event carries: ids and amounts, never personal data."""
    return {
        "order_id": state.order_id,
        "channel": state.channel,
        "customer_id": state.customer_id,
        "store": state.store,
        "total_minor": state.total,
        "currency": state.currency,
        "lines": [
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "quantity": line.quantity,
                "method": line.method,
                "paid_minor": line.paid,
            }
            for line in state.lines
        ],
        **extra,
    }


@dataclass
class Journal:
    """Timeline rows and outbox events of one unit of work, written in two statements."""

    at: datetime
    actor: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)

    def note(
        self,
        order_pk: int,
        kind: str,
        message: str,
        detail: dict[str, Any] | None = None,
        *,
        event: DomainEvent | None = None,
    ) -> None:
        self.rows.append(
            {
                "order_id": order_pk,
                "at": self.at,
                "kind": kind,
                "message": message[:300],
                "actor": self.actor,
                "detail": detail or {},
            }
        )
        if event is not None:
            self.events.append(event)

    def order_event(self, state: OrderState, event_type: str, message: str, **detail: Any) -> None:
        """A transition of the order: a timeline row and an ``order.*`` event."""
        self.note(
            state.id,
            event_type,
            message,
            detail,
            event=DomainEvent(event_type, "order", state.order_id, order_payload(state, **detail)),
        )

    def task_event(self, state: OrderState, event_type: str, message: str, **payload: Any) -> None:
        """A step of store work: a timeline row and a ``fulfillment.*`` event."""
        self.note(
            state.id,
            event_type,
            message,
            payload,
            event=DomainEvent(event_type, "order", state.order_id, {"order_id": state.order_id, **payload}),
        )

    def flush(self, conn: Connection) -> None:
        if self.rows:
            conn.execute(_INSERT_TIMELINE, self.rows)
        record_events(conn, self.events)
        self.rows, self.events = [], []


def load_order(conn: Connection, order_id: str, *, lock: bool = False) -> OrderState:
    """An order with its lines and allocations; ``lock`` takes its row lock (edits, tasks)."""
    origin = locations.alias("origin")
    query = (
        select(orders, origin.c.code.label("origin_code"))
        .select_from(orders.outerjoin(origin, origin.c.id == orders.c.origin_location_id))
        .where(orders.c.order_id == order_id)
    )
    if lock:
        query = query.with_for_update(of=orders)
    head = conn.execute(query).first()
    if head is None:
        raise NotFound(f"unknown order '{order_id}'", code="orders.not_found", order_id=order_id)
    return _state(conn, head)


def load_order_by_pk(conn: Connection, pk: int, *, lock: bool = False) -> OrderState:
    query = select(orders.c.order_id).where(orders.c.id == pk)
    return load_order(conn, conn.execute(query).scalar_one(), lock=lock)


def _state(conn: Connection, head: Any) -> OrderState:
    pickup = locations.alias("pickup")
    line_rows = conn.execute(
        select(order_lines, pickup.c.code.label("pickup_code"))
        .select_from(order_lines.outerjoin(pickup, pickup.c.id == order_lines.c.pickup_location_id))
        .where(order_lines.c.order_id == head.id)
        .order_by(order_lines.c.line_no)
    ).all()
    lines = [
        Line(
            int(r.id),
            r.line_no,
            int(r.variant_id),
            r.sku,
            r.quantity,
            r.method,
            r.pickup_location_id,
            r.pickup_code,
            r.unit_price_minor,
            r.discount_minor,
            r.paid_minor,
            r.status,
            r.quantity_cancelled,
        )
        for r in line_rows
    ]
    by_id = {line.id: line for line in lines}
    if by_id:
        for a in conn.execute(
            select(order_allocations, locations.c.code)
            .select_from(order_allocations.join(locations, locations.c.id == order_allocations.c.location_id))
            .where(order_allocations.c.line_id.in_(list(by_id)))
            .order_by(order_allocations.c.id)
        ):
            by_id[a.line_id].allocations.append(
                Allocation(
                    int(a.id),
                    int(a.line_id),
                    int(a.location_id),
                    a.code,
                    a.quantity,
                    a.reservation_id,
                    AllocationStatus(a.status),
                    a.task_id,
                )
            )
    return OrderState(
        int(head.id),
        head.order_id,
        head.channel,
        OrderStatus(head.status),
        head.customer_id,
        head.origin_code,
        head.associate,
        head.currency,
        head.subtotal_minor,
        head.discount_minor,
        head.total_minor,
        head.cart_id,
        head.expires_at,
        head.created_at,
        lines,
        head.pricing,
    )


def save_allocations(conn: Connection, changed: list[Allocation], at: datetime) -> None:
    """Write the status and quantity of allocations changed in memory (one statement)."""
    if not changed:
        return
    conn.execute(
        update(order_allocations)
        .where(order_allocations.c.id == bindparam("aid"))
        .values(status=bindparam("st"), quantity=bindparam("qty"), updated_at=at),
        [{"aid": a.id, "st": a.status.value, "qty": a.quantity} for a in changed],
    )


_STATUS_EVENTS = {s: f"order.{s.value}" for s in OrderStatus}


def settle_status(conn: Connection, state: OrderState, journal: Journal, *, expired: bool = False) -> None:
    """Derive the order's and each line's status from the allocations, check the move and save.

    A change of the order's status is a transition: a timeline row and an ``order.<status>``
    event. ``expired``: allocations ended by expiry make the order expired rather than cancelled.
    """
    line_updates = []
    for line in state.lines:
        status = derive_status(
            (a.status for a in line.allocations),
            any_expired_line=any(a.status is AllocationStatus.EXPIRED for a in line.allocations),
        ).value
        if status != line.status:
            line.status = status
            line_updates.append({"lid": line.id, "st": status})
    if line_updates:
        conn.execute(
            update(order_lines).where(order_lines.c.id == bindparam("lid")).values(status=bindparam("st")),
            line_updates,
        )
    new = derive_status(
        (a.status for a in state.allocations()),
        any_expired_line=expired or any(a.status is AllocationStatus.EXPIRED for a in state.allocations()),
    )
    if new == state.status:
        conn.execute(update(orders).where(orders.c.id == state.id).values(updated_at=journal.at))
        return
    require_transition(state.status, new, order_id=state.order_id)
    old, state.status = state.status, new
    conn.execute(
        update(orders).where(orders.c.id == state.id).values(status=new.value, updated_at=journal.at)
    )
    journal.order_event(state, _STATUS_EVENTS[new], f"{old.value} → {new.value}", previous=old.value)


def view_of(state: OrderState, timeline: list[TimelineEntry] | None = None) -> OrderView:
    return OrderView(
        order_id=state.order_id,
        status=state.status.value,
        channel=state.channel,
        store=state.store,
        associate=state.associate,
        customer_id=state.customer_id,
        currency=state.currency,
        subtotal=state.subtotal,
        discount=state.discount,
        total=state.total,
        lines=tuple(
            LineView(
                line.line_no,
                line.sku,
                line.quantity,
                line.method,
                line.pickup_store,
                line.unit_price,
                line.discount,
                line.paid,
                line.status,
                line.quantity_cancelled,
                tuple(
                    AllocationView(a.location, a.quantity, a.reservation_id, a.status.value)
                    for a in line.allocations
                ),
            )
            for line in state.lines
        ),
        created_at=state.created_at,
        expires_at=state.expires_at,
        cart_id=state.cart_id,
        timeline=tuple(timeline or ()),
        pricing=state.pricing,
    )


def load_timeline(conn: Connection, order_pk: int) -> list[TimelineEntry]:
    return [
        TimelineEntry(r.at, r.kind, r.message, r.actor, r.detail)
        for r in conn.execute(
            select(order_timeline).where(order_timeline.c.order_id == order_pk).order_by(order_timeline.c.id)
        )
    ]


def document(view: OrderView) -> dict[str, Any]:
    """The order as the API renders it (also what an idempotency key stores)."""
    return {
        "order_id": view.order_id,
        "status": view.status,
        "channel": view.channel,
        "store": view.store,
        "associate": view.associate,
        "customer_id": view.customer_id,
        "currency": view.currency,
        "subtotal": view.subtotal,
        "discount": view.discount,
        "total": view.total,
        "cart_id": view.cart_id,
        "expires_at": view.expires_at.isoformat() if view.expires_at else None,
        "lines": [
            {
                "line_no": line.line_no,
                "sku": line.sku,
                "quantity": line.quantity,
                "method": line.method,
                "pickup_store": line.pickup_store,
                "unit_price": line.unit_price,
                "discount": line.discount,
                "paid": line.paid,
                "status": line.status,
                "quantity_cancelled": line.quantity_cancelled,
                "allocations": [
                    {
                        "location": a.location,
                        "quantity": a.quantity,
                        "reservation_id": a.reservation_id,
                        "status": a.status,
                    }
                    for a in line.allocations
                ],
            }
            for line in view.lines
        ],
        "created_at": view.created_at.isoformat(),
        "pricing": view.pricing,
        **(
            {
                "timeline": [
                    {
                        "at": t.at.isoformat(),
                        "kind": t.kind,
                        "message": t.message,
                        "actor": t.actor,
                        "detail": t.detail,
                    }
                    for t in view.timeline
                ]
            }
            if view.timeline
            else {}
        ),
    }


def view_from_document(doc: dict[str, Any]) -> OrderView:
    """The inverse of :func:`document` (a stored idempotent response back as a view)."""
    return OrderView(
        order_id=doc["order_id"],
        status=doc["status"],
        channel=doc["channel"],
        store=doc["store"],
        associate=doc["associate"],
        customer_id=doc["customer_id"],
        currency=doc["currency"],
        subtotal=doc["subtotal"],
        discount=doc["discount"],
        total=doc["total"],
        lines=tuple(
            LineView(
                line["line_no"],
                line["sku"],
                line["quantity"],
                line["method"],
                line["pickup_store"],
                line["unit_price"],
                line["discount"],
                line["paid"],
                line["status"],
                line["quantity_cancelled"],
                tuple(AllocationView(**a) for a in line["allocations"]),
            )
            for line in doc["lines"]
        ),
        created_at=datetime.fromisoformat(doc["created_at"]),
        expires_at=datetime.fromisoformat(doc["expires_at"]) if doc.get("expires_at") else None,
        cart_id=doc.get("cart_id"),
        pricing=doc.get("pricing"),
    )
