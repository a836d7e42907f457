"""Segments against the database: definitions stored, rules compiled to SQL, members listed.

A rule made only of traits, events, ``order_count`` and ``total_spend`` becomes one WHERE clause
over active profiles, so counting a segment is one query. A rule that looks at the other computed
traits (average order value, recency, channels, favourite store) is narrowed in SQL by the
compilable conditions of its top-level ``all``, and the remaining candidates are judged in Python
by :func:`unico.customers.segments.matches` over facts loaded in bulk. Both paths share the
semantics written down in ``segments``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from unico.access.model import Principal
from unico.core import clock
from unico.core.db import Database, among
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.ids import new_id
from unico.customers.privacy_store import customer_consents, segments
from unico.customers.segments import (
    MEMBERSHIP,
    AllOf,
    AnyOf,
    Computed,
    ComputedCondition,
    ConsentCondition,
    EventCondition,
    Not,
    Op,
    ProfileFacts,
    Rule,
    Scalar,
    TraitCondition,
    computed_used,
    dump_rule,
    event_conditions,
    matches,
    parse_definition,
    uses_consent,
)
from unico.customers.store import customer_profiles
from unico.customers.tracking_store import tracking_events
from unico.inventory.store import locations
from unico.orders.store import orders

profiles = customer_profiles
# Orders that never happened for the customer do not count towards spend or channels.
VOID_ORDER_STATUSES = ("cancelled", "expired")
SQL_COMPUTED = frozenset({Computed.ORDER_COUNT, Computed.TOTAL_SPEND})
CHUNK = 900
MEMBER_TRAITS = ("first_name", "last_name", "email", "phone", "city")


@dataclass(frozen=True, slots=True)
class SegmentView:
    segment_id: str
    name: str
    description: str
    definition: dict[str, Any]
    created_by: str
    created_at: datetime
    count: int | None = None


@dataclass(frozen=True, slots=True)
class Member:
    profile_id: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    city: str | None


# --- JSON comparisons per dialect -------------------------------------------------------------


def _definite(expr: ColumnElement[bool]) -> ColumnElement[bool]:
    """``expr`` with NULL read as false, so that NOT of it is what Python's ``not`` would say."""
    return func.coalesce(expr, false())


def _jsonb(value: Any) -> Any:
    """A bound value as JSONB (SQLAlchemy serialises it once)."""
    return literal(value, type_=JSONB)


class _JsonField:
    """One key of a JSON column, compared with typed values as ``segments.compare`` does."""

    def __init__(self, dialect: str, column: Any, key: str) -> None:
        self.pg = dialect == "postgresql"
        self.column = column
        self.key = key
        if self.pg:
            self.node = column.op("->")(key)
            self.kind = func.jsonb_typeof(self.node)
        else:
            self.path = f'$."{key}"'
            self.kind = func.json_type(column, self.path)
            self.value = func.json_extract(column, self.path)

    def _number(self) -> ColumnElement[bool]:
        return self.kind == "number" if self.pg else self.kind.in_(("integer", "real"))

    def _is(self, expected: Scalar) -> ColumnElement[bool]:
        if self.pg:  # jsonb equality is typed: "5" is not 5, true is not 1
            return self.node == _jsonb(expected)
        if isinstance(expected, bool):
            return self.kind == ("true" if expected else "false")
        if isinstance(expected, str):
            return and_(self.kind == "text", self.value == expected)
        return and_(self._number(), self.value == expected)

    def present(self) -> ColumnElement[bool]:
        return func.coalesce(self.kind, "null") != "null"

    def ordered(self, op: Op, bound: float) -> ColumnElement[bool]:
        node: Any
        other: Any
        if self.pg:  # jsonb orders numbers numerically and never fails on other types
            node, other = self.node, _jsonb(bound)
        else:
            node, other = self.value, literal(bound)
        compared = {Op.GT: node > other, Op.GTE: node >= other, Op.LT: node < other, Op.LTE: node <= other}
        return and_(self._number(), compared[op])

    def contains(self, expected: Scalar) -> ColumnElement[bool]:
        if self.pg:
            text = self.column.op("->>")(self.key)
            substring = (
                and_(self.kind == "string", func.strpos(text, expected) > 0)
                if isinstance(expected, str)
                else false()
            )
            member = and_(self.kind == "array", self.node.op("@>")(_jsonb([expected])))
            return or_(substring, member)
        substring = (
            and_(self.kind == "text", func.instr(self.value, expected) > 0)
            if isinstance(expected, str)
            else false()
        )
        each = func.json_each(self.column, self.path).table_valued("value", "type")
        if isinstance(expected, bool):
            item = each.c.type == ("true" if expected else "false")
        elif isinstance(expected, str):
            item = and_(each.c.type == "text", each.c.value == expected)
        else:
            item = and_(each.c.type.in_(("integer", "real")), each.c.value == expected)
        member = and_(self.kind == "array", exists(select(literal(1)).select_from(each).where(item)))
        return or_(substring, member)

    def compare(self, op: Op, expected: Scalar | tuple[Scalar, ...] | None) -> ColumnElement[bool]:
        if op is Op.EXISTS:
            return self.present()
        if op is Op.NOT_EXISTS:
            return not_(self.present())
        if op in MEMBERSHIP:
            assert isinstance(expected, tuple)
            found = _definite(or_(*(self._is(v) for v in expected)))
            return found if op is Op.IN else not_(found)
        assert expected is not None and not isinstance(expected, tuple)
        if op is Op.EQ:
            return _definite(self._is(expected))
        if op is Op.NEQ:
            return not_(_definite(self._is(expected)))
        if op is Op.CONTAINS:
            return _definite(self.contains(expected))
        assert isinstance(expected, int | float) and not isinstance(expected, bool)
        return _definite(self.ordered(op, float(expected)))


