"""Shared helpers of the loyalty tests: customers, enrolled accounts, points to spend."""

from __future__ import annotations

from sqlalchemy import func, select

from unico.access.model import SYSTEM
from unico.core.db import Database
from unico.customers import service as customers
from unico.loyalty import accounts, rewards
from unico.loyalty.ledger import post_in, verify_in
from unico.loyalty.model import AVAILABLE, ISSUED, Leg, PostingKind, Source
from unico.loyalty.store import (
    loyalty_entries,
    loyalty_redemptions,
    loyalty_transactions,
)
from unico.pricing.store import coupons


def make_customer(db: Database, email: str = "anna@example.it", first_name: str = "Anna") -> str:
    """A customer profile; returns its id ("cus_...")."""
    made = customers.upsert_profile(db, {"email": email}, {"first_name": first_name}, "test", "test")
    return str(made["profile_id"])


def enrolled(
    db: Database, email: str = "anna@example.it", *, points: int = 0, card: str | None = None
) -> str:
    """An enrolled customer's account id, with ``points`` available (earned from one receipt)."""
    account_id = accounts.enroll(db, make_customer(db, email), SYSTEM, physical_card=card).account_id
    if points:
        earn(db, account_id, points, f"seed-{account_id}")
    return account_id


def earn(db: Database, account_id: str, points: int, ref: str) -> str | None:
    """Points issued straight to ``available`` for receipt ``ref``."""
    with db.write() as conn:
        return post_in(
            conn,
            account_id,
            PostingKind.EARN,
            Source("receipt", ref),
            [Leg(ISSUED, -points), Leg(AVAILABLE, points)],
            actor="test",
            channel="store",
        )


def with_default_rewards(db: Database) -> None:
    with db.write() as conn:
        rewards.ensure_default_rewards_in(conn)


def problems(db: Database, account_id: str) -> list[str]:
    with db.read() as conn:
        return verify_in(conn, account_id)


def ledger_counts(db: Database) -> tuple[int, int, int, int]:
    """(transactions, entries, redemptions, coupons) in the database."""
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (loyalty_transactions, loyalty_entries, loyalty_redemptions, coupons)
        )
