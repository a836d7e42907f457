"""The loyalty ledger's plain values: postings, legs, balances, accounts, rewards, redemptions.

Points are integers. Sign convention of the double entry: a member bucket (``available``,
``pending``) is positive when the member owns points; the program buckets are their
counterparts, so that the legs of every posting sum to zero. Earning moves points from
``program:issued`` to ``pending`` or ``available``; maturing moves ``pending`` to ``available``;
redeeming moves ``available`` to ``program:redeemed``; expiry to ``program:expired``; manual
adjustments against ``program:adjusted``; reversals back to ``program:issued``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

AVAILABLE = "available"
PENDING = "pending"
ISSUED = "program:issued"
REDEEMED = "program:redeemed"
EXPIRED = "program:expired"
ADJUSTED = "program:adjusted"

MEMBER_BUCKETS = frozenset({AVAILABLE, PENDING})
PROGRAM_BUCKETS = frozenset({ISSUED, REDEEMED, EXPIRED, ADJUSTED})
BUCKETS = MEMBER_BUCKETS | PROGRAM_BUCKETS

DEFAULT_TIER = "base"


class PostingKind(StrEnum):
    EARN = "earn"  # points issued for a purchase or an action (pending or available)
    MATURE = "mature"  # pending -> available once the return window closed
    REDEEM = "redeem"  # available -> program:redeemed, for a reward
    REVERSE = "reverse"  # points of returned goods taken back (may go negative)
    EXPIRE = "expire"  # available -> program:expired after inactivity
    ADJUST = "adjust"  # manual correction by staff, against program:adjusted
    REFUND_REDEMPTION = "refund_redemption"  # a cancelled redemption gives the points back


@dataclass(frozen=True)
class Leg:
    """Signed points moved into (``points > 0``) or out of (``< 0``) one bucket."""

    bucket: str
    points: int


@dataclass(frozen=True)
class Source:
    """What caused a posting; a source is posted at most once: ``("order", order_id)``,
    ``("receipt", receipt_id)``, ``("return", return_id)``, ``("adjustment", ref)``,
    ``("redemption", redemption_ref)``..."""

    kind: str
    ref: str


@dataclass(frozen=True)
class Balance:
    available: int
    pending: int
    lifetime_earned: int
    tier: str


@dataclass(frozen=True)
class Membership:
    """What pricing needs to know about a shopper: enrolled, and in which tier."""

    account_id: str
    tier: str


@dataclass(frozen=True)
class Card:
    card_number: str
    kind: str  # physical | digital
    status: str  # active | blocked
    created_at: datetime


@dataclass(frozen=True)
class Posting:
    """One row of an account's ledger, with its legs."""

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
    legs: tuple[Leg, ...] = ()


@dataclass(frozen=True)
class RedemptionSummary:
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


@dataclass(frozen=True)
class AccountView:
    """An account as every channel shows it."""

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
    cards: tuple[Card, ...] = ()
    ledger: tuple[Posting, ...] = ()
    redemptions: tuple[RedemptionSummary, ...] = ()


class RewardKind(StrEnum):
    VOUCHER = "voucher"  # fixed cost_points -> fixed value_minor
    POINTS_DISCOUNT = "points_discount"  # any points >= min_points, multiple of step_points


@dataclass(frozen=True)
class Reward:
    code: str
    name_it: str
    name_en: str
    kind: RewardKind
    promotion_code: str
    cost_points: int | None = None
    value_minor: int | None = None
    rate_minor_per_point: int | None = None
    min_points: int | None = None
    step_points: int | None = None
    status: str = "active"
    valid_days: int | None = None


@dataclass(frozen=True)
class RedemptionRequest:
    """Spend points on a reward. ``account_id`` or ``card`` names the account; ``points`` is
    required for (and only allowed with) ``points_discount`` rewards; ``redemption_ref`` is the
    client's idempotency key (a till transaction id, a checkout id)."""

    reward_code: str
    redemption_ref: str
    channel: str
    account_id: str | None = None
    card: str | None = None
    points: int | None = None
    store: str | None = None


@dataclass(frozen=True)
class RedemptionView:
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
    balance: Balance
    created_at: datetime
    replayed: bool = False
    detail: dict[str, Any] = field(default_factory=dict)
