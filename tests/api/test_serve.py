"""`unico serve` as a real process: with the embedded worker events go out; with --no-worker they wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import select

from tests.support import free_port
from tests.webhook_receiver import WebhookReceiver
from unico.core.db import Database
from unico.core.events import DomainEvent, event_deliveries, outbox_events, record_event
from unico.core.webhook_subscriptions import create_subscription

UNICO = str(Path(sys.executable).parent / "unico")


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNICO_")}
    env.update(
        UNICO_DATABASE_URL=f"sqlite:///{tmp_path / 'unico.db'}",
        UNICO_VAR_DIR=str(tmp_path / "var"),
        UNICO_WORKER_POLL_SECONDS="0.1",
        UNICO_LOG_LEVEL="INFO",
    )
    return env


def _prepare(tmp_path: Path, receiver: WebhookReceiver) -> tuple[Database, dict[str, str], str]:
    """A migrated SQLite database with one webhook subscription and one recorded event."""
    env = _environment(tmp_path)
    subprocess.run([UNICO, "migrate"], env=env, check=True, capture_output=True, timeout=60)
    db = Database(env["UNICO_DATABASE_URL"])
    create_subscription(db, url=receiver.url, event_types=["*"])
    with db.write() as conn:
        event_id = record_event(conn, DomainEvent("inventory.stock_reserved", "stock", "SKU-1@MI01", {}))
    return db, env, event_id


@contextmanager
def _serving(env: dict[str, str], log: Path, *flags: str) -> Iterator[subprocess.Popen[bytes]]:
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [UNICO, "serve", "--port", str(port), *flags], env=env, stderr=sink, stdout=sink
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "unico serve did not become ready"
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _delivery_statuses(db: Database) -> list[str]:
    with db.read() as conn:
        return list(conn.execute(select(event_deliveries.c.status)).scalars())


def test_serve_runs_the_worker_in_process_and_stops_it_cleanly(tmp_path: Path) -> None:
    with WebhookReceiver(status=204) as receiver:
        db, env, event_id = _prepare(tmp_path, receiver)
        log = tmp_path / "serve.log"
        with _serving(env, log) as process:
            deadline = time.monotonic() + 20
            while not receiver.snapshot() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert [r.headers["x-unico-event-id"] for r in receiver.snapshot()] == [event_id]
            assert _delivery_statuses(db) == ["delivered"]

            process.send_signal(signal.SIGTERM)
            # uvicorn shuts down gracefully, then re-raises the signal it caught.
            assert process.wait(timeout=30) in (0, -signal.SIGTERM)
        output = log.read_text()
        assert "embedded worker running" in output
        assert output.index("worker stopped") < output.index("Application shutdown complete")
    db.dispose()


def test_serve_without_worker_leaves_events_pending(tmp_path: Path) -> None:
    with WebhookReceiver(status=204) as receiver:
        db, env, _event_id = _prepare(tmp_path, receiver)
        with _serving(env, tmp_path / "serve.log", "--no-worker"):
            time.sleep(1.5)  # fifteen poll intervals of a worker, had there been one
            with db.read() as conn:
                assert conn.execute(select(outbox_events.c.dispatched_at)).scalars().all() == [None]
            assert _delivery_statuses(db) == []
            assert receiver.snapshot() == []
    db.dispose()


def test_worker_command_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    with WebhookReceiver(status=204) as receiver:
        db, env, event_id = _prepare(tmp_path, receiver)
        log = tmp_path / "worker.log"
        with log.open("wb") as sink:
            process = subprocess.Popen([UNICO, "worker"], env=env, stderr=sink, stdout=sink)
        try:
            deadline = time.monotonic() + 20
            while not receiver.snapshot() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert [r.headers["x-unico-event-id"] for r in receiver.snapshot()] == [event_id]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        assert "worker stopping on SIGTERM" in log.read_text()
        assert "worker stopped" in log.read_text()
    db.dispose()
