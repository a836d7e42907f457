"""Customer pages: search, the unified profile (traits, timeline, orders, continuity, consents,
relations, identifiers, merges) and the changes an associate makes there.

The merge review queue and segments live in their own modules and are included here, so that the
console app mounts one customers router.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.routing import Match

from unico.access.model import Permission, Role
from unico.console.customer_format import TIMEZONE, Money
from unico.console.rendering import is_htmx, render
from unico.console.security import StaffSession
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.console.views import customer_reviews, segments
from unico.core.errors import Conflict, PermissionDenied, ValidationFailed
from unico.customers import consent, service
from unico.customers.consent import ConsentSource, Purpose
from unico.customers.profiles import display_name

router = APIRouter(dependencies=[Depends(require_csrf)])
# Before the profile routes: /customers/reviews must not be read as a profile id.
router.include_router(customer_reviews.router)
router.include_router(segments.router)

FormStr = Annotated[str, Form()]
SEARCH_LIMIT = 30
TIMELINE_PAGE = 30
CHOICES = {"yes": True, "no": False}
# Sources an office user may pick when recording a consent; associates always record their store.
OFFICE_SOURCES = [s for s in ConsentSource if s not in (ConsentSource.STORE, ConsentSource.IMPORT)]


def _page(
    request: Request, staff: StaffSession, template: str, status_code: int = 200, **context: Any
) -> Response:
    return render(
        request,
        template,
        staff.locale,
        status_code=status_code,
        staff=staff,
        csrf_token=staff.csrf_token,
        money=Money(staff.locale),
        tz=TIMEZONE,
        **context,
    )


@router.get("/customers")
def search(request: Request, db: DbDep, staff: StaffDep, q: str = "") -> Response:
    """Name, email, phone in any format, loyalty card or any identifier; htmx gets the results only."""
    staff.principal.require(Permission.CUSTOMERS_READ)
    text = q.strip()
    found = service.search_profiles(db, text, SEARCH_LIMIT) if text else None
    template = "customers/_results.html" if is_htmx(request) else "customers/search.html"
    return _page(request, staff, template, q=text, found=found)


def _has_order_pages(request: Request) -> bool:
    """Whether the console serves an order page to link to (the orders area may not be mounted)."""
    scope = {"type": "http", "method": "GET", "path": "/orders/ord_0", "root_path": ""}
    return any(route.matches(scope)[0] is Match.FULL for route in request.app.routes)


def _profile_page(
    request: Request,
    db: DbDep,
    staff: StaffSession,
    profile_id: str,
    status_code: int = 200,
    found: dict[str, Any] | None = None,
    **forms: Any,
) -> Response:
    """The whole profile page; ``forms`` carries a form's outcome (error, what was typed) when a
    browser without htmx posted it."""
    found = found or service.get_profile(db, profile_id)
    current = found["profile_id"]
    timeline = service.get_timeline(db, current, limit=TIMELINE_PAGE + 1)["entries"]
    context: dict[str, Any] = {
        **_consent_form(staff),
        **_relation_form(),
        "consents": consent.get_consents(db, current),
        **forms,
    }
    return _page(
        request,
        staff,
        "customers/profile.html",
        status_code=status_code,
        profile=found,
        name=display_name(found["traits"]),
        merged_from=request.query_params.get("merged_from", ""),
        timeline=timeline[:TIMELINE_PAGE],
        more=len(timeline) > TIMELINE_PAGE,
        continuity=service.get_continuity(db, current),
        merges=service.list_profile_merges(db, current),
        order_pages=_has_order_pages(request),
        can_write=staff.principal.can(Permission.CUSTOMERS_WRITE),
        can_undo=staff.principal.role is Role.ADMIN,
        **context,
    )


@router.get("/customers/{profile_id}")
def profile(request: Request, db: DbDep, staff: StaffDep, profile_id: str) -> Response:
    staff.principal.require(Permission.CUSTOMERS_READ)
    with_id = service.get_profile(db, profile_id)
    if with_id["resolved_from"]:
        # A merged id: the survivor's page, saying which id was asked for.
        return RedirectResponse(
            f"/console/customers/{with_id['profile_id']}?merged_from={profile_id}", status_code=303
        )
    return _profile_page(request, db, staff, profile_id, found=with_id)


@router.get("/customers/{profile_id}/timeline")
def timeline_page(
    request: Request, db: DbDep, staff: StaffDep, profile_id: str, before: datetime
) -> Response:
    """The next page of the timeline (older entries), as rows for htmx."""
    staff.principal.require(Permission.CUSTOMERS_READ)
    found = service.get_timeline(db, profile_id, limit=TIMELINE_PAGE + 1, before=before)
    entries = found["entries"]
    return _page(
        request,
        staff,
        "customers/_timeline.html",
        profile={"profile_id": found["profile_id"]},
        timeline=entries[:TIMELINE_PAGE],
        more=len(entries) > TIMELINE_PAGE,
    )


def _consent_form(staff: StaffSession) -> dict[str, Any]:
    return {
        "purposes": list(Purpose),
        "office_sources": OFFICE_SOURCES,
        "consent_error": "",
        "consent_saved": 0,
        "store_code": staff.principal.store_code,
    }


def _relation_form(error: str = "", other: str = "") -> dict[str, Any]:
    return {"relation_kinds": service.RELATION_KINDS, "relation_error": error, "other": other}


@router.post("/customers/{profile_id}/consents")
async def record_consents(request: Request, db: DbDep, staff: StaffDep, profile_id: str) -> Response:
    """Record the choices the customer states; an associate's changes carry their store as source."""
    staff.principal.require(Permission.CUSTOMERS_WRITE)
    form = await request.form()
    choices = {p: CHOICES[v] for p in Purpose if isinstance(v := form.get(p.value), str) and v in CHOICES}
    if staff.principal.store_code:
        source, store = ConsentSource.STORE, staff.principal.store_code
    else:
        raw = form.get("source")
        offered = {s.value for s in OFFICE_SOURCES}
        source = ConsentSource(raw) if raw in offered else ConsentSource.CONTACT_CENTER
        store = None
    before = consent.get_consents(db, profile_id)
    current, error = before, "" if choices else "choose"
    if choices:
        try:
            current = consent.record_consents(
                db, profile_id, choices, source=source, store=store, principal=staff.principal
            )
        except (Conflict, ValidationFailed, PermissionDenied) as failed:
            error = failed.message
    outcome: dict[str, Any] = {
        "consents": current,
        "consent_error": error,
        "consent_saved": len(current.history) - len(before.history),
    }
    if not is_htmx(request):
        if error:
            return _profile_page(request, db, staff, current.profile_id, 422, **outcome)
        return RedirectResponse(f"/console/customers/{current.profile_id}#consents", status_code=303)
    return _page(
        request,
        staff,
        "customers/_consents.html",
        profile={"profile_id": current.profile_id},
        can_write=True,
        **{**_consent_form(staff), **outcome},
    )


