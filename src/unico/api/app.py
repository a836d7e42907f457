"""The FastAPI application: API under /api/v1, tracking under /v1, console under /console."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import RedirectResponse

import unico
from unico.api import observability
from unico.api.errors import install_error_handlers
from unico.api.routers import (
    access,
    catalog,
    customers,
    fulfillment,
    inventory,
    locations,
    loyalty,
    loyalty_program,
    matching,
    orders,
    pricing,
    privacy,
    returns,
    tracking,
    webhooks,
)
from unico.console.app import mount_console
from unico.core.db import Database
from unico.settings import Settings, get_settings


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    """Build the app around one Database; tests pass their own, ``unico serve`` the configured one."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Unico",
        version=unico.__version__,
        description="Omnichannel retail hub: one customer, one inventory, one order flow.",
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.resolved_database_url)
    install_error_handlers(app)
    observability.install_metrics(app)
    app.include_router(observability.router)
    for module in (
        catalog,
        locations,
        inventory,
        access,
        webhooks,
        orders,
        fulfillment,
        returns,
        matching,  # before customers: /customers/reviews must not be read as a profile id
        customers,
        privacy,
        pricing,
        loyalty,
        loyalty_program,
    ):
        app.include_router(module.router, prefix="/api/v1")
    # Segment-compatible tracking lives at /v1, where Segment and RudderStack SDKs send it.
    app.include_router(tracking.router)
    app.include_router(returns.public_router)
    mount_console(app, settings)

    @app.get("/", include_in_schema=False)
    def _root() -> RedirectResponse:
        return RedirectResponse("/console/")

    return app
