"""Carry out the planned orders (:mod:`unico.demo.activity`) through the real use cases.

Every order is placed with ``orders.service.place_order``, priced by the pricing engine (list
prices, the promotions live that day, the member's offers; a few new customers type a welcome
coupon), and moved on with the fulfillment
tasks, delivery confirmation, cancellation, returns and e-tickets, each at its planned time: the
clock is frozen at that instant around each call, so timelines, ledgers and e-tickets carry past
dates. Steps of all orders run in time order, so stock moves as it would have. An order the
network refuses (a store closed that day, stock taken by an earlier order) is skipped. A
member's order earns its loyalty points when it completes and a return takes them back
(:mod:`unico.demo.members`).
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from unico.access.model import Principal, Role
from unico.core.db import Database
from unico.core.errors import UnicoError
from unico.demo.activity import PlannedOrder, carrier_for
from unico.demo.members import Members, earn_if_completed, reverse_returned
from unico.demo.people import Person
from unico.demo.prices import price_of
from unico.demo.timing import frozen_at
from unico.fulfillment import tasks
from unico.fulfillment.etickets import issue_for_order
from unico.fulfillment.returns import accept_return
from unico.fulfillment.returns_model import Condition, ReturnChannel, ReturnLineRequest, ReturnRequest
from unico.fulfillment.store import fulfillment_tasks
from unico.inventory.model import Channel, Method
from unico.orders.editing import cancel_order, confirm_delivery
from unico.orders.model import CustomerRef, LineRequest, OrderRequest
from unico.orders.service import place_order
from unico.orders.store import orders

DEMO = Principal(kind="system", name="demo", role=Role.ADMIN)
COUPON_EVERY = 3  # one online order in three of a customer without a card uses a welcome code
COUPON_MIN_LIST_TOTAL = 10_000  # well over the campaign's €50, whatever other promotions take
_COMPLETING = frozenset({"place", "deliver", "handover"})  # steps after which an order may be completed

__all__ = ["DEMO", "frozen_at", "run_orders"]


@dataclass
class Placed:
    order_id: str
    planned: PlannedOrder
    customer_id: str | None


@dataclass
class TradeResult:
    placed: list[Placed] = field(default_factory=list)
    etickets: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # order_id -> (code, issued)
    refused: int = 0
    steps: Counter[str] = field(default_factory=Counter)
    returns: int = 0


def _request(
    order: PlannedOrder, person: Person | None, profile_id: str | None, coupon: str | None = None
) -> OrderRequest:
    lines = tuple(
        LineRequest(line.sku, line.quantity, None, Method(line.method), line.pickup_store)
        for line in order.lines
    )
    customer = CustomerRef()
    address = None
    if person is not None:
        customer = CustomerRef(
            profile_id, person.email, f"{person.first_name} {person.last_name}", person.phone
        )
        if any(line.method == "home_delivery" for line in order.lines):
            address = {
                "name": f"{person.first_name} {person.last_name}",
                "line1": person.address,
                "city": person.city,
                "postcode": person.postcode,
                "country": "IT",
                "latitude": person.latitude,
                "longitude": person.longitude,
            }
    return OrderRequest(
        channel=Channel(order.channel),
        lines=lines,
        store=order.store,
        associate=order.associate,
        customer=customer,
        shipping_address=address,
        coupons=(coupon,) if coupon else (),
    )


def _wants_coupon(order: PlannedOrder, person: Person | None, profile_id: str | None) -> bool:
    """A new customer (no loyalty card) ordering online for well over the campaign's threshold."""
    return (
        person is not None
        and profile_id is not None
        and not person.loyalty_card
        and order.channel in ("web", "app")
        and order.number % COUPON_EVERY == 0
        and sum(price_of(line.sku) * line.quantity for line in order.lines) >= COUPON_MIN_LIST_TOTAL
    )


def _tasks_of(db: Database, order_id: str) -> list[Any]:
    with db.read() as conn:
        return list(
            conn.execute(
                select(
                    fulfillment_tasks.c.task_id,
                    fulfillment_tasks.c.kind,
                    fulfillment_tasks.c.status,
                    fulfillment_tasks.c.pickup_code,
                )
                .join(orders, orders.c.id == fulfillment_tasks.c.order_id)
                .where(orders.c.order_id == order_id)
                .order_by(fulfillment_tasks.c.id)
            ).all()
        )


