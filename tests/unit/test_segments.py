"""The segment rule language: parsing with exact error messages, and typed evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from unico.core.errors import ValidationFailed
from unico.customers.consent import Purpose
from unico.customers.segments import (
    CONSENT_PURPOSES,
    AllOf,
    AnyOf,
    Computed,
    ComputedCondition,
    ConsentCondition,
    EventCondition,
    EventType,
    Not,
    Op,
    ProfileFacts,
    TraitCondition,
    compare,
    computed_used,
    dump_rule,
    event_conditions,
    matches,
    parse_definition,
    uses_consent,
)

MILAN_BROWSERS = {
    "all": [
        {"trait": "city", "op": "eq", "value": "Milano"},
        {"event": "Product Viewed", "within_days": 30, "min_count": 2},
        {"computed": "total_spend", "op": "gte", "value": 10000},
    ]
}
VIEWED = EventCondition("Product Viewed", EventType.TRACK, 30, 2)


def facts(traits: dict[str, Any] | None = None, viewed: int = 0, spend: int | None = None) -> ProfileFacts:
    computed = {} if spend is None else {Computed.TOTAL_SPEND: spend}
    return ProfileFacts(traits or {}, computed, {VIEWED: viewed})


def test_a_definition_parses_to_rules_and_dumps_back() -> None:
    rule = parse_definition(MILAN_BROWSERS)
    assert rule == AllOf(
        (
            TraitCondition("city", Op.EQ, "Milano"),
            VIEWED,
            ComputedCondition(Computed.TOTAL_SPEND, Op.GTE, 10000),
        )
    )
    assert dump_rule(rule) == {
        "all": [
            {"trait": "city", "op": "eq", "value": "Milano"},
            {"event": "Product Viewed", "type": "track", "min_count": 2, "within_days": 30},
            {"computed": "total_spend", "op": "gte", "value": 10000},
        ]
    }
    assert parse_definition(dump_rule(rule)) == rule
    nested = {
        "any": [
            {"not": {"trait": "vip", "op": "eq", "value": True}},
            {"trait": "tags", "op": "in", "value": ["a", 1]},
        ]
    }
    assert parse_definition(nested) == AnyOf(
        (Not(TraitCondition("vip", Op.EQ, True)), TraitCondition("tags", Op.IN, ("a", 1)))
    )


def test_membership_follows_every_condition() -> None:
    rule = parse_definition(MILAN_BROWSERS)
    assert matches(rule, facts({"city": "Milano"}, viewed=2, spend=10000))
    assert not matches(rule, facts({"city": "Milano"}, viewed=1, spend=10000))
    assert not matches(rule, facts({"city": "Roma"}, viewed=5, spend=99999))
    assert not matches(rule, facts({"city": "Milano"}, viewed=2, spend=9999))
    assert not matches(rule, facts({"city": "Milano"}, viewed=2))  # no orders: no spend
    assert matches(parse_definition({"not": MILAN_BROWSERS}), facts({"city": "Roma"}))


@pytest.mark.parametrize(
    ("op", "actual", "expected", "result"),
    [
        (Op.EQ, "Milano", "Milano", True),
        (Op.EQ, "milano", "Milano", False),
        (Op.EQ, 5, "5", False),  # typed: a number never equals a string
        (Op.EQ, 1, True, False),  # nor true a one
        (Op.EQ, True, True, True),
        (Op.EQ, 5, 5.0, True),
        (Op.NEQ, None, "x", True),  # missing is not equal
        (Op.IN, "b", ("a", "b"), True),
        (Op.NOT_IN, None, ("a",), True),
        (Op.GT, 3, 2, True),
        (Op.GTE, "30", 2, False),  # ordering only holds for numbers
        (Op.LT, False, 1, False),
        (Op.LTE, 2.5, 2.5, True),
        (Op.CONTAINS, "running shoes", "shoe", True),
        (Op.CONTAINS, ["web", "store"], "store", True),
        (Op.CONTAINS, ["web"], "store", False),
        (Op.CONTAINS, 12, "1", False),
        (Op.EXISTS, 0, None, True),
        (Op.EXISTS, None, None, False),
        (Op.NOT_EXISTS, None, None, True),
    ],
)
def test_comparison_semantics(op: Op, actual: Any, expected: Any, result: bool) -> None:
    assert compare(op, actual, expected) is result


def test_event_counts_respect_min_and_max() -> None:
    rule = parse_definition({"event": "Cart Viewed", "min_count": 2, "max_count": 3})
    assert isinstance(rule, EventCondition)
    counts = [matches(rule, ProfileFacts({}, {}, {rule: n})) for n in range(5)]
    assert counts == [False, False, True, True, False]
    never = parse_definition({"not": {"event": "Order Completed"}})
    assert matches(never, ProfileFacts({}, {}, {}))


def test_helpers_list_the_event_conditions_and_computed_traits_a_rule_uses() -> None:
    rule = parse_definition(
        {
            "any": [
                MILAN_BROWSERS,
                {"not": {"event": "Product Viewed", "within_days": 30, "min_count": 2}},
                {"computed": "channels_used", "op": "contains", "value": "store"},
            ]
        }
    )
    assert event_conditions(rule) == [VIEWED]
    assert computed_used(rule) == {Computed.TOTAL_SPEND, Computed.CHANNELS_USED}


@pytest.mark.parametrize(
    ("definition", "field", "message"),
    [
        ([], "definition", "definition: a rule must be a JSON object"),
        ({"all": []}, "definition.all", "definition.all: must be a non-empty list of rules"),
        (
            {"all": [{"trait": "city", "value": "Milano"}]},
            "definition.all.0.op",
            "definition.all.0.op: is required",
        ),
        (
            {"all": [{"trait": "city", "op": "equals", "value": "x"}]},
            "definition.all.0.op",
            "definition.all.0.op: unknown op 'equals' (one of eq, neq, in, not_in, gt, gte, lt, lte,"
            " contains, exists, not_exists)",
        ),
        ({"trait": "city", "op": "eq"}, "definition.value", "definition.value: eq needs a value"),
        (
            {"trait": "age", "op": "gt", "value": "30"},
            "definition.value",
            "definition.value: gt compares numbers: give a number",
        ),
        ({"trait": "a b", "op": "exists"}, "definition.trait", "definition.trait: a trait name is"),
        (
            {"trait": "x", "op": "exists", "value": 1},
            "definition.value",
            "definition.value: exists takes no value",
        ),
        ({"trait": "x", "op": "in", "value": "a"}, "definition.value", "definition.value: in needs a list"),
        (
            {"computed": "lifetime_value", "op": "gt", "value": 1},
            "definition.computed",
            "definition.computed: unknown computed trait 'lifetime_value'",
        ),
        (
            {"computed": "channels_used", "op": "gt", "value": 1},
            "definition.op",
            "definition.op: channels_used cannot be compared with gt (use contains, exists, not_exists)",
        ),
        (
            {"event": "Product Viewed", "within_days": 0},
            "definition.within_days",
            "definition.within_days: a whole number from 1 to 3650",
        ),
        (
            {"event": "Product Viewed", "min_count": 3, "max_count": 2},
            "definition.max_count",
            "definition.max_count: must be at least min_count (3)",
        ),
        (
            {"event": "Product Viewed", "colour": "red"},
            "definition.colour",
            "definition.colour: unknown field",
        ),
        (
            {"trait": "x", "op": "exists", "event": "y"},
            "definition",
            "definition: a rule needs exactly one of 'all', 'any', 'not', 'trait', 'computed', 'event'"
            " or 'consent'"
            " (found trait, event)",
        ),
        (
            {
                "not": {
                    "not": {
                        "not": {"not": {"not": {"not": {"not": {"not": {"trait": "a", "op": "exists"}}}}}}
                    }
                }
            },
            "definition.not.not.not.not.not.not.not.not",
            "rules nest at most 8",
        ),
    ],
)
def test_bad_definitions_name_the_place_and_say_what_is_wrong(
    definition: Any, field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_definition(definition)
    assert caught.value.code == "segments.invalid_definition"
    assert caught.value.details == {"field": field}
    assert message in caught.value.message


def test_consent_conditions_follow_the_purposes_granted_now() -> None:
    rule = parse_definition({"all": [{"consent": "email"}, {"not": {"consent": "sms"}}]})
    assert rule == AllOf((ConsentCondition("email"), Not(ConsentCondition("sms"))))
    assert dump_rule(rule) == {"all": [{"consent": "email"}, {"not": {"consent": "sms"}}]}
    assert uses_consent(rule) and not uses_consent(parse_definition(MILAN_BROWSERS))
    assert matches(rule, ProfileFacts({}, {}, {}, frozenset({"email"})))
    assert not matches(rule, ProfileFacts({}, {}, {}, frozenset({"email", "sms"})))
    assert not matches(rule, ProfileFacts({}, {}, {}))
    assert set(CONSENT_PURPOSES) == {p.value for p in Purpose}


def test_a_definition_holds_at_most_50_conditions() -> None:
    too_many = {"any": [{"trait": f"t{i}", "op": "exists"} for i in range(51)]}
    with pytest.raises(ValidationFailed, match="at most 50 conditions"):
        parse_definition(too_many)
