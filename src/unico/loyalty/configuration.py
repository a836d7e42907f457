"""The loyalty program as configured: earning rules, tiers and settings, loaded and replaced.

Until an administrator saves a program (or :func:`ensure_default_program_in` seeds one), the
program is :data:`unico.loyalty.program.DEFAULT_PROGRAM`: reading never writes. Saving replaces
the whole rule set (or tier list) in one transaction after :mod:`unico.loyalty.rules` accepted
it, so a rejected definition leaves the stored one untouched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.access.model import Permission, Principal
from unico.catalog.store import categories
from unico.core import clock
from unico.core.db import Database
from unico.core.events import DomainEvent, record_event
from unico.loyalty.program import (
    DEFAULT_PROGRAM,
    Action,
    EarningRule,
    Program,
    ProgramSettings,
    RuleKind,
    Tier,
)
from unico.loyalty.program_store import loyalty_program_settings, loyalty_rules, loyalty_tiers
from unico.loyalty.rules import check_rules, check_settings, check_tiers

SYSTEM_ACTOR = "system:loyalty"


def _rule(row: Any) -> EarningRule:
    return EarningRule(
        code=row.code,
        kind=RuleKind(row.kind),
        name_it=row.name_it,
        name_en=row.name_en,
        points_per_euro=int(row.points_per_euro),
        multiplier_bp=None if row.multiplier_bp is None else int(row.multiplier_bp),
        bonus_points=int(row.bonus_points),
        action=None if row.action is None else Action(row.action),
        points=int(row.points),
        once_per_customer=bool(row.once_per_customer),
        channels=frozenset(row.channels or ()),
        categories=frozenset(row.categories or ()),
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        active=bool(row.active),
    )


def _tier(row: Any) -> Tier:
    return Tier(
        code=row.code,
        name_it=row.name_it,
        name_en=row.name_en,
        threshold=int(row.threshold),
        earn_multiplier_bp=int(row.earn_multiplier_bp),
        free_delivery=bool(row.free_delivery),
    )


def settings_in(conn: Connection) -> ProgramSettings:
    """The program's settings alone (one small read, for the periodic jobs)."""
    s = conn.execute(
        select(loyalty_program_settings.c.return_window_days, loyalty_program_settings.c.expiry_months)
    ).first()
    if s is None:
        return DEFAULT_PROGRAM.settings
    return ProgramSettings(return_window_days=int(s.return_window_days), expiry_months=int(s.expiry_months))


def program_in(conn: Connection) -> Program:
    """The program in force: the stored one, or the defaults if none was ever saved."""
    s = conn.execute(select(loyalty_program_settings)).first()
    if s is None:
        return DEFAULT_PROGRAM
    rules = conn.execute(select(loyalty_rules).order_by(loyalty_rules.c.position, loyalty_rules.c.code)).all()
    tiers = conn.execute(select(loyalty_tiers).order_by(loyalty_tiers.c.threshold)).all()
    return Program(
        ProgramSettings(return_window_days=int(s.return_window_days), expiry_months=int(s.expiry_months)),
        tuple(_rule(r) for r in rules),
        tuple(_tier(t) for t in tiers),
    )


def get_program(db: Database) -> Program:
    with db.read() as conn:
        return program_in(conn)


def ensure_default_program_in(conn: Connection, actor: str = SYSTEM_ACTOR) -> bool:
    """Store the default program unless one is stored already; True if it seeded. Idempotent."""
    if conn.execute(select(loyalty_program_settings.c.id)).first() is not None:
        return False
    _write_settings(conn, DEFAULT_PROGRAM.settings, actor)
    _write_rules(conn, DEFAULT_PROGRAM.rules, actor)
    _write_tiers(conn, DEFAULT_PROGRAM.tiers, actor)
    return True


