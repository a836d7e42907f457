"""The order lifecycle table, the status allocations imply, task steps and discount shares."""

from __future__ import annotations

import pytest

from unico.core.errors import Conflict
from unico.orders.lifecycle import (
    TERMINAL,
    TRANSITIONS,
    TaskKind,
    TaskStatus,
    TaskStep,
    derive_status,
    next_task_status,
    require_transition,
    task_kind_for,
)
from unico.orders.lifecycle import (
    AllocationStatus as A,
)
from unico.orders.lifecycle import (
    OrderStatus as S,
)
from unico.orders.pricing import allocate_discount


def test_every_status_has_a_row_and_terminal_states_lead_nowhere() -> None:
    assert set(TRANSITIONS) == set(S)
    assert all(TRANSITIONS[s] == frozenset() for s in TERMINAL)
    assert S.CANCELLED in TRANSITIONS[S.ALLOCATED]
    assert S.EXPIRED in TRANSITIONS[S.READY_FOR_PICKUP]


@pytest.mark.parametrize(
    ("current", "new"),
    [(S.COMPLETED, S.CANCELLED), (S.SHIPPED, S.CANCELLED), (S.PLACED, S.SHIPPED), (S.EXPIRED, S.ALLOCATED)],
)
def test_forbidden_transitions_are_409_with_their_code(current: S, new: S) -> None:
    with pytest.raises(Conflict) as refused:
        require_transition(current, new, order_id="ord_1")
    assert refused.value.code == "orders.transition_forbidden"
    assert refused.value.details == {"order_id": "ord_1", "state": current.value, "to": new.value}


@pytest.mark.parametrize(
    ("allocations", "status"),
    [
        ([A.RESERVED, A.RESERVED], S.ALLOCATED),
        ([A.RESERVED, A.PICKED], S.IN_FULFILLMENT),
        ([A.READY, A.COLLECTED], S.READY_FOR_PICKUP),
        ([A.READY, A.RESERVED], S.IN_FULFILLMENT),
        ([A.SHIPPED, A.PICKED], S.PARTIALLY_SHIPPED),
        ([A.SHIPPED, A.COLLECTED], S.SHIPPED),
        ([A.DELIVERED, A.COLLECTED, A.RELEASED], S.COMPLETED),
        ([A.RELEASED, A.REJECTED], S.CANCELLED),
        ([A.IN_TRANSIT], S.IN_FULFILLMENT),
    ],
)
def test_status_derived_from_allocations(allocations: list[A], status: S) -> None:
    assert derive_status(allocations) is status


def test_expired_allocations_make_an_expired_order() -> None:
    assert derive_status([A.EXPIRED, A.RELEASED], any_expired_line=True) is S.EXPIRED


def test_task_steps_follow_their_table() -> None:
    assert next_task_status(TaskKind.PICK_FOR_PICKUP, TaskStatus.OPEN, TaskStep.PICK) is TaskStatus.PICKED
    assert (
        next_task_status(TaskKind.RECEIVE_FOR_PICKUP, TaskStatus.RECEIVED, TaskStep.READY) is TaskStatus.READY
    )
    assert (
        next_task_status(TaskKind.PICK_FOR_SHIPMENT, TaskStatus.PACKED, TaskStep.SHIP) is TaskStatus.SHIPPED
    )
    for kind, status, step in [
        (TaskKind.PICK_FOR_PICKUP, TaskStatus.OPEN, TaskStep.HANDOVER),  # handover of an unpicked task
        (TaskKind.PICK_FOR_SHIPMENT, TaskStatus.PICKED, TaskStep.READY),
        (TaskKind.PICK_FOR_PICKUP, TaskStatus.PICKED, TaskStep.SHIP),
        (TaskKind.RECEIVE_FOR_PICKUP, TaskStatus.IN_TRANSIT, TaskStep.READY),
    ]:
        with pytest.raises(Conflict) as refused:
            next_task_status(kind, status, step, task_id="tsk_1")
        assert refused.value.code == "orders.transition_forbidden"


def test_task_kind_follows_method_and_destination() -> None:
    assert task_kind_for("carry_out", 1, None) is None
    assert task_kind_for("home_delivery", 1, None) is TaskKind.PICK_FOR_SHIPMENT
    assert task_kind_for("pickup", 1, 1) is TaskKind.PICK_FOR_PICKUP
    assert task_kind_for("ship_to_store", 2, 1) is TaskKind.PICK_FOR_TRANSFER
    assert task_kind_for("ship_to_store", 1, 1) is TaskKind.PICK_FOR_PICKUP


def test_discount_shares_are_whole_units_summing_exactly() -> None:
    assert allocate_discount(500, [9980, 1990]) == [417, 83]
    assert allocate_discount(100, [1, 1, 1]) == [1, 1, 1]
    assert allocate_discount(2, [1, 1, 1]) == [1, 1, 0]
    assert allocate_discount(0, [500]) == [0]
    shares = allocate_discount(1001, [333, 333, 334])
    assert sum(shares) == 1000 and shares == [333, 333, 334]  # capped at the subtotal
