"""The match review queue: pairs of profiles the model found likely the same person, decided by
a person. Merging goes through ``merge_profiles`` (audited, undoable) with the model's evidence;
a decided review is never decided again (409 ``matching.review_decided``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from unico.access.model import Permission, Principal
from unico.core import clock
from unico.core.db import Database, among
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.customers.matching_store import match_reviews
from unico.customers.service import merge_profiles, resolve_profile_id
from unico.customers.store import customer_profiles

STATUSES = ("pending", "merged", "rejected")
MAX_PAGE = 200


def list_reviews(
    db: Database, principal: Principal, *, status: str = "pending", limit: int = 50
) -> list[dict[str, Any]]:
    """Reviews in ``status``, oldest first, each with both profiles' traits for the reviewer."""
    principal.require(Permission.CUSTOMERS_READ)
    if status not in STATUSES:
        raise ValidationFailed(
            f"unknown review status {status!r} (one of {', '.join(STATUSES)})",
            code="matching.unknown_status",
            field="status",
        )
    with db.read() as conn:
        rows = conn.execute(
            select(match_reviews)
            .where(match_reviews.c.status == status)
            .order_by(match_reviews.c.created_at, match_reviews.c.id)
            .limit(max(1, min(limit, MAX_PAGE)))
        ).all()
        traits = _traits(conn, [p for r in rows for p in (r.survivor, r.candidate)])
        return [review_view(r, traits) for r in rows]


def merge_review(db: Database, review_id: str, principal: Principal) -> dict[str, Any]:
    """Accept the proposal: merge the candidate into the survivor, recording the evidence."""
    principal.require(Permission.CUSTOMERS_WRITE)
    actor = principal.actor
    with db.write() as conn:
        row = _decide(conn, review_id, "merged", actor)
        merge_id = None
        # Stitching may have joined the two since the review was opened: then there is nothing
        # left to merge, and the reviewer's answer is recorded all the same.
        if resolve_profile_id(conn, row.survivor) != resolve_profile_id(conn, row.candidate):
            evidence = {**row.evidence, "review_id": review_id}
            merge_id = merge_profiles(conn, row.survivor, row.candidate, "match review", actor, evidence)
            conn.execute(match_reviews.update().where(match_reviews.c.id == row.id).values(merge_id=merge_id))
        _record_decision(conn, row, "merged", merge_id)
        return review_view(_load(conn, review_id), _traits(conn, [row.survivor, row.candidate]))


def reject_review(db: Database, review_id: str, principal: Principal) -> dict[str, Any]:
    """Decline the proposal: the two profiles stay separate people."""
    principal.require(Permission.CUSTOMERS_WRITE)
    with db.write() as conn:
        row = _decide(conn, review_id, "rejected", principal.actor)
        _record_decision(conn, row, "rejected", None)
        return review_view(_load(conn, review_id), _traits(conn, [row.survivor, row.candidate]))


def _decide(conn: Connection, review_id: str, status: str, actor: str) -> Row[Any]:
    """Move a pending review to ``status`` with one conditional update (a concurrent decision
    of the same review finds it no longer pending)."""
    row = _load(conn, review_id)
    changed = conn.execute(
        match_reviews.update()
        .where(match_reviews.c.id == row.id, match_reviews.c.status == "pending")
        .values(status=status, decided_at=clock.now(), decided_by=actor[:120])
    ).rowcount
    if changed != 1:
        current = _load(conn, review_id)
        raise Conflict(
            f"review {review_id} is already {current.status}",
            code="matching.review_decided",
            review_id=review_id,
            status=current.status,
        )
    return row


def _record_decision(conn: Connection, row: Row[Any], status: str, merge_id: str | None) -> None:
    record_event(
        conn,
        DomainEvent(
            "customer.match_review_decided",
            "customer",
            row.survivor,
            {
                "review_id": row.review_id,
                "survivor": row.survivor,
                "candidate": row.candidate,
                "decision": status,
                "merge_id": merge_id,
            },
        ),
    )


def _load(conn: Connection, review_id: str) -> Row[Any]:
    row = conn.execute(select(match_reviews).where(match_reviews.c.review_id == review_id)).first()
    if row is None:
        raise NotFound(f"unknown review {review_id}", code="matching.review_not_found", review_id=review_id)
    return row


def _traits(conn: Connection, profile_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not profile_ids:
        return {}
    rows = conn.execute(
        select(customer_profiles.c.profile_id, customer_profiles.c.status, customer_profiles.c.traits).where(
            among(conn, customer_profiles.c.profile_id, sorted(set(profile_ids)))
        )
    )
    return {r.profile_id: {"status": r.status, "traits": r.traits or {}} for r in rows}


def review_view(row: Row[Any], profiles: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "review_id": row.review_id,
        "status": row.status,
        "survivor": {"profile_id": row.survivor, **profiles.get(row.survivor, {})},
        "candidate": {"profile_id": row.candidate, **profiles.get(row.candidate, {})},
        "score": row.score,
        "match_weight": row.match_weight,
        "evidence": row.evidence,
        "source": row.source,
        "created_at": row.created_at,
        "decided_at": row.decided_at,
        "decided_by": row.decided_by,
        "merge_id": row.merge_id,
    }
