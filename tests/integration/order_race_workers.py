"""A real `unico serve` process, and the order clients the race and crash tests run beside it.

The clients run in separate OS processes (multiprocessing spawn), so this module imports only
the standard library and httpx: a spawned process starts fast. Each builds its own HTTP client.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

UNICO = str(Path(sys.executable).parent / "unico")
INSUFFICIENT = "inventory.insufficient_stock"


# --- the server ------------------------------------------------------------------------------


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def kill(self) -> None:
        """SIGKILL the server and every process it started (its workers): no shutdown at all."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def unico_serve(url: str, var_dir: Path, *, workers: int = 1, port: int | None = None) -> Iterator[Served]:
    """`unico serve --no-worker` on ``url`` as its own process group; killed on the way out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNICO_")}
    env.update(UNICO_DATABASE_URL=url, UNICO_VAR_DIR=str(var_dir), UNICO_LOG_LEVEL="WARNING")
    port = port or _free_port()
    var_dir.mkdir(parents=True, exist_ok=True)
    log = var_dir / f"serve-{port}-{time.monotonic_ns()}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [UNICO, "serve", "--no-worker", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=sink,
            stderr=sink,
            start_new_session=True,
        )
    served = Served(process, f"http://127.0.0.1:{port}", log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"unico serve exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{served.url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("unico serve did not become ready")
            time.sleep(0.1)
        yield served
    finally:
        served.kill()


# --- order bodies ----------------------------------------------------------------------------


def web_pickup(sku: str, store: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "channel": "web",
        "currency": "EUR",
        "lines": [
            {"sku": sku, "quantity": quantity, "unit_price": 2990, "method": "pickup", "pickup_store": store}
        ],
    }


def pos_sale(sku: str, store: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "channel": "store",
        "store": store,
        "currency": "EUR",
        "lines": [{"sku": sku, "quantity": quantity, "unit_price": 2990, "method": "carry_out"}],
    }


@dataclass(frozen=True)
class Outcome:
    round: int
    status: int
    code: str | None  # the error code of a refusal
    order_id: str | None
    details: dict[str, Any] | None = None  # the error details of a refusal


def _outcome(round_: int, response: httpx.Response) -> Outcome:
    body = response.json()
    if response.status_code == 201:
        return Outcome(round_, 201, None, body["order_id"])
    error = body.get("error", {})
    return Outcome(round_, response.status_code, error.get("code"), None, error.get("details"))


def race_orders(
    base_url: str, api_key: str, kind: str, store: str, rounds: list[tuple[str, int]], barrier: Any
) -> list[Outcome]:
    """For each round ``(sku, units)``: wait for the other process, then try ``units`` one-unit orders.

    ``kind`` is "web" (pickup at ``store``) or "pos" (a carry-out sale at ``store``).
    """
    build = web_pickup if kind == "web" else pos_sale
    outcomes = []
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
    ) as client:
        client.get("/readyz")  # connect before the first round starts
        for number, (sku, units) in enumerate(rounds):
            barrier.wait(60)
            for _ in range(units):
                outcomes.append(_outcome(number, client.post("/api/v1/orders", json=build(sku, store))))
    return outcomes


@dataclass(frozen=True)
class Sent:
    key: str  # its Idempotency-Key
    body: dict[str, Any]


@dataclass
class Burst:
    acknowledged: list[tuple[Sent, dict[str, Any]]] = field(default_factory=list)  # with the 201 body
    refused: list[str] = field(default_factory=list)  # error codes of the 409s
    other: list[tuple[int, str]] = field(default_factory=list)  # any other answer
    lost: list[Sent] = field(default_factory=list)  # no answer: the connection died with the server
    killed: bool = False


def burst(
    base_url: str,
    api_key: str,
    orders: list[Sent],
    threads: int,
    *,
    kill_after: int | None = None,
    kill: Callable[[], None] | None = None,
) -> Burst:
    """POST ``orders`` from ``threads`` threads; after ``kill_after`` 201s, call ``kill`` at once.

    Once the server is gone (a transport error after the kill) the threads stop.
    """
    result = Burst()
    lock = threading.Lock()
    queue = list(reversed(orders))
    start = threading.Barrier(threads)
    gone = threading.Event()

    def run() -> None:
        with httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=10
        ) as client:
            start.wait(30)
            while not gone.is_set():
                with lock:
                    if not queue:
                        return
                    sent = queue.pop()
                try:
                    response = client.post(
                        "/api/v1/orders", json=sent.body, headers={"Idempotency-Key": sent.key}
                    )
                except httpx.TransportError:
                    with lock:
                        result.lost.append(sent)
                        if result.killed:
                            gone.set()
                    continue
                with lock:
                    if response.status_code == 201:
                        result.acknowledged.append((sent, response.json()))
                        if kill is not None and len(result.acknowledged) == kill_after:
                            kill()
                            result.killed = True
                    elif response.status_code == 409:
                        result.refused.append(response.json()["error"]["code"])
                    else:
                        result.other.append((response.status_code, response.text[:300]))

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return result
