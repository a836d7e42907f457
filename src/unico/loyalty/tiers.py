"""Tiers: a member's tier follows the points earned over the last 12 months.

Points earned are what the program issued to the member (earnings and action points, minus
reversals of returned goods): ``-sum(program:issued entries)`` of the postings of the last 12
months. A member is placed right after each earning or reversal (:func:`update_tier_in`), and
once a day the tier job places every member again (:func:`recompute_tiers`), since points also
age out of the window and tiers may have been redefined. Every change is kept in
``loyalty_tier_changes`` and announced as ``loyalty.tier_changed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from unico.core import clock
from unico.core.db import Database
from unico.core.events import DomainEvent, record_event
from unico.loyalty.configuration import ensure_default_program_in, program_in
from unico.loyalty.ledger import account_pk_in
from unico.loyalty.model import DEFAULT_TIER, ISSUED
from unico.loyalty.program import Program, Tier, months_before, tier_for
from unico.loyalty.program_store import loyalty_program_settings, loyalty_tier_changes
from unico.loyalty.store import loyalty_accounts, loyalty_entries, loyalty_transactions

WINDOW_MONTHS = 12
FULL_PASS_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class TierProgress:
    """Where a member stands: the tier, the points that count for it, and the next tier."""

    account_id: str
    tier: Tier | None
    earned_12m: int
    next_tier: Tier | None
    points_to_next: int | None


@dataclass(frozen=True)
class TierChange:
    account_id: str
    from_tier: str | None
    to_tier: str
    earned_12m: int
    reason: str
    at: datetime


def _earned_since(conn: Connection, since: datetime, account_pk: int | None = None) -> dict[int, int]:
    e, t = loyalty_entries.c, loyalty_transactions.c
    query = (
        select(e.account_id, func.sum(e.points))
        .select_from(loyalty_entries.join(loyalty_transactions, e.transaction_id == t.id))
        .where(e.bucket == ISSUED, t.at >= since)
        .group_by(e.account_id)
    )
    if account_pk is not None:
        query = query.where(e.account_id == account_pk)
    return {int(pk): -int(total) for pk, total in conn.execute(query).all()}


def earned_12m_in(conn: Connection, account_id: str, at: datetime | None = None) -> int:
    """Points earned by the member over the 12 months before ``at`` (now by default)."""
    since = months_before(at or clock.now(), WINDOW_MONTHS)
    pk = account_pk_in(conn, account_id)
    return _earned_since(conn, since, pk).get(pk, 0)


def _place(
    conn: Connection, account_id: str, current: str, earned: int, program: Program, reason: str, at: datetime
) -> str | None:
    tier = tier_for(program.tiers, earned)
    target = tier.code if tier is not None else DEFAULT_TIER
    if target == current:
        return None
    conn.execute(
        loyalty_accounts.update()
        .where(loyalty_accounts.c.account_id == account_id)
        .values(tier=target, updated_at=clock.now())
    )
    conn.execute(
        loyalty_tier_changes.insert().values(
            account_id=account_id, from_tier=current, to_tier=target, earned_12m=earned, reason=reason, at=at
        )
    )
    record_event(
        conn,
        DomainEvent(
            "loyalty.tier_changed",
            "loyalty_account",
            account_id,
            {"account_id": account_id, "from": current, "to": target, "earned_12m": earned, "reason": reason},
        ),
    )
    return target


def update_tier_in(
    conn: Connection,
    account_id: str,
    *,
    reason: str,
    program: Program | None = None,
    at: datetime | None = None,
) -> str | None:
    """Place the member in the tier its last 12 months of earnings reach; returns the new tier
    code if it changed, else None."""
    at = at or clock.now()
    program = program or program_in(conn)
    current = conn.execute(
        select(loyalty_accounts.c.tier).where(loyalty_accounts.c.account_id == account_id)
    ).scalar_one()
    return _place(conn, account_id, str(current), earned_12m_in(conn, account_id, at), program, reason, at)


def recompute_tiers(db: Database, *, force: bool = False) -> int:
    """The periodic job: once a day (or when tiers were redefined, or ``force``), place every
    active member again. Returns how many changed tier; cheap (one read) on other ticks."""
    at = clock.now()
    with db.read() as conn:
        last = conn.execute(select(loyalty_program_settings.c.tiers_recomputed_at)).first()
    if not force and last is not None and last[0] is not None and at - last[0] < FULL_PASS_EVERY:
        return 0
    with db.write() as conn:
        ensure_default_program_in(conn)
        program = program_in(conn)
        earned = _earned_since(conn, months_before(at, WINDOW_MONTHS))
        a = loyalty_accounts.c
        changed = 0
        members = conn.execute(
            select(a.id, a.account_id, a.tier).where(a.status == "active").order_by(a.id)
        ).all()
        for row in members:
            if _place(conn, row.account_id, row.tier, earned.get(int(row.id), 0), program, "recompute", at):
                changed += 1
        conn.execute(loyalty_program_settings.update().values(tiers_recomputed_at=at))
    return changed


def benefits_in(conn: Connection, tier_code: str | None) -> Tier | None:
    """The definition (multiplier, free delivery) of tier ``tier_code`` now, for whoever prices a
    member's order (``Membership.tier``); None for no or an unknown tier."""
    return program_in(conn).tier(tier_code) if tier_code else None


def list_tiers(db: Database) -> tuple[Tier, ...]:
    """The tiers in force, by threshold."""
    with db.read() as conn:
        return program_in(conn).tiers


def progress(db: Database, account_id: str) -> TierProgress:
    """The member's tier, the points counting for it and what the next tier needs (404 if the
    account is unknown)."""
    with db.read() as conn:
        program = program_in(conn)
        earned = earned_12m_in(conn, account_id)
        code = conn.execute(
            select(loyalty_accounts.c.tier).where(loyalty_accounts.c.account_id == account_id)
        ).scalar_one()
    tier = program.tier(str(code))
    above = [t for t in program.tiers if t.threshold > earned]
    following = min(above, key=lambda t: t.threshold) if above else None
    return TierProgress(
        account_id=account_id,
        tier=tier,
        earned_12m=earned,
        next_tier=following,
        points_to_next=None if following is None else following.threshold - earned,
    )


def tier_of(db: Database, account_id: str) -> Tier | None:
    """The member's current tier as defined now (None if its code is no longer defined)."""
    return progress(db, account_id).tier


def tier_changes(db: Database, account_id: str, limit: int = 20) -> list[TierChange]:
    """The member's tier changes, newest first."""
    c = loyalty_tier_changes.c
    with db.read() as conn:
        account_pk_in(conn, account_id)
        rows = conn.execute(
            select(loyalty_tier_changes)
            .where(c.account_id == account_id)
            .order_by(c.at.desc(), c.id.desc())
            .limit(limit)
        ).all()
    return [TierChange(r.account_id, r.from_tier, r.to_tier, int(r.earned_12m), r.reason, r.at) for r in rows]
