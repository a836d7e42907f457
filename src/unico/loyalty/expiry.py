"""Points expire when an account has had no activity for the program's ``expiry_months``.

Activity is any posting (``loyalty_accounts.last_activity_at``, kept by the ledger). An inactive
account with available points gets one ``EXPIRE`` posting (``available -X / program:expired
+X``), idempotent by ``("expiry", "<account>:<date>")``. The job is one indexed query when no
account is due.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.db import Database
from unico.core.events import DomainEvent, record_event
from unico.loyalty.configuration import settings_in
from unico.loyalty.ledger import post_in
from unico.loyalty.model import AVAILABLE, EXPIRED, Leg, PostingKind, Source
from unico.loyalty.program import months_before
from unico.loyalty.store import loyalty_accounts

BATCH = 200
MAX_BATCHES_PER_TICK = 10
SYSTEM_ACTOR = "system:loyalty"


def _due(cutoff: datetime) -> Select[Any]:
    a = loyalty_accounts.c
    return (
        select(a.account_id, a.available, a.last_activity_at)
        .where(
            a.status == "active",
            a.available > 0,
            or_(a.last_activity_at < cutoff, and_(a.last_activity_at.is_(None), a.created_at < cutoff)),
        )
        .order_by(a.id)
    )


def expire_due_in(conn: Connection, now: datetime, limit: int = BATCH) -> int:
    """Expire the available points of up to ``limit`` inactive accounts; returns how many."""
    months = settings_in(conn).expiry_months
    due = conn.execute(_due(months_before(now, months)).limit(limit).with_for_update(skip_locked=True)).all()
    for row in due:
        points = int(row.available)
        txn_id = post_in(
            conn,
            row.account_id,
            PostingKind.EXPIRE,
            Source("expiry", f"{row.account_id}:{now.date().isoformat()}"),
            [Leg(AVAILABLE, -points), Leg(EXPIRED, points)],
            actor=SYSTEM_ACTOR,
            detail={
                "inactive_since": None if row.last_activity_at is None else row.last_activity_at.isoformat(),
                "months": months,
            },
            at=now,
        )
        if txn_id is not None:
            record_event(
                conn,
                DomainEvent(
                    "loyalty.points_expired",
                    "loyalty_account",
                    row.account_id,
                    {"account_id": row.account_id, "txn_id": txn_id, "points": points, "months": months},
                ),
            )
    return len(due)


def expire_inactive(db: Database) -> int:
    """The periodic job: expire the points of accounts inactive for too long (bounded per tick)."""
    now = clock.now()
    with db.read() as conn:  # most ticks: one read, no write lock
        cutoff = months_before(now, settings_in(conn).expiry_months)
        if conn.execute(_due(cutoff).limit(1)).first() is None:
            return 0
    total = 0
    for _ in range(MAX_BATCHES_PER_TICK):
        with db.write() as conn:
            done = expire_due_in(conn, now)
        total += done
        if done < BATCH:
            break
    return total
