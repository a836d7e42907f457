"""Console sessions and CSRF protection.

Sessions: the ``unico_session`` cookie (httpOnly, SameSite=Lax, Secure over https) carries a token
that ``access.service`` keeps only hashed.

CSRF: every unsafe request carries a token, as the ``csrf_token`` form field or the
``X-CSRF-Token`` header htmx sends (set once with ``hx-headers`` on <body>).

- With a session, the token is HMAC-SHA256(secret key, session token): nothing to store, and a
  token stolen from one session is worthless in another.
- Before a session exists (the login form, the language switch on it), a random nonce lives in
  the ``unico_csrf`` cookie and the form carries HMAC(secret key, "pre-session:" + nonce): a
  signed double submit, so a cookie planted from a sibling domain cannot forge a token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from unico.access.model import Principal

SESSION_COOKIE = "unico_session"  # the same cookie the API accepts (unico.api.deps)
PRE_SESSION_COOKIE = "unico_csrf"
LOCALE_COOKIE = "unico_locale"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRejected(Exception):
    """An unsafe request came without a valid CSRF token."""


@dataclass(frozen=True)
class StaffSession:
    """The signed-in user of one console request."""

    token: str
    principal: Principal
    locale: str
    csrf_token: str


def sign(secret_key: str, message: str) -> str:
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def session_csrf_token(secret_key: str, session_token: str) -> str:
    return sign(secret_key, session_token)


def pre_session_csrf_token(secret_key: str, nonce: str) -> str:
    return sign(secret_key, "pre-session:" + nonce)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


async def submitted_csrf_token(request: Request) -> str:
    """The token the client sent: the htmx header first, else the form field."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def check_csrf(expected: str, submitted: str) -> None:
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfRejected()


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def safe_next(target: str | None, default: str) -> str:
    """Only same-site console paths are followed after login (no open redirect)."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
