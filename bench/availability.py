"""Availability benchmark: 20,000 SKUs x 100 locations, on SQLite and PostgreSQL.

Measures network availability for 100-SKU baskets (in process and over HTTP) and reservations
per second with 2 processes racing, then checks that nothing was oversold.

    python -m bench.availability [--skus 20000] [--locations 100] [--baskets 500]

Ends with one JSON line: {"sqlite": {...}, "postgresql": {...}} with basket_p50_ms,
basket_p99_ms, basket_http_p99_ms, reservations_per_s, oversold.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing.synchronize import Event

import httpx
from sqlalchemy import func, select, text

from bench.support import fresh_postgres, fresh_sqlite, percentile, served
from unico.access import service as access
from unico.access.model import SYSTEM
from unico.catalog.store import products, variants
from unico.core.db import Database
from unico.core.errors import InsufficientStock
from unico.core.process import freeze_startup_heap
from unico.inventory.model import Channel, Method, OwnerType, ReservationRequest
from unico.inventory.reservations import reserve_stock
from unico.inventory.service import check_availability
from unico.inventory.store import locations, stock

HOT_UNITS = 500


def build_network(db: Database, n_skus: int, n_locations: int, seed: int) -> tuple[list[str], list[str]]:
    """Locations (10% warehouses), SKUs (4 per product) and a full stock matrix, sparse in stores."""
    rng = random.Random(seed)
    at = datetime.now(UTC)
    n_warehouses = max(1, n_locations // 10)
    codes = [f"WH-{i:03d}" for i in range(n_warehouses)] + [
        f"ST-{i:03d}" for i in range(n_locations - n_warehouses)
    ]
    skus = [f"B{p:05d}-{v}" for p in range(n_skus // 4) for v in range(4)]
    with db.write() as conn:
        conn.execute(
            locations.insert(),
            [
                {
                    "code": code,
                    "name": code,
                    "type": "warehouse" if code.startswith("WH") else "store",
                    "latitude": rng.uniform(37.5, 46.5),
                    "longitude": rng.uniform(7.5, 16.5),
                    "pickup": code.startswith("ST"),
                    "reserve_in_store": code.startswith("ST"),
                    "ship_from_store": code.startswith("ST") and rng.random() < 0.5,
                    "returns": True,
                    "pickup_capacity_per_day": 40,
                    "status": "active",
                    "created_at": at,
                }
                for code in codes
            ],
        )
        conn.execute(
            products.insert(),
            [
                {
                    "code": f"B{p:05d}",
                    "name_it": f"Articolo {p}",
                    "name_en": f"Item {p}",
                    "status": "active",
                    "attributes": {},
                    "images": [],
                    "search_text": f"articolo item {p}",
                    "created_at": at,
                    "updated_at": at,
                }
                for p in range(n_skus // 4)
            ],
        )
        product_ids = dict(conn.execute(select(products.c.code, products.c.id)).all())
        conn.execute(
            variants.insert(),
            [{"sku": s, "product_id": product_ids[s.split("-")[0]], "status": "active"} for s in skus],
        )
        variant_ids = [v for (v,) in conn.execute(select(variants.c.id).order_by(variants.c.id))]
        location_ids = conn.execute(select(locations.c.id, locations.c.type).order_by(locations.c.id)).all()

    def rows():  # type: ignore[no-untyped-def]
        for vid in variant_ids:
            for lid, kind in location_ids:
                if kind == "warehouse":
                    on_hand = rng.randint(5, 200) if rng.random() < 0.85 else 0
                    safety = 0
                else:
                    on_hand = rng.randint(1, 6) if rng.random() < 0.4 else 0
                    safety = 1 if rng.random() < 0.2 else 0
                yield (vid, lid, on_hand, 0, safety, at)

    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if db.dialect == "postgresql":
            with cur.copy(  # type: ignore[attr-defined]
                "COPY stock (variant_id, location_id, on_hand, reserved, safety_stock, updated_at) FROM STDIN"
            ) as copy:
                for row in rows():
                    copy.write_row(row)
        else:
            cur.execute("BEGIN")
            cur.executemany(
                "INSERT INTO stock (variant_id, location_id, on_hand, reserved, safety_stock, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (v, loc, o, r, s, t.replace(tzinfo=None).isoformat(sep=" "))
                    for v, loc, o, r, s, t in rows()
                ),
            )
        raw.commit()
    finally:
        raw.close()
    # What autovacuum does in production after a bulk load: statistics and the visibility map
    # (so the covering index is read without visiting the table).
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with db.write() as conn:
            conn.execute(text("ANALYZE"))
    return skus, codes


def basket_in_process(db: Database, skus: list[str], baskets: int, rng: random.Random) -> list[float]:
    for _ in range(20):
        check_availability(db, rng.sample(skus, 100), channel=Channel.WEB, method=Method.HOME_DELIVERY)
    samples = []
    for _ in range(baskets):
        basket = rng.sample(skus, 100)
        started = time.perf_counter()
        check_availability(db, basket, channel=Channel.WEB, method=Method.HOME_DELIVERY)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def basket_over_http(db: Database, skus: list[str], baskets: int, rng: random.Random) -> list[float]:
    key = access.create_api_key(db, name="bench", role="integration").secret
    samples = []
    with (
        served(db.url) as base,
        httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client,
    ):
        for _ in range(20):
            client.post("/api/v1/availability", json={"skus": rng.sample(skus, 100)}).raise_for_status()
        for _ in range(baskets):
            body = {"skus": rng.sample(skus, 100), "channel": "web", "method": "home_delivery"}
            started = time.perf_counter()
            client.post("/api/v1/availability", json=body).raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    return samples


def reserve_for(
    url: str, targets: list[tuple[str, str]], seconds: float, seed: int, start: Event
) -> tuple[int, int]:
    """Reserve one unit of random (SKU, location) pairs until time is up; returns (made, refused)."""
    db = Database(url, pool_size=2)
    rng = random.Random(seed)
    start.wait(60)
    made = refused = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        sku, location = rng.choice(targets)
        try:
            reserve_stock(
                db, ReservationRequest(sku, location, 1, OwnerType.CART, f"bench-{seed}-{made}"), SYSTEM
            )
            made += 1
        except InsufficientStock:
            refused += 1
    db.dispose()
    return made, refused


def race(
    url: str, targets: list[tuple[str, str]], seconds: float, processes: int = 2
) -> tuple[int, int, float]:
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Manager().Event()
    with ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
        futures = [pool.submit(reserve_for, url, targets, seconds, i, start) for i in range(processes)]
        time.sleep(2)  # let both processes import and connect before the clock starts
        start.set()
        outcomes = [f.result() for f in futures]
    return sum(m for m, _ in outcomes), sum(r for _, r in outcomes), seconds


def oversold_rows(db: Database) -> int:
    """Stock rows promising more than they hold (reserved beyond on hand less safety stock)."""
    with db.read() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(stock)
                .where(stock.c.reserved > 0, stock.c.reserved > stock.c.on_hand - stock.c.safety_stock)
            ).scalar_one()
        )


def reserve_count(
    url: str, sku: str, location: str, attempts: int, seed: int, start: Event
) -> tuple[int, int]:
    """Make ``attempts`` one-unit reservations of one SKU; returns (made, refused)."""
    db = Database(url, pool_size=2)
    start.wait(60)
    made = refused = 0
    for i in range(attempts):
        try:
            reserve_stock(db, ReservationRequest(sku, location, 1, OwnerType.CART, f"hot-{seed}-{i}"), SYSTEM)
            made += 1
        except InsufficientStock:
            refused += 1
    db.dispose()
    return made, refused


def hot_race(url: str, sku: str, location: str, attempts: int) -> tuple[int, int]:
    """Two processes each try ``attempts`` reservations of one SKU holding HOT_UNITS units."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Manager().Event()
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as pool:
        futures = [pool.submit(reserve_count, url, sku, location, attempts, i, start) for i in range(2)]
        time.sleep(2)
        start.set()
        outcomes = [f.result() for f in futures]
    return sum(m for m, _ in outcomes), sum(r for _, r in outcomes)


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, float | int]:
    db = Database(url)
    started = time.perf_counter()
    skus, _codes = build_network(db, args.skus, args.locations, args.seed)
    with db.read() as conn:
        rows = conn.execute(select(func.count()).select_from(stock)).scalar_one()
    print(
        f"[{name}] network: {len(skus)} SKUs x {args.locations} locations = {rows} stock rows "
        f"in {time.perf_counter() - started:.1f}s",
        flush=True,
    )
    rng = random.Random(args.seed)
    freeze_startup_heap()  # as `unico serve` and `unico worker` do once started
    local = basket_in_process(db, skus, args.baskets, rng)
    print(
        f"[{name}] basket of 100 SKUs in process: p50 {percentile(local, 50):.2f} ms, "
        f"p99 {percentile(local, 99):.2f} ms ({args.baskets} baskets)",
        flush=True,
    )
    http = basket_over_http(db, skus, args.baskets, rng)
    print(
        f"[{name}] basket over HTTP: p50 {percentile(http, 50):.2f} ms, p99 {percentile(http, 99):.2f} ms",
        flush=True,
    )
    with db.read() as conn:
        targets = [
            (sku, code)
            for sku, code in conn.execute(
                select(variants.c.sku, locations.c.code)
                .select_from(
                    stock.join(variants, variants.c.id == stock.c.variant_id).join(
                        locations, locations.c.id == stock.c.location_id
                    )
                )
                .where(stock.c.on_hand - stock.c.safety_stock >= 1)
                .limit(50_000)
            )
        ]
    made, refused, seconds = race(db.url, targets, args.seconds)
    print(
        f"[{name}] reservations, 2 processes x {seconds:.0f}s on random SKUs: {made} made, "
        f"{refused} refused, {made / seconds:.0f}/s",
        flush=True,
    )
    hot_sku, hot_location = skus[0], "WH-000"
    with db.write() as conn:
        conn.execute(
            stock.update()
            .where(
                stock.c.variant_id
                == select(variants.c.id).where(variants.c.sku == hot_sku).scalar_subquery(),
                stock.c.location_id
                == select(locations.c.id).where(locations.c.code == hot_location).scalar_subquery(),
            )
            .values(on_hand=HOT_UNITS, reserved=0, safety_stock=0)
        )
    hot_made, hot_refused = hot_race(db.url, hot_sku, hot_location, HOT_UNITS)
    oversold = max(0, hot_made - HOT_UNITS) + oversold_rows(db)
    print(
        f"[{name}] one hot SKU with {HOT_UNITS} units, 2 processes x {HOT_UNITS} attempts: {hot_made} made, "
        f"{hot_refused} refused; oversold: {oversold}",
        flush=True,
    )
    db.dispose()
    return {
        "basket_p50_ms": round(percentile(local, 50), 2),
        "basket_p99_ms": round(percentile(local, 99), 2),
        "basket_http_p99_ms": round(percentile(http, 99), 2),
        "reservations_per_s": round(made / seconds),
        "oversold": oversold,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skus", type=int, default=20_000)
    parser.add_argument("--locations", type=int, default=100)
    parser.add_argument("--baskets", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of the reservation race")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    results: dict[str, dict[str, float | int]] = {
        "sqlite": run_backend("sqlite", fresh_sqlite("availability"), args)
    }
    pg = fresh_postgres("unico_bench_availability")
    if pg is None:
        print("[postgresql] skipped: UNICO_BENCH_POSTGRES_URL not set (make bench sets it)")
    else:
        results["postgresql"] = run_backend("postgresql", pg, args)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
