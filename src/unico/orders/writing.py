"""Writing a new order on PostgreSQL in one statement.

An order is ten inserts (the order, its lines, tasks, allocations, reservations, the day's task
counts, the sourcing decision, timeline, outbox events, the idempotency key). Sent one by one
they cost ten round trips and ten times the driver's work; here they travel as one statement of
data-modifying CTEs fed by JSON arrays, inside the caller's transaction, with the same rows and
the same guarantees (the idempotency key is claimed with ``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.engine import Connection

from unico.core.ids import new_id
from unico.fulfillment.work import TaskKey
from unico.inventory.model import ReservationStatus
from unico.orders.holds import NewReservation
from unico.orders.lifecycle import TaskKind, TaskStatus
from unico.orders.network import local_day
from unico.orders.records import Allocation, Journal, Line, OrderState


@dataclass
class Draft:
    """A new order fully decided in memory, ready to be written."""

    head: dict[str, Any]
    state: OrderState
    placed: list[tuple[Line, Allocation, TaskKey | None]]
    made: list[NewReservation]
    sold: list[tuple[Line, int, int]]
    task_ids: dict[TaskKey, str]
    decision: dict[str, Any] | None
    journal: Journal
    doc: dict[str, Any]


_WRITE_ORDER_SQL = """
    WITH o AS (
        INSERT INTO orders (order_id, channel, status, customer_id, customer_email, customer_name,
                            customer_phone, shipping_address, origin_location_id, associate, currency,
                            subtotal_minor, discount_minor, total_minor, cart_id, expires_at, pricing,
                            created_at, updated_at)
        SELECT h.order_id, h.channel, h.status, h.customer_id, h.customer_email, h.customer_name,
               h.customer_phone, h.shipping_address, h.origin_location_id, h.associate, h.currency,
               h.subtotal_minor, h.discount_minor, h.total_minor, h.cart_id, h.expires_at, h.pricing,
               :at, :at
        FROM jsonb_populate_record(NULL::orders, CAST(:head AS jsonb)) h
        RETURNING id
    ), l AS (
        INSERT INTO order_lines (order_id, line_no, variant_id, sku, quantity, method, pickup_location_id,
                                 unit_price_minor, discount_minor, paid_minor, status, quantity_cancelled)
        SELECT o.id, x.line_no, x.variant_id, x.sku, x.quantity, x.method, x.pickup_location_id,
               x.unit_price_minor, x.discount_minor, x.paid_minor, x.status, 0
        FROM o, jsonb_populate_recordset(NULL::order_lines, CAST(:lines AS jsonb)) x
        RETURNING id, line_no
    ), t AS (
        INSERT INTO fulfillment_tasks (task_id, order_id, location_id, kind, status,
                                       destination_location_id, created_at, updated_at)
        SELECT x.task_id, o.id, x.location_id, x.kind, x.status, x.destination_location_id, :at, :at
        FROM o, jsonb_populate_recordset(NULL::fulfillment_tasks, CAST(:tasks AS jsonb)) x
        RETURNING id, task_id
    ), a AS (
        INSERT INTO order_allocations (line_id, location_id, quantity, reservation_id, status, task_id,
                                       updated_at)
        SELECT l.id, x.location_id, x.quantity, x.reservation_id, x.status, t.id, :at
        FROM jsonb_to_recordset(CAST(:allocations AS jsonb)) AS x(line_no int, location_id bigint,
             quantity int, reservation_id text, status text, task_ref text)
        JOIN l ON l.line_no = x.line_no
        LEFT JOIN t ON t.task_id = x.task_ref
    ), r AS (
        INSERT INTO reservations (reservation_id, variant_id, location_id, quantity, owner_type, owner_id,
                                  channel, status, created_at, end_reason)
        SELECT x.reservation_id, x.variant_id, x.location_id, x.quantity, x.owner_type, x.owner_id,
               x.channel, x.status, :at, ''
        FROM jsonb_populate_recordset(NULL::reservations, CAST(:reservations AS jsonb)) x
    ), ld AS (
        INSERT INTO fulfillment_load (location_id, day, tasks)
        SELECT x.location_id, x.day, x.tasks
        FROM jsonb_populate_recordset(NULL::fulfillment_load, CAST(:load AS jsonb)) x
        ON CONFLICT (location_id, day) DO UPDATE SET tasks = fulfillment_load.tasks + excluded.tasks
    ), sd AS (
        INSERT INTO sourcing_decisions (order_id, line_refs, plan, created_at)
        SELECT o.id, x.line_refs, x.plan, :at
        FROM o, jsonb_populate_recordset(NULL::sourcing_decisions, CAST(:decisions AS jsonb)) x
    ), tl AS (
        INSERT INTO order_timeline (order_id, at, kind, message, actor, detail)
        SELECT o.id, :at, x.kind, x.message, x.actor, x.detail
        FROM o, ROWS FROM (jsonb_populate_recordset(NULL::order_timeline, CAST(:timeline AS jsonb)))
             WITH ORDINALITY x
        ORDER BY x.ordinality
    ), ev AS (
        INSERT INTO outbox_events (event_id, type, aggregate_type, aggregate_id, payload, occurred_at)
        SELECT x.event_id, x.type, x.aggregate_type, x.aggregate_id, x.payload, :at
        FROM ROWS FROM (jsonb_populate_recordset(NULL::outbox_events, CAST(:events AS jsonb)))
             WITH ORDINALITY x
        ORDER BY x.ordinality
    ), ik AS (
        INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response, created_at)
        SELECT x.scope, x.key, x.request_hash, x.status_code, x.response, :at
        FROM jsonb_populate_recordset(NULL::idempotency_keys, CAST(:keys AS jsonb)) x
        ON CONFLICT DO NOTHING
        RETURNING key
    )
    SELECT (SELECT id FROM o) AS order_pk, (SELECT count(*) FROM ik) AS remembered
