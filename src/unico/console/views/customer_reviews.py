"""The merge review queue: pairs the matching model found likely the same person, with the score
and each field's evidence, merged or kept apart by a person."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from unico.access.model import Permission
from unico.console.customer_format import TIMEZONE
from unico.console.rendering import is_htmx, render
from unico.console.security import StaffSession
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.core.errors import Conflict
from unico.customers import reviews

router = APIRouter(dependencies=[Depends(require_csrf)])

QUEUE_PAGE = 50
# The model's fields and the profile trait each one compares, in the order a reviewer reads them.
EVIDENCE_FIELDS = (
    ("first_name", "first_name"),
    ("surname", "last_name"),
    ("dob", "birthday"),
    ("address", "address"),
    ("postcode", "postcode"),
    ("city", "city"),
    ("phone", "phone"),
)


def _page(request: Request, staff: StaffSession, template: str, **context: Any) -> Response:
    return render(
        request,
        template,
        staff.locale,
        staff=staff,
        csrf_token=staff.csrf_token,
        tz=TIMEZONE,
        fields=EVIDENCE_FIELDS,
        can_write=staff.principal.can(Permission.CUSTOMERS_WRITE),
        **context,
    )


@router.get("/customers/reviews")
def queue(request: Request, db: DbDep, staff: StaffDep, status: str = "pending") -> Response:
    found = reviews.list_reviews(db, staff.principal, status=status, limit=QUEUE_PAGE)
    return _page(
        request, staff, "customers/reviews.html", items=found, status=status, statuses=reviews.STATUSES
    )


def _decide(request: Request, db: DbDep, staff: StaffSession, review_id: str, merge: bool) -> Response:
    """htmx swaps the decided card in place; a plain form goes back to the queue. A review decided
    meanwhile by someone else (409) says so in place of the card, or on the error page."""
    decide = reviews.merge_review if merge else reviews.reject_review
    try:
        decided: dict[str, Any] | None = decide(db, review_id, staff.principal)
        conflict = ""
    except Conflict as error:
        if not is_htmx(request):
            raise
        decided, conflict = None, error.message
    if not is_htmx(request):
        return RedirectResponse("/console/customers/reviews", status_code=303)
    return _page(
        request, staff, "customers/_review.html", review=decided, review_id=review_id, conflict=conflict
    )


@router.post("/customers/reviews/{review_id}/merge")
def merge(request: Request, db: DbDep, staff: StaffDep, review_id: str) -> Response:
    return _decide(request, db, staff, review_id, merge=True)


@router.post("/customers/reviews/{review_id}/reject")
def reject(request: Request, db: DbDep, staff: StaffDep, review_id: str) -> Response:
    return _decide(request, db, staff, review_id, merge=False)
