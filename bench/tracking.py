"""Tracking benchmark: Segment batches of 100 events through ``POST /v1/batch``, on SQLite and PostgreSQL.

``unico serve --no-worker --workers 2`` on loopback; the load comes from several OS processes on
the same machine, each keeping a few keep-alive connections busy with pre-built bodies over a
minimal asyncio HTTP/1.1 client (so the generator spends little CPU: httpx cost about as much
per request as the server's own work). Every event has its own messageId;
after the run the events stored are counted against those sent.

    python -m bench.tracking [--batches 3000] [--processes 3] [--connections 4] [--quick]

Ends with one JSON line: {"sqlite": {...}, "postgresql": {...}} with events_per_s,
batch_p99_ms, events_lost.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing
import random
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from multiprocessing.synchronize import Event

import httpx
import orjson
from sqlalchemy import func, select

from bench.support import fresh_postgres, fresh_sqlite, percentile, served
from unico.core.db import Database
from unico.customers import tracking
from unico.customers.tracking_store import tracking_events

BATCH_SIZE = 100
EVENTS = ("Product Viewed", "Product List Viewed", "Products Searched", "Product Added", "Cart Viewed")


def build_bodies(worker: int, batches: int, seed: int) -> list[bytes]:
    """``batches`` request bodies of ``BATCH_SIZE`` track/page events (~400 bytes each)."""
    rng = random.Random(seed + worker)
    at = datetime.now(UTC)
    bodies = []
    for b in range(batches):
        messages = []
        for i in range(BATCH_SIZE):
            visitor = rng.randrange(200_000)
            sku = f"RUN-{rng.randrange(5000):05d}-ROS-{rng.randrange(36, 46)}"
            message = {
                "type": "track",
                "messageId": f"bench-{worker}-{b}-{i}",
                "anonymousId": f"anon-{visitor}",
                "event": rng.choice(EVENTS),
                "properties": {"product_id": sku[:9], "sku": sku, "price": 89.9, "currency": "EUR"},
                "context": {
                    "ip": f"93.44.{visitor % 250}.{visitor % 199}",
                    "locale": "it-IT",
                    "page": {"path": f"/p/{sku[:9]}", "url": f"https://shop.example/p/{sku[:9]}"},
                    "library": {"name": "analytics.js", "version": "2.11.1"},
                },
                "timestamp": (at - timedelta(milliseconds=rng.randrange(5000))).isoformat(),
            }
            if i % 10 == 0:
                message["userId"] = f"user-{visitor}"
            messages.append(message)
        bodies.append(orjson.dumps({"batch": messages, "sentAt": at.isoformat()}))
    return bodies


async def _post_lane(host: str, port: int, key: str, bodies: list[bytes], latencies: list[float]) -> int:
    """One keep-alive HTTP/1.1 connection posting ``bodies`` one after the other; returns how
    many were not answered 200. Hand-written so the generator's CPU goes to sending."""
    reader, writer = await asyncio.open_connection(host, port)
    auth = base64.b64encode(f"{key}:".encode()).decode()
    head = (
        f"POST /v1/batch HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {auth}\r\n"
        "Content-Type: application/json\r\nContent-Length: "
    ).encode()
    failures = 0
    for body in bodies:
        started = time.perf_counter()
        writer.write(head + str(len(body)).encode() + b"\r\n\r\n" + body)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await reader.readexactly(length)
        latencies.append((time.perf_counter() - started) * 1000)
        if status_line.split(b" ", 2)[1] != b"200":
            failures += 1
    writer.close()
    await writer.wait_closed()
    return failures


async def _send_all(base: str, key: str, bodies: list[bytes], connections: int) -> tuple[list[float], int]:
    url = httpx.URL(base)
    latencies: list[float] = []
    lanes = [bodies[i::connections] for i in range(connections)]
    failures = await asyncio.gather(
        *(_post_lane(url.host, url.port or 80, key, lane, latencies) for lane in lanes)
    )
    return latencies, sum(failures)


def load(
    base: str, key: str, worker: int, batches: int, connections: int, seed: int, start: Event
) -> tuple[float, float, list[float], int]:
    """One load process: build its bodies, wait for the start, send them; returns (started,
    finished, latencies in ms, failed requests)."""
    bodies = build_bodies(worker, batches, seed)
    start.wait(120)
    began = time.time()
    latencies, failures = asyncio.run(_send_all(base, key, bodies, connections))
    return began, time.time(), latencies, failures


def warm_up(base: str, key: str) -> None:
    with httpx.Client(base_url=base, auth=(key, "")) as client:
        for body in build_bodies(999, 20, 0):
            client.post("/v1/batch", content=body).raise_for_status()


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, float | int]:
    db = Database(url)
    key = tracking.create_source(db, name="bench", kind="web").write_key
    ctx = multiprocessing.get_context("spawn")
    per_process = args.batches // args.processes
    with served(url, workers=2) as base:
        warm_up(base, key)
        with db.read() as conn:
            before = conn.execute(select(func.count()).select_from(tracking_events)).scalar_one()
        start = ctx.Manager().Event()
        with ProcessPoolExecutor(max_workers=args.processes, mp_context=ctx) as pool:
            futures = [
                pool.submit(load, base, key, w, per_process, args.connections, args.seed, start)
                for w in range(args.processes)
            ]
            time.sleep(2 + per_process / 500)  # let every process build its bodies
            start.set()
            outcomes = [f.result() for f in futures]
    with db.read() as conn:
        after = conn.execute(select(func.count()).select_from(tracking_events)).scalar_one()
    db.dispose()
    seconds = max(o[1] for o in outcomes) - min(o[0] for o in outcomes)
    latencies = [ms for o in outcomes for ms in o[2]]
    failures = sum(o[3] for o in outcomes)
    sent = per_process * args.processes * BATCH_SIZE
    lost = sent - (after - before)
    print(
        f"[{name}] {sent} events in {len(latencies)} batches of {BATCH_SIZE} over {seconds:.1f}s: "
        f"{sent / seconds:,.0f} events/s; batch p50 {percentile(latencies, 50):.1f} ms, "
        f"p99 {percentile(latencies, 99):.1f} ms; failed requests {failures}; events lost {lost}",
        flush=True,
    )
    return {
        "events_per_s": round(sent / seconds),
        "batch_p99_ms": round(percentile(latencies, 99), 2),
        "events_lost": lost,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=3000, help="batches of 100 events, in all")
    parser.add_argument("--processes", type=int, default=3, help="load generator processes")
    parser.add_argument("--connections", type=int, default=4, help="keep-alive connections per process")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quick", action="store_true", help="a short run (300 batches)")
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    args = parser.parse_args()
    if args.quick:
        args.batches = 300
    results: dict[str, dict[str, float | int]] = {}
    if args.backend != "postgresql":
        results["sqlite"] = run_backend("sqlite", fresh_sqlite("tracking"), args)
    pg = fresh_postgres("unico_bench_tracking") if args.backend != "sqlite" else None
    if args.backend == "sqlite":
        pass
    elif pg is None:
        print("[postgresql] skipped: UNICO_BENCH_POSTGRES_URL not set (make bench sets it)")
    else:
        results["postgresql"] = run_backend("postgresql", pg, args)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