"""
# Whitespace collapsed: psycopg caches the conversion of statements up to 4 kB only.
_WRITE_ORDER = text(" ".join(_WRITE_ORDER_SQL.split()))


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def write_new_order(
    conn: Connection, draft: Draft, at: datetime, remember: tuple[str, str, str] | None
) -> bool:
    """Insert everything of ``draft`` in one statement; ``remember`` is (scope, key, digest).
    Returns False when another request already holds the idempotency key (the caller rolls back)."""
    state = draft.state
    day = local_day(at).isoformat()
    load: dict[int, int] = {}
    for key in draft.task_ids:
        load[key.location_id] = load.get(key.location_id, 0) + 1
    row = conn.execute(
        _WRITE_ORDER,
        {
            "at": at,
            "head": _json({k: v for k, v in draft.head.items() if k not in ("created_at", "updated_at")}),
            "lines": _json(
                [
                    {
                        "line_no": ln.line_no,
                        "variant_id": ln.variant_id,
                        "sku": ln.sku,
                        "quantity": ln.quantity,
                        "method": ln.method,
                        "pickup_location_id": ln.pickup_location_id,
                        "unit_price_minor": ln.unit_price,
                        "discount_minor": ln.discount,
                        "paid_minor": ln.paid,
                        "status": ln.status,
                    }
                    for ln in state.lines
                ]
            ),
            "tasks": _json(
                [
                    {
                        "task_id": task_id,
                        "location_id": key.location_id,
                        "kind": key.kind.value,
                        "status": (
                            TaskStatus.IN_TRANSIT
                            if key.kind is TaskKind.RECEIVE_FOR_PICKUP
                            else TaskStatus.OPEN
                        ).value,
                        "destination_location_id": key.destination_id,
                    }
                    for key, task_id in draft.task_ids.items()
                ]
            ),
            "allocations": _json(
                [
                    {
                        "line_no": line.line_no,
                        "location_id": a.location_id,
                        "quantity": a.quantity,
                        "reservation_id": a.reservation_id,
                        "status": a.status.value,
                        "task_ref": draft.task_ids[key] if key else None,
                    }
                    for line, a, key in draft.placed
                ]
            ),
            "reservations": _json(
                [
                    {
                        "reservation_id": r.reservation_id,
                        "variant_id": r.variant_id,
                        "location_id": r.location_id,
                        "quantity": r.quantity,
                        "owner_type": r.owner_type,
                        "owner_id": r.owner_id,
                        "channel": r.channel,
                        "status": ReservationStatus.ACTIVE.value,
                    }
                    for r in draft.made
                ]
            ),
            "load": _json([{"location_id": lid, "day": day, "tasks": n} for lid, n in sorted(load.items())]),
            "decisions": _json([draft.decision] if draft.decision else []),
            "timeline": _json(
                [
                    {"kind": r["kind"], "message": r["message"], "actor": r["actor"], "detail": r["detail"]}
                    for r in draft.journal.rows
                ]
            ),
            "events": _json(
                [
                    {
                        "event_id": new_id("evt"),
                        "type": e.type,
                        "aggregate_type": e.aggregate_type,
                        "aggregate_id": e.aggregate_id,
                        "payload": e.payload,
                    }
                    for e in draft.journal.events
                ]
            ),
            "keys": _json(
                [
                    {
                        "scope": remember[0],
                        "key": remember[1],
                        "request_hash": remember[2],
                        "status_code": 201,
                        "response": draft.doc,
                    }
                ]
                if remember
                else []
            ),
        },
    ).one()
    state.id = int(row.order_pk)
    draft.journal.rows, draft.journal.events = [], []
    return remember is None or int(row.remembered) == 1
