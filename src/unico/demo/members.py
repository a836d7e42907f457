"""The demo retailer's loyalty program: members with their cards, points from their orders, and
some rewards already spent, all through the loyalty use cases so the ledger explains every point.

Customers who carry a loyalty card (about 60 %, :data:`unico.demo.people.LOYALTY_SHARE`) are
enrolled on the day they signed up, at their home store, with that physical card (the program
gives each a digital card too). While the orders run (:mod:`unico.demo.trade`), a member's order
earns its points when it completes, and a return takes the returned units' points back, each at
its own time; points pending for longer than the return window then mature, and one member in
two with at least 100 points available has turned some into a discount voucher at the till.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from unico.access.model import Principal, Role
from unico.core.db import Database
from unico.demo.people import Person
from unico.demo.timing import frozen_at
from unico.inventory.store import locations
from unico.loyalty import purchases
from unico.loyalty.accounts import enroll_in
from unico.loyalty.maturity import mature_pending
from unico.loyalty.model import RedemptionRequest
from unico.loyalty.redemptions import redeem
from unico.loyalty.rewards import ensure_default_rewards_in
from unico.loyalty.store import loyalty_accounts
from unico.orders.store import orders

ACTOR = "demo"
DEMO = Principal(kind="system", name="demo", role=Role.ADMIN)
REDEEM_EVERY = 2  # one member in two with enough points has spent some at the till
REWARD = "PUNTI-SCONTO"  # points to euro: 100 points = €1, in steps of 100
REWARD_STEP = 100
REWARD_MAX_POINTS = 500


@dataclass
class Members:
    """Who is enrolled (profile id -> account id) and what their orders did to their points."""

    accounts: dict[str, str] = field(default_factory=dict)
    earned: int = 0  # orders that earned points
    reversed: int = 0  # returns that took points back
    matured: int = 0
    redeemed: int = 0


def enroll_members(
    db: Database, people: Sequence[Person], profiles: dict[str, str], now: datetime
) -> Members:
    """Enroll every card holder on their sign-up day, with their physical card; the rewards
    catalog is set up first."""
    members = Members()
    with db.write() as conn:
        ensure_default_rewards_in(conn)
        for person in people:
            profile_id = profiles.get(person.key)
            if not person.loyalty_card or profile_id is None:
                continue
            with frozen_at(now - timedelta(days=person.signed_up_days_ago)):
                members.accounts[profile_id] = enroll_in(
                    conn,
                    profile_id,
                    actor=ACTOR,
                    physical_card=person.loyalty_card,
                    channel="store",
                    store=person.home_store,
                )
    return members


def earn_if_completed(db: Database, members: Members, order_id: str, customer_id: str | None) -> None:
    """A member's order that is now completed earns its points (once; the clock says when)."""
    if customer_id not in members.accounts:
        return
    with db.write() as conn:
        row = conn.execute(
            select(orders.c.status, orders.c.channel, locations.c.code)
            .select_from(orders.outerjoin(locations, locations.c.id == orders.c.origin_location_id))
            .where(orders.c.order_id == order_id)
        ).one()
        if row.status != "completed":
            return
        earned = purchases.earn_for_order_in(
            conn, order_id, customer_id=customer_id, channel=row.channel, store=row.code
        )
    if earned is not None:
        members.earned += 1


def reverse_returned(
    db: Database,
    members: Members,
    return_id: str,
    order_id: str,
    customer_id: str | None,
    lines: Sequence[int],
) -> None:
    """A member's return takes back the points of the returned units (``lines``: one unit of each)."""
    if customer_id not in members.accounts:
        return
    with db.write() as conn:
        taken = purchases.reverse_return_in(
            conn, return_id, order_id, [{"line_no": no, "quantity": 1} for no in lines]
        )
    if taken is not None:
        members.reversed += 1


def settle_points(db: Database, people: Sequence[Person], profiles: dict[str, str], members: Members) -> None:
    """Mature the points whose return window closed, then let one member in two with at least
    100 available points turn up to 500 of them into a voucher at their home store's till."""
    members.matured = mature_pending(db)
    with db.read() as conn:
        balances = dict(
            conn.execute(select(loyalty_accounts.c.account_id, loyalty_accounts.c.available)).all()
        )
    homes = {profiles[p.key]: p.home_store for p in people if p.key in profiles}
    rich = [
        (cid, aid) for cid, aid in sorted(members.accounts.items()) if balances.get(aid, 0) >= REWARD_STEP
    ]
    for customer_id, account_id in rich[::REDEEM_EVERY]:
        points = min(balances[account_id] // REWARD_STEP * REWARD_STEP, REWARD_MAX_POINTS)
        redeem(
            db,
            RedemptionRequest(
                REWARD,
                f"demo-till-{account_id}",
                "store",
                account_id=account_id,
                points=points,
                store=homes.get(customer_id),
            ),
            DEMO,
        )
        members.redeemed += 1
