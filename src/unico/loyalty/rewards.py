"""The rewards catalog: what points buy, at the till and online.

Two kinds of reward. A ``voucher`` costs a fixed number of points and is worth a fixed amount
("BUONO-5": 500 points -> 5 EUR). A ``points_discount`` takes any number of points from
``min_points`` up, in multiples of ``step_points``, each point worth ``rate_minor_per_point``
cents ("PUNTI-SCONTO": 100 points = 1 EUR): the partial redemption of a balance. Either way the
customer gets a single-use coupon of the pricing promotion named by ``promotion_code`` (by
default "LOYALTY-VOUCHER"), bound to the customer and carrying its own value.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Row

from unico.access.model import Permission, Principal
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.loyalty import vouchers
from unico.loyalty.model import Reward, RewardKind
from unico.loyalty.store import loyalty_rewards

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,39}$")
MAX_POINTS = 10_000_000
MAX_VALUE = 100_000_00

DEFAULT_REWARDS = (
    Reward("BUONO-5", "Buono da 5 €", "€5 voucher", RewardKind.VOUCHER, vouchers.PROMOTION_CODE, 500, 500),
    Reward(
        "BUONO-10", "Buono da 10 €", "€10 voucher", RewardKind.VOUCHER, vouchers.PROMOTION_CODE, 900, 1000
    ),
    Reward(
        "PUNTI-SCONTO",
        "Sconto con i punti (100 punti = 1 €)",
        "Points discount (100 points = €1)",
        RewardKind.POINTS_DISCOUNT,
        vouchers.PROMOTION_CODE,
        rate_minor_per_point=1,
        min_points=100,
        step_points=100,
    ),
)


def _bad(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code="loyalty.reward_invalid", field=field)


def check_reward(reward: Reward) -> Reward:
    """``reward`` normalised (code upper case); 422 ``loyalty.reward_invalid`` naming the field
    when its definition contradicts itself."""
    reward = replace(
        reward, code=reward.code.strip().upper(), promotion_code=reward.promotion_code.strip().upper()
    )
    if not _CODE.match(reward.code):
        raise _bad("a reward code is 2-40 letters, digits, '-' or '_'", "code")
    if not reward.name_it.strip() or not reward.name_en.strip():
        raise _bad(
            "a reward needs an Italian and an English name",
            "name_it" if not reward.name_it.strip() else "name_en",
        )
    if reward.status not in ("active", "inactive"):
        raise _bad("status is active or inactive", "status")
    if not _CODE.match(reward.promotion_code):
        raise _bad("promotion_code must name a pricing promotion", "promotion_code")
    if reward.valid_days is not None and not 1 <= reward.valid_days <= 3660:
        raise _bad("valid_days must be 1-3660", "valid_days")
    if reward.kind is RewardKind.VOUCHER:
        if reward.cost_points is None or not 1 <= reward.cost_points <= MAX_POINTS:
            raise _bad("a voucher costs a positive number of points", "cost_points")
        if reward.value_minor is None or not 1 <= reward.value_minor <= MAX_VALUE:
            raise _bad("a voucher is worth a positive amount", "value_minor")
        if reward.rate_minor_per_point or reward.min_points or reward.step_points:
            raise _bad("rate, min_points and step_points are for points_discount rewards", "kind")
    else:
        if reward.rate_minor_per_point is None or not 1 <= reward.rate_minor_per_point <= 10_000:
            raise _bad("a points discount needs a positive rate_minor_per_point", "rate_minor_per_point")
        step = reward.step_points or 1
        if not 1 <= step <= MAX_POINTS:
            raise _bad("step_points must be positive", "step_points")
        if reward.min_points is None or not 1 <= reward.min_points <= MAX_POINTS or reward.min_points % step:
            raise _bad("min_points must be positive and a multiple of step_points", "min_points")
        if reward.cost_points is not None or reward.value_minor is not None:
            raise _bad("cost_points and value_minor are for vouchers", "kind")
        reward = replace(reward, step_points=step)
    return reward


def redemption_value(reward: Reward, points: int | None) -> tuple[int, int]:
    """``(points, value_minor)`` a redemption of ``reward`` spends and gets. Vouchers take their
    cost (``points`` None or equal to it); points discounts need ``points`` >= min_points in
    steps. 422 ``loyalty.points_required``, ``loyalty.fixed_points``, ``loyalty.below_minimum``,
    ``loyalty.bad_step`` or ``loyalty.bad_points`` (field ``points``) otherwise."""
    if points is not None and (
        not isinstance(points, int) or isinstance(points, bool) or not 0 < points <= MAX_POINTS
    ):
        raise ValidationFailed(
            "points must be a positive whole number", code="loyalty.bad_points", field="points"
        )
    if reward.kind is RewardKind.VOUCHER:
        cost = int(reward.cost_points or 0)
        if points is not None and points != cost:
            raise ValidationFailed(
                f"{reward.code} costs exactly {cost} points",
                code="loyalty.fixed_points",
                field="points",
                cost=cost,
            )
        return cost, int(reward.value_minor or 0)
    if points is None:
        raise ValidationFailed(
            f"say how many points to spend on {reward.code}", code="loyalty.points_required", field="points"
        )
    minimum, step = int(reward.min_points or 1), int(reward.step_points or 1)
    if points < minimum:
        raise ValidationFailed(
            f"at least {minimum} points", code="loyalty.below_minimum", field="points", min_points=minimum
        )
    if points % step:
        raise ValidationFailed(
            f"points go in steps of {step}", code="loyalty.bad_step", field="points", step_points=step
        )
    return points, points * int(reward.rate_minor_per_point or 0)


def best_redemption(reward: Reward, available: int) -> int | None:
    """The most ``available`` points can get of ``reward`` (its value in minor units): a
    voucher's value if its cost is covered, for a points discount the largest multiple of its
    step (at least its minimum); None when the balance cannot pay for it."""
    if reward.kind is RewardKind.VOUCHER:
        return int(reward.value_minor or 0) if (reward.cost_points or 0) <= available else None
    step = reward.step_points or 1
    try:
        _points, value = redemption_value(reward, available - available % step)
    except ValidationFailed:
        return None
    return value


def _reward(row: Row) -> Reward:
    return Reward(
        code=row.code,
        name_it=row.name_it,
        name_en=row.name_en,
        kind=RewardKind(row.kind),
        promotion_code=row.promotion_code,
        cost_points=row.cost_points,
        value_minor=row.value_minor,
        rate_minor_per_point=row.rate_minor_per_point,
        min_points=row.min_points,
        step_points=row.step_points,
        status=row.status,
        valid_days=row.valid_days,
    )


def get_reward_in(conn: Connection, code: str) -> Reward:
    """The reward ``code``; 404 ``loyalty.reward_not_found``."""
    row = conn.execute(select(loyalty_rewards).where(loyalty_rewards.c.code == code.strip().upper())).first()
    if row is None:
        raise NotFound(f"no reward {code}", code="loyalty.reward_not_found", reward_code=code)
    return _reward(row)


def list_rewards(db: Database, status: str | None = None) -> list[Reward]:
    """The catalog, by code; ``status`` "active" or "inactive" filters it."""
    query = select(loyalty_rewards).order_by(loyalty_rewards.c.code)
    if status:
        query = query.where(loyalty_rewards.c.status == status)
    with db.read() as conn:
        return [_reward(r) for r in conn.execute(query)]


def _values(reward: Reward) -> dict[str, object]:
    return {
        "code": reward.code,
        "name_it": reward.name_it.strip(),
        "name_en": reward.name_en.strip(),
        "kind": str(reward.kind),
        "cost_points": reward.cost_points,
        "value_minor": reward.value_minor,
        "rate_minor_per_point": reward.rate_minor_per_point,
        "min_points": reward.min_points,
        "step_points": reward.step_points,
        "status": reward.status,
        "promotion_code": reward.promotion_code,
        "valid_days": reward.valid_days,
    }


def _insert_reward_in(conn: Connection, reward: Reward) -> bool:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    now = clock.now()
    stored = conn.execute(
        insert(loyalty_rewards)
        .values(**_values(reward), created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["code"])
        .returning(loyalty_rewards.c.id)
    ).first()
    return stored is not None


def create_reward(db: Database, reward: Reward, principal: Principal) -> Reward:
    """Add a reward to the catalog; 409 ``loyalty.reward_exists``; the voucher promotion is
    created if it is the default one and missing, else it must exist (404)."""
    principal.require(Permission.LOYALTY_MANAGE)
    reward = check_reward(reward)
    with db.write() as conn:
        vouchers.require_promotion_in(conn, reward.promotion_code)
        if not _insert_reward_in(conn, reward):
            raise Conflict(
                f"reward {reward.code} exists", code="loyalty.reward_exists", reward_code=reward.code
            )
        return get_reward_in(conn, reward.code)


def update_reward(db: Database, code: str, reward: Reward, principal: Principal) -> Reward:
    """Change a reward's definition or status (redemptions made keep their points and value)."""
    principal.require(Permission.LOYALTY_MANAGE)
    reward = check_reward(replace(reward, code=code))
    with db.write() as conn:
        get_reward_in(conn, reward.code)
        vouchers.require_promotion_in(conn, reward.promotion_code)
        conn.execute(
            loyalty_rewards.update()
            .where(loyalty_rewards.c.code == reward.code)
            .values(**_values(reward), updated_at=clock.now())
        )
        return get_reward_in(conn, reward.code)


def ensure_default_rewards_in(conn: Connection) -> int:
    """Create the voucher promotion and the default rewards that are missing; returns how many
    rewards were added. Safe to run again."""
    vouchers.ensure_promotion_in(conn)
    return sum(1 for reward in DEFAULT_REWARDS if _insert_reward_in(conn, check_reward(reward)))
