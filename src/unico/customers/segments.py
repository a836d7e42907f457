"""Segments: a small rule language over traits, events and computed traits. Pure: no I/O.

A definition is JSON, for example::

    {"all": [
        {"trait": "city", "op": "eq", "value": "Milano"},
        {"event": "Product Viewed", "within_days": 30, "min_count": 2},
        {"computed": "total_spend", "op": "gte", "value": 10000},
        {"not": {"trait": "email", "op": "not_exists"}},
        {"consent": "email"}
    ]}

:func:`parse_definition` turns it into frozen rule objects or raises ``ValidationFailed`` naming
the offending place (``definition.all.1.within_days``); :func:`matches` evaluates a rule over one
profile's :class:`ProfileFacts`. ``segment_queries`` compiles the same rules to SQL; the two must
agree on every rule, which is why the comparison semantics are spelled out here once:

- values are typed: a string never equals a number, ``true`` never equals ``1``;
- ``neq`` and ``not_in`` hold when the trait is missing (they are ``not eq`` / ``not in``);
- ordering operators (``gt``, ``gte``, ``lt``, ``lte``) take a number and hold only for numbers;
- ``contains`` holds for a string holding the value as a substring, or a list holding it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from unico.core.errors import ValidationFailed

Scalar = str | int | float | bool

MAX_DEPTH = 8
MAX_CONDITIONS = 50
MAX_LIST = 100
MAX_WITHIN_DAYS = 3650
MAX_COUNT = 100_000
TRAIT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class Op(StrEnum):
    EQ = "eq"
    NEQ = "neq"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    CONTAINS = "contains"
    EXISTS = "exists"
    NOT_EXISTS = "not_exists"


ORDERING = frozenset({Op.GT, Op.GTE, Op.LT, Op.LTE})
PRESENCE = frozenset({Op.EXISTS, Op.NOT_EXISTS})
MEMBERSHIP = frozenset({Op.IN, Op.NOT_IN})


class Computed(StrEnum):
    """Traits computed from orders and events rather than stored on the profile."""

    ORDER_COUNT = "order_count"  # orders not cancelled or expired
    TOTAL_SPEND = "total_spend"  # minor units, sum of their totals
    AVERAGE_ORDER_VALUE = "average_order_value"  # minor units, rounded down; missing without orders
    DAYS_SINCE_LAST_ORDER = "days_since_last_order"  # whole days; missing without orders
    DAYS_SINCE_LAST_SEEN = "days_since_last_seen"  # whole days; missing if never seen
    CHANNELS_USED = "channels_used"  # list of order channels, e.g. ["store", "web"]
    FAVOURITE_STORE = "favourite_store"  # code of the store with most orders; missing if none


NUMERIC_COMPUTED = frozenset(
    {
        Computed.ORDER_COUNT,
        Computed.TOTAL_SPEND,
        Computed.AVERAGE_ORDER_VALUE,
        Computed.DAYS_SINCE_LAST_ORDER,
        Computed.DAYS_SINCE_LAST_SEEN,
    }
)
_COMPUTED_OPS: dict[Computed, frozenset[Op]] = {
    **{c: frozenset(Op) - {Op.CONTAINS} for c in NUMERIC_COMPUTED},
    Computed.CHANNELS_USED: frozenset({Op.CONTAINS, Op.EXISTS, Op.NOT_EXISTS}),
    Computed.FAVOURITE_STORE: frozenset({Op.EQ, Op.NEQ, Op.IN, Op.NOT_IN, Op.EXISTS, Op.NOT_EXISTS}),
}


# The purposes of ``consent.Purpose`` (a test holds the two equal; this module stays free of I/O).
CONSENT_PURPOSES = ("email", "sms", "push", "profiling", "proximity")


class EventType(StrEnum):
    TRACK = "track"
    PAGE = "page"
    SCREEN = "screen"


@dataclass(frozen=True, slots=True)
class TraitCondition:
    """A stored trait of the profile (``traits[name]``) compared with a value."""

    trait: str
    op: Op
    value: Scalar | tuple[Scalar, ...] | None = None


@dataclass(frozen=True, slots=True)
class ComputedCondition:
    computed: Computed
    op: Op
    value: Scalar | tuple[Scalar, ...] | None = None


@dataclass(frozen=True, slots=True)
class EventCondition:
    """At least ``min_count`` (at most ``max_count``) events named ``event`` in the last
    ``within_days`` days (ever, when None), optionally with these exact property values."""

    event: str
    type: EventType = EventType.TRACK
    within_days: int | None = None
    min_count: int = 1
    max_count: int | None = None
    properties: tuple[tuple[str, Scalar], ...] = ()


@dataclass(frozen=True, slots=True)
class ConsentCondition:
    """The person currently grants ``purpose`` (a purpose never asked about is not granted)."""

    consent: str


@dataclass(frozen=True, slots=True)
class AllOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class Not:
    rule: Rule


Rule = TraitCondition | ComputedCondition | EventCondition | ConsentCondition | AllOf | AnyOf | Not


@dataclass(frozen=True, slots=True)
class ProfileFacts:
    """What a rule may look at for one profile. ``event_counts`` holds the count of each event
    condition of the rule (absent = 0); ``consents`` the purposes granted now."""

    traits: Mapping[str, Any]
    computed: Mapping[Computed, Any]
    event_counts: Mapping[EventCondition, int]
    consents: frozenset[str] = frozenset()


# --- parsing ----------------------------------------------------------------------------------


def _fail(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{path}: {message}", code="segments.invalid_definition", field=path)


class _Parser:
    def __init__(self) -> None:
        self.conditions = 0

    def rule(self, raw: Any, path: str, depth: int) -> Rule:
        if depth > MAX_DEPTH:
            raise _fail(path, f"rules nest at most {MAX_DEPTH} levels deep")
        if not isinstance(raw, dict) or not raw:
            raise _fail(path, 'a rule must be a JSON object such as {"all": [...]} or a condition')
        kinds = [k for k in ("all", "any", "not", "trait", "computed", "event", "consent") if k in raw]
        if len(kinds) != 1:
            raise _fail(
                path,
                "a rule needs exactly one of 'all', 'any', 'not', 'trait', 'computed', 'event' or 'consent'"
                + (f" (found {', '.join(kinds)})" if kinds else ""),
            )
        kind = kinds[0]
        if kind in ("all", "any"):
            self._only(raw, path, {kind})
            items = raw[kind]
            if not isinstance(items, list) or not items:
                raise _fail(f"{path}.{kind}", "must be a non-empty list of rules")
            rules = tuple(self.rule(item, f"{path}.{kind}.{i}", depth + 1) for i, item in enumerate(items))
            return AllOf(rules) if kind == "all" else AnyOf(rules)
        if kind == "not":
            self._only(raw, path, {"not"})
            return Not(self.rule(raw["not"], f"{path}.not", depth + 1))
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise _fail(path, f"a definition holds at most {MAX_CONDITIONS} conditions")
        if kind == "event":
            return self._event(raw, path)
        if kind == "consent":
            self._only(raw, path, {"consent"})
            if raw["consent"] not in CONSENT_PURPOSES:
                raise _fail(
                    f"{path}.consent",
                    f"unknown purpose {raw['consent']!r} (one of {', '.join(CONSENT_PURPOSES)})",
                )
            return ConsentCondition(raw["consent"])
        return self._comparison(raw, path, kind)

    @staticmethod
    def _only(raw: dict[str, Any], path: str, allowed: set[str]) -> None:
        extra = sorted(set(raw) - allowed)
        if extra:
            raise _fail(f"{path}.{extra[0]}", f"unknown field (allowed: {', '.join(sorted(allowed))})")

    def _comparison(self, raw: dict[str, Any], path: str, kind: str) -> Rule:
        self._only(raw, path, {kind, "op", "value"})
        name = raw[kind]
        if "op" not in raw:
            raise _fail(f"{path}.op", f"is required (one of {', '.join(Op)})")
        try:
            op = Op(raw["op"])
        except (ValueError, TypeError):
            raise _fail(f"{path}.op", f"unknown op {raw['op']!r} (one of {', '.join(Op)})") from None
        if kind == "trait":
            if not isinstance(name, str) or not TRAIT_NAME.match(name):
                raise _fail(f"{path}.trait", "a trait name is letters, digits and '_' (at most 64)")
            return TraitCondition(name, op, _value(raw, path, op))
        try:
            computed = Computed(name)
        except (ValueError, TypeError):
            raise _fail(
                f"{path}.computed", f"unknown computed trait {name!r} (one of {', '.join(Computed)})"
            ) from None
        if op not in _COMPUTED_OPS[computed]:
            allowed = ", ".join(o for o in Op if o in _COMPUTED_OPS[computed])
            raise _fail(f"{path}.op", f"{computed} cannot be compared with {op} (use {allowed})")
        return ComputedCondition(computed, op, _value(raw, path, op))

    def _event(self, raw: dict[str, Any], path: str) -> EventCondition:
        self._only(raw, path, {"event", "type", "within_days", "min_count", "max_count", "properties"})
        name = raw["event"]
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            raise _fail(f"{path}.event", "an event name is a non-empty string of at most 200 characters")
        try:
            type_ = EventType(raw.get("type", "track"))
        except (ValueError, TypeError):
            raise _fail(f"{path}.type", f"one of {', '.join(EventType)}") from None
        within = _whole(raw, "within_days", path, 1, MAX_WITHIN_DAYS)
        least = _whole(raw, "min_count", path, 1, MAX_COUNT)
        most = _whole(raw, "max_count", path, 0, MAX_COUNT)
        minimum = 1 if least is None else least
        if most is not None and most < minimum:
            raise _fail(f"{path}.max_count", f"must be at least min_count ({minimum})")
        props = raw.get("properties", {})
        if not isinstance(props, dict) or len(props) > 10:
            raise _fail(f"{path}.properties", "an object of at most 10 property: value pairs")
        pairs = []
        for key, value in sorted(props.items()):
            if not TRAIT_NAME.match(key):
                raise _fail(f"{path}.properties.{key}", "a property name is letters, digits and '_'")
            pairs.append((key, _scalar(value, f"{path}.properties.{key}")))
        return EventCondition(name, type_, within, minimum, most, tuple(pairs))


def _whole(raw: dict[str, Any], key: str, path: str, low: int, high: int) -> int | None:
    if key not in raw or raw[key] is None:
        return None
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(f"{path}.{key}", f"a whole number from {low} to {high}")
    return value


def _scalar(value: Any, path: str) -> Scalar:
    if isinstance(value, str):
        if len(value) > 200:
            raise _fail(path, "strings are at most 200 characters")
        return value
    if isinstance(value, bool | int | float):
        return value
    raise _fail(path, "a value is a string, a number or true/false")


def _value(raw: dict[str, Any], path: str, op: Op) -> Scalar | tuple[Scalar, ...] | None:
    if op in PRESENCE:
        if raw.get("value") is not None:
            raise _fail(f"{path}.value", f"{op} takes no value")
        return None
    if "value" not in raw or raw["value"] is None:
        raise _fail(f"{path}.value", f"{op} needs a value")
    value = raw["value"]
    if op in MEMBERSHIP:
        if not isinstance(value, list) or not value or len(value) > MAX_LIST:
            raise _fail(f"{path}.value", f"{op} needs a list of 1 to {MAX_LIST} values")
        return tuple(_scalar(v, f"{path}.value.{i}") for i, v in enumerate(value))
    scalar = _scalar(value, f"{path}.value")
    if op in ORDERING and not _is_number(scalar):
        raise _fail(f"{path}.value", f"{op} compares numbers: give a number")
    return scalar


def parse_definition(raw: Any) -> Rule:
    """The rule a JSON definition describes; ``ValidationFailed`` (field ``definition...``) if bad."""
    return _Parser().rule(raw, "definition", 1)


def dump_rule(rule: Rule) -> dict[str, Any]:
    """The canonical JSON form of ``rule`` (what is stored; parsing it gives ``rule`` back)."""
    if isinstance(rule, AllOf):
        return {"all": [dump_rule(r) for r in rule.rules]}
    if isinstance(rule, AnyOf):
        return {"any": [dump_rule(r) for r in rule.rules]}
    if isinstance(rule, Not):
        return {"not": dump_rule(rule.rule)}
    if isinstance(rule, ConsentCondition):
        return {"consent": rule.consent}
    if isinstance(rule, EventCondition):
        out: dict[str, Any] = {"event": rule.event, "type": rule.type.value, "min_count": rule.min_count}
        if rule.within_days is not None:
            out["within_days"] = rule.within_days
        if rule.max_count is not None:
            out["max_count"] = rule.max_count
        if rule.properties:
            out["properties"] = dict(rule.properties)
        return out
    key = "trait" if isinstance(rule, TraitCondition) else "computed"
    name = rule.trait if isinstance(rule, TraitCondition) else rule.computed.value
    out = {key: name, "op": rule.op.value}
    if rule.value is not None:
        out["value"] = list(rule.value) if isinstance(rule.value, tuple) else rule.value
    return out


# --- evaluation -------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same_value(actual: Any, expected: Scalar) -> bool:
    """Typed equality: strings with strings, numbers with numbers, booleans with booleans."""
    if isinstance(expected, bool):
        return isinstance(actual, bool) and actual is expected
    if _is_number(expected):
        return _is_number(actual) and actual == expected
    return isinstance(actual, str) and actual == expected


def compare(op: Op, actual: Any, expected: Scalar | tuple[Scalar, ...] | None) -> bool:
    """Whether ``actual`` (None = missing) satisfies ``op expected``, with the module's semantics."""
    if op is Op.EXISTS:
        return actual is not None
    if op is Op.NOT_EXISTS:
        return actual is None
    if op in MEMBERSHIP:
        assert isinstance(expected, tuple)
        found = any(same_value(actual, v) for v in expected)
        return found if op is Op.IN else not found
    assert expected is not None and not isinstance(expected, tuple)
    if op is Op.EQ:
        return same_value(actual, expected)
    if op is Op.NEQ:
        return not same_value(actual, expected)
    if op is Op.CONTAINS:
        if isinstance(actual, str):
            return isinstance(expected, str) and expected in actual
        if isinstance(actual, list):
            return any(same_value(item, expected) for item in actual)
        return False
    if not _is_number(actual):
        return False
    assert _is_number(expected)
    number = float(actual)
    bound = float(expected)
    return {
        Op.GT: number > bound,
        Op.GTE: number >= bound,
        Op.LT: number < bound,
        Op.LTE: number <= bound,
    }[op]


