"""Redeeming a reward for a customer at the till.

The associate picks a reward (a voucher, or a points discount with the points the customer wants
to spend), checks what it is worth on a confirmation step and confirms. The redemption is made in
the store channel at the associate's store, with the reference the form was rendered with: a
double tap, or the browser sending the form again, redeems once and shows the same voucher.
A refusal (more points than available, below the minimum, not a multiple of the step) is shown
on the page and records nothing.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from unico.access.model import Permission
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.console.views.loyalty_page import (
    Customer,
    Quote,
    Till,
    account_page,
    customer_of,
    new_ref,
    parse_points,
)
from unico.console.views.order_desk import PageError, working_store
from unico.core.db import Database
from unico.core.errors import Conflict, UnicoError, ValidationFailed
from unico.inventory.model import Channel
from unico.loyalty import accounts, redemptions, rewards
from unico.loyalty.model import RedemptionRequest, Reward, RewardKind

router = APIRouter(dependencies=[Depends(require_csrf)])

FormStr = Annotated[str, Form()]


def _reward(db: Database, code: str) -> Reward:
    """The active reward the associate picked; 422 when none was picked or it is not offered."""
    if not code.strip():
        raise ValidationFailed("choose a reward", code="console.reward_required", field="reward")
    wanted = code.strip().upper()
    for reward in rewards.list_rewards(db, status="active"):
        if reward.code == wanted:
            return reward
    raise ValidationFailed(f"reward {code} is not offered", code="loyalty.reward_inactive", field="reward")


def _quote(db: Database, customer: Customer, reward: Reward, typed: str, *, check_balance: bool) -> Quote:
    """What the redemption would spend and be worth; ``check_balance`` also compares it with the
    balance now (the confirmation step: the redemption itself checks again, atomically)."""
    points = parse_points(typed, required=True) if reward.kind is RewardKind.POINTS_DISCOUNT else None
    spent, value = rewards.redemption_value(reward, points)
    if not check_balance:
        return Quote(reward, spent, value)
    available = accounts.get_account_of_customer(db, customer.customer_id).available
    if spent > available:
        raise Conflict(
            f"{available} points available, {spent} asked",
            code="loyalty.insufficient_points",
            available=available,
            requested=spent,
        )
    return Quote(reward, spent, value)


@router.post("/customers/{customer_id}/loyalty/redeem")
def redeem(
    request: Request,
    db: DbDep,
    staff: StaffDep,
    customer_id: str,
    redemption_ref: FormStr = "",
    reward: FormStr = "",
    points: FormStr = "",
    store: FormStr = "",
    confirm: FormStr = "",
) -> Response:
    """Without ``confirm``: the confirmation step (what is spent, what it is worth). With it: the
    redemption, then the voucher code, its value and the new balance."""
    staff.principal.require(Permission.LOYALTY_WRITE)
    customer = customer_of(db, customer_id)
    shop = working_store(staff, store)
    ref = redemption_ref.strip() or new_ref()
    till = Till(ref=ref, reward_code=reward.strip().upper(), points=points)
    try:
        if not shop:
            raise ValidationFailed("choose the store", code="console.store_required", field="store")
        chosen = _reward(db, reward)
        # A confirmed form sent twice must reach the redemption, which answers the first voucher.
        quote = _quote(db, customer, chosen, points, check_balance=confirm != "yes")
        if confirm != "yes":
            till.confirm = quote
            return account_page(request, db, staff, customer, shop=shop, till=till)
        held = accounts.get_account_of_customer(db, customer.customer_id)
        done = redemptions.redeem(
            db,
            RedemptionRequest(
                reward_code=chosen.code,
                redemption_ref=ref,
                channel=Channel.STORE,
                account_id=held.account_id,
                points=quote.points if chosen.kind is RewardKind.POINTS_DISCOUNT else None,
                store=shop,
            ),
            staff.principal,
        )
    except UnicoError as refused:
        till.error = PageError.of(refused)
        return account_page(request, db, staff, customer, shop=shop, till=till, status_code=refused.status)
    # The next redemption gets a new reference; this one stays answered by the voucher above.
    return account_page(request, db, staff, customer, shop=shop, till=Till(done=done))
