"""Carry out the planned orders (:mod:`unico.demo.activity`) through the real use cases.

Every order is placed with ``orders.service.place_order`` and moved on with the fulfillment
tasks, delivery confirmation, cancellation, returns and e-tickets, each at its planned time: the
clock is frozen at that instant around each call, so timelines, ledgers and e-tickets carry past
dates. Steps of all orders run in time order, so stock moves as it would have. An order the
network refuses (a store closed that day, stock taken by an earlier order) is skipped.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from unico.access.model import Principal, Role
from unico.core import clock
from unico.core.clock import FrozenClock
from unico.core.db import Database
from unico.core.errors import UnicoError
from unico.demo.activity import PlannedOrder, carrier_for
from unico.demo.people import Person
from unico.demo.prices import price_of
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
LOYALTY_DISCOUNT_EVERY = 9  # one order in nine of a loyalty member gets 10% off


@contextmanager
def frozen_at(at: datetime) -> Iterator[None]:
    """Run the body with ``clock.now()`` answering ``at``, then give the previous clock back."""
    previous = clock._current  # core.clock has no getter; a test may have frozen it
    clock.set_clock(FrozenClock(at))
    try:
        yield
    finally:
        clock.set_clock(previous)


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


def _request(order: PlannedOrder, person: Person | None, profile_id: str | None) -> OrderRequest:
    lines = tuple(
        LineRequest(line.sku, line.quantity, price_of(line.sku), Method(line.method), line.pickup_store)
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
    discount = 0
    if person is not None and person.loyalty_card and order.number % LOYALTY_DISCOUNT_EVERY == 0:
        discount = sum(line.unit_price * line.quantity for line in lines) // 10
    return OrderRequest(
        channel=Channel(order.channel),
        lines=lines,
        store=order.store,
        associate=order.associate,
        customer=customer,
        discount=discount,
        shipping_address=address,
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


def _work(db: Database, placed: Placed, step: str, result: TradeResult) -> None:
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
        accept_return(db, request, DEMO)
        result.returns += 1
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
) -> TradeResult:
    """Place and move on every planned order, all steps in time order; see the module docstring."""
    result = TradeResult()
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
                try:
                    view = place_order(db, _request(order, person, profile_id), DEMO)
                except UnicoError:
                    result.refused += 1
                    on_progress(1)
                    continue
                placed = Placed(view.order_id, order, profile_id)
                live[number] = placed
                result.placed.append(placed)
                for i, (when, name) in enumerate(order.steps):
                    heapq.heappush(queue, (when, number, i, name))
                on_progress(1)
                continue
            try:
                _work(db, live[number], step, result)
            except UnicoError:
                result.steps[f"{step}_refused"] += 1
    return result
