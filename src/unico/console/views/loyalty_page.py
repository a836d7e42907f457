"""The loyalty account page of a customer: what it shows and the state of its forms.

The page reads the account (balances, cards, redemptions), a page of the ledger, the points still
pending with their maturity, the tier with its progress and the rewards catalog, and renders
them with the outcome of the form just posted (enrolment, a card, an adjustment, the till).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import HTMLResponse

from unico.access.model import Permission, Role
from unico.console.security import StaffSession
from unico.console.views.order_desk import PageError, page, store_choices
from unico.core.db import Database
from unico.core.errors import ValidationFailed
from unico.customers import service as customers
from unico.customers.profiles import display_name
from unico.loyalty import accounts, maturity, rewards, tiers
from unico.loyalty.model import Posting, RedemptionView, Reward
from unico.orders.network import DEFAULT_TIMEZONE

LEDGER_PAGE = 20
# Digits, optionally grouped by thousands with "." or "," (Italian and English), and a sign.
_POINTS = re.compile(r"([+-]?)(\d{1,3}(?:[.,]\d{3})+|\d+)")


def new_ref() -> str:
    """A fresh idempotency key for one rendering of a form: submitting it twice acts once."""
    return "console-" + secrets.token_urlsafe(12)


@dataclass
class Forms:
    """What was typed into the page's small forms, and why it was refused."""

    card: str = ""
    enroll_error: PageError | None = None
    card_error: PageError | None = None
    adjust_points: str = ""
    adjust_reason: str = ""
    adjust_error: PageError | None = None
    adjustment_ref: str = field(default_factory=new_ref)


@dataclass(frozen=True)
class Quote:
    """A redemption the associate is about to confirm: what it spends and what it is worth."""

    reward: Reward
    points: int
    value_minor: int


@dataclass
class Till:
    """The till's redemption panel: choosing, confirming, or the voucher just issued."""

    ref: str = field(default_factory=new_ref)
    reward_code: str = ""
    points: str = ""
    error: PageError | None = None
    confirm: Quote | None = None
    done: RedemptionView | None = None


@dataclass(frozen=True)
class RewardRow:
    """A reward of the catalog as this member sees it: affordable now, and for how much at most."""

    reward: Reward
    affordable: bool
    best_value: int


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str | None


def parse_points(text: str, *, required: bool) -> int | None:
    """Whole points as a person types them ("1.500", "1,500", " 300 ", "-50") -> int; None when
    empty and not ``required``; 422 ``console.bad_points`` / ``console.points_required``."""
    cleaned = re.sub(r"\s", "", text).replace("\u2212", "-")
    if not cleaned:
        if required:
            raise ValidationFailed("type the points", code="console.points_required", field="points")
        return None
    found = _POINTS.fullmatch(cleaned)
    if found is None:
        raise ValidationFailed(f"'{text}' is not a whole number", code="console.bad_points", field="points")
    return int(found.group(1) + re.sub(r"[.,]", "", found.group(2)))


def reward_rows(catalog: list[Reward], available: int) -> list[RewardRow]:
    """The catalog with what ``available`` points can buy of each reward."""
    rows = []
    for reward in catalog:
        best = rewards.best_redemption(reward, available)
        rows.append(RewardRow(reward, best is not None, best or 0))
    return rows


def customer_of(db: Database, customer_id: str) -> Customer:
    """The customer the page is about; 404 when no profile has this id."""
    profile = customers.get_profile(db, customer_id)
    return Customer(str(profile["profile_id"]), display_name(profile["traits"]))


def account_page(
    request: Request,
    db: Database,
    staff: StaffSession,
    customer: Customer,
    *,
    shop: str | None,
    forms: Forms | None = None,
    till: Till | None = None,
    before: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The whole loyalty page of ``customer``, with the outcome of the form just posted."""
    account = accounts.find_account_of_customer(db, customer.customer_id)
    context: dict[str, object] = {
        "ledger": [],
        "more": False,
        "rewards": [],
        "tier": None,
        "pending_lots": [],
    }
    if account is not None:
        postings = accounts.ledger(db, account.account_id, LEDGER_PAGE + 1, before)
        catalog = rewards.list_rewards(db, status="active")
        context = {
            "ledger": postings[:LEDGER_PAGE],
            "more": len(postings) > LEDGER_PAGE,
            "rewards": reward_rows(catalog, account.available),
            "tier": tiers.progress(db, account.account_id),
            "pending_lots": maturity.pending_lots(db, account.account_id),
        }
    return page(
        request,
        "loyalty/account.html",
        staff,
        status_code=status_code,
        customer=customer,
        account=account,
        forms=forms or Forms(),
        till=till or Till(),
        shop=shop,
        bound=staff.principal.role is Role.STORE_ASSOCIATE,
        stores=store_choices(db),
        can_write=staff.principal.can(Permission.LOYALTY_WRITE),
        can_manage=staff.principal.can(Permission.LOYALTY_MANAGE),
        zone=ZoneInfo(DEFAULT_TIMEZONE),
        **context,
    )


def ledger_rows(
    request: Request, staff: StaffSession, customer: Customer, postings: list[Posting]
) -> HTMLResponse:
    """Rows of the ledger for htmx ("older postings"), with the next button when there are more."""
    return page(
        request,
        "loyalty/_ledger.html",
        staff,
        customer=customer,
        ledger=postings[:LEDGER_PAGE],
        more=len(postings) > LEDGER_PAGE,
    )
