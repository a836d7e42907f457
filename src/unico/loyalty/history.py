"""Reading an account: its view (balances, cards, recent postings and redemptions) and its ledger."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.core.db import Database, among
from unico.core.errors import NotFound, ValidationFailed
from unico.loyalty.ledger import account_pk_in
from unico.loyalty.model import (
    AVAILABLE,
    PENDING,
    AccountView,
    Card,
    Leg,
    Posting,
    RedemptionSummary,
)
from unico.loyalty.store import (
    loyalty_accounts,
    loyalty_cards,
    loyalty_entries,
    loyalty_redemptions,
    loyalty_transactions,
)

RECENT = 20
MAX_PAGE = 200


def postings_in(
    conn: Connection, account_pk: int, *, limit: int = RECENT, before: str | None = None
) -> list[Posting]:
    """The account's postings, newest first, with their legs; ``before`` is a ``txn_id`` to page
    back from."""
    t = loyalty_transactions.c
    query = select(loyalty_transactions).where(t.account_id == account_pk)
    if before:
        anchor = conn.execute(
            select(t.id).where(t.txn_id == before, t.account_id == account_pk)
        ).scalar_one_or_none()
        if anchor is None:
            raise NotFound(
                f"no posting {before} on this account", code="loyalty.posting_not_found", txn_id=before
            )
        query = query.where(t.id < anchor)
    rows = conn.execute(query.order_by(t.id.desc()).limit(limit)).all()
    legs: dict[int, list[Leg]] = defaultdict(list)
    if rows:
        e = loyalty_entries.c
        for entry in conn.execute(
            select(e.transaction_id, e.bucket, e.points)
            .where(among(conn, e.transaction_id, [r.id for r in rows]))
            .order_by(e.id)
        ):
            legs[int(entry.transaction_id)].append(Leg(str(entry.bucket), int(entry.points)))
    return [
        Posting(
            txn_id=r.txn_id,
            kind=r.kind,
            source_kind=r.source_kind,
            source_ref=r.source_ref,
            points=int(r.points),
            available_delta=sum(leg.points for leg in legs[r.id] if leg.bucket == AVAILABLE),
            pending_delta=sum(leg.points for leg in legs[r.id] if leg.bucket == PENDING),
            channel=r.channel,
            store=r.store,
            actor=r.actor,
            detail=dict(r.detail or {}),
            at=r.at,
            legs=tuple(legs[r.id]),
        )
        for r in rows
    ]


def redemptions_in(conn: Connection, account_pk: int, *, limit: int = RECENT) -> list[RedemptionSummary]:
    """The account's redemptions, newest first."""
    r = loyalty_redemptions.c
    rows = conn.execute(
        select(loyalty_redemptions).where(r.account_id == account_pk).order_by(r.id.desc()).limit(limit)
    ).all()
    return [
        RedemptionSummary(
            redemption_id=row.redemption_id,
            redemption_ref=row.redemption_ref,
            reward_code=row.reward_code,
            points=int(row.points),
            value_minor=int(row.value_minor),
            voucher_code=row.voucher_code,
            channel=row.channel,
            store=row.store,
            status=row.status,
            created_at=row.created_at,
        )
        for row in rows
    ]


def account_view_in(conn: Connection, account_id: str) -> AccountView:
    """The account as every channel shows it; 404 ``loyalty.account_not_found``."""
    row = conn.execute(select(loyalty_accounts).where(loyalty_accounts.c.account_id == account_id)).first()
    if row is None:
        raise NotFound(
            f"no loyalty account {account_id}", code="loyalty.account_not_found", account_id=account_id
        )
    c = loyalty_cards.c
    cards = conn.execute(
        select(c.card_number, c.kind, c.status, c.created_at).where(c.account_id == row.id).order_by(c.id)
    ).all()
    return AccountView(
        account_id=row.account_id,
        customer_id=row.customer_id,
        digital_card=row.digital_card,
        status=row.status,
        tier=row.tier,
        available=int(row.available),
        pending=int(row.pending),
        lifetime_earned=int(row.lifetime_earned),
        last_activity_at=row.last_activity_at,
        created_at=row.created_at,
        cards=tuple(Card(k.card_number, k.kind, k.status, k.created_at) for k in cards),
        ledger=tuple(postings_in(conn, int(row.id))),
        redemptions=tuple(redemptions_in(conn, int(row.id))),
    )


def ledger(db: Database, account_id: str, limit: int = 50, before: str | None = None) -> list[Posting]:
    """A page of the account's ledger, newest first (``limit`` 1-200, ``before`` a txn_id)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(f"limit must be 1-{MAX_PAGE}", code="loyalty.bad_limit", field="limit")
    with db.read() as conn:
        return postings_in(conn, account_pk_in(conn, account_id), limit=limit, before=before)
