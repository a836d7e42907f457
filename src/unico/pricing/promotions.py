"""Promotions: create, change, read, list and move through their statuses.

Every definition passes :func:`unico.pricing.rules.check_promotion` and names only existing
stores before it is saved; a refused definition saves nothing. Each change records an event
(``pricing.promotion_created`` / ``_updated`` / ``_status_changed``) in the same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Row

from unico.access.model import Permission, Principal
from unico.core import clock
from unico.core.db import Database, among
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.inventory.store import locations
from unico.pricing.model import Promotion, PromotionKind, PromotionStatus, Stacking, Target
from unico.pricing.rules import check_promotion
from unico.pricing.store import coupons, promotion_changes, promotion_redemptions, promotions


@dataclass(frozen=True)
class PromotionView:
    """A saved promotion with what it has been used for so far."""

    promotion: Promotion
    redemptions: int  # orders that got it
    discount_minor: int  # discount given in total (delivery waived included)
    coupons: int  # coupon codes issued for it
    created_at: datetime
    updated_at: datetime
    updated_by: str


def promotion_from_row(row: Row[Any]) -> Promotion:
    """The promotion a ``promotions`` row holds, with its unspent discount budget."""
    target = row.target or {}
    budget_left = None if row.budget_minor is None else max(0, row.budget_minor - row.discount_minor)
    return Promotion(
        code=row.code,
        name=row.name,
        kind=PromotionKind(row.kind),
        target=Target(
            skus=frozenset(target.get("skus", ())),
            categories=frozenset(target.get("categories", ())),
            brands=frozenset(target.get("brands", ())),
        ),
        percent_bp=row.percent_bp,
        amount=row.amount_minor,
        threshold=row.threshold_minor,
        buy_quantity=row.buy_quantity,
        get_quantity=row.get_quantity,
        bundle_quantity=row.bundle_quantity,
        priority=row.priority,
        stacking=Stacking(row.stacking),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        channels=frozenset(row.channels or ()),
        stores=frozenset(row.stores or ()),
        members_only=bool(row.members_only),
        tiers=frozenset(row.tiers or ()),
        requires_coupon=bool(row.requires_coupon),
        per_customer_limit=row.per_customer_limit,
        max_redemptions=row.max_redemptions,
        budget_minor=row.budget_minor,
        status=PromotionStatus(row.status),
        budget_left_minor=budget_left,
    )


def _definition(p: Promotion) -> dict[str, Any]:
    """The columns that hold a definition (not its counters)."""
    return {
        "name": p.name.strip(),
        "kind": p.kind.value,
        "target": {
            "skus": sorted(p.target.skus),
            "categories": sorted(p.target.categories),
            "brands": sorted(p.target.brands),
        },
        "percent_bp": p.percent_bp,
        "amount_minor": p.amount,
        "threshold_minor": p.threshold,
        "buy_quantity": p.buy_quantity,
        "get_quantity": p.get_quantity,
        "bundle_quantity": p.bundle_quantity,
        "priority": p.priority,
        "stacking": p.stacking.value,
        "valid_from": p.valid_from,
        "valid_to": p.valid_to,
        "channels": sorted(p.channels),
        "stores": sorted(p.stores),
        "members_only": p.members_only,
        "tiers": sorted(p.tiers),
        "requires_coupon": p.requires_coupon,
        "per_customer_limit": p.per_customer_limit,
        "max_redemptions": p.max_redemptions,
        "budget_minor": p.budget_minor,
        "status": p.status.value,
    }


def check_stores_exist(conn: Connection, stores: frozenset[str], field: str, code: str) -> None:
    """Raise ``ValidationFailed`` (``code``, ``field``) if a store code is not a known location."""
    if not stores:
        return
    known = set(
        conn.execute(select(locations.c.code).where(among(conn, locations.c.code, sorted(stores)))).scalars()
    )
    missing = sorted(stores - known)
    if missing:
        raise ValidationFailed(f"unknown store {missing[0]!r}", code=code, field=field)


def check_promotion_in(conn: Connection, p: Promotion) -> None:
    """The pure checks plus those that need the database (stores exist)."""
    check_promotion(p)
    check_stores_exist(conn, p.stores, "stores", "pricing.promotion_invalid")


def create_promotion_in(conn: Connection, p: Promotion, actor: str) -> Promotion:
    """Save a new promotion inside the caller's transaction (demo, loyalty reward setup).
    409 ``pricing.promotion_exists`` if the code is taken."""
    check_promotion_in(conn, p)
    taken = conn.execute(select(promotions.c.id).where(promotions.c.code == p.code)).first()
    if taken is not None:
        raise Conflict(
            f"promotion {p.code} already exists", code="pricing.promotion_exists", promotion=p.code
        )
    at = clock.now()
    conn.execute(
        promotions.insert().values(
            code=p.code,
            **_definition(p),
            redemptions=0,
            discount_minor=0,
            created_at=at,
            updated_at=at,
            updated_by=actor,
        )
    )
    log_change_in(conn, p.code, "created", actor)
    record_event(
        conn,
        DomainEvent(
            "pricing.promotion_created",
            "promotion",
            p.code,
            {"code": p.code, "kind": p.kind.value, "status": p.status.value},
        ),
    )
    return replace(p, budget_left_minor=p.budget_minor)


def create_promotion(db: Database, p: Promotion, principal: Principal) -> Promotion:
    """Save a new promotion (admin). 422 ``pricing.promotion_invalid`` with ``field`` for a
    definition that contradicts itself; 409 ``pricing.promotion_exists``."""
    principal.require(Permission.PRICING_MANAGE)
    with db.write() as conn:
        return create_promotion_in(conn, p, principal.actor)


def _locked(conn: Connection, code: str) -> Row[Any]:
    row = conn.execute(select(promotions).where(promotions.c.code == code).with_for_update()).first()
    if row is None:
        raise NotFound(f"no promotion {code}", code="pricing.unknown_promotion", promotion=code)
    return row


def update_promotion(db: Database, code: str, p: Promotion, principal: Principal) -> Promotion:
    """Replace the definition of promotion ``code`` (its code and counters stay). Same checks as
    :func:`create_promotion`; 404 ``pricing.unknown_promotion``; an archived promotion is
    final (409 ``pricing.promotion_archived``)."""
    principal.require(Permission.PRICING_MANAGE)
    p = replace(p, code=code)
    with db.write() as conn:
        row = _locked(conn, code)
        if row.status == PromotionStatus.ARCHIVED.value:
            raise Conflict(f"promotion {code} is archived", code="pricing.promotion_archived", promotion=code)
        check_promotion_in(conn, p)
        conn.execute(
            promotions.update()
            .where(promotions.c.id == row.id)
            .values(**_definition(p), updated_at=clock.now(), updated_by=principal.actor)
        )
        log_change_in(conn, code, "updated", principal.actor)
        record_event(
            conn,
            DomainEvent(
                "pricing.promotion_updated", "promotion", code, {"code": code, "status": p.status.value}
            ),
        )
        return promotion_from_row(_locked(conn, code))


def set_promotion_status(db: Database, code: str, status: PromotionStatus, principal: Principal) -> Promotion:
    """Activate, pause, archive (final) or return a promotion to draft. Activating checks the
    definition again; 409 ``pricing.promotion_archived`` to leave the archive."""
    principal.require(Permission.PRICING_MANAGE)
    with db.write() as conn:
        row = _locked(conn, code)
        before = PromotionStatus(row.status)
        if before is PromotionStatus.ARCHIVED and status is not PromotionStatus.ARCHIVED:
            raise Conflict(f"promotion {code} is archived", code="pricing.promotion_archived", promotion=code)
        if status is PromotionStatus.ACTIVE:
            check_promotion_in(conn, promotion_from_row(row))
        if before is not status:
            conn.execute(
                promotions.update()
                .where(promotions.c.id == row.id)
                .values(status=status.value, updated_at=clock.now(), updated_by=principal.actor)
            )
            log_change_in(conn, code, f"status:{status.value}", principal.actor)
            record_event(
                conn,
                DomainEvent(
                    "pricing.promotion_status_changed",
                    "promotion",
                    code,
                    {"code": code, "from": before.value, "to": status.value},
                ),
            )
        return promotion_from_row(_locked(conn, code))


def _views(conn: Connection, rows: list[Row[Any]]) -> list[PromotionView]:
    ids = [r.id for r in rows]
    usage: dict[int, tuple[int, int]] = {}
    issued: dict[int, int] = {}
    if ids:
        for pid, count, total in conn.execute(
            select(
                promotion_redemptions.c.promotion_id,
                func.count(),
                func.coalesce(func.sum(promotion_redemptions.c.discount_minor), 0),
            )
            .where(among(conn, promotion_redemptions.c.promotion_id, ids))
            .group_by(promotion_redemptions.c.promotion_id)
        ):
            usage[pid] = (int(count), int(total))
        for pid, count in conn.execute(
            select(coupons.c.promotion_id, func.count())
            .where(among(conn, coupons.c.promotion_id, ids))
            .group_by(coupons.c.promotion_id)
        ):
            issued[pid] = int(count)
    return [
        PromotionView(
            promotion=promotion_from_row(r),
            redemptions=usage.get(r.id, (0, 0))[0],
            discount_minor=usage.get(r.id, (0, 0))[1],
            coupons=issued.get(r.id, 0),
            created_at=r.created_at,
            updated_at=r.updated_at,
            updated_by=r.updated_by,
        )
        for r in rows
    ]


def get_promotion(db: Database, code: str) -> PromotionView:
    """The promotion ``code`` with its use so far; 404 ``pricing.unknown_promotion``."""
    with db.read() as conn:
        row = conn.execute(select(promotions).where(promotions.c.code == code)).first()
        if row is None:
            raise NotFound(f"no promotion {code}", code="pricing.unknown_promotion", promotion=code)
        return _views(conn, [row])[0]


def list_promotions(db: Database, status: PromotionStatus | None = None) -> list[PromotionView]:
    """Every promotion (or those in ``status``), highest priority first, then by code."""
    query = select(promotions).order_by(promotions.c.priority.desc(), promotions.c.code)
    if status is not None:
        query = query.where(promotions.c.status == status.value)
    with db.read() as conn:
        return _views(conn, list(conn.execute(query)))


def log_change_in(conn: Connection, code: str, change: str, actor: str) -> None:
    """Note a change of promotion ``code``; it also invalidates every process's cache."""
    conn.execute(
        promotion_changes.insert().values(
            token=secrets.token_hex(16), promotion_code=code, change=change, actor=actor, at=clock.now()
        )
    )


