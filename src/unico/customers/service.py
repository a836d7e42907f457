"""Use cases of customer profiles and the identity graph.

Functions taking a ``conn`` work inside the caller's transaction (other domains call them while
placing an order or importing customers); functions taking a ``db`` open their own unit of work.

    resolve_profile_id(conn, profile_id) -> str          follows merges to the current profile
    find_or_create_profile(conn, identifiers, traits, source) -> str
    merge_profiles(conn, survivor, merged, reason, actor, evidence=None) -> merge id
    undo_merge(conn, merge_id, actor) -> merge view
    normalise_identifier(kind, value) -> str | None      None: blocked or malformed
    get_profile(db, profile_id) -> dict
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from unico.core import clock
from unico.core.db import Database, among
from unico.core.errors import Conflict, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.customers.continuity import load_continuity
from unico.customers.graph import (
    identifier_rows_among,
    identifiers_from_traits,
    profile_family,
    profile_row,
    resolve_profile_id,
    snake_traits,
)
from unico.customers.identity import RULES, Identifier, normalise_identifier, normalise_identifiers
from unico.customers.merges import list_merges, merge_profiles, merge_view, undo_merge
from unico.customers.profiles import (
    compute_traits,
    display_name,
    load_facts,
    load_relations,
    load_timeline,
    order_summaries,
)
from unico.customers.stitching import Stitched, add_identifiers, find_or_create_profile, stitch
from unico.customers.store import customer_identifiers, customer_profiles, customer_relations, identity_merges

__all__ = [
    "Identifier",
    "add_profile_identifiers",
    "add_relation",
    "find_or_create_profile",
    "get_continuity",
    "get_profile",
    "get_timeline",
    "list_profile_merges",
    "merge",
    "merge_profiles",
    "normalise_identifier",
    "profile_family",
    "refresh_computed_traits",
    "resolve_profile_id",
    "search_profiles",
    "stitch",
    "undo",
    "undo_merge",
    "upsert_profile",
]

RELATION_KINDS = ("household", "shared_address", "shared_device", "bought_for")
SEARCH_LIMIT = 50


def _check_kinds(identifiers: Mapping[str, object]) -> None:
    for kind in identifiers:
        if kind not in RULES:
            raise ValidationFailed(
                f"unknown identifier kind {kind!r} (one of {', '.join(RULES)})",
                code="customers.unknown_identifier_kind",
                field=f"identifiers.{kind}",
            )


def _stitched_view(result: Stitched, ignored: list[str]) -> dict[str, Any]:
    return {
        "profile_id": result.profile_id,
        "action": result.action,
        "merged": list(result.merged),
        "dropped": [{"kind": i.kind, "value": i.value} for i in result.dropped],
        "ignored": ignored,
    }


def _ignored(identifiers: Mapping[str, object]) -> list[str]:
    """Kinds whose value was blocked or malformed."""
    return sorted(k for k, v in identifiers.items() if normalise_identifier(k, v) is None)


# --- reading ----------------------------------------------------------------------------------


def get_profile(db: Database, profile_id: str) -> dict[str, Any]:
    """The unified profile: traits, identifiers, computed traits, recent orders and relations. A
    merged id answers with its survivor (``resolved_from`` names the id asked for)."""
    with db.read() as conn:
        current = resolve_profile_id(conn, profile_id)
        row = profile_row(conn, current)
        identifiers = conn.execute(
            select(customer_identifiers)
            .where(customer_identifiers.c.profile_id == row.id)
            .order_by(customer_identifiers.c.kind, customer_identifiers.c.value)
        ).all()
        facts = load_facts(conn, current)
        computed = compute_traits(facts, clock.now())
        merged_from = [p for p in profile_family(conn, current) if p != current]
        return {
            "profile_id": current,
            "resolved_from": profile_id if profile_id != current else None,
            "status": row.status,
            "traits": row.traits,
            "identifiers": [
                {
                    "kind": i.kind,
                    "value": i.value,
                    "source": i.source,
                    "first_seen_at": i.first_seen_at,
                    "last_seen_at": i.last_seen_at,
                }
                for i in identifiers
            ],
            "computed": computed,
            "first_seen_at": _earliest(row.first_seen_at, computed["first_seen_at"]),
            "last_seen_at": _latest(row.last_seen_at, computed["last_seen_at"]),
            "orders": order_summaries(facts.orders),
            "relations": load_relations(conn, current),
            "merged_from": merged_from,
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }


def search_profiles(db: Database, q: str, limit: int = 20) -> list[dict[str, Any]]:
    """Active profiles matching ``q``: a profile id, any identifier (normalised as its kind would
    be: a phone in any format, an email in any case, a card with spaces), or part of the name."""
    text = q.strip()
    if not text:
        return []
    limit = max(1, min(limit, SEARCH_LIMIT))
    candidates: set[tuple[str, str]] = {
        (kind.value, v) for kind in RULES if (v := normalise_identifier(kind, text)) is not None
    }
    candidates.add(("user_id", text))
    with db.read() as conn:
        matched: dict[int, str] = {}
        for pk, kind, value in conn.execute(
            select(
                customer_identifiers.c.profile_id, customer_identifiers.c.kind, customer_identifiers.c.value
            ).where(identifier_rows_among(conn, [Identifier(k, v) for k, v in candidates]))
        ):
            if (kind, value) in candidates:
                matched.setdefault(pk, kind)
        words = text.lower().split()
        name_match = and_(*(customer_profiles.c.name_key.like(f"%{_escape(w)}%", escape="\\") for w in words))
        rows = conn.execute(
            select(customer_profiles)
            .where(
                customer_profiles.c.status == "active",
                or_(
                    among(conn, customer_profiles.c.id, list(matched) or [-1]),
                    customer_profiles.c.profile_id == text,
                    name_match,
                ),
            )
            .order_by(customer_profiles.c.last_seen_at.desc(), customer_profiles.c.id)
            .limit(limit)
        ).all()
        contacts = _contacts(conn, [r.id for r in rows])
        return [
            {
                "profile_id": r.profile_id,
                "name": display_name(r.traits),
                "email": contacts.get(r.id, {}).get("email"),
                "phone": contacts.get(r.id, {}).get("phone"),
                "loyalty_card": contacts.get(r.id, {}).get("loyalty_card"),
                "matched": matched.get(r.id, "profile_id" if r.profile_id == text else "name"),
                "last_seen_at": r.last_seen_at,
            }
            for r in rows
        ]


def get_timeline(
    db: Database, profile_id: str, *, limit: int = 100, before: datetime | None = None
) -> dict[str, Any]:
    with db.read() as conn:
        current = resolve_profile_id(conn, profile_id)
        entries = load_timeline(conn, current, limit=max(1, min(limit, 500)), before=before)
        return {"profile_id": current, "entries": entries}


def get_continuity(db: Database, profile_id: str) -> dict[str, Any]:
    with db.read() as conn:
        current = resolve_profile_id(conn, profile_id)
        return {"profile_id": current, **load_continuity(conn, current)}


def list_profile_merges(db: Database, profile_id: str) -> list[dict[str, Any]]:
    with db.read() as conn:
        return list_merges(conn, profile_id)


# --- changing ---------------------------------------------------------------------------------


def upsert_profile(
    db: Database, identifiers: Mapping[str, str], traits: Mapping[str, Any], source: str, actor: str
) -> dict[str, Any]:
    """Find the profile of ``identifiers`` (stitching, and merging if they name several profiles)
    or create it, then apply ``traits``. Blocked values are ignored and listed in ``ignored``."""
    _check_kinds(identifiers)
    pairs = list(identifiers.items()) + identifiers_from_traits(snake_traits(traits))
    normal = normalise_identifiers(pairs)
    if not normal:
        raise ValidationFailed(
            "no usable identifier (all blocked or malformed)",
            code="customers.no_identifier",
            field="identifiers",
        )
    with db.write() as conn:
        result = stitch(conn, normal, traits=traits, source=source, actor=actor)
    return _stitched_view(result, _ignored(identifiers))


def add_profile_identifiers(
    db: Database, profile_id: str, identifiers: Mapping[str, str], source: str, actor: str
) -> dict[str, Any]:
    """Attach identifiers to a profile (a loyalty card scanned at the till, a phone given to an
    advisor); one that already belongs to another profile merges the two."""
    _check_kinds(identifiers)
    normal = normalise_identifiers(identifiers.items())
    if not normal:
        raise ValidationFailed(
            "no usable identifier (all blocked or malformed)",
            code="customers.no_identifier",
            field="identifiers",
        )
    with db.write() as conn:
        result = add_identifiers(conn, profile_id, normal, source, actor)
    return _stitched_view(result, _ignored(identifiers))


def merge(
    db: Database, survivor: str, merged: str, reason: str, actor: str, evidence: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A manual merge (staff or the matching review queue); identifier limits are not applied,
    the person deciding has seen both profiles."""
    with db.write() as conn:
        merge_id = merge_profiles(conn, survivor, merged, reason, actor, evidence)
        return merge_view(
            conn.execute(select(identity_merges).where(identity_merges.c.merge_id == merge_id)).one()
        )


