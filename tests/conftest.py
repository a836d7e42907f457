"""Fixtures shared by every tier. Database tests run on SQLite and on PostgreSQL.

PostgreSQL comes from ``UNICO_TEST_POSTGRES_URL`` (``make test`` starts a server on loopback
and sets it). Without it, PostgreSQL cases are skipped, unless ``UNICO_REQUIRE_POSTGRES=1``
(as ``make test`` sets), when they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import (
    LiveServer,
    client_for,
    create_postgres_database,
    migrate,
    postgres_admin_url,
    reset_database,
)
from unico.core import clock
from unico.core.db import Database
from unico.settings import Settings


@pytest.fixture(scope="session")
def worker_tag(request: pytest.FixtureRequest) -> str:
    """Names this process's test databases; UNICO_TEST_DB_TAG keeps parallel runs apart."""
    parts = [os.environ.get("UNICO_TEST_DB_TAG", ""), os.environ.get("PYTEST_XDIST_WORKER", "")]
    return "_".join(p for p in parts if p) or "main"


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("unico")


@pytest.fixture(scope="session")
def database_urls(session_dir: Path, worker_tag: str) -> dict[str, str | None]:
    """One migrated database per backend for this test process."""
    urls: dict[str, str | None] = {"sqlite": migrate(f"sqlite:///{session_dir / 'unico.db'}")}
    admin = postgres_admin_url()
    urls["postgresql"] = (
        migrate(create_postgres_database(admin, f"unico_test_{worker_tag}")) if admin else None
    )
    return urls


_databases: dict[str, Database] = {}
_servers: dict[str, LiveServer] = {}


def _database(backend: str, urls: dict[str, str | None]) -> Database:
    url = urls[backend]
    if url is None:
        if os.environ.get("UNICO_REQUIRE_POSTGRES") == "1":
            pytest.fail("PostgreSQL is required (UNICO_TEST_POSTGRES_URL is not set)")
        pytest.skip("PostgreSQL not configured (run through `make test`)")
    if backend not in _databases:
        _databases[backend] = Database(url, pool_size=5)
    return _databases[backend]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db(backend: str, database_urls: dict[str, str | None]) -> Iterator[Database]:
    """A freshly emptied, migrated database on the current backend."""
    database = _database(backend, database_urls)
    reset_database(database)
    clock.reset_clock()
    yield database
    clock.reset_clock()


@pytest.fixture
def settings(session_dir: Path) -> Settings:
    return Settings(var_dir=session_dir / "var", secret_key="test-secret-key-for-this-run-only")


@pytest.fixture
def server(db: Database, backend: str, settings: Settings) -> LiveServer:
    """A live HTTP server on loopback serving ``db`` (one per backend, reused across tests)."""
    if backend not in _servers:
        _servers[backend] = LiveServer(db, settings)
    return _servers[backend]


@pytest.fixture
def admin(server: LiveServer, db: Database) -> Iterator[httpx.Client]:
    with client_for(server, db, "admin") as client:
        yield client


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    for live in _servers.values():
        live.stop()
    for database in _databases.values():
        database.dispose()
