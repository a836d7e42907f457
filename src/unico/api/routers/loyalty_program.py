"""HTTP routes of the loyalty program: POS receipts (single and an offline till's replay),
rewarded actions, earning rules, tiers and settings, a member's tier progress and pending points.

Program definitions are checked by the domain (``loyalty.program_invalid`` with the offending
``field``), so bodies here only fix the types.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep
from unico.api.schemas import StrictModel
from unico.loyalty import actions, configuration, maturity, receipts, tiers
from unico.loyalty.program import Action, EarningRule, Program, ProgramSettings, RuleKind, Tier

router = APIRouter(tags=["loyalty program"])


# --- receipts ---------------------------------------------------------------------------------


class ReceiptLineIn(StrictModel):
    sku: str = Field(min_length=1, max_length=40)
    quantity: int
    net_minor: int = Field(description="Paid for the line, all units, VAT included, after discounts.")


class ReceiptIn(StrictModel):
    receipt_id: str = Field(
        min_length=1, max_length=80, description="Unique per receipt: the idempotency key."
    )
    store: str = Field(min_length=1, max_length=40)
    till: str = Field(default="", max_length=40)
    card: str | None = Field(default=None, max_length=60)
    customer_id: str | None = Field(default=None, max_length=40)
    lines: list[ReceiptLineIn] = Field(max_length=receipts.MAX_LINES)
    at: datetime = Field(description="When the sale happened at the till (with time zone).")


class ReceiptBatchIn(StrictModel):
    receipts: list[ReceiptIn] = Field(max_length=receipts.MAX_BATCH)


class ReceiptOut(BaseModel):
    receipt_id: str
    status: str
    account_id: str
    points: int
    txn_id: str | None
    explanation_en: str
    explanation_it: str


class ReceiptBatchOut(BaseModel):
    results: list[ReceiptOut]
    recorded: int
    already_recorded: int


def _receipt(body: ReceiptIn) -> receipts.Receipt:
    return receipts.Receipt(
        receipt_id=body.receipt_id,
        store=body.store,
        till=body.till,
        lines=tuple(receipts.ReceiptLine(x.sku, x.quantity, x.net_minor) for x in body.lines),
        at=body.at,
        card=body.card,
        customer_id=body.customer_id,
    )


def _receipt_out(result: receipts.ReceiptResult) -> ReceiptOut:
    return ReceiptOut(**result.__dict__)


@router.post("/loyalty/receipts", response_model=ReceiptOut, status_code=status.HTTP_201_CREATED)
def post_receipt(body: ReceiptIn, db: DbDep, principal: PrincipalDep, response: Response) -> ReceiptOut:
    """Points for a POS sale, pending until the return window closes. Sending the same receipt
    again answers 200 ``already_recorded`` and changes nothing."""
    result = receipts.record_receipt(db, _receipt(body), principal)
    if result.status == "already_recorded":
        response.status_code = status.HTTP_200_OK
    return _receipt_out(result)


@router.post("/loyalty/receipts/batch", response_model=ReceiptBatchOut)
def post_receipts(body: ReceiptBatchIn, db: DbDep, principal: PrincipalDep) -> ReceiptBatchOut:
    """An offline till's replay: every receipt recorded once, whatever was sent before. One bad
    receipt rejects the batch with nothing recorded."""
    results = [
        _receipt_out(r) for r in receipts.record_receipts(db, [_receipt(x) for x in body.receipts], principal)
    ]
    return ReceiptBatchOut(
        results=results,
        recorded=sum(1 for r in results if r.status == "recorded"),
        already_recorded=sum(1 for r in results if r.status == "already_recorded"),
    )


class ReturnedLineIn(StrictModel):
    line_no: int = Field(description="The receipt line's position, from 1.")
    quantity: int


class ReceiptReturnIn(StrictModel):
    return_id: str = Field(min_length=1, max_length=80, description="Unique per return: the idempotency key.")
    receipt_id: str = Field(min_length=1, max_length=80)
    store: str = Field(min_length=1, max_length=40)
    lines: list[ReturnedLineIn] = Field(max_length=receipts.MAX_LINES)


class ReceiptReturnOut(BaseModel):
    return_id: str
    status: str
    account_id: str
    points: int
    txn_id: str | None


@router.post(
    "/loyalty/receipts/returns", response_model=ReceiptReturnOut, status_code=status.HTTP_201_CREATED
)
def post_receipt_return(
    body: ReceiptReturnIn, db: DbDep, principal: PrincipalDep, response: Response
) -> ReceiptReturnOut:
    """Goods of a receipt returned at a till: their points are taken back (pending first). The
    same ``return_id`` again answers 200 ``already_recorded``."""
    returned = receipts.ReceiptReturn(
        body.return_id,
        body.receipt_id,
        body.store,
        tuple(receipts.ReturnedLine(x.line_no, x.quantity) for x in body.lines),
    )
    result = receipts.record_receipt_return(db, returned, principal)
    if result.status == "already_recorded":
        response.status_code = status.HTTP_200_OK
    return ReceiptReturnOut(**result.__dict__)


# --- actions ----------------------------------------------------------------------------------


class ActionIn(StrictModel):
    customer_id: str = Field(min_length=1, max_length=40)
    action: str = Field(min_length=1, max_length=20, description="review | app_install | newsletter")
    ref: str = Field(min_length=1, max_length=80, description="What was done: a review id, a device id...")


class ActionOut(BaseModel):
    status: str
    account_id: str
    action: str
    ref: str
    points: int
    txn_id: str


@router.post("/loyalty/actions", response_model=ActionOut, status_code=status.HTTP_201_CREATED)
def post_action(body: ActionIn, db: DbDep, principal: PrincipalDep, response: Response) -> ActionOut:
    """Points for a review, an app install, a newsletter sign-up (as the rules say)."""
    result = actions.record_action(db, body.customer_id, body.action, body.ref, principal)
    if result.status == "already_recorded":
        response.status_code = status.HTTP_200_OK
    return ActionOut(**result.__dict__)


# --- rules, tiers, settings -------------------------------------------------------------------


class RuleIO(StrictModel):
    code: str = Field(max_length=40)
    kind: RuleKind
    name_it: str = Field(default="", max_length=120)
    name_en: str = Field(default="", max_length=120)
    points_per_euro: int = 0
    multiplier_bp: int | None = None
    bonus_points: int = 0
    action: Action | None = None
    points: int = 0
    once_per_customer: bool = False
    channels: list[str] = Field(default=[], max_length=20)
    categories: list[str] = Field(default=[], max_length=100)
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    active: bool = True


class RulesIn(StrictModel):
    rules: list[RuleIO] = Field(max_length=200)


class TierIO(StrictModel):
    code: str = Field(max_length=40)
    name_it: str = Field(max_length=120)
    name_en: str = Field(max_length=120)
    threshold: int
    earn_multiplier_bp: int = 10_000
    free_delivery: bool = False


class TiersIn(StrictModel):
    tiers: list[TierIO] = Field(max_length=20)


class SettingsIO(StrictModel):
    return_window_days: int
    expiry_months: int


class ProgramOut(BaseModel):
    settings: SettingsIO
    rules: list[RuleIO]
    tiers: list[TierIO]


def _rule_in(x: RuleIO) -> EarningRule:
    return EarningRule(
        **{**x.model_dump(), "channels": frozenset(x.channels), "categories": frozenset(x.categories)}
    )


def _program_out(program: Program) -> ProgramOut:
    return ProgramOut(
        settings=SettingsIO(**program.settings.__dict__),
        rules=[
            RuleIO(**{**r.__dict__, "channels": sorted(r.channels), "categories": sorted(r.categories)})
            for r in program.rules
        ],
        tiers=[TierIO(**t.__dict__) for t in program.tiers],
    )


@router.get("/loyalty/rules", response_model=ProgramOut)
def get_rules(db: DbDep, principal: PrincipalDep) -> ProgramOut:
    """The program in force: settings, earning rules and tiers."""
    principal.require(Permission.LOYALTY_READ)
    return _program_out(configuration.get_program(db))


@router.put("/loyalty/rules", response_model=ProgramOut)
def put_rules(body: RulesIn, db: DbDep, principal: PrincipalDep) -> ProgramOut:
    """Replace the earning rules (422 ``loyalty.program_invalid`` with ``field``)."""
    return _program_out(configuration.set_rules(db, [_rule_in(x) for x in body.rules], principal))


@router.get("/loyalty/tiers", response_model=list[TierIO])
def get_tiers(db: DbDep, principal: PrincipalDep) -> list[TierIO]:
    principal.require(Permission.LOYALTY_READ)
    return [TierIO(**t.__dict__) for t in tiers.list_tiers(db)]


@router.put("/loyalty/tiers", response_model=list[TierIO])
def put_tiers(body: TiersIn, db: DbDep, principal: PrincipalDep) -> list[TierIO]:
    """Replace the tiers: thresholds increasing from 0, multipliers > 0 (422
    ``loyalty.program_invalid`` with ``field``). Members are re-placed by the next tier job."""
    program = configuration.set_tiers(db, [Tier(**x.model_dump()) for x in body.tiers], principal)
    return [TierIO(**t.__dict__) for t in program.tiers]


@router.get("/loyalty/settings", response_model=SettingsIO)
def get_settings(db: DbDep, principal: PrincipalDep) -> SettingsIO:
    principal.require(Permission.LOYALTY_READ)
    return SettingsIO(**configuration.get_program(db).settings.__dict__)


@router.put("/loyalty/settings", response_model=SettingsIO)
def put_settings(body: SettingsIO, db: DbDep, principal: PrincipalDep) -> SettingsIO:
    """The return window (days points stay pending) and the inactivity expiry (months)."""
    program = configuration.set_settings(db, ProgramSettings(**body.model_dump()), principal)
    return SettingsIO(**program.settings.__dict__)


# --- a member's tier and pending points -----------------------------------------------------------


class TierChangeOut(BaseModel):
    from_tier: str | None
    to_tier: str
    earned_12m: int
    reason: str
    at: datetime


class TierProgressOut(BaseModel):
    account_id: str
    tier: TierIO | None
    earned_12m: int
    next_tier: TierIO | None
    points_to_next: int | None
    changes: list[TierChangeOut]


class PendingLotOut(BaseModel):
    txn_id: str
    source_kind: str
    source_ref: str
    points: int
    earned_at: datetime
    matures_at: datetime


@router.get("/loyalty/accounts/{account_id}/tier", response_model=TierProgressOut)
def get_tier(account_id: str, db: DbDep, principal: PrincipalDep) -> TierProgressOut:
    """The member's tier, the points of the last 12 months, what the next tier needs, history."""
    principal.require(Permission.LOYALTY_READ)
    found = tiers.progress(db, account_id)
    return TierProgressOut(
        account_id=account_id,
        tier=None if found.tier is None else TierIO(**found.tier.__dict__),
        earned_12m=found.earned_12m,
        next_tier=None if found.next_tier is None else TierIO(**found.next_tier.__dict__),
        points_to_next=found.points_to_next,
        changes=[
            TierChangeOut(
                from_tier=c.from_tier, to_tier=c.to_tier, earned_12m=c.earned_12m, reason=c.reason, at=c.at
            )
            for c in tiers.tier_changes(db, account_id)
        ],
    )


@router.get("/loyalty/accounts/{account_id}/pending", response_model=list[PendingLotOut])
def get_pending(account_id: str, db: DbDep, principal: PrincipalDep) -> list[PendingLotOut]:
    """The member's pending points per purchase, with when each becomes available."""
    principal.require(Permission.LOYALTY_READ)
    return [PendingLotOut(**lot.__dict__) for lot in maturity.pending_lots(db, account_id)]
