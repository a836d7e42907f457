"""Identity resolution benchmark: how fast the worker turns stored tracking events into profiles.

A realistic stream is stored through ``tracking.ingest`` (batches of 100, as ``/v1/batch`` stores
them), then ``jobs.resolve_all_identities`` is timed on SQLite and PostgreSQL. Each person sends
five events, interleaved with everyone else's in time order:

* shoppers (70%): two anonymous product views on the web, an identify (userId, email, name),
  two tracks as the known user;
* returning customers (10%): a first visit that identifies, then a later one on the app from a
  new device that identifies again with the same userId (a new anonymous id on a known profile);
* store customers (10%): anonymous browsing, an identify on the web, then at the till (a ``pos``
  source, whose anonymous ids name the device) an identify with email and loyalty card and a
  purchase carrying the card;
* anonymous visitors (8%): five anonymous events, never identified;
* two devices (2%): anonymous on a phone and on a laptop, identified on both (a merge).

Afterwards it checks that every event was resolved, that a sample of people each sit on exactly
one active profile holding nobody else's events, and prints a digest of the outcome (events,
identifiers, traits and first/last seen per profile, merges) so that two implementations can be
compared for identical results.

    python -m bench.resolution [--people 20000] [--seed 7] [--backend both|sqlite|postgresql]

Ends with one JSON line: {"sqlite": {"resolved_per_s": ..}, "postgresql": {..}}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, select

from bench.support import fresh_postgres, fresh_sqlite
from unico.core.db import Database
from unico.customers import tracking
from unico.customers.jobs import resolve_all_identities
from unico.customers.store import customer_identifiers, customer_profiles, identity_merges
from unico.customers.tracking_store import tracking_events

BATCH_SIZE = 100
SAMPLE = 500
# Fixed, in the past, and no sentAt in the batches: event times (and so the digest) repeat exactly.
BASE = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
PRODUCTS = ("Product Viewed", "Product List Viewed", "Products Searched", "Product Added", "Cart Viewed")


def _track(rng: random.Random, source: str, at: datetime, **ids: Any) -> tuple[str, dict[str, Any]]:
    sku = f"RUN-{rng.randrange(5000):05d}"
    return source, {
        "type": "track",
        "event": rng.choice(PRODUCTS),
        "properties": {"product_id": sku, "price": 89.9, "currency": "EUR"},
        "context": {"locale": "it-IT", "page": {"path": f"/p/{sku}"}},
        "timestamp": at.isoformat(),
        **ids,
    }


def _identify(source: str, at: datetime, traits: dict[str, Any], **ids: Any) -> tuple[str, dict[str, Any]]:
    return source, {"type": "identify", "traits": traits, "timestamp": at.isoformat(), **ids}


def person_events(rng: random.Random, n: int, start: datetime) -> list[tuple[str, dict[str, Any]]]:
    """The five (source, message) of person ``n``, their times from ``start`` on."""
    times = [start]
    for _ in range(4):
        times.append(times[-1] + timedelta(seconds=rng.randrange(20, 240)))
    user, anon, email = f"user-{n}", f"anon-{n}", f"person.{n}@example.it"
    traits = {"email": email, "firstName": f"Nome{n}", "lastName": f"Cognome{n}"}
    roll = rng.random()
    if roll < 0.70:
        return [
            _track(rng, "web", times[0], anonymousId=anon),
            _track(rng, "web", times[1], anonymousId=anon),
            _identify("web", times[2], traits, userId=user, anonymousId=anon),
            _track(rng, "web", times[3], userId=user, anonymousId=anon),
            _track(rng, "web", times[4], userId=user, anonymousId=anon),
        ]
    if roll < 0.80:
        later = [t + timedelta(hours=rng.randrange(4, 30)) for t in times]
        device = f"{anon}-app"
        return [
            _identify("web", times[0], traits, userId=user, anonymousId=anon),
            _track(rng, "web", times[1], userId=user, anonymousId=anon),
            _track(rng, "app", later[2], anonymousId=device),
            _identify("app", later[3], {"email": email}, userId=user, anonymousId=device),
            _track(rng, "app", later[4], userId=user, anonymousId=device),
        ]
    if roll < 0.90:
        card = f"LC{n:08d}"
        till = {"anonymousId": f"till-{n % 40}"}
        return [
            _track(rng, "web", times[0], anonymousId=anon),
            _identify("web", times[1], traits, userId=user, anonymousId=anon),
            _track(rng, "web", times[2], userId=user, anonymousId=anon),
            _identify("pos", times[3], {"email": email, "loyaltyCard": card}, **till),
            (
                "pos",
                {
                    "type": "track",
                    "event": "Order Completed",
                    "properties": {"total": 120.0, "currency": "EUR"},
                    "context": {"traits": {"loyaltyCard": card}},
                    "timestamp": times[4].isoformat(),
                    **till,
                },
            ),
        ]
    if roll < 0.98:
        return [_track(rng, "web", t, anonymousId=anon) for t in times]
    phone = f"{anon}-phone"
    return [
        _track(rng, "app", times[0], anonymousId=phone),
        _track(rng, "web", times[1], anonymousId=anon),
        _identify("web", times[2], traits, userId=user, anonymousId=anon),
        _identify("app", times[3], {}, userId=user, anonymousId=phone),  # merges the phone's profile
        _track(rng, "web", times[4], userId=user, anonymousId=anon),
    ]


def build_stream(people: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """Every person's events with a messageId naming the person, in time order."""
    rng = random.Random(seed)
    base = BASE
    stream: list[tuple[datetime, str, dict[str, Any]]] = []
    for n in range(people):
        start = base + timedelta(seconds=rng.randrange(6 * 3600))
        for k, (source, message) in enumerate(person_events(rng, n, start)):
            message["messageId"] = f"p{n}-{k}"
            stream.append((datetime.fromisoformat(message["timestamp"]), source, message))
    stream.sort(key=lambda s: s[0])
    return [(source, message) for _, source, message in stream]


