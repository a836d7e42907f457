"""Database access: one SQLAlchemy metadata, engines for SQLite and PostgreSQL, units of work.

Every service opens exactly one unit of work per use case:

    with db.write() as conn:     # BEGIN IMMEDIATE on SQLite, plain BEGIN on PostgreSQL
        ...                      # decide, save, record events; commit on exit

SQLite runs in WAL mode with a busy timeout, and write units start with ``BEGIN IMMEDIATE`` so
that two processes never both read-then-upgrade and deadlock: the second one waits its turn.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    any_,
    bindparam,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator

from unico.core.clock import as_utc

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# Integer primary keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine tuned per backend. SQLite: WAL, busy timeout, foreign keys, explicit BEGIN."""
    if is_sqlite(url):
        engine = create_engine(
            url,
            connect_args={"timeout": 60, "check_same_thread": False, "isolation_level": None},
            pool_size=pool_size,
            max_overflow=pool_size,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = "IMMEDIATE" if conn.get_execution_options().get("unico_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        return engine
    # No pre-ping: it costs a round trip per unit of work on the hot paths; connections are
    # recycled instead, and a connection lost mid-request surfaces as an error to retry.
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)


def among(conn: Connection, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """``column IN values``. On PostgreSQL one array parameter (``= ANY(:values)``), so the
    statement text is the same whatever the number of values and psycopg can prepare it; on
    SQLite an expanding IN."""
    if conn.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


class Database:
    """An engine plus the two kinds of unit of work services use."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_db_engine(url, pool_size=pool_size)
        # SQLite has one writer at a time. Threads of this process queue here, first come first
        # served, instead of in SQLite's busy handler, whose sleeps grow up to 100 ms and make the
        # tail latency of concurrent writes seconds long. (Other processes still meet the busy
        # handler.) Re-entrant, so a writer may call a helper that opens its own unit of work.
        self._writer = threading.RLock() if is_sqlite(url) else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A transaction that may change data; commits on success, rolls back on any error."""
        with self._writer or nullcontext(), self.engine.connect() as conn:
            conn = conn.execution_options(unico_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (rolled back at the end)."""
        with self.engine.connect() as conn, conn.begin() as tx:
            yield conn
            tx.rollback()

    def dispose(self) -> None:
        self.engine.dispose()
