"""Test infrastructure: migrated databases on both backends and a live HTTP server."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from unico.access import service as access
from unico.api.app import create_app
from unico.core.db import Database, metadata
from unico.core.schema import upgrade_database
from unico.core.tables import metadata as _all_tables  # noqa: F401  (registers every table)
from unico.settings import Settings

BACKENDS = ("sqlite", "postgresql")


def postgres_admin_url() -> str | None:
    """The throwaway server ``make test`` starts (scripts/postgres.sh), if any."""
    return os.environ.get("UNICO_TEST_POSTGRES_URL") or None


def create_postgres_database(admin_url: str, name: str) -> str:
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def reset_database(db: Database) -> None:
    """Empty every table (fast enough per test, keeps the schema)."""
    with db.write() as conn:
        if db.dialect == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(metadata.sorted_tables):
                conn.execute(table.delete())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """A real uvicorn server in a thread, on a loopback port, serving one Database."""

    db: Database
    settings: Settings
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        app = create_app(self.settings, self.db)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def client_for(
    server: LiveServer, db: Database, role: str = "admin", store: str | None = None
) -> httpx.Client:
    """An HTTP client holding a fresh API key of ``role``."""
    key = access.create_api_key(db, name=f"test-{role}", role=role, store_code=store)
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key.secret}"}, timeout=30.0)


def migrate(url: str) -> str:
    upgrade_database(url)
    return url


def iter_backends() -> Iterator[str]:
    yield from BACKENDS