def undo(db: Database, merge_id: str, actor: str) -> dict[str, Any]:
    with db.write() as conn:
        return undo_merge(conn, merge_id, actor)


def add_relation(db: Database, profile_id: str, other: str, kind: str, actor: str) -> dict[str, Any]:
    """Relate two people (household, shared address or device, one bought for the other)."""
    if kind not in RELATION_KINDS:
        raise ValidationFailed(
            f"unknown relation kind {kind!r} (one of {', '.join(RELATION_KINDS)})",
            code="customers.unknown_relation_kind",
            field="kind",
        )
    with db.write() as conn:
        mine = profile_row(conn, resolve_profile_id(conn, profile_id))
        theirs = profile_row(conn, resolve_profile_id(conn, other))
        if mine.id == theirs.id:
            raise Conflict("a profile cannot be related to itself", code="customers.self_relation")
        first, second = (mine, theirs)
        if kind != "bought_for" and second.id < first.id:
            first, second = second, first  # symmetric kinds are stored once
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        conn.execute(
            insert(customer_relations)
            .values(
                profile_id=first.id,
                other_profile_id=second.id,
                kind=kind,
                source="api",
                actor=actor[:120],
                created_at=clock.now(),
            )
            .on_conflict_do_nothing(index_elements=["profile_id", "other_profile_id", "kind"])
        )
        record_event(
            conn,
            DomainEvent(
                "customer.relation_added",
                "customer",
                mine.profile_id,
                {"profile_id": mine.profile_id, "other": theirs.profile_id, "kind": kind},
            ),
        )
        return {"profile_id": mine.profile_id, "relations": load_relations(conn, mine.profile_id)}