# --- compiling rules --------------------------------------------------------------------------


def _since(within_days: int | None) -> datetime | None:
    return None if within_days is None else clock.now() - timedelta(days=within_days)


def _event_filter(dialect: str, condition: EventCondition) -> list[ColumnElement[bool]]:
    e = tracking_events
    where = [e.c.type == condition.type.value, e.c.event == condition.event]
    since = _since(condition.within_days)
    if since is not None:
        where.append(e.c.timestamp >= since)
    for key, value in condition.properties:
        where.append(_JsonField(dialect, e.c.properties, key).compare(Op.EQ, value))
    return where


def _event_sql(dialect: str, condition: EventCondition) -> ColumnElement[bool]:
    e = tracking_events
    count = (
        select(func.count())
        .select_from(e)
        .where(e.c.profile_id == profiles.c.profile_id, *_event_filter(dialect, condition))
        .scalar_subquery()
    )
    clause = count >= condition.min_count
    if condition.max_count is not None:
        clause = and_(clause, count <= condition.max_count)
    return clause


def _order_aggregate(measure: Any) -> Any:
    return (
        select(func.coalesce(measure, 0))
        .where(orders.c.customer_id == profiles.c.profile_id, orders.c.status.not_in(VOID_ORDER_STATUSES))
        .scalar_subquery()
    )


def _computed_sql(condition: ComputedCondition) -> ColumnElement[bool]:
    """``order_count`` and ``total_spend``: always numbers (0 without orders)."""
    value = _order_aggregate(
        func.count() if condition.computed is Computed.ORDER_COUNT else func.sum(orders.c.total_minor)
    )
    op, expected = condition.op, condition.value
    if op is Op.EXISTS:
        return true()
    if op is Op.NOT_EXISTS:
        return false()
    if op in MEMBERSHIP:
        assert isinstance(expected, tuple)
        numbers = [v for v in expected if isinstance(v, int | float) and not isinstance(v, bool)]
        found = value.in_(numbers) if numbers else false()
        return found if op is Op.IN else not_(found)
    if not isinstance(expected, int | float) or isinstance(expected, bool):  # typed: never equal
        return true() if op is Op.NEQ else false()
    return {
        Op.EQ: value == expected,
        Op.NEQ: value != expected,
        Op.GT: value > expected,
        Op.GTE: value >= expected,
        Op.LT: value < expected,
        Op.LTE: value <= expected,
    }[op]