@dataclass(frozen=True)
class _Active:
    version: tuple[int, str]
    promotions: tuple[Promotion, ...]  # every ACTIVE promotion, counters as loaded


# Per process and database: the active promotions as of the newest promotion change. A quote
# then reads one row (the version) and, for promotions with a budget, their counters.
_active_cache: dict[str, _Active] = {}


def _active_in(conn: Connection) -> tuple[Promotion, ...]:
    newest = conn.execute(
        select(promotion_changes.c.id, promotion_changes.c.token)
        .order_by(promotion_changes.c.id.desc())
        .limit(1)
    ).first()
    version = (0, "") if newest is None else (int(newest.id), str(newest.token))
    key = conn.engine.url.render_as_string(hide_password=True)
    cached = _active_cache.get(key)
    if cached is not None and cached.version == version and newest is not None:
        return cached.promotions
    rows = conn.execute(select(promotions).where(promotions.c.status == PromotionStatus.ACTIVE.value))
    loaded = tuple(promotion_from_row(r) for r in rows)
    if newest is not None:  # rows written around the service (no change noted) are never cached
        _active_cache[key] = _Active(version, loaded)
    return loaded


def _budgeted(conn: Connection, found: list[tuple[int, Promotion]]) -> list[tuple[int, Promotion]]:
    """(position, promotion) pairs with fresh counters for the promotions that have a budget
    (``budget_left_minor`` filled in); used-up ones left out."""
    budgeted = [p.code for _, p in found if p.max_redemptions is not None or p.budget_minor is not None]
    if not budgeted:
        return found
    counters = {
        code: (used, spent)
        for code, used, spent in conn.execute(
            select(promotions.c.code, promotions.c.redemptions, promotions.c.discount_minor).where(
                among(conn, promotions.c.code, budgeted)
            )
        )
    }
    live = []
    for position, p in found:
        if p.code in counters:
            used, spent = counters[p.code]
            if p.max_redemptions is not None and used >= p.max_redemptions:
                continue
            left = None if p.budget_minor is None else max(0, p.budget_minor - spent)
            if left == 0:
                continue
            p = replace(p, budget_left_minor=left)
        live.append((position, p))
    return live


