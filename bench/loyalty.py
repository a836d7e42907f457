"""Loyalty ledger benchmark: double-entry postings per second.

On SQLite with 1 process and on PostgreSQL (UNICO_BENCH_POSTGRES_URL, as `make bench` sets) with
2 processes racing. 5,000 enrolled accounts; each process posts, for a fixed time after 1 s of
warm-up that is not counted, one posting per unit of work (one transaction, committed): 80% earn
postings (``program:issued`` -> ``available``, a POS receipt with its own source) and 20% debits
of ``available`` (a redemption's conditional UPDATE), on random accounts, so the two processes
contend for the same account rows. Each posting is idempotent by its source: one insert with
ON CONFLICT DO NOTHING, one conditional balance UPDATE, two entry rows. At the end every account's
cached balances must equal the sums of its entries (``mismatched`` counts those that do not).

    python -m bench.loyalty [--accounts 5000] [--seconds 10] [--processes 2] [--quick]

Ends with one JSON line: {"sqlite": {"postings_per_s": ...}, "postgresql": {"postings_per_s": ...}}.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from sqlalchemy import func, select

from bench.support import fresh_postgres, fresh_sqlite, percentile
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict
from unico.loyalty.ledger import post_in
from unico.loyalty.model import AVAILABLE, ISSUED, REDEEMED, Leg, PostingKind, Source
from unico.loyalty.store import loyalty_accounts, loyalty_entries

WARM_UP_S = 1.0


def build_accounts(url: str, count: int) -> list[str]:
    """``count`` active accounts (bulk inserted: enrolment is not what is measured)."""
    db = Database(url)
    now = clock.now()
    ids = [f"LABENCH{n:06d}" for n in range(count)]
    with db.write() as conn:
        conn.execute(
            loyalty_accounts.insert(),
            [
                {
                    "account_id": account_id,
                    "customer_id": f"cus_bench_{n:06d}",
                    "digital_card": f"UDB{n:09d}",
                    "tier": "base",
                    "available": 0,
                    "pending": 0,
                    "lifetime_earned": 0,
                    "status": "active",
                    "created_at": now,
                    "updated_at": now,
                }
                for n, account_id in enumerate(ids)
            ],
        )
    db.dispose()
    return ids


def post_for(
    url: str, tag: str, accounts: list[str], seconds: float, start: Any, seed: int, threads: int
) -> dict[str, Any]:
    """Post from ``threads`` threads (one connection each, as a server's request workers) for
    ``seconds`` after the warm-up; returns counts and latencies of the measured part."""
    db = Database(url, pool_size=threads)
    start.wait(60)
    began = time.perf_counter()
    measure_from, until = began + WARM_UP_S, began + WARM_UP_S + seconds
    results: list[tuple[int, int, list[float]]] = []

    def run(worker: int) -> None:
        rng = random.Random(seed * 1000 + worker)
        posted = refused = n = 0
        latencies: list[float] = []
        while True:
            now = time.perf_counter()
            if now >= until:
                break
            account_id = rng.choice(accounts)
            n += 1
            points = rng.randint(1, 300)
            if rng.random() < 0.8:
                kind, legs = PostingKind.EARN, [Leg(ISSUED, -points), Leg(AVAILABLE, points)]
                source = Source("receipt", f"{tag}-{worker}-{n}")
            else:
                kind, legs = PostingKind.REDEEM, [Leg(AVAILABLE, -points), Leg(REDEEMED, points)]
                source = Source("redemption", f"{tag}-{worker}-{n}")
            try:
                with db.write() as conn:
                    post_in(conn, account_id, kind, source, legs, actor="bench", channel="store")
                ok = True
            except Conflict:
                ok = False
            done = time.perf_counter()
            if now >= measure_from:
                latencies.append((done - now) * 1000)
                posted += ok
                refused += not ok
        results.append((posted, refused, latencies))

    workers = [threading.Thread(target=run, args=(w,)) for w in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    db.dispose()
    return {
        "posted": sum(r[0] for r in results),
        "refused": sum(r[1] for r in results),
        "latencies": [ms for r in results for ms in r[2]],
    }


def mismatched_accounts(url: str) -> int:
    """Accounts whose cached available differs from the sum of their available entries."""
    db = Database(url)
    e, a = loyalty_entries.c, loyalty_accounts.c
    sums = (
        select(e.account_id, func.sum(e.points).label("total"))
        .where(e.bucket == AVAILABLE)
        .group_by(e.account_id)
        .subquery()
    )
    with db.read() as conn:
        rows = conn.execute(
            select(a.available, func.coalesce(sums.c.total, 0)).select_from(
                loyalty_accounts.outerjoin(sums, sums.c.account_id == a.id)
            )
        ).all()
        negative = conn.execute(select(func.count()).where(a.available < 0)).scalar_one()
    db.dispose()
    return sum(1 for cached, summed in rows if int(cached) != int(summed)) + int(negative)


def run_backend(
    name: str, url: str, processes: int, threads: int, args: argparse.Namespace
) -> dict[str, Any]:
    accounts = build_accounts(url, args.accounts)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager, ProcessPoolExecutor(max_workers=processes, mp_context=ctx) as pool:
        start = manager.Barrier(processes)
        futures = [
            pool.submit(post_for, url, f"{name}{p}", accounts, args.seconds, start, args.seed + p, threads)
            for p in range(processes)
        ]
        results = [f.result(timeout=args.seconds + 120) for f in futures]
    posted = sum(r["posted"] for r in results)
    refused = sum(r["refused"] for r in results)
    latencies = [ms for r in results for ms in r["latencies"]]
    rate = (posted + refused) / args.seconds
    mismatched = mismatched_accounts(url)
    print(
        f"[{name}] {processes} process(es) x {threads} thread(s), {args.accounts} accounts, "
        f"{args.seconds:.0f} s: "
        f"{posted} postings + {refused} refused debits = {rate:,.0f} postings/s; "
        f"p50 {percentile(latencies, 50):.2f} ms, p99 {percentile(latencies, 99):.2f} ms; "
        f"mismatched balances {mismatched}",
        flush=True,
    )
    return {
        "postings_per_s": round(rate, 1),
        "processes": processes,
        "threads": threads,
        "posting_p50_ms": round(percentile(latencies, 50), 2),
        "posting_p99_ms": round(percentile(latencies, 99), 2),
        "refused_debits": refused,
        "mismatched": mismatched,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured duration per backend")
    parser.add_argument("--processes", type=int, default=2, help="posting processes on PostgreSQL")
    parser.add_argument(
        "--threads", type=int, default=4, help="connections per PostgreSQL process (SQLite: 1 writer)"
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quick", action="store_true", help="a short smoke run (500 accounts, 2 s)")
    args = parser.parse_args()
    if args.quick:
        args.accounts, args.seconds = 500, 2.0
    results: dict[str, dict[str, Any]] = {
        "sqlite": run_backend("sqlite", fresh_sqlite("loyalty"), 1, 1, args)
    }
    pg = fresh_postgres("unico_bench_loyalty")
    if pg is None:
        print("[postgresql] skipped: UNICO_BENCH_POSTGRES_URL not set (make bench sets it)")
    else:
        results["postgresql"] = run_backend("postgresql", pg, args.processes, args.threads, args)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
