"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from unico.access import service as access
from unico.console.i18n import supported
from unico.console.rendering import render
from unico.console.security import (
    CSRF_HEADER,
    LOCALE_COOKIE,
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    StaffSession,
    check_csrf,
    new_nonce,
    pre_session_csrf_token,
    safe_next,
    set_cookie,
)
from unico.console.sessions import DbDep, SettingsDep, StaffDep, require_csrf, staff_session, visitor_locale
from unico.core.errors import Unauthenticated, ValidationFailed

router = APIRouter()

HOME = "/console/products"
PRE_SESSION_SECONDS = 2 * 3600
LOCALE_SECONDS = 365 * 24 * 3600

FormStr = Annotated[str, Form()]


def _optional_staff(request: Request) -> StaffSession | None:
    if not request.cookies.get(SESSION_COOKIE):
        return None
    try:
        return staff_session(request)
    except Unauthenticated:
        return None


def _login_page(
    request: Request, settings: SettingsDep, *, next_url: str, email: str = "", failed: bool = False
) -> Response:
    nonce = request.cookies.get(PRE_SESSION_COOKIE) or new_nonce()
    response = render(
        request,
        "login.html",
        visitor_locale(request),
        status_code=401 if failed else 200,
        csrf_token=pre_session_csrf_token(settings.resolved_secret_key(), nonce),
        next_url=next_url,
        email=email,
        failed=failed,
    )
    set_cookie(request, response, PRE_SESSION_COOKIE, nonce, PRE_SESSION_SECONDS)
    return response


@router.get("/login")
def login_form(request: Request, settings: SettingsDep, next: str = "") -> Response:
    if _optional_staff(request) is not None:
        return RedirectResponse(safe_next(next, HOME), status_code=303)
    return _login_page(request, settings, next_url=safe_next(next, HOME))


@router.post("/login")
def login(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    email: FormStr = "",
    password: FormStr = "",
    csrf_token: FormStr = "",
    next: FormStr = "",
) -> Response:
    nonce = request.cookies.get(PRE_SESSION_COOKIE, "")
    expected = pre_session_csrf_token(settings.resolved_secret_key(), nonce) if nonce else ""
    check_csrf(expected, request.headers.get(CSRF_HEADER) or csrf_token)
    try:
        token, principal = access.open_session(
            db, email=email, password=password, hours=settings.session_hours
        )
    except Unauthenticated:
        return _login_page(request, settings, next_url=safe_next(next, HOME), email=email, failed=True)
    assert principal.user_id is not None
    response = RedirectResponse(safe_next(next, HOME), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, settings.session_hours * 3600)
    set_cookie(request, response, LOCALE_COOKIE, access.user_locale(db, principal.user_id), LOCALE_SECONDS)
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")
    return response


@router.post("/logout", dependencies=[Depends(require_csrf)])
def logout(request: Request, db: DbDep, staff: StaffDep) -> Response:
    access.close_session(db, staff.token)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/locale")
def switch_locale(
    request: Request,
    db: DbDep,
    settings: SettingsDep,
    locale: FormStr = "",
    csrf_token: FormStr = "",
    next: FormStr = "",
) -> Response:
    """Stored on the user when signed in (it follows them to any device), and in a cookie."""
    chosen = supported(locale)
    if chosen is None:
        raise ValidationFailed("locale must be 'it' or 'en'", field="locale")
    submitted = request.headers.get(CSRF_HEADER) or csrf_token
    staff = _optional_staff(request)
    if staff is not None:
        check_csrf(staff.csrf_token, submitted)
        assert staff.principal.user_id is not None
        access.set_user_locale(db, staff.principal.user_id, chosen)
    else:
        nonce = request.cookies.get(PRE_SESSION_COOKIE, "")
        check_csrf(pre_session_csrf_token(settings.resolved_secret_key(), nonce) if nonce else "", submitted)
    response = RedirectResponse(safe_next(next, HOME), status_code=303)
    set_cookie(request, response, LOCALE_COOKIE, chosen, LOCALE_SECONDS)
    return response
