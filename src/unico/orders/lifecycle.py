"""The order lifecycle as data: states, allowed transitions, and the status an order's
allocations imply. Pure.

    placed ─► allocated ─► in_fulfillment ─► ready_for_pickup ──────────► completed
                 │               │        └► partially_shipped ─► shipped ─┘
                 ├► cancelled    ├► cancelled
                 └► expired      └► expired

An order's status is *derived* from the status of its allocations (the units held or moving at
each location), so a mixed order (one line collected in store, one shipped home) reads the same
way whatever the order its lines progress in; :func:`require_transition` then refuses any move
the table does not allow. Store tasks have their own small table (:data:`TASK_STEPS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from unico.core.errors import Conflict


class OrderStatus(StrEnum):
    PLACED = "placed"
    ALLOCATED = "allocated"
    IN_FULFILLMENT = "in_fulfillment"
    READY_FOR_PICKUP = "ready_for_pickup"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class AllocationStatus(StrEnum):
    RESERVED = "reserved"  # units held at the location, not yet touched
    PICKED = "picked"
    PACKED = "packed"
    IN_TRANSIT = "in_transit"  # on its way to the pickup store
    RECEIVED = "received"  # arrived at the pickup store
    READY = "ready"  # waiting for the customer, with a pickup code
    SHIPPED = "shipped"  # handed to the carrier, to the customer's address
    DELIVERED = "delivered"
    COLLECTED = "collected"  # handed over to the customer (or sold at the till)
    RELEASED = "released"  # cancelled: the units went back to stock
    REJECTED = "rejected"  # the store could not pick them: re-sourced elsewhere
    EXPIRED = "expired"  # not collected in time: the units went back to stock


TERMINAL = frozenset({OrderStatus.COMPLETED, OrderStatus.CANCELLED, OrderStatus.EXPIRED})

TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.ALLOCATED, OrderStatus.CANCELLED}),
    OrderStatus.ALLOCATED: frozenset(
        {
            OrderStatus.IN_FULFILLMENT,
            OrderStatus.READY_FOR_PICKUP,
            OrderStatus.PARTIALLY_SHIPPED,
            OrderStatus.SHIPPED,
            OrderStatus.COMPLETED,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
        }
    ),
    OrderStatus.IN_FULFILLMENT: frozenset(
        {
            OrderStatus.ALLOCATED,  # the picked units were cancelled or re-sourced
            OrderStatus.READY_FOR_PICKUP,
            OrderStatus.PARTIALLY_SHIPPED,
            OrderStatus.SHIPPED,
            OrderStatus.COMPLETED,
            OrderStatus.CANCELLED,
            OrderStatus.EXPIRED,
        }
    ),
    OrderStatus.READY_FOR_PICKUP: frozenset(
        {
            OrderStatus.IN_FULFILLMENT,
            OrderStatus.PARTIALLY_SHIPPED,
            OrderStatus.COMPLETED,
            OrderStatus.EXPIRED,
        }
    ),
    OrderStatus.PARTIALLY_SHIPPED: frozenset(
        {OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.EXPIRED}
    ),
    OrderStatus.SHIPPED: frozenset({OrderStatus.COMPLETED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}

# Statuses of allocations that no longer hold or move units for the customer.
ENDED = frozenset({AllocationStatus.RELEASED, AllocationStatus.REJECTED, AllocationStatus.EXPIRED})
_DONE = frozenset({AllocationStatus.COLLECTED, AllocationStatus.DELIVERED})
_SHIPPED = frozenset({AllocationStatus.SHIPPED, AllocationStatus.DELIVERED})
_UNTOUCHED = frozenset({AllocationStatus.RESERVED})

# Before any unit is picked an order can still be edited (cancelled, line cancelled, store changed).
EDITABLE = frozenset({OrderStatus.PLACED, OrderStatus.ALLOCATED})


def can_transition(current: OrderStatus, new: OrderStatus) -> bool:
    return current == new or new in TRANSITIONS[current]


def require_transition(current: OrderStatus, new: OrderStatus, *, order_id: str = "") -> None:
    """Raise ``orders.transition_forbidden`` (409) unless the table allows ``current -> new``."""
    if not can_transition(current, new):
        raise Conflict(
            f"order {order_id} cannot go from {current} to {new}".replace("  ", " "),
            code="orders.transition_forbidden",
            order_id=order_id,
            state=current.value,
            to=new.value,
        )


def derive_status(allocations: Iterable[AllocationStatus], *, any_expired_line: bool = False) -> OrderStatus:
    """The status implied by the allocations of an order (or of one line).

    No live allocation left: cancelled, or expired when a line expired. Otherwise the least
    advanced work decides: everything collected or delivered is completed; everything gone to
    the customer's address or collected is shipped; some shipped is partially shipped; all
    waiting at the counter (or collected) is ready for pickup; any unit touched is in fulfillment.
    """
    live = [a for a in allocations if a not in ENDED]
    if not live:
        return OrderStatus.EXPIRED if any_expired_line else OrderStatus.CANCELLED
    kinds = set(live)
    if kinds <= _DONE:
        return OrderStatus.COMPLETED
    if kinds <= _SHIPPED | _DONE:
        return OrderStatus.SHIPPED
    if kinds & _SHIPPED:
        return OrderStatus.PARTIALLY_SHIPPED
    if kinds <= {AllocationStatus.READY, AllocationStatus.COLLECTED}:
        return OrderStatus.READY_FOR_PICKUP
    if kinds <= _UNTOUCHED:
        return OrderStatus.ALLOCATED
    return OrderStatus.IN_FULFILLMENT


# --- store tasks ------------------------------------------------------------------------------


class TaskKind(StrEnum):
    PICK_FOR_PICKUP = "pick_for_pickup"  # the units wait at this store for the customer
    PICK_FOR_SHIPMENT = "pick_for_shipment"  # the units go to the customer's address
    PICK_FOR_TRANSFER = "pick_for_transfer"  # the units go to the pickup store
    RECEIVE_FOR_PICKUP = "receive_for_pickup"  # the pickup store receives a transfer


class TaskStatus(StrEnum):
    OPEN = "open"
    PICKED = "picked"
    PACKED = "packed"
    READY = "ready"
    HANDED_OVER = "handed_over"
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    CANCELLED = "cancelled"


class TaskStep(StrEnum):
    PICK = "pick"
    PACK = "pack"
    READY = "ready"
    HANDOVER = "handover"
    SHIP = "ship"
    RECEIVE = "receive"


_PICKABLE = frozenset({TaskKind.PICK_FOR_PICKUP, TaskKind.PICK_FOR_SHIPMENT, TaskKind.PICK_FOR_TRANSFER})
_AT_COUNTER = frozenset({TaskKind.PICK_FOR_PICKUP, TaskKind.RECEIVE_FOR_PICKUP})
_LEAVING = frozenset({TaskKind.PICK_FOR_SHIPMENT, TaskKind.PICK_FOR_TRANSFER})

# step -> (kinds of task it applies to, statuses it may start from, status it leads to)
TASK_STEPS: dict[TaskStep, tuple[frozenset[TaskKind], frozenset[TaskStatus], TaskStatus]] = {
    TaskStep.PICK: (_PICKABLE, frozenset({TaskStatus.OPEN}), TaskStatus.PICKED),
    TaskStep.PACK: (_PICKABLE, frozenset({TaskStatus.PICKED}), TaskStatus.PACKED),
    TaskStep.READY: (
        _AT_COUNTER,
        frozenset({TaskStatus.PICKED, TaskStatus.PACKED, TaskStatus.RECEIVED}),
        TaskStatus.READY,
    ),
    TaskStep.HANDOVER: (_AT_COUNTER, frozenset({TaskStatus.READY}), TaskStatus.HANDED_OVER),
    TaskStep.SHIP: (_LEAVING, frozenset({TaskStatus.PICKED, TaskStatus.PACKED}), TaskStatus.SHIPPED),
    TaskStep.RECEIVE: (
        frozenset({TaskKind.RECEIVE_FOR_PICKUP}),
        frozenset({TaskStatus.IN_TRANSIT}),
        TaskStatus.RECEIVED,
    ),
}


def next_task_status(kind: TaskKind, status: TaskStatus, step: TaskStep, *, task_id: str = "") -> TaskStatus:
    """The status a task reaches by ``step``; ``orders.transition_forbidden`` (409) if not allowed."""
    kinds, sources, target = TASK_STEPS[step]
    if kind not in kinds or status not in sources:
        raise Conflict(
            f"a {kind} task that is {status} cannot be {step}",
            code="orders.transition_forbidden",
            task_id=task_id,
            state=status.value,
            step=step.value,
        )
    return target


def task_kind_for(method: str, location_id: int, pickup_location_id: int | None) -> TaskKind | None:
    """The work a location does for an allocation; None for a till sale (nothing left to do)."""
    if method == "carry_out":
        return None
    if method == "home_delivery":
        return TaskKind.PICK_FOR_SHIPMENT
    if pickup_location_id is None or location_id == pickup_location_id:
        return TaskKind.PICK_FOR_PICKUP
    return TaskKind.PICK_FOR_TRANSFER
