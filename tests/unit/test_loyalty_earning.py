"""Points for a purchase: per euro, campaigns, tiers, bonuses; exact values and properties."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from unico.loyalty.earning import PurchaseLine, points_for_purchase
from unico.loyalty.program import DEFAULT_RULES, DEFAULT_TIERS, EarningRule, RuleKind, months_before, tier_for

AT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
RUNNING = frozenset({"sport", "sport-running", "sport-running-shoes"})
HOME = frozenset({"home", "home-kitchen"})
BASE, SILVER, GOLD = DEFAULT_TIERS
X2 = next(r for r in DEFAULT_RULES if r.code == "RUNNING-X2")
X2_LIVE = replace(X2, active=True)


def shoes(net: int, line_no: int = 1) -> PurchaseLine:
    return PurchaseLine("RUN-1", RUNNING, net, 1, line_no)


def pan(net: int, line_no: int = 2) -> PurchaseLine:
    return PurchaseLine("PAN-1", HOME, net, 1, line_no)


def test_one_point_per_euro_floored_per_line() -> None:
    earning = points_for_purchase([shoes(12_345), pan(99)], "web", AT, DEFAULT_RULES, None)
    assert earning.points == 123
    assert [p.points for p in earning.per_line] == [123, 0]


def test_tier_multiplier() -> None:
    assert points_for_purchase([shoes(12_345)], "web", AT, DEFAULT_RULES, SILVER).points == 154
    assert points_for_purchase([shoes(12_345)], "web", AT, DEFAULT_RULES, BASE).points == 123


def test_the_example_campaign_is_shipped_inactive() -> None:
    assert points_for_purchase([shoes(8_999)], "web", AT, DEFAULT_RULES, None).points == 89


def test_campaign_doubles_its_category_only_with_explanation() -> None:
    rules = [r for r in DEFAULT_RULES if r.code != "RUNNING-X2"] + [X2_LIVE]
    earning = points_for_purchase([shoes(8_999), pan(5_050)], "web", AT, rules, None)
    assert [p.points for p in earning.per_line] == [179, 50]
    assert earning.points == 229
    assert (
        earning.explanation_en
        == "229 points: 1 point(s) per € on €140.49 (BASE); RUNNING-X2 x2.00 on 1 line(s)"
    )
    assert (
        earning.explanation_it
        == "229 punti: 1 punto/i per € su 140,49 € (BASE); RUNNING-X2 x2,00 su 1 riga/e"
    )


def test_campaign_and_tier_multiply_once_per_line() -> None:
    rules = [*DEFAULT_RULES, X2_LIVE.__class__(**{**X2_LIVE.__dict__, "code": "RUNNING-X2-B"})]
    earning = points_for_purchase([shoes(8_999), pan(5_050)], "web", AT, rules, GOLD)
    assert [p.points for p in earning.per_line] == [269, 75]
    assert "Gold tier x1.50" in earning.explanation_en
    assert "livello Oro x1,50" in earning.explanation_it


def test_campaign_channel_and_validity() -> None:
    app_only = replace(X2_LIVE, channels=frozenset({"app"}))
    assert points_for_purchase([shoes(10_000)], "web", AT, [*DEFAULT_RULES[:1], app_only], None).points == 100
    assert points_for_purchase([shoes(10_000)], "app", AT, [*DEFAULT_RULES[:1], app_only], None).points == 200
    later = replace(X2_LIVE, valid_from=datetime(2026, 12, 1, tzinfo=UTC))
    assert points_for_purchase([shoes(10_000)], "web", AT, [DEFAULT_RULES[0], later], None).points == 100
    ended = replace(X2_LIVE, valid_to=AT)  # exclusive end
    assert points_for_purchase([shoes(10_000)], "web", AT, [DEFAULT_RULES[0], ended], None).points == 100


def test_most_generous_per_euro_rule_wins_and_multipliers_do_not_compound() -> None:
    home3 = EarningRule("HOME-3", RuleKind.PER_EURO, points_per_euro=3, categories=frozenset({"home"}))
    x3 = replace(X2_LIVE, code="RUN-X3", multiplier_bp=30_000)
    earning = points_for_purchase(
        [shoes(1_000), pan(1_000)], "web", AT, [DEFAULT_RULES[0], home3, X2_LIVE, x3], None
    )
    assert [p.points for p in earning.per_line] == [30, 30]


def test_bonus_is_shared_over_matching_lines_by_largest_remainder() -> None:
    bonus = EarningRule("WELCOME", RuleKind.CAMPAIGN, bonus_points=50, categories=frozenset({"sport"}))
    lines = [shoes(3_000, 1), pan(2_000, 2), shoes(1_000, 3)]
    earning = points_for_purchase(lines, "store", AT, [DEFAULT_RULES[0], bonus], None)
    assert [p.points for p in earning.per_line] == [30 + 38, 20, 10 + 12]
    assert earning.points == 110
    assert earning.explanation_en.endswith("bonus +50 (WELCOME)")


def test_no_bonus_without_a_matching_line_and_negative_amounts_earn_nothing() -> None:
    bonus = EarningRule("WELCOME", RuleKind.CAMPAIGN, bonus_points=50, categories=frozenset({"sport"}))
    assert points_for_purchase([pan(2_000)], "web", AT, [DEFAULT_RULES[0], bonus], None).points == 20
    assert points_for_purchase([shoes(-500)], "web", AT, [DEFAULT_RULES[0], bonus], None).points == 0


def test_tiers_and_months() -> None:
    assert tier_for(DEFAULT_TIERS, 0) == BASE
    assert tier_for(DEFAULT_TIERS, 499) == BASE
    assert tier_for(DEFAULT_TIERS, 500) == SILVER
    assert tier_for(DEFAULT_TIERS, 10_000) == GOLD
    assert months_before(datetime(2026, 3, 31, 8, tzinfo=UTC), 1) == datetime(2026, 2, 28, 8, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 24) == datetime(2024, 1, 15, tzinfo=UTC)


amounts = st.lists(st.integers(min_value=-1_000, max_value=10_000_000), min_size=1, max_size=8)
RULES = [*DEFAULT_RULES, X2_LIVE, EarningRule("B", RuleKind.CAMPAIGN, bonus_points=7)]


@given(
    amounts,
    st.sampled_from([None, *DEFAULT_TIERS]),
    st.integers(min_value=0, max_value=7),
    st.integers(1, 10_000),
)
def test_points_are_never_negative_and_grow_with_spend(
    nets: list[int], tier: object, index: int, extra: int
) -> None:
    lines = [shoes(n, i + 1) if i % 2 else pan(n, i + 1) for i, n in enumerate(nets)]
    earning = points_for_purchase(lines, "web", AT, RULES, tier)  # type: ignore[arg-type]
    assert earning.points >= 0
    assert all(p.points >= 0 for p in earning.per_line)
    assert sum(p.points for p in earning.per_line) == earning.points
    i = index % len(lines)
    more = [replace(x, net_minor=max(x.net_minor, 0) + extra) if j == i else x for j, x in enumerate(lines)]
    assert points_for_purchase(more, "web", AT, RULES, tier).points >= earning.points  # type: ignore[arg-type]
