"""Loyalty pages: find an account by card, a customer's account (balances, pending points, tier,
cards, ledger, redemptions, rewards), enrolment, physical cards and manual adjustments.

Redeeming a reward at the till lives in :mod:`unico.console.views.loyalty_till`, included here so
that the console app mounts one loyalty router.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from unico.access.model import Permission
from unico.console.rendering import is_htmx
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.console.views import loyalty_till
from unico.console.views.loyalty_page import (
    LEDGER_PAGE,
    Forms,
    account_page,
    customer_of,
    ledger_rows,
    parse_points,
)
from unico.console.views.order_desk import PageError, page, working_store
from unico.core.errors import NotFound, UnicoError, ValidationFailed
from unico.inventory.model import Channel
from unico.loyalty import accounts

router = APIRouter(dependencies=[Depends(require_csrf)])
router.include_router(loyalty_till.router)

FormStr = Annotated[str, Form()]


def _loyalty_url(customer_id: str, anchor: str = "") -> str:
    return f"/console/customers/{customer_id}/loyalty" + (f"#{anchor}" if anchor else "")


@router.get("/loyalty")
def lookup(request: Request, db: DbDep, staff: StaffDep, card: str = "") -> Response:
    """The account of a card (physical or digital, typed in any spacing or case): straight to the
    customer's loyalty page, ready to redeem; otherwise the lookup form and what was not found."""
    staff.principal.require(Permission.LOYALTY_READ)
    typed = card.strip()
    if typed:
        try:
            found = accounts.get_account_by_card(db, typed)
        except NotFound:
            pass
        else:
            return RedirectResponse(_loyalty_url(found.customer_id, "till"), status_code=303)
    return page(
        request,
        "loyalty/lookup.html",
        staff,
        status_code=404 if typed else 200,
        card=typed,
        can_search=staff.principal.can(Permission.CUSTOMERS_READ),
    )


@router.get("/customers/{customer_id}/loyalty")
def account(
    request: Request, db: DbDep, staff: StaffDep, customer_id: str, store: str = "", before: str = ""
) -> Response:
    """The customer's loyalty account, or the enrolment form when there is none."""
    staff.principal.require(Permission.LOYALTY_READ)
    customer = customer_of(db, customer_id)
    if customer.customer_id != customer_id:  # a merged profile: its survivor holds the account
        return RedirectResponse(_loyalty_url(customer.customer_id), status_code=303)
    shop = working_store(staff, store)
    return account_page(request, db, staff, customer, shop=shop, before=before or None)


@router.get("/customers/{customer_id}/loyalty/ledger")
def older_postings(request: Request, db: DbDep, staff: StaffDep, customer_id: str, before: str) -> Response:
    """The ledger's next page (older postings): rows for htmx, the whole page otherwise."""
    staff.principal.require(Permission.LOYALTY_READ)
    if not is_htmx(request):
        back = f"{_loyalty_url(customer_id)}?before={quote(before, safe='')}#ledger"
        return RedirectResponse(back, status_code=303)
    customer = customer_of(db, customer_id)
    held = accounts.get_account_of_customer(db, customer.customer_id)
    postings = accounts.ledger(db, held.account_id, LEDGER_PAGE + 1, before)
    return ledger_rows(request, staff, customer, postings)


@router.post("/customers/{customer_id}/loyalty/enroll")
def enroll(
    request: Request,
    db: DbDep,
    staff: StaffDep,
    customer_id: str,
    physical_card: FormStr = "",
    store: FormStr = "",
) -> Response:
    """Open the customer's account (with a physical card if one is typed): at the associate's store
    when enrolled at the till, by the contact center otherwise."""
    staff.principal.require(Permission.LOYALTY_WRITE)
    customer = customer_of(db, customer_id)
    shop = working_store(staff, store)
    try:
        accounts.enroll(
            db,
            customer.customer_id,
            staff.principal,
            physical_card=physical_card.strip() or None,
            channel=Channel.STORE if shop else Channel.CONTACT_CENTER,
            store=shop,
        )
    except UnicoError as refused:
        forms = Forms(card=physical_card, enroll_error=PageError.of(refused))
        return account_page(request, db, staff, customer, shop=shop, forms=forms, status_code=refused.status)
    return RedirectResponse(_loyalty_url(customer.customer_id), status_code=303)


@router.post("/customers/{customer_id}/loyalty/cards")
def add_card(
    request: Request, db: DbDep, staff: StaffDep, customer_id: str, card_number: FormStr = ""
) -> Response:
    """Give the member a physical card; a number another account holds is refused."""
    staff.principal.require(Permission.LOYALTY_WRITE)
    customer = customer_of(db, customer_id)
    try:
        if not card_number.strip():
            raise ValidationFailed("type the card number", code="console.card_required", field="card_number")
        held = accounts.get_account_of_customer(db, customer.customer_id)
        accounts.add_card(db, held.account_id, card_number, staff.principal)
    except UnicoError as refused:
        forms = Forms(card=card_number, card_error=PageError.of(refused))
        shop = working_store(staff, "")
        return account_page(request, db, staff, customer, shop=shop, forms=forms, status_code=refused.status)
    return RedirectResponse(_loyalty_url(customer.customer_id, "cards"), status_code=303)


@router.post("/customers/{customer_id}/loyalty/adjustments")
def adjust(
    request: Request,
    db: DbDep,
    staff: StaffDep,
    customer_id: str,
    points: FormStr = "",
    reason: FormStr = "",
    adjustment_ref: FormStr = "",
) -> Response:
    """A manual correction of the available points, with its reason (loyalty managers only); the
    form's reference makes a second submission of the same form change nothing."""
    staff.principal.require(Permission.LOYALTY_MANAGE)
    customer = customer_of(db, customer_id)
    forms = Forms(adjust_points=points, adjust_reason=reason)
    try:
        amount = parse_points(points, required=True)
        assert amount is not None
        if not reason.strip():
            raise ValidationFailed("say why", code="console.reason_required", field="reason")
        held = accounts.get_account_of_customer(db, customer.customer_id)
        accounts.adjust(
            db,
            held.account_id,
            amount,
            reason,
            staff.principal,
            source_ref=adjustment_ref.strip() or forms.adjustment_ref,
        )
    except UnicoError as refused:
        forms.adjust_error = PageError.of(refused)
        if adjustment_ref.strip():
            forms.adjustment_ref = adjustment_ref.strip()
        shop = working_store(staff, "")
        return account_page(request, db, staff, customer, shop=shop, forms=forms, status_code=refused.status)
    return RedirectResponse(_loyalty_url(customer.customer_id, "ledger"), status_code=303)
