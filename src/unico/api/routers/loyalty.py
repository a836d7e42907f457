"""HTTP routes of loyalty accounts, cards, the points ledger, the rewards catalog and redemptions.

Every account view carries the balances (available, pending, lifetime earned), the tier, the
cards and the last 20 postings: what one channel shows is what all show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep
from unico.api.schemas import StrictModel
from unico.loyalty import accounts, history, redemptions, rewards
from unico.loyalty.model import (
    AccountView,
    Posting,
    RedemptionRequest,
    RedemptionView,
    Reward,
    RewardKind,
)

router = APIRouter(tags=["loyalty"])


# --- bodies -----------------------------------------------------------------------------------------


class EnrollIn(StrictModel):
    customer_id: str = Field(min_length=1, max_length=40)
    physical_card: str | None = Field(default=None, max_length=60)
    channel: str = Field(default="web", min_length=1, max_length=20)
    store: str | None = Field(default=None, max_length=40)


class CardIn(StrictModel):
    card_number: str = Field(min_length=1, max_length=60)


class AdjustmentIn(StrictModel):
    points: int = Field(description="Positive adds to available, negative takes away.")
    reason: str = Field(max_length=300)
    source_ref: str = Field(min_length=1, max_length=120, description="Idempotency key of this adjustment.")


class RewardIn(StrictModel):
    code: str = Field(min_length=2, max_length=40)
    name_it: str = Field(min_length=1, max_length=120)
    name_en: str = Field(min_length=1, max_length=120)
    kind: RewardKind
    promotion_code: str = Field(default="LOYALTY-VOUCHER", max_length=40)
    cost_points: int | None = None
    value_minor: int | None = None
    rate_minor_per_point: int | None = None
    min_points: int | None = None
    step_points: int | None = None
    status: str = "active"
    valid_days: int | None = None


class RedemptionIn(StrictModel):
    reward_code: str = Field(min_length=1, max_length=40)
    redemption_ref: str = Field(min_length=1, max_length=120, description="Client idempotency key.")
    channel: str = Field(min_length=1, max_length=20)
    account_id: str | None = Field(default=None, max_length=40)
    card: str | None = Field(default=None, max_length=60)
    points: int | None = Field(default=None, description="Points to spend, for points_discount rewards.")
    store: str | None = Field(default=None, max_length=40)


class CancelIn(StrictModel):
    reason: str = Field(default="", max_length=300)


# --- responses -----------------------------------------------------------------------------------


class Out(BaseModel):
    """A response read field by field from the domain's value of the same shape."""

    model_config = ConfigDict(from_attributes=True)


class BalanceOut(Out):
    available: int
    pending: int
    lifetime_earned: int
    tier: str


class CardOut(Out):
    card_number: str
    kind: str
    status: str
    created_at: datetime


class LegOut(Out):
    bucket: str
    points: int


class PostingOut(Out):
    txn_id: str
    kind: str
    source_kind: str
    source_ref: str
    points: int
    available_delta: int
    pending_delta: int
    channel: str | None
    store: str | None
    actor: str
    detail: dict[str, Any]
    at: datetime
    legs: list[LegOut]


class RedemptionSummaryOut(Out):
    redemption_id: str
    redemption_ref: str
    reward_code: str
    points: int
    value_minor: int
    voucher_code: str
    channel: str
    store: str | None
    status: str
    created_at: datetime


class AccountOut(Out):
    account_id: str
    customer_id: str
    digital_card: str
    status: str
    tier: str
    available: int
    pending: int
    lifetime_earned: int
    last_activity_at: datetime | None
    created_at: datetime
    cards: list[CardOut]
    ledger: list[PostingOut]
    redemptions: list[RedemptionSummaryOut]


class AdjustmentOut(Out):
    txn_id: str | None
    replayed: bool
    account: AccountOut


class RewardOut(Out):
    code: str
    name_it: str
    name_en: str
    kind: RewardKind
    promotion_code: str
    cost_points: int | None
    value_minor: int | None
    rate_minor_per_point: int | None
    min_points: int | None
    step_points: int | None
    status: str
    valid_days: int | None


class RedemptionOut(Out):
    redemption_id: str
    redemption_ref: str
    account_id: str
    reward_code: str
    points: int
    value_minor: int
    voucher_code: str
    channel: str
    store: str | None
    status: str
    balance: BalanceOut
    created_at: datetime
    replayed: bool


def _account_out(view: AccountView) -> AccountOut:
    return AccountOut.model_validate(view)


def _posting_out(posting: Posting) -> PostingOut:
    return PostingOut.model_validate(posting)


def _reward_out(reward: Reward) -> RewardOut:
    return RewardOut.model_validate(reward)


def _redemption_out(view: RedemptionView) -> RedemptionOut:
    return RedemptionOut.model_validate(view)


def _reward(body: RewardIn) -> Reward:
    return Reward(**body.model_dump())


# --- accounts and cards ------------------------------------------------------------------------------


