"""Pending points become available once the return window of their purchase has closed.

Each due earning gets one ``MATURE`` posting (``pending -P / available +P``) for what is still
pending of it (returns may have taken some back), idempotent by ``("mature", earn txn id)``, and
is marked matured. The periodic job is one indexed query when nothing is due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.db import Database
from unico.core.events import DomainEvent, record_event
from unico.loyalty.ledger import account_pk_in, post_in
from unico.loyalty.model import AVAILABLE, PENDING, Leg, PostingKind, Source
from unico.loyalty.program_store import loyalty_earnings

BATCH = 200
MAX_BATCHES_PER_TICK = 10
SYSTEM_ACTOR = "system:loyalty"


@dataclass(frozen=True)
class PendingLot:
    """Points of one purchase still pending, and when they become available."""

    txn_id: str
    source_kind: str
    source_ref: str
    points: int
    earned_at: datetime
    matures_at: datetime


def mature_due_in(conn: Connection, now: datetime, limit: int = BATCH) -> int:
    """Mature up to ``limit`` earnings due at ``now`` in the caller's transaction; returns how many."""
    e = loyalty_earnings.c
    due = conn.execute(
        select(e.id, e.txn_id, e.account_id, e.pending_points, e.channel, e.store)
        .where(e.state == "pending", e.matures_at <= now)
        .order_by(e.matures_at, e.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in due:
        points = int(row.pending_points)
        if points > 0:
            txn_id = post_in(
                conn,
                row.account_id,
                PostingKind.MATURE,
                Source("mature", row.txn_id),
                [Leg(PENDING, -points), Leg(AVAILABLE, points)],
                actor=SYSTEM_ACTOR,
                channel=row.channel,
                store=row.store,
                detail={"earn_txn_id": row.txn_id},
                allow_negative=True,
            )
            if txn_id is not None:
                record_event(
                    conn,
                    DomainEvent(
                        "loyalty.points_matured",
                        "loyalty_account",
                        row.account_id,
                        {
                            "account_id": row.account_id,
                            "txn_id": txn_id,
                            "earn_txn_id": row.txn_id,
                            "points": points,
                        },
                    ),
                )
        conn.execute(
            loyalty_earnings.update()
            .where(e.id == row.id)
            .values(state="matured", pending_points=0, matured_at=now)
        )
    return len(due)


def mature_pending(db: Database) -> int:
    """The periodic job: mature every earning whose window has closed (bounded per tick)."""
    now = clock.now()
    e = loyalty_earnings.c
    with db.read() as conn:  # most ticks: one indexed read, no write lock
        if (
            conn.execute(select(e.id).where(e.state == "pending", e.matures_at <= now).limit(1)).first()
            is None
        ):
            return 0
    total = 0
    for _ in range(MAX_BATCHES_PER_TICK):
        with db.write() as conn:
            done = mature_due_in(conn, now)
        total += done
        if done < BATCH:
            break
    return total


def pending_lots(db: Database, account_id: str) -> list[PendingLot]:
    """The member's points still pending, soonest to mature first (404 if no such account)."""
    e = loyalty_earnings.c
    with db.read() as conn:
        account_pk_in(conn, account_id)
        rows = conn.execute(
            select(e.txn_id, e.source_kind, e.source_ref, e.pending_points, e.earned_at, e.matures_at)
            .where(e.account_id == account_id, e.state == "pending", e.pending_points > 0)
            .order_by(e.matures_at, e.id)
        ).all()
    return [
        PendingLot(r.txn_id, r.source_kind, r.source_ref, int(r.pending_points), r.earned_at, r.matures_at)
        for r in rows
    ]
