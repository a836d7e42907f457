"""Redeeming rewards at the till and online, and cancelling a redemption.

A redemption is one unit of work: the REDEEM posting (a conditional debit of ``available``, so two
channels spending the same points at once cannot both succeed), the voucher coupon and the
redemption row. It is idempotent by the client's ``redemption_ref`` (a till transaction, a
checkout): the ledger source is ``("redemption", ref)``, a replay answers the first result, and
the same ref with a different request is refused (409 ``loyalty.redemption_mismatch``).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from unico.access.model import Permission, Principal
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.core.ids import new_id
from unico.loyalty import vouchers
from unico.loyalty.accounts import CHANNELS, resolve_account_in, store_of
from unico.loyalty.ledger import balance_in, post_in
from unico.loyalty.model import (
    AVAILABLE,
    REDEEMED,
    Leg,
    PostingKind,
    RedemptionRequest,
    RedemptionView,
    Source,
)
from unico.loyalty.rewards import get_reward_in, redemption_value
from unico.loyalty.store import loyalty_accounts, loyalty_redemptions
from unico.pricing import service as pricing


def _check_request(request: RedemptionRequest) -> None:
    ref = request.redemption_ref or ""
    if not ref.strip() or len(ref) > 120:
        raise ValidationFailed(
            "redemption_ref must be 1-120 characters",
            code="loyalty.bad_redemption_ref",
            field="redemption_ref",
        )
    if request.channel not in CHANNELS:
        raise ValidationFailed(
            f"unknown channel {request.channel!r}", code="loyalty.bad_channel", field="channel"
        )
    if not request.reward_code or not request.reward_code.strip():
        raise ValidationFailed(
            "a reward_code is required", code="loyalty.reward_required", field="reward_code"
        )


def _redemption_row(conn: Connection, ref: str) -> Row | None:
    r, a = loyalty_redemptions.c, loyalty_accounts.c
    return conn.execute(
        select(loyalty_redemptions, a.account_id.label("account"))
        .select_from(loyalty_redemptions.join(loyalty_accounts, r.account_id == a.id))
        .where(r.redemption_ref == ref)
    ).first()


def _view(conn: Connection, row: Row, *, replayed: bool) -> RedemptionView:
    return RedemptionView(
        redemption_id=row.redemption_id,
        redemption_ref=row.redemption_ref,
        account_id=row.account,
        reward_code=row.reward_code,
        points=int(row.points),
        value_minor=int(row.value_minor),
        voucher_code=row.voucher_code,
        channel=row.channel,
        store=row.store,
        status=row.status,
        balance=balance_in(conn, row.account),
        created_at=row.created_at,
        replayed=replayed,
    )


def _replay(conn: Connection, row: Row, account_id: str, request: RedemptionRequest) -> RedemptionView:
    same = (
        row.account == account_id
        and row.reward_code == request.reward_code.strip().upper()
        and (request.points is None or request.points == row.points)
    )
    if not same:
        raise Conflict(
            f"redemption_ref {request.redemption_ref} was used for another redemption",
            code="loyalty.redemption_mismatch",
            redemption_ref=request.redemption_ref,
            redemption_id=row.redemption_id,
        )
    return _view(conn, row, replayed=True)


def redeem(db: Database, request: RedemptionRequest, principal: Principal) -> RedemptionView:
    """Spend points on a reward for the account named by id or card, in one transaction: debit,
    voucher, redemption row, ``loyalty.points_redeemed`` event. Errors (nothing recorded):
    404 account/card/reward, 422 reward inactive or points malformed (see
    :func:`~unico.loyalty.rewards.redemption_value`), 409 ``loyalty.insufficient_points``,
    409 ``loyalty.redemption_mismatch``, 403 ``auth.other_store`` for another store's associate."""
    principal.require(Permission.LOYALTY_WRITE)
    _check_request(request)
    store = store_of(principal, request.store)
    ref = request.redemption_ref.strip()
    with db.write() as conn:
        account_id = resolve_account_in(conn, account_id=request.account_id, card=request.card)
        existing = _redemption_row(conn, ref)
        if existing is not None:
            return _replay(conn, existing, account_id, request)
        reward = get_reward_in(conn, request.reward_code)
        if reward.status != "active":
            raise ValidationFailed(
                f"reward {reward.code} is not active", code="loyalty.reward_inactive", field="reward_code"
            )
        points, value = redemption_value(reward, request.points)
        account = conn.execute(
            select(loyalty_accounts.c.id, loyalty_accounts.c.customer_id, loyalty_accounts.c.status).where(
                loyalty_accounts.c.account_id == account_id
            )
        ).one()
        if account.status != "active":
            raise Conflict(
                f"account {account_id} is closed", code="loyalty.account_closed", account_id=account_id
            )
        txn_id = post_in(
            conn,
            account_id,
            PostingKind.REDEEM,
            Source("redemption", ref),
            [Leg(AVAILABLE, -points), Leg(REDEEMED, points)],
            actor=principal.actor,
            channel=request.channel,
            store=store,
            detail={"reward_code": reward.code, "value_minor": value},
        )
        if txn_id is None:  # a concurrent request with this ref committed first
            row = _redemption_row(conn, ref)
            if row is None:
                raise Conflict(
                    "redemption_ref is being used", code="loyalty.redemption_mismatch", redemption_ref=ref
                )
            return _replay(conn, row, account_id, request)
        now = clock.now()
        valid_to = now + timedelta(days=reward.valid_days) if reward.valid_days else None
        voucher = vouchers.issue_voucher_in(
            conn, reward.promotion_code, value_minor=value, customer_id=account.customer_id, valid_to=valid_to
        )
        redemption_id = new_id("lrd")
        conn.execute(
            loyalty_redemptions.insert().values(
                redemption_id=redemption_id,
                redemption_ref=ref,
                account_id=account.id,
                reward_code=reward.code,
                points=points,
                value_minor=value,
                voucher_code=voucher,
                channel=request.channel,
                store=store,
                actor=principal.actor,
                status="done",
                txn_id=txn_id,
                created_at=now,
            )
        )
        record_event(
            conn,
            DomainEvent(
                "loyalty.points_redeemed",
                "loyalty_account",
                account_id,
                {
                    "redemption_id": redemption_id,
                    "reward_code": reward.code,
                    "points": points,
                    "value_minor": value,
                    "channel": request.channel,
                    "store": store,
                },
            ),
        )
        row = _redemption_row(conn, ref)
        assert row is not None
        return _view(conn, row, replayed=False)


