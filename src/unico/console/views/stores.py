"""The store network: every location with hours and capabilities, and one store's stock ledger."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from unico.access.model import Permission
from unico.console.rendering import is_htmx, render
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.core.errors import ValidationFailed
from unico.inventory import ledger
from unico.inventory import locations as network
from unico.inventory.model import MovementKind

router = APIRouter(dependencies=[Depends(require_csrf)])

MOVEMENTS_PAGE = 50


@router.get("/stores")
def store_list(request: Request, db: DbDep, staff: StaffDep) -> Response:
    staff.principal.require(Permission.LOCATIONS_READ)
    return render(
        request,
        "stores/list.html",
        staff.locale,
        staff=staff,
        csrf_token=staff.csrf_token,
        locations=network.list_locations(db),
        weekdays=range(7),
    )


def _kind(value: str) -> MovementKind | None:
    if not value:
        return None
    try:
        return MovementKind(value)
    except ValueError:
        raise ValidationFailed(f"unknown movement kind '{value}'", field="kind") from None


@router.get("/stores/{code}/movements")
def movements(
    request: Request,
    db: DbDep,
    staff: StaffDep,
    code: str,
    sku: str = "",
    kind: str = "",
    before: int | None = None,
) -> Response:
    """Newest first; htmx asks for the next page with ``before`` and gets only the rows."""
    staff.principal.require(Permission.INVENTORY_READ)
    location = network.get_location(db, code)
    # One row more than shown tells whether a "load more" button is needed.
    lines = ledger.list_movements(
        db, code, sku=sku.strip() or None, kind=_kind(kind), before_id=before, limit=MOVEMENTS_PAGE + 1
    )
    context: dict[str, Any] = {
        "staff": staff,
        "csrf_token": staff.csrf_token,
        "location": location,
        "lines": lines[:MOVEMENTS_PAGE],
        "more": len(lines) > MOVEMENTS_PAGE,
        "sku": sku.strip(),
        "kind": kind,
        "kinds": list(MovementKind),
    }
    partial = is_htmx(request) and before is not None
    return render(
        request, "stores/_movement_rows.html" if partial else "stores/movements.html", staff.locale, **context
    )
