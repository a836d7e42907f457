"""A store's fulfillment queue: pick (short picks too), pack, ready with a pickup code, handover
by code, ship with carrier and tracking number, receive a transfer. Associates see their store's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from unico.access.model import Permission
from unico.console.rendering import is_htmx
from unico.console.security import StaffSession
from unico.console.sessions import DbDep, SettingsDep, StaffDep, require_csrf
from unico.console.views.order_desk import PageError, page, working_store
from unico.core.db import Database
from unico.core.errors import UnicoError
from unico.fulfillment import tasks
from unico.fulfillment.tasks import TaskView
from unico.inventory import locations as network
from unico.orders import service
from unico.orders.lifecycle import TASK_STEPS, TaskKind, TaskStatus

router = APIRouter(dependencies=[Depends(require_csrf)])

FormStr = Annotated[str, Form()]
FormInts = Annotated[list[int], Form()]


def steps_of(task: TaskView) -> list[str]:
    """The steps the lifecycle allows next for ``task`` (what the card offers as buttons)."""
    kind, status = TaskKind(task.kind), TaskStatus(task.status)
    return [s.value for s, (kinds, sources, _to) in TASK_STEPS.items() if kind in kinds and status in sources]


def pick_lines(task: TaskView) -> list[tuple[int, str, int]]:
    """``(line_no, sku, units to pick)`` of the task, one row per order line."""
    rows: dict[int, tuple[int, str, int]] = {}
    for line in task.lines:
        no, sku, qty = rows.get(line.line_no, (line.line_no, line.sku, 0))
        rows[line.line_no] = (no, sku, qty + line.quantity)
    return list(rows.values())


@router.get("/fulfillment")
def choose(request: Request, db: DbDep, staff: StaffDep, store: str = "") -> Response:
    """Associates go straight to their store's queue; other roles pick a location."""
    staff.principal.require(Permission.ORDERS_READ)
    here = working_store(staff, store)
    if here:
        return RedirectResponse(f"/console/fulfillment/{here}", status_code=303)
    return page(request, "fulfillment/choose.html", staff, locations=network.list_locations(db))


def _queue(
    request: Request,
    db: Database,
    staff: StaffSession,
    store: str,
    *,
    current: TaskView | None = None,
    notice: dict[str, str] | None = None,
    error: PageError | None = None,
    status_code: int = 200,
) -> Response:
    """The queue; ``current`` is the task just worked on (shown with its pickup code, and shown
    even when the step took it out of the queue, so the associate sees what happened)."""
    location = network.get_location(db, store)
    found = tasks.list_tasks(db, store, staff.principal)
    if current is not None:
        listed = any(t.task_id == current.task_id for t in found)
        found = [current if t.task_id == current.task_id else t for t in found]
        if not listed:
            found.insert(0, current)
    return page(
        request,
        "fulfillment/queue.html",
        staff,
        status_code=status_code,
        location=location,
        tasks=found,
        steps_by={t.task_id: steps_of(t) for t in found},
        picks_by={t.task_id: pick_lines(t) for t in found},
        focus=current.task_id if current else None,
        notice=notice,
        error=error,
    )


@router.get("/fulfillment/{store}")
def queue(request: Request, db: DbDep, staff: StaffDep, store: str) -> Response:
    """Open work at ``store``, oldest first."""
    staff.principal.require(Permission.ORDERS_READ)
    return _queue(request, db, staff, store)


def _after(
    request: Request,
    db: Database,
    staff: StaffSession,
    task_id: str,
    done: TaskView | None,
    error: UnicoError | None,
) -> Response:
    """The task's card (htmx) or the whole queue, with what happened or why it did not."""
    task = done or tasks.get_task(db, task_id, staff.principal)
    notice = None
    if done is not None:
        notice = {"step": done.status, "order_status": service.get_order(db, done.order_id).status}
    page_error = PageError.of(error) if error else None
    if is_htmx(request):
        return page(
            request,
            "fulfillment/_task.html",
            staff,
            task=task,
            steps=steps_of(task),
            pick=pick_lines(task),
            focus=task.task_id,
            notice=notice,
            error=page_error,
        )
    status = error.status if error else 200
    return _queue(
        request, db, staff, task.location, current=task, notice=notice, error=page_error, status_code=status
    )


def _run(
    request: Request, db: Database, staff: StaffSession, task_id: str, act: Callable[[], TaskView]
) -> Response:
    """Do one step; a refused step shows its reason in the card and changes nothing."""
    staff.principal.require(Permission.FULFILLMENT_WRITE)
    try:
        done = act()
    except UnicoError as refused:
        return _after(request, db, staff, task_id, None, refused)
    return _after(request, db, staff, task_id, done, None)


@router.post("/fulfillment/tasks/{task_id}/pick")
def pick(
    request: Request,
    db: DbDep,
    staff: StaffDep,
    task_id: str,
    line_no: FormInts = [],  # noqa: B006  (FastAPI copies Form defaults)
    picked: FormInts = [],  # noqa: B006
) -> Response:
    """What was found on the shelf per line; fewer than asked is a short pick (re-sourced)."""
    counts = dict(zip(line_no, picked, strict=False))
    return _run(request, db, staff, task_id, lambda: tasks.pick(db, task_id, counts, staff.principal))


@router.post("/fulfillment/tasks/{task_id}/pack")
def pack(request: Request, db: DbDep, staff: StaffDep, task_id: str) -> Response:
    return _run(request, db, staff, task_id, lambda: tasks.pack(db, task_id, staff.principal))


@router.post("/fulfillment/tasks/{task_id}/ready")
def ready(request: Request, db: DbDep, settings: SettingsDep, staff: StaffDep, task_id: str) -> Response:
    """Waiting at the counter: the page shows the pickup code to give the customer."""
    return _run(
        request,
        db,
        staff,
        task_id,
        lambda: tasks.ready(db, task_id, staff.principal, pickup_hold_days=settings.pickup_hold_days),
    )


@router.post("/fulfillment/tasks/{task_id}/handover")
def handover(request: Request, db: DbDep, staff: StaffDep, task_id: str, code: FormStr = "") -> Response:
    """Hand the goods over once the code the customer shows matches; a wrong code changes nothing."""
    return _run(request, db, staff, task_id, lambda: tasks.handover(db, task_id, code, staff.principal))


@router.post("/fulfillment/tasks/{task_id}/ship")
def ship(
    request: Request,
    db: DbDep,
    staff: StaffDep,
    task_id: str,
    carrier: FormStr = "",
    tracking_number: FormStr = "",
) -> Response:
    return _run(
        request,
        db,
        staff,
        task_id,
        lambda: tasks.ship(db, task_id, carrier.strip(), tracking_number.strip(), staff.principal),
    )


@router.post("/fulfillment/tasks/{task_id}/receive")
def receive(request: Request, db: DbDep, staff: StaffDep, task_id: str) -> Response:
    """A ship-to-store transfer arrived at this store."""
    return _run(request, db, staff, task_id, lambda: tasks.receive(db, task_id, staff.principal))
