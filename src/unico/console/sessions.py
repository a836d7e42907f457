"""FastAPI dependencies of the console: the database, the signed-in user, the locale, CSRF."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from unico.access import service as access
from unico.console.i18n import supported
from unico.console.security import (
    LOCALE_COOKIE,
    SAFE_METHODS,
    SESSION_COOKIE,
    StaffSession,
    check_csrf,
    session_csrf_token,
    submitted_csrf_token,
)
from unico.core.db import Database
from unico.settings import Settings


class LoginRequired(Exception):
    """The page needs a signed-in user and the request has no live session."""


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def visitor_locale(request: Request) -> str:
    """The locale before sign-in: the language cookie, else the configured default."""
    return supported(request.cookies.get(LOCALE_COOKIE)) or get_settings(request).default_locale


def staff_session(request: Request) -> StaffSession:
    """The signed-in user, or ``LoginRequired`` (the console answers it with the login page)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired()
    db, settings = get_db(request), get_settings(request)
    principal = access.principal_for_session(db, token)  # Unauthenticated when expired
    assert principal.user_id is not None  # sessions always belong to a user
    locale = supported(access.user_locale(db, principal.user_id)) or settings.default_locale
    csrf = session_csrf_token(settings.resolved_secret_key(), token)
    return StaffSession(token=token, principal=principal, locale=locale, csrf_token=csrf)


StaffDep = Annotated[StaffSession, Depends(staff_session)]
DbDep = Annotated[Database, Depends(get_db)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def require_csrf(request: Request, staff: StaffDep) -> None:
    """Router-wide guard: every unsafe request of a signed-in user carries the session's token."""
    if request.method not in SAFE_METHODS:
        check_csrf(staff.csrf_token, await submitted_csrf_token(request))
