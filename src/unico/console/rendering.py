"""Jinja2 rendering: one environment per locale, so translations never leak between requests."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from unico.console.i18n import LOCALE_NAMES, LOCALES, Formats, translations
from unico.console.security import CSRF_FIELD, CSRF_HEADER

_TEMPLATES = Path(__file__).parent / "templates"

# Pages show stock and staff data on shared tablets: never cached, never framed, scripts only
# from the console itself (htmx needs no eval for what the console uses).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Vary": "HX-Request, Cookie",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
    ),
}


@lru_cache(maxsize=len(LOCALES))
def environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    formats = Formats(locale)
    env.globals.update(
        fmt=formats,
        locale=locale,
        locales=LOCALE_NAMES,
        csrf_field=CSRF_FIELD,
        csrf_header=CSRF_HEADER,
    )
    return env


def _here(request: Request) -> str:
    """This page's path and query, to come back to after a form elsewhere (language switch)."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    template: str,
    locale: str,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """Render ``template`` in ``locale``; ``context`` must name everything the template uses."""
    context.setdefault("staff", None)
    context.setdefault("csrf_token", "")
    html = (
        environment(locale)
        .get_template(template)
        .render(request=request, path=request.url.path, here=_here(request), **context)
    )
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