def ingest_stream(db: Database, stream: list[tuple[str, dict[str, Any]]]) -> None:
    """Store the stream as clients would send it: batches of up to 100 messages per source."""
    keys = {
        kind: tracking.create_source(db, name=f"bench {kind}", kind=kind).write_key
        for kind in ("web", "app", "pos")
    }
    pending: dict[str, list[dict[str, Any]]] = defaultdict(list)

    def send(source: str) -> None:
        body = orjson.dumps({"batch": pending[source]})
        tracking.ingest(db, endpoint="batch", body=body, write_key=keys[source])
        pending[source] = []

    for source, message in stream:
        pending[source].append(message)
        if len(pending[source]) == BATCH_SIZE:
            send(source)
    for source in list(pending):
        if pending[source]:
            send(source)


def check(db: Database, people: int, seed: int) -> tuple[int, str]:
    """Assert the outcome is sound; returns (unresolved events, digest of the outcome)."""
    with db.read() as conn:
        events = conn.execute(
            select(tracking_events.c.message_id, tracking_events.c.profile_id, tracking_events.c.resolved_at)
        ).all()
        profiles = {
            r.profile_id: r
            for r in conn.execute(
                select(
                    customer_profiles.c.id,
                    customer_profiles.c.profile_id,
                    customer_profiles.c.status,
                    customer_profiles.c.traits,
                    customer_profiles.c.first_seen_at,
                    customer_profiles.c.last_seen_at,
                )
            )
        }
        identifiers = conn.execute(
            select(
                customer_identifiers.c.profile_id,
                customer_identifiers.c.kind,
                customer_identifiers.c.value,
                customer_identifiers.c.last_seen_at,
            )
        ).all()
        merges = conn.execute(select(func.count()).select_from(identity_merges)).scalar_one()
    unresolved = sum(1 for e in events if e.resolved_at is None)
    by_person: dict[str, set[str | None]] = defaultdict(set)
    people_on: dict[str | None, set[str]] = defaultdict(set)
    messages_on: dict[str, list[str]] = defaultdict(list)
    for e in events:
        person = e.message_id.split("-")[0]
        by_person[person].add(e.profile_id)
        people_on[e.profile_id].add(person)
        if e.profile_id is not None:
            messages_on[e.profile_id].append(e.message_id)
    for n in random.Random(seed).sample(range(people), min(SAMPLE, people)):
        held = by_person[f"p{n}"]
        assert len(held) == 1, f"person {n} is on {len(held)} profiles"
        [profile_id] = held
        assert profile_id is not None and profiles[profile_id].status == "active", (n, profile_id)
        assert people_on[profile_id] == {f"p{n}"}, f"profile {profile_id} mixes {people_on[profile_id]}"
    by_pk = {r.id: r.profile_id for r in profiles.values()}
    held_ids: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    for i in identifiers:
        held_ids[by_pk[i.profile_id]].append((i.kind, i.value, i.last_seen_at.isoformat()))
    outcome = sorted(
        (
            sorted(messages_on.get(p.profile_id, [])),
            sorted(held_ids.get(p.profile_id, [])),
            p.status,
            orjson.dumps(p.traits, option=orjson.OPT_SORT_KEYS).decode(),
            p.first_seen_at.isoformat() if p.first_seen_at else "",
            p.last_seen_at.isoformat() if p.last_seen_at else "",
        )
        for p in profiles.values()
        if p.status == "active"
    )
    digest = hashlib.sha256(orjson.dumps([outcome, merges])).hexdigest()[:16]
    return unresolved, digest


def run_backend(name: str, url: str, args: argparse.Namespace) -> dict[str, float | int | str]:
    db = Database(url)
    stream = build_stream(args.people, args.seed)
    started = time.perf_counter()
    ingest_stream(db, stream)
    ingest_s = time.perf_counter() - started
    started = time.perf_counter()
    resolved = resolve_all_identities(db)
    seconds = time.perf_counter() - started
    unresolved, digest = check(db, args.people, args.seed)
    with db.read() as conn:
        active = conn.execute(
            select(func.count()).select_from(customer_profiles).where(customer_profiles.c.status == "active")
        ).scalar_one()
        merges = conn.execute(select(func.count()).select_from(identity_merges)).scalar_one()
    db.dispose()
    assert resolved == len(stream) and unresolved == 0, (resolved, len(stream), unresolved)
    print(
        f"[{name}] {len(stream):,} events of {args.people:,} people stored in {ingest_s:.1f}s; "
        f"resolved in {seconds:.1f}s: {resolved / seconds:,.0f} events/s; {active:,} active profiles, "
        f"{merges} merges; outcome digest {digest}",
        flush=True,
    )
    return {"resolved_per_s": round(resolved / seconds), "seconds": round(seconds, 2), "digest": digest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20_000, help="people sending five events each")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", choices=("both", "sqlite", "postgresql"), default="both")
    args = parser.parse_args()
    results: dict[str, dict[str, float | int | str]] = {}
    if args.backend != "postgresql":
        results["sqlite"] = run_backend("sqlite", fresh_sqlite("resolution"), args)
    if args.backend != "sqlite":
        pg = fresh_postgres("unico_bench_resolution")
        if pg is None:
            print("[postgresql] skipped: UNICO_BENCH_POSTGRES_URL not set (make bench sets it)")
        else:
            results["postgresql"] = run_backend("postgresql", pg, args)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
