"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

import time

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unico.api.deps import DbDep
from unico.api.errors import error_body
from unico.core.events import dead_letters, outbox_events

router = APIRouter(tags=["operations"])

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "unico_http_requests_total", "HTTP requests", ["method", "route", "status"], registry=REGISTRY
)
LATENCY = Histogram(
    "unico_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
OUTBOX_PENDING = Gauge("unico_outbox_pending_events", "Events not yet dispatched", registry=REGISTRY)
DEAD_LETTERS = Gauge("unico_dead_letters", "Deliveries parked in the dead-letter table", registry=REGISTRY)


class MetricsMiddleware:
    """Counts and times every HTTP request by method, route template and status.

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per
    request, which is measurable on the hot paths (tracking batches, orders)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            LATENCY.labels(scope["method"], path).observe(time.perf_counter() - started)
            REQUESTS.labels(scope["method"], path, str(status)).inc()


def install_metrics(app: FastAPI) -> None:
    app.add_middleware(MetricsMiddleware)


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz(db: DbDep, response: Response) -> dict[str, object]:
    """The process can serve: the database answers and is migrated."""
    try:
        with db.read() as conn:
            conn.execute(text("SELECT 1"))
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # any database failure means not ready
        response.status_code = 503
        return error_body("unavailable", f"database not ready: {type(exc).__name__}")
    return {"status": "ready", "schema": version}


@router.get("/metrics", include_in_schema=False)
def metrics(db: DbDep) -> Response:
    with db.read() as conn:
        OUTBOX_PENDING.set(
            conn.execute(
                select(func.count()).select_from(outbox_events).where(outbox_events.c.dispatched_at.is_(None))
            ).scalar_one()
        )
        DEAD_LETTERS.set(
            conn.execute(
                select(func.count()).select_from(dead_letters).where(dead_letters.c.replayed_at.is_(None))
            ).scalar_one()
        )
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
