"""The returns desk: find the order (from any channel), choose lines, quantities and condition,
accept the return at this store and show the refund."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from unico.access.model import Permission
from unico.console.security import StaffSession
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.console.views.order_desk import PageError, page, store_choices, working_store
from unico.core.db import Database
from unico.core.errors import NotFound, UnicoError, ValidationFailed
from unico.fulfillment import returns
from unico.fulfillment.returns_model import Condition, ReturnChannel, ReturnLineRequest, ReturnRequest
from unico.orders import console_queries, service

router = APIRouter(dependencies=[Depends(require_csrf)])

FormStr = Annotated[str, Form()]
FormStrs = Annotated[list[str], Form()]
FormInts = Annotated[list[int], Form()]


def _desk(
    request: Request,
    db: Database,
    staff: StaffSession,
    *,
    store: str,
    order: str,
    error: PageError | None = None,
    status_code: int = 200,
) -> Response:
    order = order.strip()
    found = None
    matches = []
    lines: list[console_queries.ReturnableLine] = []
    if order:
        try:
            found = service.get_order(db, order)
            lines = console_queries.returnable_lines(db, order)
        except NotFound:
            matches = service.list_orders(db, q=order, limit=20)
            if len(matches) == 1:
                found = service.get_order(db, matches[0].order_id)
                lines = console_queries.returnable_lines(db, found.order_id)
    return page(
        request,
        "returns/desk.html",
        staff,
        status_code=status_code,
        shop=working_store(staff, store),
        stores=[s for s in store_choices(db) if "returns" in s.capabilities],
        query=order,
        order=found,
        matches=matches,
        lines=lines,
        conditions=[c.value for c in Condition],
        error=error,
    )


@router.get("/returns")
def desk(request: Request, db: DbDep, staff: StaffDep, order: str = "", store: str = "") -> Response:
    """Find the order by its id, the customer's email or name."""
    staff.principal.require(Permission.ORDERS_READ)
    return _desk(request, db, staff, store=store, order=order)


@router.post("/returns")
def accept(
    request: Request,
    db: DbDep,
    staff: StaffDep,
    order_id: FormStr = "",
    store: FormStr = "",
    line_no: FormInts = [],  # noqa: B006  (FastAPI copies Form defaults)
    quantity: FormInts = [],  # noqa: B006
    condition: FormStrs = [],  # noqa: B006
    reason: FormStrs = [],  # noqa: B006
) -> Response:
    """Accept the return at this store: the units are inspected now, the refund recorded."""
    staff.principal.require(Permission.RETURNS_WRITE)
    here = working_store(staff, store) or ""
    try:
        chosen = [
            ReturnLineRequest(no, qty, _at(reason, i).strip(), _condition(_at(condition, i)))
            for i, (no, qty) in enumerate(zip(line_no, quantity, strict=False))
            if qty > 0
        ]
        if not chosen:
            raise ValidationFailed(
                "choose at least one unit to return", code="console.no_lines", field="lines"
            )
        if not here:
            raise ValidationFailed("choose the store", field="store")
        done = returns.accept_return(
            db,
            ReturnRequest(order_id.strip(), here, ReturnChannel.STORE, tuple(chosen)),
            staff.principal,
        )
    except UnicoError as refused:
        return _desk(
            request,
            db,
            staff,
            store=here,
            order=order_id,
            error=PageError.of(refused),
            status_code=refused.status,
        )
    return page(request, "returns/done.html", staff, done=done)


def _at(values: list[str], index: int) -> str:
    """The ``index``-th value of a repeated form field; browsers send every field, tests may not."""
    return values[index] if index < len(values) else ""


def _condition(value: str) -> Condition:
    try:
        return Condition(value)
    except ValueError:
        raise ValidationFailed(f"unknown condition '{value}'", field="condition") from None
