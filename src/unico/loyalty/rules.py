"""Checks of loyalty program definitions (earning rules, tiers, settings). Pure.

Each check raises ``ValidationFailed`` with code ``loyalty.program_invalid`` and the offending
``field`` (``rules[2].multiplier_bp``, ``tiers[1].threshold``...), so a rejected definition
names what to fix and nothing is saved.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from unico.core.errors import ValidationFailed
from unico.inventory.model import Channel
from unico.loyalty.program import EarningRule, ProgramSettings, RuleKind, Tier

INVALID = "loyalty.program_invalid"
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
CHANNELS = frozenset(c.value for c in Channel)
MAX_POINTS = 1_000_000
MAX_MULTIPLIER_BP = 100_000  # 10x


def _fail(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code=INVALID, field=field)


def check_rules(rules: Sequence[EarningRule], known_categories: Collection[str] | None = None) -> None:
    """A rule set that can be saved: unique codes, known channels (and categories, when
    ``known_categories`` is given) and, per kind, amounts that make sense."""
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        at = f"rules[{i}]"
        unknown = sorted(rule.channels - CHANNELS)
        if unknown:
            raise _fail(f"rule {rule.code}: unknown channel {unknown[0]}", f"{at}.channels")
        if known_categories is not None and not rule.categories <= set(known_categories):
            missing = sorted(rule.categories - set(known_categories))[0]
            raise _fail(f"rule {rule.code}: unknown category {missing}", f"{at}.categories")
        if not _CODE.match(rule.code):
            raise _fail(f"rule code {rule.code!r} must be 1-40 letters, digits, '-', '_', '.'", f"{at}.code")
        if rule.code in seen:
            raise _fail(f"rule code {rule.code} appears twice", f"{at}.code")
        seen.add(rule.code)
        if rule.valid_from and rule.valid_to and rule.valid_to <= rule.valid_from:
            raise _fail(f"rule {rule.code} ends before it starts", f"{at}.valid_to")
        if rule.kind is RuleKind.PER_EURO:
            if not 0 < rule.points_per_euro <= 1000:
                raise _fail(f"rule {rule.code}: points per euro must be 1-1000", f"{at}.points_per_euro")
        elif rule.kind is RuleKind.CAMPAIGN:
            _check_campaign(rule, at)
        else:
            if rule.action is None:
                raise _fail(f"rule {rule.code}: an action rule names its action", f"{at}.action")
            if not 0 < rule.points <= MAX_POINTS:
                raise _fail(f"rule {rule.code}: points must be 1-{MAX_POINTS}", f"{at}.points")
            if rule.channels or rule.categories:
                raise _fail(f"rule {rule.code}: an action has no channel or category", f"{at}.channels")


def _check_campaign(rule: EarningRule, at: str) -> None:
    multiplier = rule.multiplier_bp
    if multiplier is not None and not 0 < multiplier <= MAX_MULTIPLIER_BP:
        raise _fail(
            f"campaign {rule.code}: the multiplier must be > 0 and at most {MAX_MULTIPLIER_BP} bp",
            f"{at}.multiplier_bp",
        )
    if not 0 <= rule.bonus_points <= MAX_POINTS:
        raise _fail(f"campaign {rule.code}: bonus points must be 0-{MAX_POINTS}", f"{at}.bonus_points")
    if multiplier is None and rule.bonus_points == 0:
        raise _fail(f"campaign {rule.code} gives neither a multiplier nor a bonus", f"{at}.multiplier_bp")


def check_tiers(tiers: Sequence[Tier]) -> None:
    """Tiers that can be saved: at least one, the first from 0 points, thresholds strictly
    increasing, multipliers > 0, unique codes."""
    if not tiers:
        raise _fail("the program needs at least one tier", "tiers")
    seen: set[str] = set()
    previous = -1
    for i, tier in enumerate(tiers):
        at = f"tiers[{i}]"
        if not _CODE.match(tier.code):
            raise _fail(f"tier code {tier.code!r} must be 1-40 letters, digits, '-', '_', '.'", f"{at}.code")
        if tier.code in seen:
            raise _fail(f"tier code {tier.code} appears twice", f"{at}.code")
        seen.add(tier.code)
        if not tier.name_it.strip() or not tier.name_en.strip():
            raise _fail(f"tier {tier.code} needs an Italian and an English name", f"{at}.name_en")
        if i == 0 and tier.threshold != 0:
            raise _fail("the first tier starts at 0 points", f"{at}.threshold")
        if tier.threshold <= previous:
            raise _fail(f"tier {tier.code}: thresholds must increase", f"{at}.threshold")
        previous = tier.threshold
        if not 0 < tier.earn_multiplier_bp <= MAX_MULTIPLIER_BP:
            raise _fail(
                f"tier {tier.code}: the multiplier must be > 0 and at most {MAX_MULTIPLIER_BP} bp",
                f"{at}.earn_multiplier_bp",
            )


def check_settings(settings: ProgramSettings) -> None:
    if not 0 <= settings.return_window_days <= 365:
        raise _fail("the return window is 0-365 days", "return_window_days")
    if not 1 <= settings.expiry_months <= 120:
        raise _fail("points expire after 1-120 months of inactivity", "expiry_months")
