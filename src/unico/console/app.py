"""Mounting the console on the FastAPI app.

The console is its own small FastAPI application mounted at /console, so that its errors become
HTML pages (and a missing session a trip to the login page) while the API keeps its JSON errors.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from unico.console.rendering import is_htmx, render
from unico.console.security import SESSION_COOKIE, CsrfRejected
from unico.console.sessions import LoginRequired, visitor_locale
from unico.console.views import auth, customers, loyalty, orders, pricing, products, stores
from unico.core.errors import Unauthenticated, UnicoError
from unico.settings import Settings

STATIC = Path(__file__).parent / "static"


def mount_console(app: FastAPI, settings: Settings) -> None:
    """Pages under /console (static assets under /console/static), sharing the app's database."""
    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    console.state.settings = settings
    console.state.db = app.state.db
    console.mount("/static", StaticFiles(directory=STATIC), name="static")
    console.include_router(auth.router)
    console.include_router(products.router)
    console.include_router(stores.router)
    console.include_router(orders.router)
    console.include_router(customers.router)
    console.include_router(pricing.router)
    console.include_router(loyalty.router)
    _install_error_pages(console)
    app.mount("/console", console)


def _to_login(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = "/console/login?next=" + quote(target, safe="")
    if is_htmx(request):
        response: Response = Response(status_code=200, headers={"HX-Redirect": login})
    else:
        response = RedirectResponse(login, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _error_page(request: Request, status: int, message: str = "") -> Response:
    return render(
        request, "error.html", visitor_locale(request), status_code=status, status=status, message=message
    )


def _install_error_pages(console: FastAPI) -> None:
    @console.exception_handler(LoginRequired)
    async def _login_required(request: Request, _exc: LoginRequired) -> Response:
        return _to_login(request)

    @console.exception_handler(Unauthenticated)
    async def _session_expired(request: Request, _exc: Unauthenticated) -> Response:
        return _to_login(request)

    @console.exception_handler(CsrfRejected)
    async def _csrf(request: Request, _exc: CsrfRejected) -> Response:
        return _error_page(request, 403, "csrf")

    @console.exception_handler(UnicoError)
    async def _business_error(request: Request, exc: UnicoError) -> Response:
        return _error_page(request, exc.status, exc.message)

    @console.exception_handler(RequestValidationError)
    async def _bad_input(request: Request, _exc: RequestValidationError) -> Response:
        return _error_page(request, 422)

    @console.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error_page(request, exc.status_code)