@dataclass(frozen=True)
class _Live:
    active: tuple[Promotion, ...]  # held: the signature names its promotions by position
    signature: tuple[tuple[int, int | None], ...]  # (position in active, budget left) of each live one
    promotions: tuple[Promotion, ...]


# Per process and database: the last live promotions handed out. While the active promotions,
# which of them are valid and their budgets left stay the same, every quote gets this very tuple,
# so the engine indexes it once (``unico.pricing.eligibility``) instead of scanning it per quote.
_live_cache: dict[str, _Live] = {}


def live_promotions_in(conn: Connection, at: datetime) -> tuple[Promotion, ...]:
    """Active promotions valid at ``at`` whose budgets (orders, discount) are not used up.

    The same tuple object as the previous call when nothing about them changed (the counters are
    read afresh every time; a budget left that moved gives a new tuple)."""
    active = _active_in(conn)
    live = _budgeted(
        conn,
        [
            (position, p)
            for position, p in enumerate(active)
            if (p.valid_from is None or p.valid_from <= at) and (p.valid_to is None or at < p.valid_to)
        ],
    )
    signature = tuple((position, p.budget_left_minor) for position, p in live)
    key = conn.engine.url.render_as_string(hide_password=True)
    cached = _live_cache.get(key)
    if cached is not None and cached.active is active and cached.signature == signature:
        return cached.promotions
    found = tuple(p for _, p in live)
    _live_cache[key] = _Live(active, signature, found)
    return found