def _write_settings(conn: Connection, settings: ProgramSettings, actor: str) -> None:
    values = {
        "return_window_days": settings.return_window_days,
        "expiry_months": settings.expiry_months,
        "updated_at": clock.now(),
        "updated_by": actor,
    }
    updated = conn.execute(
        loyalty_program_settings.update().where(loyalty_program_settings.c.id == 1), values
    )
    if updated.rowcount == 0:
        conn.execute(loyalty_program_settings.insert().values(id=1, **values))


def _write_rules(conn: Connection, rules: Sequence[EarningRule], actor: str) -> None:
    conn.execute(loyalty_rules.delete())
    at = clock.now()
    if rules:
        conn.execute(
            loyalty_rules.insert(),
            [
                {
                    "code": r.code,
                    "kind": r.kind.value,
                    "name_it": r.name_it,
                    "name_en": r.name_en,
                    "points_per_euro": r.points_per_euro,
                    "multiplier_bp": r.multiplier_bp,
                    "bonus_points": r.bonus_points,
                    "action": None if r.action is None else r.action.value,
                    "points": r.points,
                    "once_per_customer": r.once_per_customer,
                    "channels": sorted(r.channels),
                    "categories": sorted(r.categories),
                    "valid_from": r.valid_from,
                    "valid_to": r.valid_to,
                    "active": r.active,
                    "position": i,
                    "updated_at": at,
                    "updated_by": actor,
                }
                for i, r in enumerate(rules)
            ],
        )


def _write_tiers(conn: Connection, tiers: Sequence[Tier], actor: str) -> None:
    conn.execute(loyalty_tiers.delete())
    at = clock.now()
    conn.execute(
        loyalty_tiers.insert(),
        [
            {
                "code": t.code,
                "name_it": t.name_it,
                "name_en": t.name_en,
                "threshold": t.threshold,
                "earn_multiplier_bp": t.earn_multiplier_bp,
                "free_delivery": t.free_delivery,
                "updated_at": at,
                "updated_by": actor,
            }
            for t in tiers
        ],
    )


def set_rules(db: Database, rules: Sequence[EarningRule], principal: Principal) -> Program:
    """Replace the earning rules (422 ``loyalty.program_invalid`` with ``field`` if they do not
    hold together; nothing is saved then)."""
    principal.require(Permission.LOYALTY_MANAGE)
    check_rules(rules)
    with db.write() as conn:
        named = sorted({c for r in rules for c in r.categories})
        if named:
            found = conn.execute(select(categories.c.code).where(categories.c.code.in_(named))).scalars()
            check_rules(rules, set(found))
        ensure_default_program_in(conn, principal.actor)
        _write_rules(conn, rules, principal.actor)
        record_event(
            conn,
            DomainEvent(
                "loyalty.rules_changed", "loyalty_program", "rules", {"codes": [r.code for r in rules]}
            ),
        )
        return program_in(conn)


def set_tiers(db: Database, tiers: Sequence[Tier], principal: Principal) -> Program:
    """Replace the tiers (thresholds increasing from 0, multipliers > 0). Members are placed in
    the new tiers by the next run of the tier job (it is asked to run a full pass)."""
    principal.require(Permission.LOYALTY_MANAGE)
    check_tiers(tiers)
    with db.write() as conn:
        ensure_default_program_in(conn, principal.actor)
        _write_tiers(conn, tiers, principal.actor)
        conn.execute(loyalty_program_settings.update().values(tiers_recomputed_at=None))
        record_event(
            conn,
            DomainEvent(
                "loyalty.tiers_changed", "loyalty_program", "tiers", {"codes": [t.code for t in tiers]}
            ),
        )
        return program_in(conn)


def set_settings(db: Database, settings: ProgramSettings, principal: Principal) -> Program:
    """Change the return window and the inactivity expiry (422 ``loyalty.program_invalid``)."""
    principal.require(Permission.LOYALTY_MANAGE)
    check_settings(settings)
    with db.write() as conn:
        ensure_default_program_in(conn, principal.actor)
        _write_settings(conn, settings, principal.actor)
        return program_in(conn)