_COUNTER = ("pick_for_pickup", "receive_for_pickup")
_LEAVING = ("pick_for_shipment", "pick_for_transfer")


def _work(db: Database, placed: Placed, step: str, result: TradeResult, members: Members) -> None:
    """One planned step on every task of the order it applies to."""
    order_id = placed.order_id
    if step == "cancel":
        cancel_order(db, order_id, DEMO, reason="cancellato dal cliente")
    elif step == "deliver":
        confirm_delivery(db, order_id, DEMO)
    elif step == "eticket":
        with db.write() as conn:
            ticket = issue_for_order(conn, order_id)
        if ticket is not None:
            result.etickets[order_id] = (ticket.code, ticket.issued_at)
    elif step == "return":
        order = placed.planned
        request = ReturnRequest(
            order_id=order_id,
            location=order.return_store or "",
            channel=ReturnChannel.STORE,
            lines=(ReturnLineRequest(1, 1, order.return_reason, Condition.SELLABLE),),
        )
        view = accept_return(db, request, DEMO)
        result.returns += 1
        reverse_returned(db, members, view.return_id, order_id, placed.customer_id, [1])
    else:
        for task in _tasks_of(db, order_id):
            _task_step(db, task, step, placed.planned.number)
    result.steps[step] += 1


def _task_step(db: Database, task: Any, step: str, number: int) -> None:
    kind, status = task.kind, task.status
    if step == "pick" and status == "open" and kind != "receive_for_pickup":
        tasks.pick(db, task.task_id, {}, DEMO)
    elif step == "pack" and status == "picked":
        tasks.pack(db, task.task_id, DEMO)
    elif step == "ship" and status in ("picked", "packed") and kind in _LEAVING:
        carrier, tracking = carrier_for(number)
        tasks.ship(db, task.task_id, carrier, tracking, DEMO)
    elif step == "receive" and status == "in_transit":
        tasks.receive(db, task.task_id, DEMO)
    elif step == "ready" and kind in _COUNTER and status in ("picked", "packed", "received"):
        tasks.ready(db, task.task_id, DEMO)
    elif step == "handover" and status == "ready":
        tasks.handover(db, task.task_id, str(task.pickup_code), DEMO)


def run_orders(
    db: Database,
    plan: list[PlannedOrder],
    people: dict[str, Person],
    profiles: dict[str, str],
    on_progress: Callable[[int], None] = lambda _n: None,
    *,
    members: Members | None = None,
    coupons: Sequence[str] = (),
) -> TradeResult:
    """Place and move on every planned order, all steps in time order; see the module docstring.
    ``members``: the loyalty accounts whose orders earn points; ``coupons``: welcome codes to use."""
    result = TradeResult()
    members = members or Members()
    unused = list(reversed(coupons))
    queue: list[tuple[datetime, int, int, str]] = [
        (order.placed_at, order.number, -1, "place") for order in plan
    ]
    heapq.heapify(queue)
    by_number = {order.number: order for order in plan}
    live: dict[int, Placed] = {}
    while queue:
        at, number, _index, step = heapq.heappop(queue)
        order = by_number[number]
        with frozen_at(at):
            if step == "place":
                person = people.get(order.person) if order.person else None
                profile_id = profiles.get(order.person) if order.person else None
                coupon = unused.pop() if unused and _wants_coupon(order, person, profile_id) else None
                try:
                    view = place_order(db, _request(order, person, profile_id, coupon), DEMO)
                except UnicoError:
                    result.refused += 1
                    on_progress(1)
                    continue
                placed = Placed(view.order_id, order, profile_id)
                live[number] = placed
                result.placed.append(placed)
                for i, (when, name) in enumerate(order.steps):
                    heapq.heappush(queue, (when, number, i, name))
                earn_if_completed(db, members, view.order_id, profile_id)
                on_progress(1)
                continue
            try:
                _work(db, live[number], step, result, members)
            except UnicoError:
                result.steps[f"{step}_refused"] += 1
                continue
            if step in _COMPLETING:
                earn_if_completed(db, members, live[number].order_id, live[number].customer_id)
    return result
