"""Orders benchmark: 3-line web orders end to end over HTTP, and sourcing decisions in process.

On SQLite and on PostgreSQL (UNICO_BENCH_POSTGRES_URL, as `make bench` sets): a network of 30
stores and 3 warehouses with stock for 3,000 SKUs (the availability benchmark's generator),
served by `unico serve --no-worker --workers 2`. Client processes, each with many requests in
flight, push 3-line web orders for a fixed time, after 2 s of warm-up that are not counted: 60%
home delivery, 30% click & collect at a store that holds the items, 10% mixed (two lines home,
one collected). Every order carries an Idempotency-Key, as a web shop would send. Then:
sourcing decisions in process for 3 lines over 200 candidate locations, and the oversell check
(no stock row with reserved above on hand, or on hand below zero).

    python -m bench.orders [--skus 3000] [--seconds 20] [--workers 2] [--clients 2] [--concurrency 8]
                           [--quick]

Ends with one JSON line: {"sqlite": {...}, "postgresql": {...}} with orders_per_s,
order_p50_ms, order_p99_ms, sourcing_p50_ms, oversold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import threading
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.synchronize import Event as ProcessEvent
from typing import Any

import httpx
from sqlalchemy import func, or_, select, update

from bench.availability import build_network
from bench.support import fresh_postgres, fresh_sqlite, percentile, served
from unico.access import service as access
from unico.catalog.store import variants
from unico.core.db import Database
from unico.core.process import freeze_startup_heap
from unico.fulfillment.sourcing import Candidate, SourcingLine, SourcingPolicy, source
from unico.inventory.store import locations, opening_hours, stock

STORES, WAREHOUSES = 30, 3
WARM_UP_SECONDS = 2.0
# What a multiprocessing Manager hands out (typeshed calls it a threading.Event).
Start = threading.Event | ProcessEvent


@dataclass(frozen=True)
class Menu:
    """What the clients may order: SKUs a warehouse holds, and per store the SKUs on its shelves."""

    shipped: list[str]
    shelves: dict[str, list[str]]


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)  # of the 201s
    refused: int = 0  # 409: out of stock by the time the order came
    failed: list[str] = field(default_factory=list)  # anything else


def open_stores(db: Database) -> None:
    """Opening hours for every store, every day (a store without hours never takes a pickup),
    and a daily pickup capacity high enough that the run never reaches it (it is still checked).
    """
    with db.write() as conn:
        conn.execute(update(locations).values(pickup_capacity_per_day=100_000))
        store_ids = conn.execute(select(locations.c.id).where(locations.c.type == "store")).scalars().all()
        conn.execute(
            opening_hours.insert(),
            [
                {"location_id": lid, "weekday": day, "opens": "09:00", "closes": "21:00"}
                for lid in store_ids
                for day in range(7)
            ],
        )


def load_menu(db: Database) -> Menu:
    with db.read() as conn:
        rows = conn.execute(
            select(variants.c.sku, locations.c.code, locations.c.type)
            .select_from(
                stock.join(variants, variants.c.id == stock.c.variant_id).join(
                    locations, locations.c.id == stock.c.location_id
                )
            )
            .where(stock.c.on_hand - stock.c.reserved - stock.c.safety_stock >= 2)
            .order_by(variants.c.sku, locations.c.code)
        ).all()
    shipped = sorted({sku for sku, _, kind in rows if kind == "warehouse"})
    shelves: dict[str, list[str]] = {}
    for sku, code, kind in rows:
        if kind == "store":
            shelves.setdefault(code, []).append(sku)
    return Menu(shipped, {code: skus for code, skus in shelves.items() if len(skus) >= 3})


def order_body(menu: Menu, rng: random.Random) -> dict[str, Any]:
    """A 3-line web order: home delivery, click & collect, or two lines home and one collected."""
    roll = rng.random()
    address = {
        "name": "Cliente",
        "line1": "Via Roma 1",
        "city": "Roma",
        "postcode": "00184",
        "country": "IT",
        "latitude": rng.uniform(37.5, 46.5),
        "longitude": rng.uniform(7.5, 16.5),
    }
    if roll < 0.6:
        lines = [
            {"sku": sku, "quantity": rng.randint(1, 2), "unit_price": 2990, "method": "home_delivery"}
            for sku in rng.sample(menu.shipped, 3)
        ]
    else:
        store = rng.choice(sorted(menu.shelves))
        collect = [
            {"sku": sku, "quantity": 1, "unit_price": 2990, "method": "pickup", "pickup_store": store}
            for sku in rng.sample(menu.shelves[store], 3)
        ]
        if roll < 0.9:
            lines = collect
        else:
            home = [s for s in rng.sample(menu.shipped, 3) if s not in {c["sku"] for c in collect}][:2]
            lines = [
                {"sku": sku, "quantity": 1, "unit_price": 2990, "method": "home_delivery"} for sku in home
            ] + collect[:1]
    body: dict[str, Any] = {"channel": "web", "currency": "EUR", "lines": lines}
    if any(line["method"] == "home_delivery" for line in lines):
        body["shipping_address"] = address
    return body


def push_orders(
    base: str, key: str, menu: Menu, seconds: float, concurrency: int, seed: int, start: Start
) -> Tally:
    """One client process: ``concurrency`` requests in flight for ``seconds``."""
    return asyncio.run(_push(base, key, menu, seconds, concurrency, seed, start))


async def _push(
    base: str, key: str, menu: Menu, seconds: float, concurrency: int, seed: int, start: Start
) -> Tally:
    tally = Tally()
    rng = random.Random(seed)
    url = httpx.URL(base)
    host, port = url.host, url.port or 80
    head = (
        f"POST /api/v1/orders HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
        "Content-Type: application/json\r\n"
    ).encode()
    async with httpx.AsyncClient(base_url=base) as client:
        await client.get("/readyz")
    await asyncio.to_thread(start.wait, 120)
    # The first seconds warm the server (connection pools, caches) and are not counted.
    measured_from = time.perf_counter() + WARM_UP_SECONDS
    deadline = measured_from + seconds

    async def one_lane() -> None:
        # One keep-alive HTTP/1.1 connection, written by hand so that the generator's CPU (on the
        # same two cores as the server) goes to sending rather than to a client library.
        reader, writer = await asyncio.open_connection(host, port)
        while time.perf_counter() < deadline:
            body = json.dumps(order_body(menu, rng)).encode()
            request = (
                head
                + f"Idempotency-Key: {uuid.uuid4().hex}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            began = time.perf_counter()
            writer.write(request)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            answer = await reader.readexactly(length)
            elapsed = (time.perf_counter() - began) * 1000
            if began < measured_from:
                continue
            status = int(status_line.split(b" ", 2)[1])
            if status == 201:
                tally.latencies_ms.append(elapsed)
            elif status == 409:
                tally.refused += 1
            else:
                tally.failed.append(f"{status} {answer[:200]!r}")
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(one_lane() for _ in range(concurrency)))
    return tally


def order_load(url: str, menu: Menu, args: argparse.Namespace) -> Tally:
    """Serve ``url`` with ``args.workers`` server processes; push orders from ``args.clients`` processes."""
    db = Database(url, pool_size=1)
    key = access.create_api_key(db, name="bench orders", role="integration").secret
    db.dispose()
    ctx = multiprocessing.get_context("spawn")
    total = Tally()
    with (
        served(url, workers=args.workers) as base,
        ctx.Manager() as manager,
        ProcessPoolExecutor(max_workers=args.clients, mp_context=ctx) as pool,
    ):
        start = manager.Event()
        futures = [
            pool.submit(push_orders, base, key, menu, args.seconds, args.concurrency, args.seed + i, start)
            for i in range(args.clients)
        ]
        time.sleep(2)  # let the clients import and connect before the clock starts
        start.set()
        for future in futures:
            part = future.result()
            total.latencies_ms += part.latencies_ms
            total.refused += part.refused
            total.failed += part.failed
    return total


def sourcing_candidates(skus: list[str], rng: random.Random, count: int = 200) -> list[Candidate]:
    """``count`` locations (10 warehouses) stocked as in the network above, some at capacity."""
    out = []
    for i in range(count):
        warehouse = i < 10
        available = {}
        for sku in skus:
            if warehouse and rng.random() < 0.85:
                available[sku] = rng.randint(5, 200)
            elif not warehouse and rng.random() < 0.4:
                available[sku] = rng.randint(1, 6)
        out.append(
            Candidate(
                location_id=i + 1,
                code=f"{'WH' if warehouse else 'ST'}-{i:03d}",
                type="warehouse" if warehouse else "store",
                distance_km=round(rng.uniform(1, 900), 1),
                available=available,
                capacity_left=None if warehouse else rng.choice([0, 3, 12, 40]),
                cost_per_unit=40 if warehouse else 90,
            )
        )
    return out


def sourcing_latency(skus: list[str], decisions: int, seed: int) -> list[float]:
    """Milliseconds per decision: 3 lines (1-2 units) over 200 candidates."""
    rng = random.Random(seed)
    pool = rng.sample(skus, min(len(skus), 300))
    candidates = sourcing_candidates(pool, rng)
    policy = SourcingPolicy()
    samples = []
    for n in range(decisions + 50):
        lines = [
            SourcingLine(str(i + 1), sku, rng.randint(1, 2)) for i, sku in enumerate(rng.sample(pool, 3))
        ]
        began = time.perf_counter()
        source(lines, candidates, policy)
        if n >= 50:
            samples.append((time.perf_counter() - began) * 1000)
    return samples


def oversold_rows(db: Database) -> int:
    """Stock rows holding back more than they have, or below zero."""
    with db.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(stock)
                .where(or_(stock.c.reserved > stock.c.on_hand, stock.c.on_hand < 0, stock.c.reserved < 0))
            ).scalar_one()
        )


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, float | int]:
    db = Database(url)
    began = time.perf_counter()
    skus, _codes = build_network(db, args.skus, STORES + WAREHOUSES, args.seed)
    open_stores(db)
    menu = load_menu(db)
    print(
        f"[{name}] network: {len(skus)} SKUs, {STORES} stores + {WAREHOUSES} warehouses "
        f"in {time.perf_counter() - began:.1f}s",
        flush=True,
    )
    tally = order_load(db.url, menu, args)
    placed = len(tally.latencies_ms)
    rate = placed / args.seconds
    p50 = percentile(tally.latencies_ms, 50) if placed else float("nan")
    p99 = percentile(tally.latencies_ms, 99) if placed else float("nan")
    print(
        f"[{name}] orders over HTTP, {args.workers} server processes, "
        f"{args.clients} client processes x {args.concurrency} in flight, "
        f"{args.seconds:.0f}s: {placed} placed ({rate:.0f}/s), {tally.refused} refused (409), "
        f"{len(tally.failed)} failed; p50 {p50:.2f} ms, p99 {p99:.2f} ms",
        flush=True,
    )
    for failure in sorted(set(tally.failed))[:5]:
        print(f"[{name}]   failure: {failure}", flush=True)
    freeze_startup_heap()
    decisions = sourcing_latency(skus, args.decisions, args.seed)
    sourcing_p50 = percentile(decisions, 50)
    print(
        f"[{name}] sourcing in process, 3 lines over 200 candidates: p50 {sourcing_p50:.3f} ms, "
        f"p99 {percentile(decisions, 99):.3f} ms ({len(decisions)} decisions)",
        flush=True,
    )
    oversold = oversold_rows(db)
    print(f"[{name}] oversold stock rows: {oversold}", flush=True)
    db.dispose()
    return {
        "orders_per_s": round(rate, 1),
        "order_p50_ms": round(p50, 2),
        "order_p99_ms": round(p99, 2),
        "sourcing_p50_ms": round(sourcing_p50, 3),
        "oversold": oversold,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skus", type=int, default=3_000)
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of the order load")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight per client process")
    parser.add_argument("--decisions", type=int, default=2_000, help="sourcing decisions to time")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quick", action="store_true", help="a short smoke run (400 SKUs, 3 s)")
    args = parser.parse_args()
    if args.quick:
        args.skus, args.seconds, args.decisions = 400, 3.0, 300
    results: dict[str, dict[str, float | int]] = {
        "sqlite": run_backend("sqlite", fresh_sqlite("orders"), args)
    }
    pg = fresh_postgres("unico_bench_orders")
    if pg is None:
        print("[postgresql] skipped: UNICO_BENCH_POSTGRES_URL not set (make bench sets it)")
    else:
        results["postgresql"] = run_backend("postgresql", pg, args)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
