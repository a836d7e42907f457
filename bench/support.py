"""Shared benchmark plumbing: databases to run on, a served Unico, percentiles."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from unico.core.schema import upgrade_database


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def fresh_sqlite(name: str) -> str:
    path = Path(tempfile.mkdtemp(prefix="unico-bench-")) / f"{name}.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    return url


def fresh_postgres(name: str) -> str | None:
    """A new database on the benchmark server (UNICO_BENCH_POSTGRES_URL, set by `make bench`)."""
    admin = os.environ.get("UNICO_BENCH_POSTGRES_URL")
    if not admin:
        return None
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    upgrade_database(url)
    return url


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(url: str, *, workers: int = 1) -> Iterator[str]:
    """`unico serve --no-worker` as a real process on loopback; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "UNICO_DATABASE_URL": url,
        "UNICO_LOG_LEVEL": "WARNING",
        "UNICO_VAR_DIR": tempfile.mkdtemp(),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "unico.cli",
            "serve",
            "--no-worker",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("unico serve did not become ready")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
