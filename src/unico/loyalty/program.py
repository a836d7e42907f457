"""The loyalty program's plain values: earning rules, tiers and settings, with their defaults. No I/O.

Multipliers are basis points (10000 = 1x, 12500 = 1.25x); points are whole numbers.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

ONE_X_BP = 10_000


class RuleKind(StrEnum):
    PER_EURO = "per_euro"  # points_per_euro on the lines it matches (the most generous matching rule)
    CAMPAIGN = "campaign"  # a bonus: multiplier_bp on the lines it matches and/or bonus_points once
    ACTION = "action"  # points for something the customer did (review, app install, newsletter)


class Action(StrEnum):
    REVIEW = "review"
    APP_INSTALL = "app_install"
    NEWSLETTER = "newsletter"


@dataclass(frozen=True)
class EarningRule:
    """One earning rule. Empty ``channels``/``categories`` match every channel/category; a
    category matches a line whose category or any of its ancestors is listed."""

    code: str
    kind: RuleKind
    name_it: str = ""
    name_en: str = ""
    points_per_euro: int = 0  # per_euro
    multiplier_bp: int | None = None  # campaign: on matching lines' base points (20000 = 2x)
    bonus_points: int = 0  # campaign: once per purchase with a matching line
    action: Action | None = None  # action
    points: int = 0  # action
    once_per_customer: bool = False  # action
    channels: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    valid_from: datetime | None = None
    valid_to: datetime | None = None  # exclusive
    active: bool = True

    def live_at(self, at: datetime) -> bool:
        """Active and within its validity window at ``at``."""
        if not self.active:
            return False
        if self.valid_from is not None and at < self.valid_from:
            return False
        return self.valid_to is None or at < self.valid_to

    def matches(self, channel: str, categories: frozenset[str]) -> bool:
        """Whether a line sold in ``channel`` with ``categories`` (ancestors included) qualifies."""
        if self.channels and channel not in self.channels:
            return False
        return not self.categories or bool(self.categories & categories)


@dataclass(frozen=True)
class Tier:
    """A tier is reached with ``threshold`` points earned over the last 12 months."""

    code: str
    name_it: str
    name_en: str
    threshold: int
    earn_multiplier_bp: int = ONE_X_BP
    free_delivery: bool = False


@dataclass(frozen=True)
class ProgramSettings:
    return_window_days: int = 30  # earned points stay pending this long (returns reverse them)
    expiry_months: int = 24  # available points expire after this long without activity


@dataclass(frozen=True)
class Program:
    settings: ProgramSettings = field(default_factory=ProgramSettings)
    rules: tuple[EarningRule, ...] = ()
    tiers: tuple[Tier, ...] = ()

    def tier(self, code: str | None) -> Tier | None:
        return next((t for t in self.tiers if t.code == code), None)

    def action_rule(self, action: str, at: datetime) -> EarningRule | None:
        """The live rule rewarding ``action`` (the first by code if several)."""
        found = [r for r in self.rules if r.kind is RuleKind.ACTION and r.action == action and r.live_at(at)]
        return min(found, key=lambda r: r.code) if found else None


def months_before(at: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (clamped to the month's end)."""
    index = at.year * 12 + at.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return at.replace(year=year, month=month, day=min(at.day, last_day))


def tier_for(tiers: tuple[Tier, ...], earned: int) -> Tier | None:
    """The highest tier whose threshold ``earned`` reaches (None if there are no tiers)."""
    reached = [t for t in tiers if earned >= t.threshold]
    return max(reached, key=lambda t: t.threshold) if reached else None


DEFAULT_RULES: tuple[EarningRule, ...] = (
    EarningRule("BASE", RuleKind.PER_EURO, "1 punto per euro", "1 point per euro", points_per_euro=1),
    # An example bonus campaign, shipped inactive: double points on running, in every channel.
    EarningRule(
        "RUNNING-X2",
        RuleKind.CAMPAIGN,
        "Punti doppi sulla corsa",
        "Double points on running",
        multiplier_bp=20_000,
        categories=frozenset({"sport-running"}),
        active=False,
    ),
    EarningRule(
        "REVIEW",
        RuleKind.ACTION,
        "Recensione di un prodotto",
        "Product review",
        action=Action.REVIEW,
        points=20,
    ),
    EarningRule(
        "APP-INSTALL",
        RuleKind.ACTION,
        "Installazione dell'app",
        "App install",
        action=Action.APP_INSTALL,
        points=100,
        once_per_customer=True,
    ),
    EarningRule(
        "NEWSLETTER",
        RuleKind.ACTION,
        "Iscrizione alla newsletter",
        "Newsletter sign-up",
        action=Action.NEWSLETTER,
        points=50,
        once_per_customer=True,
    ),
)

DEFAULT_TIERS: tuple[Tier, ...] = (
    Tier("base", "Base", "Base", 0, ONE_X_BP, False),
    Tier("silver", "Argento", "Silver", 500, 12_500, False),
    Tier("gold", "Oro", "Gold", 1500, 15_000, True),
)

DEFAULT_PROGRAM = Program(ProgramSettings(), DEFAULT_RULES, DEFAULT_TIERS)
