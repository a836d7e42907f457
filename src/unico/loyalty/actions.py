"""Points for things a member does besides buying: a product review, installing the app,
signing up to the newsletter. The live ``action`` rule says how many points and whether the
action is rewarded once per customer.

The posting is ``EARN`` (``available +P / program:issued -P``: nothing to return, so nothing
pending), idempotent by its source: ``("action", "<action>:<account>")`` for once-per-customer
actions, ``("action", "<action>:<account>:<ref>")`` otherwise, so a client retrying with the
same ``ref`` changes nothing. A once-only action already rewarded under another ``ref`` is
refused (409 ``loyalty.action_already_rewarded``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from unico.access.model import Permission, Principal
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.loyalty.configuration import program_in
from unico.loyalty.ledger import post_in
from unico.loyalty.model import AVAILABLE, ISSUED, Leg, PostingKind, Source
from unico.loyalty.program import Action
from unico.loyalty.purchases import member_account_in
from unico.loyalty.store import loyalty_transactions
from unico.loyalty.tiers import update_tier_in


@dataclass(frozen=True)
class ActionResult:
    status: str  # recorded | already_recorded
    account_id: str
    action: str
    ref: str
    points: int
    txn_id: str


def record_action(
    db: Database, customer_id: str, action: str, ref: str, principal: Principal
) -> ActionResult:
    """Reward ``action`` (identified by ``ref``: a review id, a device id...) for the member
    ``customer_id``. 404 ``loyalty.not_enrolled`` without an account; 422
    ``loyalty.unknown_action`` / ``loyalty.action_not_rewarded`` (no live rule) /
    ``loyalty.action_invalid`` (ref); 409 ``loyalty.action_already_rewarded``."""
    principal.require(Permission.LOYALTY_WRITE)
    if action not in {a.value for a in Action}:
        raise ValidationFailed(f"unknown action {action!r}", code="loyalty.unknown_action", field="action")
    ref = ref.strip()
    if not 1 <= len(ref) <= 80:
        raise ValidationFailed(
            "a ref of 1-80 characters is required", code="loyalty.action_invalid", field="ref"
        )
    now = clock.now()
    with db.write() as conn:
        account_id = member_account_in(conn, customer_id)
        if account_id is None:
            raise NotFound(
                f"customer {customer_id} has no loyalty account",
                code="loyalty.not_enrolled",
                customer_id=customer_id,
            )
        program = program_in(conn)
        rule = program.action_rule(action, now)
        if rule is None:
            raise ValidationFailed(
                f"no live rule rewards {action}", code="loyalty.action_not_rewarded", field="action"
            )
        key = f"{action}:{account_id}" if rule.once_per_customer else f"{action}:{account_id}:{ref}"
        source = Source("action", key)
        t = loyalty_transactions.c
        done = conn.execute(
            select(t.txn_id, t.points, t.detail).where(
                t.source_kind == source.kind, t.source_ref == source.ref
            )
        ).first()
        if done is not None:
            if done.detail.get("ref") != ref:
                raise Conflict(
                    f"{action} was already rewarded for this customer",
                    code="loyalty.action_already_rewarded",
                    action=action,
                    ref=done.detail.get("ref"),
                )
            return ActionResult(
                "already_recorded", account_id, action, ref, int(done.points), str(done.txn_id)
            )
        txn_id = post_in(
            conn,
            account_id,
            PostingKind.EARN,
            source,
            [Leg(AVAILABLE, rule.points), Leg(ISSUED, -rule.points)],
            actor=principal.actor,
            detail={"action": action, "ref": ref, "rule": rule.code},
            at=now,
        )
        if txn_id is None:  # a concurrent request recorded it first
            raise Conflict(
                f"{action} is being rewarded already", code="loyalty.action_already_rewarded", action=action
            )
        record_event(
            conn,
            DomainEvent(
                "loyalty.action_rewarded",
                "loyalty_account",
                account_id,
                {"account_id": account_id, "txn_id": txn_id, "action": action, "points": rule.points},
            ),
        )
        update_tier_in(conn, account_id, reason="earning", program=program)
    return ActionResult("recorded", account_id, action, ref, rule.points, txn_id)