def cancel_redemption(
    db: Database, redemption_ref: str, principal: Principal, *, reason: str = ""
) -> RedemptionView:
    """Give back the points of a redemption whose voucher was not used, and void the voucher.
    Idempotent (a cancelled one is answered as is). 404 ``loyalty.redemption_not_found``,
    409 ``loyalty.voucher_used``."""
    principal.require(Permission.LOYALTY_WRITE)
    with db.write() as conn:
        row = _redemption_row(conn, redemption_ref)
        if row is None:
            raise NotFound(
                f"no redemption {redemption_ref}",
                code="loyalty.redemption_not_found",
                redemption_ref=redemption_ref,
            )
        store_of(principal, row.store)
        if row.status == "cancelled":
            return _view(conn, row, replayed=True)
        if not pricing.void_coupon_in(conn, row.voucher_code):
            raise Conflict(
                f"voucher {row.voucher_code} was already used",
                code="loyalty.voucher_used",
                voucher_code=row.voucher_code,
            )
        post_in(
            conn,
            row.account,
            PostingKind.REFUND_REDEMPTION,
            Source("redemption_cancel", row.redemption_ref),
            [Leg(REDEEMED, -int(row.points)), Leg(AVAILABLE, int(row.points))],
            actor=principal.actor,
            channel=row.channel,
            store=row.store,
            detail={"redemption_id": row.redemption_id, "reason": reason[:300]},
        )
        conn.execute(
            loyalty_redemptions.update()
            .where(loyalty_redemptions.c.id == row.id)
            .values(status="cancelled", cancelled_at=clock.now())
        )
        record_event(
            conn,
            DomainEvent(
                "loyalty.redemption_cancelled",
                "loyalty_account",
                row.account,
                {"redemption_id": row.redemption_id, "points": int(row.points)},
            ),
        )
        updated = _redemption_row(conn, redemption_ref)
        assert updated is not None
        return _view(conn, updated, replayed=False)
