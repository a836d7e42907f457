"""What ``unico serve`` runs: the app, plus the worker loop in a thread for the embedded default.

``UNICO_EMBEDDED_WORKER=1`` (what ``unico serve`` sets unless ``--no-worker``) starts a
:class:`unico.worker.Worker` on the app's database when the server starts and stops it, after its
current tick, when the server shuts down. Scaled deployments run ``unico serve --no-worker`` and
separate ``unico worker`` processes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from unico.api.app import create_app
from unico.core.process import freeze_startup_heap
from unico.worker import Worker

log = logging.getLogger("unico.server")

EMBEDDED_WORKER_ENV = "UNICO_EMBEDDED_WORKER"
_STOP_TIMEOUT_SECONDS = 30.0


def create_served_app() -> FastAPI:
    """The application factory uvicorn calls (``unico.server:create_served_app``)."""
    app = create_app()
    if os.environ.get(EMBEDDED_WORKER_ENV, "1") == "1":
        _run_worker_alongside(app)
    freeze_startup_heap()
    return app


def _run_worker_alongside(app: FastAPI) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI) -> AsyncIterator[None]:
        worker = Worker(app_.state.db, app_.state.settings)
        thread = threading.Thread(
            target=worker.run_forever, kwargs={"handle_signals": False}, name="unico-worker", daemon=True
        )
        thread.start()
        log.info("embedded worker running")
        try:
            async with inner(app_):
                yield
        finally:
            worker.stop()
            await asyncio.to_thread(thread.join, _STOP_TIMEOUT_SECONDS)
            if thread.is_alive():
                log.error("embedded worker did not stop within %.0f s", _STOP_TIMEOUT_SECONDS)

    app.router.lifespan_context = lifespan
