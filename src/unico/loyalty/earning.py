"""How many points a purchase earns. Pure and deterministic: integers only.

Per line: ``floor(net_cents * points_per_euro * campaign_bp * tier_bp / (100 * 10000 * 10000))``
where ``points_per_euro`` is the most generous live ``per_euro`` rule matching the line (channel,
category with ancestors), ``campaign_bp`` the largest multiplier of the live campaigns matching it
(multipliers do not compound) and ``tier_bp`` the member's tier multiplier. A campaign's
``bonus_points`` are earned once per purchase that has a matching line, and are shared out over
the matching lines pro rata to their amounts (largest remainder), so that returning a line takes
back its share of the bonus too. Points are never negative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from unico.loyalty.program import ONE_X_BP, EarningRule, RuleKind, Tier

_SCALE = 100 * ONE_X_BP * ONE_X_BP


@dataclass(frozen=True)
class PurchaseLine:
    sku: str
    categories: frozenset[str]  # category codes of the SKU with their ancestors
    net_minor: int  # what was paid for the line, all units, VAT included
    quantity: int = 1
    line_no: int = 0  # the order line number, or the receipt line's position (1-based)


@dataclass(frozen=True)
class LinePoints:
    line_no: int
    sku: str
    quantity: int
    points: int  # base and campaign multipliers, tier, and this line's share of any bonus


@dataclass(frozen=True)
class Earning:
    points: int
    per_line: tuple[LinePoints, ...]
    explanation_en: str
    explanation_it: str


def points_for_purchase(
    lines: Sequence[PurchaseLine],
    channel: str,
    at: datetime,
    rules: Sequence[EarningRule],
    tier: Tier | None,
) -> Earning:
    """The points ``lines`` bought in ``channel`` at ``at`` earn under ``rules`` for a member of
    ``tier``; see the module docstring for the arithmetic."""
    live = [r for r in rules if r.live_at(at)]
    per_euro = [r for r in live if r.kind is RuleKind.PER_EURO]
    campaigns = sorted((r for r in live if r.kind is RuleKind.CAMPAIGN), key=lambda r: r.code)
    tier_bp = tier.earn_multiplier_bp if tier is not None else ONE_X_BP
    points: list[int] = []
    boosted: dict[str, int] = {}
    spend = 0
    for line in lines:
        net = max(line.net_minor, 0)
        spend += net
        rate = max((r.points_per_euro for r in per_euro if r.matches(channel, line.categories)), default=0)
        multiplier, by = ONE_X_BP, None
        for campaign in campaigns:
            bp = campaign.multiplier_bp
            if bp is not None and bp > multiplier and campaign.matches(channel, line.categories):
                multiplier, by = bp, campaign.code
        if by is not None and net > 0:
            boosted[by] = boosted.get(by, 0) + 1
        points.append(max(net * rate * multiplier * tier_bp // _SCALE, 0))
    bonuses: list[tuple[str, int]] = []
    for campaign in campaigns:
        if campaign.bonus_points <= 0:
            continue
        weights = [
            max(line.net_minor, 0) if campaign.matches(channel, line.categories) else 0 for line in lines
        ]
        if sum(weights) <= 0:
            continue
        for i, share in enumerate(_largest_remainder(campaign.bonus_points, weights)):
            points[i] += share
        bonuses.append((campaign.code, campaign.bonus_points))
    per_line = tuple(
        LinePoints(line.line_no or i + 1, line.sku, line.quantity, p)
        for i, (line, p) in enumerate(zip(lines, points, strict=True))
    )
    total = sum(points)
    en, it = _explain(total, spend, per_euro, campaigns, boosted, tier, bonuses)
    return Earning(total, per_line, en, it)


def _largest_remainder(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` split pro rata to ``weights`` (sum > 0), remainders to the largest fractions,
    ties to the earlier line."""
    whole = sum(weights)
    shares = [amount * w // whole for w in weights]
    left = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % whole), i))
    for i in order[:left]:
        shares[i] += 1
    return shares


def _euros(minor: int, lang: str) -> str:
    whole, cents = divmod(minor, 100)
    return f"€{whole}.{cents:02d}" if lang == "en" else f"{whole},{cents:02d} €"


def _times(bp: int, lang: str) -> str:
    text = f"x{bp // ONE_X_BP}.{bp % ONE_X_BP // 100:02d}"
    return text if lang == "en" else text.replace(".", ",")


def _explain(
    total: int,
    spend: int,
    per_euro: Sequence[EarningRule],
    campaigns: Sequence[EarningRule],
    boosted: dict[str, int],
    tier: Tier | None,
    bonuses: Sequence[tuple[str, int]],
) -> tuple[str, str]:
    rates = sorted({r.points_per_euro for r in per_euro})
    codes = ", ".join(sorted(r.code for r in per_euro))
    rate = "/".join(str(x) for x in rates) or "0"
    en = [
        f"{total} points: {rate} point(s) per € on {_euros(spend, 'en')}" + (f" ({codes})" if codes else "")
    ]
    it = [f"{total} punti: {rate} punto/i per € su {_euros(spend, 'it')}" + (f" ({codes})" if codes else "")]
    for campaign in campaigns:
        lines = boosted.get(campaign.code)
        if lines and campaign.multiplier_bp is not None:
            en.append(f"{campaign.code} {_times(campaign.multiplier_bp, 'en')} on {lines} line(s)")
            it.append(f"{campaign.code} {_times(campaign.multiplier_bp, 'it')} su {lines} riga/e")
    if tier is not None and tier.earn_multiplier_bp != ONE_X_BP:
        en.append(f"{tier.name_en} tier {_times(tier.earn_multiplier_bp, 'en')}")
        it.append(f"livello {tier.name_it} {_times(tier.earn_multiplier_bp, 'it')}")
    for code, bonus in bonuses:
        en.append(f"bonus +{bonus} ({code})")
        it.append(f"bonus +{bonus} ({code})")
    return "; ".join(en), "; ".join(it)
