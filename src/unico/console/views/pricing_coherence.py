"""The coherence report: at a chosen moment, every SKU whose price or promotions differ between
channels or stores, and whether an explicit rule justifies the difference."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from unico.access.model import Permission
from unico.console.security import StaffSession
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.console.views.order_desk import PageError, page
from unico.console.views.pricing_form import local_text, parse_local
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import ValidationFailed
from unico.pricing import service

router = APIRouter(dependencies=[Depends(require_csrf)])

FormStr = Annotated[str, Form()]
# Unjustified differences come first and are always listed; a site-wide promotion restricted to
# some channels makes every SKU a (justified) difference, so the justified tail is cut here.
ROW_LIMIT = 300


def _report(
    request: Request,
    db: Database,
    staff: StaffSession,
    at_text: str,
    *,
    emit: bool,
    notice: str | None = None,
) -> Response:
    error = None
    try:
        at = parse_local(at_text) or clock.now()
    except ValueError:
        error = PageError.of(ValidationFailed("not a date and time", code="console.bad_datetime", field="at"))
        at = clock.now()
    report = service.audit_coherence(db, at, emit=emit, principal=staff.principal)
    return page(
        request,
        "pricing/coherence.html",
        staff,
        status_code=422 if error else 200,
        report=report,
        row_limit=max(ROW_LIMIT, len(report.unjustified)),
        at=at,
        at_text=local_text(at),
        error=error,
        notice=notice,
        can_manage=staff.principal.can(Permission.PRICING_MANAGE),
    )


@router.get("/pricing/coherence")
def coherence(request: Request, db: DbDep, staff: StaffDep, at: str = "") -> Response:
    """The report at ``at`` (Italian time; now when blank). Reading it records nothing."""
    staff.principal.require(Permission.PRICING_READ)
    return _report(request, db, staff, at, emit=False)


@router.post("/pricing/coherence/audit")
def run_audit(request: Request, db: DbDep, staff: StaffDep, at: FormStr = "") -> Response:
    """Run the audit: each new unjustified difference is recorded as a pricing.incoherence_detected
    event (once per finding), then the report is shown."""
    staff.principal.require(Permission.PRICING_MANAGE)
    return _report(request, db, staff, at, emit=True, notice="audited")