def count_in_range(condition: EventCondition, count: int) -> bool:
    if count < condition.min_count:
        return False
    return condition.max_count is None or count <= condition.max_count


def matches(rule: Rule, facts: ProfileFacts) -> bool:
    """Whether the profile these facts describe belongs to the segment ``rule`` defines."""
    if isinstance(rule, AllOf):
        return all(matches(r, facts) for r in rule.rules)
    if isinstance(rule, AnyOf):
        return any(matches(r, facts) for r in rule.rules)
    if isinstance(rule, Not):
        return not matches(rule.rule, facts)
    if isinstance(rule, EventCondition):
        return count_in_range(rule, facts.event_counts.get(rule, 0))
    if isinstance(rule, ConsentCondition):
        return rule.consent in facts.consents
    if isinstance(rule, TraitCondition):
        return compare(rule.op, facts.traits.get(rule.trait), rule.value)
    return compare(rule.op, facts.computed.get(rule.computed), rule.value)


def event_conditions(rule: Rule) -> list[EventCondition]:
    """Every distinct event condition in ``rule``, in order of appearance."""
    found: list[EventCondition] = []
    stack: list[Rule] = [rule]
    while stack:
        node = stack.pop(0)
        if isinstance(node, AllOf | AnyOf):
            stack[:0] = list(node.rules)
        elif isinstance(node, Not):
            stack.insert(0, node.rule)
        elif isinstance(node, EventCondition) and node not in found:
            found.append(node)
    return found


def uses_consent(rule: Rule) -> bool:
    """Whether ``rule`` looks at consents anywhere."""
    if isinstance(rule, AllOf | AnyOf):
        return any(uses_consent(r) for r in rule.rules)
    if isinstance(rule, Not):
        return uses_consent(rule.rule)
    return isinstance(rule, ConsentCondition)


def computed_used(rule: Rule) -> frozenset[Computed]:
    """The computed traits ``rule`` looks at."""
    if isinstance(rule, AllOf | AnyOf):
        return frozenset().union(*(computed_used(r) for r in rule.rules))
    if isinstance(rule, Not):
        return computed_used(rule.rule)
    if isinstance(rule, ComputedCondition):
        return frozenset({rule.computed})
    return frozenset()