@router.post("/loyalty/accounts", response_model=AccountOut, status_code=status.HTTP_201_CREATED)
def enroll(body: EnrollIn, db: DbDep, principal: PrincipalDep) -> AccountOut:
    """Enroll a customer: one account in every channel, a digital card, an optional physical card."""
    view = accounts.enroll(
        db,
        body.customer_id,
        principal,
        physical_card=body.physical_card,
        channel=body.channel,
        store=body.store,
    )
    return _account_out(view)


@router.get("/loyalty/accounts/{account_id}", response_model=AccountOut)
def get_account(account_id: str, db: DbDep, principal: PrincipalDep) -> AccountOut:
    principal.require(Permission.LOYALTY_READ)
    return _account_out(accounts.get_account(db, account_id))


@router.get("/loyalty/customers/{customer_id}", response_model=AccountOut)
def get_customer_account(customer_id: str, db: DbDep, principal: PrincipalDep) -> AccountOut:
    """The account of a customer (404 ``loyalty.not_enrolled``)."""
    principal.require(Permission.LOYALTY_READ)
    return _account_out(accounts.get_account_of_customer(db, customer_id))


@router.get("/loyalty/cards/{card}", response_model=AccountOut)
def get_card_account(card: str, db: DbDep, principal: PrincipalDep) -> AccountOut:
    """The account a scanned card belongs to (404 ``loyalty.card_unknown``)."""
    principal.require(Permission.LOYALTY_READ)
    return _account_out(accounts.get_account_by_card(db, card))


@router.post(
    "/loyalty/accounts/{account_id}/cards", response_model=AccountOut, status_code=status.HTTP_201_CREATED
)
def add_card(account_id: str, body: CardIn, db: DbDep, principal: PrincipalDep) -> AccountOut:
    """Attach a physical card (409 ``loyalty.card_taken`` if any account has it)."""
    return _account_out(accounts.add_card(db, account_id, body.card_number, principal))


@router.get("/loyalty/accounts/{account_id}/ledger", response_model=list[PostingOut])
def get_ledger(
    account_id: str, db: DbDep, principal: PrincipalDep, limit: int = 50, before: str | None = None
) -> list[PostingOut]:
    """Postings newest first; ``before`` is the ``txn_id`` of the last row of the previous page."""
    principal.require(Permission.LOYALTY_READ)
    return [_posting_out(p) for p in history.ledger(db, account_id, limit=limit, before=before)]


@router.post(
    "/loyalty/accounts/{account_id}/adjustments",
    response_model=AdjustmentOut,
    status_code=status.HTTP_201_CREATED,
)
def post_adjustment(
    account_id: str, body: AdjustmentIn, db: DbDep, principal: PrincipalDep, response: Response
) -> AdjustmentOut:
    """A manual correction, idempotent by ``source_ref`` (a replay answers 200, changes nothing)."""
    done = accounts.adjust(db, account_id, body.points, body.reason, principal, source_ref=body.source_ref)
    if done["replayed"]:
        response.status_code = status.HTTP_200_OK
    return AdjustmentOut(
        txn_id=done["txn_id"], replayed=done["replayed"], account=_account_out(done["account"])
    )


# --- rewards and redemptions ---------------------------------------------------------------------------


@router.get("/loyalty/rewards", response_model=list[RewardOut])
def list_rewards(db: DbDep, principal: PrincipalDep, status: str | None = None) -> list[RewardOut]:
    principal.require(Permission.LOYALTY_READ)
    return [_reward_out(r) for r in rewards.list_rewards(db, status)]


@router.post("/loyalty/rewards", response_model=RewardOut, status_code=status.HTTP_201_CREATED)
def create_reward(body: RewardIn, db: DbDep, principal: PrincipalDep) -> RewardOut:
    return _reward_out(rewards.create_reward(db, _reward(body), principal))


@router.put("/loyalty/rewards/{code}", response_model=RewardOut)
def update_reward(code: str, body: RewardIn, db: DbDep, principal: PrincipalDep) -> RewardOut:
    return _reward_out(rewards.update_reward(db, code, _reward(body), principal))


@router.post("/loyalty/redemptions", response_model=RedemptionOut, status_code=status.HTTP_201_CREATED)
def redeem(body: RedemptionIn, db: DbDep, principal: PrincipalDep, response: Response) -> RedemptionOut:
    """Spend points on a reward, at the till or online; the answer carries the voucher code and
    the balance after. Idempotent by ``redemption_ref``: a replay answers 200 with the first result."""
    view = redemptions.redeem(db, RedemptionRequest(**body.model_dump()), principal)
    if view.replayed:
        response.status_code = status.HTTP_200_OK
    return _redemption_out(view)


@router.post("/loyalty/redemptions/{redemption_ref}/cancel", response_model=RedemptionOut)
def cancel_redemption(
    redemption_ref: str, body: CancelIn, db: DbDep, principal: PrincipalDep
) -> RedemptionOut:
    """Give the points back and void the voucher, if the voucher was not used."""
    return _redemption_out(redemptions.cancel_redemption(db, redemption_ref, principal, reason=body.reason))
