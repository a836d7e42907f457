"""Builders for identity tests: tracking sources, Segment messages, orders of a profile."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import select

from unico.catalog.store import categories, products, variants
from unico.core import clock
from unico.core.db import Database
from unico.customers import tracking
from unico.customers.jobs import resolve_all_identities
from unico.inventory.store import locations
from unico.orders.store import order_lines, orders

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


def minutes(n: float) -> datetime:
    """``n`` minutes after NOW minus one day (so every event is in the past of the frozen clock)."""
    return NOW - timedelta(days=1) + timedelta(minutes=n)


def iso(at: datetime) -> str:
    """A time as the API renders it."""
    return at.isoformat().replace("+00:00", "Z")


def make_sources(db: Database) -> dict[str, str]:
    """One tracking source per channel kind; kind -> write key."""
    return {
        kind: tracking.create_source(db, name=f"Sorgente {kind}", kind=kind).write_key
        for kind in ("web", "app", "pos", "contact_center")
    }


def message(
    kind: str, at: datetime, *, anon: str | None = None, user: str | None = None, **fields: Any
) -> dict:
    body: dict[str, Any] = {
        "type": kind,
        "messageId": f"m-{next(_ids)}",
        "timestamp": at.isoformat(),
        **fields,
    }
    if anon is not None:
        body["anonymousId"] = anon
    if user is not None:
        body["userId"] = user
    return body


def track(
    event: str, at: datetime, *, anon: str | None = None, user: str | None = None, **props: Any
) -> dict:
    return message("track", at, anon=anon, user=user, event=event, properties=props)


def identify(at: datetime, *, anon: str | None = None, user: str | None = None, **traits: Any) -> dict:
    return message("identify", at, anon=anon, user=user, traits=traits)


def send(db: Database, write_key: str, *messages: dict) -> None:
    """Ingest a batch as ``/v1/batch`` would (the tracking API's own entry point)."""
    tracking.ingest(db, endpoint="batch", body=orjson.dumps({"batch": list(messages)}), write_key=write_key)


def send_http(tracker: httpx.Client, write_key: str, *messages: dict) -> None:
    response = tracker.post("/v1/batch", json={"batch": list(messages)}, auth=(write_key, ""))
    assert response.status_code == 200, response.text


def resolve(db: Database) -> int:
    """Run identity resolution as the worker does, until nothing is pending."""
    return resolve_all_identities(db)


def set_category(db: Database, product_code: str, category_code: str) -> None:
    with db.write() as conn:
        existing = conn.execute(select(categories.c.id).where(categories.c.code == category_code)).scalar()
        if existing is None:
            existing = conn.execute(
                categories.insert()
                .returning(categories.c.id)
                .values(code=category_code, name_it=category_code, name_en=category_code, position=0)
            ).scalar_one()
        conn.execute(products.update().where(products.c.code == product_code).values(category_id=existing))


def add_order(
    db: Database,
    customer_id: str | None,
    *,
    order_id: str,
    channel: str,
    status: str = "completed",
    store: str | None = None,
    lines: list[tuple[str, int, int]],  # sku, quantity, unit price
    at: datetime,
) -> None:
    """An order row as the orders area stores it (no stock movement: profiles only read orders)."""
    with db.write() as conn:
        origin = (
            conn.execute(select(locations.c.id).where(locations.c.code == store)).scalar_one()
            if store
            else None
        )
        total = sum(q * p for _, q, p in lines)
        pk = conn.execute(
            orders.insert()
            .returning(orders.c.id)
            .values(
                order_id=order_id,
                channel=channel,
                status=status,
                customer_id=customer_id,
                origin_location_id=origin,
                currency="EUR",
                subtotal_minor=total,
                discount_minor=0,
                total_minor=total,
                created_at=at,
                updated_at=at,
            )
        ).scalar_one()
        for n, (sku, quantity, price) in enumerate(lines, start=1):
            variant = conn.execute(select(variants.c.id).where(variants.c.sku == sku)).scalar_one()
            conn.execute(
                order_lines.insert().values(
                    order_id=pk,
                    line_no=n,
                    variant_id=variant,
                    sku=sku,
                    quantity=quantity,
                    method="carry_out",
                    unit_price_minor=price,
                    discount_minor=0,
                    paid_minor=quantity * price,
                    status=status,
                    quantity_cancelled=0,
                )
            )


def freeze() -> clock.FrozenClock:
    frozen = clock.FrozenClock(NOW)
    clock.set_clock(frozen)
    return frozen