def _consent_sql(condition: ConsentCondition) -> ColumnElement[bool]:
    """The latest record of the purpose says granted."""
    c = customer_consents
    latest = (
        select(c.c.granted)
        .where(c.c.profile_id == profiles.c.id, c.c.purpose == condition.consent)
        .order_by(c.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return _definite(latest == true())


def compile_rule(dialect: str, rule: Rule) -> ColumnElement[bool] | None:
    """``rule`` as a WHERE clause over ``customer_profiles``; None if part of it needs Python."""
    if isinstance(rule, AllOf | AnyOf):
        parts = [compile_rule(dialect, r) for r in rule.rules]
        if any(p is None for p in parts):
            return None
        clauses = [p for p in parts if p is not None]
        return and_(*clauses) if isinstance(rule, AllOf) else or_(*clauses)
    if isinstance(rule, Not):
        inner = compile_rule(dialect, rule.rule)
        return None if inner is None else not_(_definite(inner))
    if isinstance(rule, TraitCondition):
        return _JsonField(dialect, profiles.c.traits, rule.trait).compare(rule.op, rule.value)
    if isinstance(rule, EventCondition):
        return _event_sql(dialect, rule)
    if isinstance(rule, ConsentCondition):
        return _consent_sql(rule)
    if rule.computed in SQL_COMPUTED:
        return _computed_sql(rule)
    return None


def _prefilter(dialect: str, rule: Rule) -> ColumnElement[bool]:
    """The compilable conditions of a top-level ``all`` (a superset of the members)."""
    if isinstance(rule, AllOf):
        parts = [compile_rule(dialect, r) for r in rule.rules]
        clauses = [p for p in parts if p is not None]
        return and_(*clauses) if clauses else true()
    return true()


# --- evaluating -------------------------------------------------------------------------------


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _whole_days(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else (now - since) // timedelta(days=1)


def _computed_facts(
    conn: Connection, ids: Sequence[str], wanted: frozenset[Computed]
) -> dict[str, dict[Computed, Any]]:
    now = clock.now()
    facts: dict[str, dict[Computed, Any]] = {pid: {} for pid in ids}
    if not wanted:
        return facts
    live = orders.c.status.not_in(VOID_ORDER_STATUSES)
    channels: dict[str, set[str]] = defaultdict(set)
    stores: dict[str, Counter[str]] = defaultdict(Counter)
    for chunk in _chunks(ids):
        totals = conn.execute(
            select(
                orders.c.customer_id,
                func.count(),
                func.sum(orders.c.total_minor),
                func.max(orders.c.created_at),
            )
            .where(among(conn, orders.c.customer_id, chunk), live)
            .group_by(orders.c.customer_id)
        )
        for pid, count, spend, last in totals:
            facts[pid][Computed.ORDER_COUNT] = int(count)
            facts[pid][Computed.TOTAL_SPEND] = int(spend)
            facts[pid][Computed.AVERAGE_ORDER_VALUE] = int(spend) // int(count)
            facts[pid][Computed.DAYS_SINCE_LAST_ORDER] = _whole_days(clock.as_utc(last), now)
        per_channel = conn.execute(
            select(orders.c.customer_id, orders.c.channel, locations.c.code, func.count())
            .select_from(orders.outerjoin(locations, locations.c.id == orders.c.origin_location_id))
            .where(among(conn, orders.c.customer_id, chunk), live)
            .group_by(orders.c.customer_id, orders.c.channel, locations.c.code)
        )
        for pid, channel, store, count in per_channel:
            channels[pid].add(channel)
            if store is not None:
                stores[pid][store] += int(count)
        seen = conn.execute(
            select(profiles.c.profile_id, profiles.c.last_seen_at).where(
                among(conn, profiles.c.profile_id, chunk)
            )
        )
        for pid, last_seen in seen:
            facts[pid][Computed.DAYS_SINCE_LAST_SEEN] = _whole_days(last_seen, now)
    for pid in ids:
        facts[pid].setdefault(Computed.ORDER_COUNT, 0)
        facts[pid].setdefault(Computed.TOTAL_SPEND, 0)
        if channels[pid]:
            facts[pid][Computed.CHANNELS_USED] = sorted(channels[pid])
        if stores[pid]:  # most orders first, then the code, so ties are decided the same way
            facts[pid][Computed.FAVOURITE_STORE] = min(stores[pid].items(), key=lambda kv: (-kv[1], kv[0]))[0]
    return facts


def _event_counts(
    conn: Connection, ids: Sequence[str], conditions: Sequence[EventCondition]
) -> dict[str, dict[EventCondition, int]]:
    counts: dict[str, dict[EventCondition, int]] = {pid: {} for pid in ids}
    e = tracking_events
    for condition in conditions:
        for chunk in _chunks(ids):
            rows = conn.execute(
                select(e.c.profile_id, func.count())
                .where(among(conn, e.c.profile_id, chunk), *_event_filter(conn.dialect.name, condition))
                .group_by(e.c.profile_id)
            )
            for pid, count in rows:
                counts[pid][condition] = int(count)
    return counts


def _granted(conn: Connection, row_ids: Sequence[int]) -> dict[int, frozenset[str]]:
    """The purposes each profile (by internal id) grants now: the latest record of each."""
    c = customer_consents
    latest: dict[int, dict[str, bool]] = defaultdict(dict)
    for chunk in _chunks(row_ids):
        rows = conn.execute(
            select(c.c.profile_id, c.c.purpose, c.c.granted)
            .where(among(conn, c.c.profile_id, chunk))
            .order_by(c.c.id)
        )
        for row_id, purpose, granted in rows:
            latest[row_id][purpose] = bool(granted)
    return {row_id: frozenset(p for p, g in purposes.items() if g) for row_id, purposes in latest.items()}


def member_ids(conn: Connection, rule: Rule, *, in_python: bool = False) -> list[str]:
    """The ids of the active profiles ``rule`` selects, in id order. ``in_python`` judges every
    candidate in Python even when the rule compiles to SQL (tests hold the two paths equal)."""
    dialect = conn.dialect.name
    live = profiles.c.status == "active"
    where = None if in_python else compile_rule(dialect, rule)
    if where is not None:
        query = select(profiles.c.profile_id).where(live, where).order_by(profiles.c.profile_id)
        return list(conn.execute(query).scalars())
    candidates = conn.execute(
        select(profiles.c.profile_id, profiles.c.traits, profiles.c.id)
        .where(live, true() if in_python else _prefilter(dialect, rule))
        .order_by(profiles.c.profile_id)
    ).all()
    ids = [pid for pid, _traits, _row in candidates]
    computed = _computed_facts(conn, ids, computed_used(rule))
    events = _event_counts(conn, ids, event_conditions(rule))
    granted = _granted(conn, [row for _pid, _traits, row in candidates]) if uses_consent(rule) else {}
    return [
        pid
        for pid, traits, row in candidates
        if matches(
            rule, ProfileFacts(traits or {}, computed[pid], events[pid], granted.get(row, frozenset()))
        )
    ]


def count_members(conn: Connection, rule: Rule) -> int:
    """How many active profiles ``rule`` selects (one COUNT when the rule compiles to SQL)."""
    where = compile_rule(conn.dialect.name, rule)
    if where is None:
        return len(member_ids(conn, rule))
    query = select(func.count()).select_from(profiles).where(profiles.c.status == "active", where)
    return int(conn.execute(query).scalar_one())


# --- use cases --------------------------------------------------------------------------------


def _view(row: Any, count: int | None = None) -> SegmentView:
    return SegmentView(
        row.segment_id, row.name, row.description, row.definition, row.created_by, row.created_at, count
    )


def create_segment(
    db: Database, *, name: str, description: str, definition: Any, principal: Principal
) -> SegmentView:
    """Store a validated definition (422 naming the bad place; 409 if the name is taken)."""
    name = name.strip()
    if not name:
        raise ValidationFailed("a segment needs a name", field="name")
    rule = parse_definition(definition)
    view = SegmentView(new_id("seg"), name, description, dump_rule(rule), principal.actor, clock.now())
    try:
        with db.write() as conn:
            conn.execute(
                segments.insert().values(
                    segment_id=view.segment_id,
                    name=view.name,
                    description=view.description,
                    definition=view.definition,
                    created_by=view.created_by,
                    created_at=view.created_at,
                    updated_at=view.created_at,
                )
            )
            count = count_members(conn, rule)
    except IntegrityError:
        raise Conflict(f"a segment named {name!r} exists", code="segments.name_taken", name=name) from None
    return replace(view, count=count)


def list_segments(db: Database) -> list[SegmentView]:
    with db.read() as conn:
        return [_view(r) for r in conn.execute(select(segments).order_by(segments.c.name))]


def _require_segment(conn: Connection, segment_id: str) -> Any:
    row = conn.execute(select(segments).where(segments.c.segment_id == segment_id)).first()
    if row is None:
        raise NotFound(f"unknown segment {segment_id}", code="segments.not_found", segment_id=segment_id)
    return row


def get_segment(db: Database, segment_id: str) -> SegmentView:
    """A segment with its member count, evaluated now."""
    with db.read() as conn:
        row = _require_segment(conn, segment_id)
        return _view(row, count_members(conn, parse_definition(row.definition)))


def segment_members(db: Database, segment_id: str) -> tuple[SegmentView, list[Member]]:
    """A segment and its members, by profile id, with the traits a campaign needs."""
    with db.read() as conn:
        row = _require_segment(conn, segment_id)
        ids = member_ids(conn, parse_definition(row.definition))
        traits: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            query = select(profiles.c.profile_id, profiles.c.traits).where(
                among(conn, profiles.c.profile_id, chunk)
            )
            traits.update({pid: t or {} for pid, t in conn.execute(query)})
    members = [Member(pid, *(_text(traits[pid].get(k)) for k in MEMBER_TRAITS)) for pid in ids]
    return _view(row, len(ids)), members


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def preview_count(db: Database, definition: Any) -> int:
    """How many profiles a definition would select, without storing it."""
    rule = parse_definition(definition)
    with db.read() as conn:
        return count_members(conn, rule)