def _relation_error(db: DbDep, profile_id: str, kind: str, other: str, actor: str) -> str:
    """Add the relation, or say why not (the page words it)."""
    if not other:
        return "other_missing"
    matches = service.search_profiles(db, other, 2)
    if not matches:
        return "other_unknown"
    if len(matches) > 1:
        return "other_ambiguous"
    if kind not in service.RELATION_KINDS:
        return "kind"
    try:
        service.add_relation(db, profile_id, matches[0]["profile_id"], kind, actor)
    except Conflict:
        return "self"
    return ""


@router.post("/customers/{profile_id}/relations")
def add_relation(
    request: Request, db: DbDep, staff: StaffDep, profile_id: str, kind: FormStr = "", other: FormStr = ""
) -> Response:
    """Relate the customer to another person, named by profile id, email, phone or card."""
    staff.principal.require(Permission.CUSTOMERS_WRITE)
    error = _relation_error(db, profile_id, kind, other.strip(), staff.principal.actor)
    form = _relation_form(error, other if error else "")
    if not is_htmx(request):
        if error:
            return _profile_page(request, db, staff, profile_id, 422, **form)
        return RedirectResponse(f"/console/customers/{profile_id}#relations", status_code=303)
    found = service.get_profile(db, profile_id)
    return _page(request, staff, "customers/_relations.html", profile=found, can_write=True, **form)


@router.post("/customers/merges/{merge_id}/undo")
def undo_merge(db: DbDep, staff: StaffDep, merge_id: str, profile: FormStr = "") -> Response:
    """Undo an identity merge: administrators only, since it splits a person's history again."""
    if staff.principal.role is not Role.ADMIN:
        raise PermissionDenied("only administrators undo merges", code="auth.forbidden")
    undone = service.undo(db, merge_id, staff.principal.actor)
    back = profile if re.fullmatch(r"[\w-]{1,40}", profile) else undone["survivor"]
    return RedirectResponse(f"/console/customers/{back}#merges", status_code=303)