def refresh_computed_traits(db: Database, limit: int = 200) -> int:
    """Store the computed traits of profiles whose cache is missing (segments read it)."""
    with db.write() as conn:
        rows = conn.execute(
            select(customer_profiles.c.id, customer_profiles.c.profile_id)
            .where(customer_profiles.c.status == "active", customer_profiles.c.computed_at.is_(None))
            .order_by(customer_profiles.c.id)
            .limit(limit)
        ).all()
        now = clock.now()
        for row in rows:
            computed = compute_traits(load_facts(conn, row.profile_id), now)
            conn.execute(
                customer_profiles.update()
                .where(customer_profiles.c.id == row.id)
                .values(computed=_jsonable(computed), computed_at=now)
            )
        return len(rows)


# --- small helpers ----------------------------------------------------------------------------


def _contacts(conn: Any, pks: list[int]) -> dict[int, dict[str, str]]:
    out: dict[int, dict[str, str]] = {}
    if not pks:
        return out
    for pk, kind, value in conn.execute(
        select(customer_identifiers.c.profile_id, customer_identifiers.c.kind, customer_identifiers.c.value)
        .where(
            among(conn, customer_identifiers.c.profile_id, pks),
            among(conn, customer_identifiers.c.kind, ["email", "phone", "loyalty_card"]),
        )
        .order_by(customer_identifiers.c.id)
    ):
        out.setdefault(pk, {}).setdefault(kind, value)
    return out


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((t for t in (a, b) if t is not None), default=None)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((t for t in (a, b) if t is not None), default=None)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
