"""Promotion pages: the list, the editor (every field of a promotion) and saving it.

The live preview, coupons and the coherence report live in their own modules and are included
here, so that the console app mounts one pricing router.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from unico.access.model import Permission
from unico.console.security import StaffSession
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.console.views import pricing_coherence, pricing_coupons, pricing_preview
from unico.console.views.order_desk import PageError, page
from unico.console.views.pricing_editor import editor
from unico.console.views.pricing_form import ParsedForm, Problem, field_of, parse_promotion, values_of
from unico.core.db import Database
from unico.core.errors import Conflict, ValidationFailed
from unico.pricing import service
from unico.pricing.model import PromotionStatus
from unico.pricing.service import PromotionView

router = APIRouter(dependencies=[Depends(require_csrf)])
# Before the editor's routes: /promotions/preview must not be read as a promotion code.
router.include_router(pricing_preview.router)
router.include_router(pricing_coupons.router)
router.include_router(pricing_coherence.router)


@router.get("/promotions")
def promotion_list(request: Request, db: DbDep, staff: StaffDep, status: str = "") -> Response:
    """Every promotion, or those in one status, with validity, channels and what they have used."""
    staff.principal.require(Permission.PRICING_READ)
    chosen = status if status in {s.value for s in PromotionStatus} else ""
    found = service.list_promotions(db, status=PromotionStatus(chosen) if chosen else None)
    return page(
        request,
        "pricing/list.html",
        staff,
        promotions=found,
        status=chosen,
        statuses=[s.value for s in PromotionStatus],
        can_manage=staff.principal.can(Permission.PRICING_MANAGE),
    )


@router.get("/promotions/new")
def new_promotion(request: Request, db: DbDep, staff: StaffDep) -> Response:
    staff.principal.require(Permission.PRICING_READ)
    return editor(request, db, staff, values=values_of(None, staff.locale))


@router.get("/promotions/{code}")
def promotion_page(request: Request, db: DbDep, staff: StaffDep, code: str, saved: int = 0) -> Response:
    """The promotion in the editor, with its use so far and, for coupon promotions, its batches."""
    staff.principal.require(Permission.PRICING_READ)
    found = service.get_promotion(db, code)
    return editor(
        request,
        db,
        staff,
        values=values_of(found.promotion, staff.locale),
        existing=found,
        notice="saved" if saved else None,
    )


def _refused(
    request: Request,
    db: Database,
    staff: StaffSession,
    parsed: ParsedForm,
    existing: PromotionView | None,
    error: ValidationFailed | Conflict,
) -> Response:
    """The form again, as typed, with the service's reason beside the field it names."""
    name = field_of(error) if isinstance(error, ValidationFailed) else ""
    problems = {name: Problem("invalid", error.message)} if name in parsed.values else {}
    return editor(
        request,
        db,
        staff,
        values=parsed.values,
        existing=existing,
        draft=parsed.promotion,
        problems=problems,
        error=PageError.of(error),
        status_code=error.status,
    )


@router.post("/promotions")
async def create(request: Request, db: DbDep, staff: StaffDep) -> Response:
    """Save a new promotion; a definition the rules refuse comes back on the form and saves nothing."""
    staff.principal.require(Permission.PRICING_MANAGE)
    parsed = parse_promotion(await request.form())
    if parsed.promotion is None:
        return editor(request, db, staff, values=parsed.values, problems=parsed.problems, status_code=422)
    try:
        created = service.create_promotion(db, parsed.promotion, staff.principal)
    except (ValidationFailed, Conflict) as refused:
        return _refused(request, db, staff, parsed, None, refused)
    return RedirectResponse(f"/console/promotions/{created.code}?saved=1", status_code=303)


@router.post("/promotions/{code}")
async def update(request: Request, db: DbDep, staff: StaffDep, code: str) -> Response:
    """Save the changes to a promotion (its code stays)."""
    staff.principal.require(Permission.PRICING_MANAGE)
    existing = service.get_promotion(db, code)
    parsed = parse_promotion(await request.form(), code=existing.promotion.code)
    if parsed.promotion is None:
        return editor(
            request,
            db,
            staff,
            values=parsed.values,
            existing=existing,
            problems=parsed.problems,
            status_code=422,
        )
    try:
        service.update_promotion(db, code, parsed.promotion, staff.principal)
    except (ValidationFailed, Conflict) as refused:
        return _refused(request, db, staff, parsed, existing, refused)
    return RedirectResponse(f"/console/promotions/{existing.promotion.code}?saved=1", status_code=303)
