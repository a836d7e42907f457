"""HTTP routes of loyalty accounts, cards, the points ledger, the rewards catalog and redemptions.

Every account view carries the balances (available, pending, lifetime earned), the tier, the
cards and the last 20 postings: what one channel shows is what all show.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep
from unico.api.schemas import StrictModel
from unico.loyalty import accounts, history, redemptions, rewards
from unico.loyalty.model import (
    AccountView,
    Balance,
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


class BalanceOut(BaseModel):
    available: int
    pending: int
    lifetime_earned: int
    tier: str


class CardOut(BaseModel):
    card_number: str
    kind: str
    status: str
    created_at: datetime


class LegOut(BaseModel):
    bucket: str
    points: int


class PostingOut(BaseModel):
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


class RedemptionSummaryOut(BaseModel):
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


class AccountOut(BaseModel):
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


class AdjustmentOut(BaseModel):
    txn_id: str | None
    replayed: bool
    account: AccountOut


class RewardOut(BaseModel):
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


class RedemptionOut(BaseModel):
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


def _balance_out(b: Balance) -> BalanceOut:
    return BalanceOut(
        available=b.available, pending=b.pending, lifetime_earned=b.lifetime_earned, tier=b.tier
    )


def _posting_out(p: Posting) -> PostingOut:
    return PostingOut(
        txn_id=p.txn_id,
        kind=p.kind,
        source_kind=p.source_kind,
        source_ref=p.source_ref,
        points=p.points,
        available_delta=p.available_delta,
        pending_delta=p.pending_delta,
        channel=p.channel,
        store=p.store,
        actor=p.actor,
        detail=p.detail,
        at=p.at,
        legs=[LegOut(bucket=leg.bucket, points=leg.points) for leg in p.legs],
    )


def _account_out(v: AccountView) -> AccountOut:
    return AccountOut(
        account_id=v.account_id,
        customer_id=v.customer_id,
        digital_card=v.digital_card,
        status=v.status,
        tier=v.tier,
        available=v.available,
        pending=v.pending,
        lifetime_earned=v.lifetime_earned,
        last_activity_at=v.last_activity_at,
        created_at=v.created_at,
        cards=[
            CardOut(card_number=c.card_number, kind=c.kind, status=c.status, created_at=c.created_at)
            for c in v.cards
        ],
        ledger=[_posting_out(p) for p in v.ledger],
        redemptions=[
            RedemptionSummaryOut(
                redemption_id=r.redemption_id,
                redemption_ref=r.redemption_ref,
                reward_code=r.reward_code,
                points=r.points,
                value_minor=r.value_minor,
                voucher_code=r.voucher_code,
                channel=r.channel,
                store=r.store,
                status=r.status,
                created_at=r.created_at,
            )
            for r in v.redemptions
        ],
    )


def _reward_out(r: Reward) -> RewardOut:
    return RewardOut(
        code=r.code,
        name_it=r.name_it,
        name_en=r.name_en,
        kind=r.kind,
        promotion_code=r.promotion_code,
        cost_points=r.cost_points,
        value_minor=r.value_minor,
        rate_minor_per_point=r.rate_minor_per_point,
        min_points=r.min_points,
        step_points=r.step_points,
        status=r.status,
        valid_days=r.valid_days,
    )


def _redemption_out(v: RedemptionView) -> RedemptionOut:
    return RedemptionOut(
        redemption_id=v.redemption_id,
        redemption_ref=v.redemption_ref,
        account_id=v.account_id,
        reward_code=v.reward_code,
        points=v.points,
        value_minor=v.value_minor,
        voucher_code=v.voucher_code,
        channel=v.channel,
        store=v.store,
        status=v.status,
        balance=_balance_out(v.balance),
        created_at=v.created_at,
        replayed=v.replayed,
    )


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
