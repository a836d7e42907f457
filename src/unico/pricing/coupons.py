"""Coupon codes: single named codes, bulk batches of unique unguessable codes, loyalty
vouchers, their export, and the checks a typed code passes before a quote applies it.

Generated codes draw 10 characters from an alphabet without look-alikes (no 0/O, 1/I) with
``secrets``: 2**50 possibilities per code, so a code cannot be guessed from another one.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, case, func, literal, null, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Row

from unico.access.model import Permission, Principal
from unico.core import clock
from unico.core.db import Database, among
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.core.ids import new_id
from unico.pricing.model import AppliedCoupon, PromotionKind, PromotionStatus
from unico.pricing.rules import check_coupon_code, normalise_coupon_code
from unico.pricing.store import coupon_redemptions, coupons, promotion_redemptions, promotions

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # 32 symbols, no 0/O or 1/I
RANDOM_LENGTH = 10
MAX_BATCH = 100_000
CHUNK = 5_000  # rows per INSERT statement
_PREFIX = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")


@dataclass(frozen=True)
class CouponBatch:
    batch_id: str
    count: int
    redeemed: int  # codes used at least once
    created_at: datetime


def _coupon_invalid(message: str, field: str) -> ValidationFailed:
    return ValidationFailed(message, code="pricing.coupon_invalid", field=field)


def _promotion(conn: Connection, code: str) -> Row[Any]:
    row = conn.execute(select(promotions).where(promotions.c.code == code)).first()
    if row is None:
        raise NotFound(f"no promotion {code}", code="pricing.unknown_promotion", promotion=code)
    if row.status == PromotionStatus.ARCHIVED.value:
        raise Conflict(f"promotion {code} is archived", code="pricing.promotion_archived", promotion=code)
    return row


def random_code(prefix: str = "") -> str:
    """``RANDOM_LENGTH`` symbols of ``ALPHABET`` (5 bits each) from the system's CSPRNG."""
    bits = secrets.randbits(5 * RANDOM_LENGTH)
    body = "".join(ALPHABET[(bits >> (5 * i)) & 31] for i in range(RANDOM_LENGTH))
    return f"{prefix}-{body}" if prefix else body


def _check_limit(value: int | None, field: str) -> None:
    if value is not None and not 1 <= value <= 1_000_000:
        raise _coupon_invalid(f"{field} must be at least 1 (empty for no limit)", field)


def generate_coupons(
    db: Database,
    promotion_code: str,
    count: int,
    principal: Principal,
    *,
    prefix: str = "",
    per_customer_limit: int | None = 1,
    max_redemptions: int | None = 1,
    valid_to: datetime | None = None,
) -> tuple[str, list[str]]:
    """Issue ``count`` (1..100,000) new unique codes for a coupon promotion as one batch; returns
    ``(batch_id, codes)``. One INSERT per 5,000 codes, all in one transaction. 422
    ``pricing.coupon_invalid`` (``field``) for a bad count, prefix or limit, or a promotion that
    needs no coupon; 404/409 for an unknown or archived promotion."""
    principal.require(Permission.PRICING_MANAGE)
    if not 1 <= count <= MAX_BATCH:
        raise _coupon_invalid(f"count must be between 1 and {MAX_BATCH}", "count")
    prefix = prefix.strip().upper()
    if prefix and not _PREFIX.match(prefix):
        raise _coupon_invalid("the prefix is up to 16 letters, digits or '-'", "prefix")
    _check_limit(per_customer_limit, "per_customer_limit")
    _check_limit(max_redemptions, "max_redemptions")
    if valid_to is not None and valid_to.tzinfo is None:
        raise _coupon_invalid("valid_to must carry a time zone", "valid_to")
    batch_id = new_id("cpb")
    at = clock.now()
    issued: list[str] = []
    with db.write() as conn:
        promotion = _promotion(conn, promotion_code)
        if not promotion.requires_coupon:
            raise _coupon_invalid(
                f"promotion {promotion_code} applies without a coupon: make it require one first", "promotion"
            )
        while len(issued) < count:
            chunk = _fresh_codes(conn, prefix, min(CHUNK, count - len(issued)))
            _insert_codes(
                conn,
                chunk,
                {
                    "promotion_id": promotion.id,
                    "batch_id": batch_id,
                    "max_redemptions": max_redemptions,
                    "per_customer_limit": per_customer_limit,
                    "redemptions": 0,
                    "valid_to": valid_to,
                    "created_at": at,
                },
            )
            issued.extend(chunk)
        record_event(
            conn,
            DomainEvent(
                "pricing.coupons_generated",
                "promotion",
                promotion_code,
                {"promotion": promotion_code, "batch_id": batch_id, "count": count},
            ),
        )
    return batch_id, issued


def _insert_codes(conn: Connection, codes: list[str], same: dict[str, Any]) -> None:
    """One ``INSERT ... SELECT`` for a chunk of codes that share every other column: the codes
    travel as one array (PostgreSQL ``unnest``) or one JSON list (SQLite ``json_each``)."""
    if conn.dialect.name == "postgresql":
        source = select(func.unnest(bindparam("codes", codes, type_=ARRAY(String()))))
    else:
        each = func.json_each(bindparam("codes", json.dumps(codes))).table_valued("value")
        source = select(each.c.value).select_from(each)
    values = [null() if v is None else literal(v, coupons.c[k].type) for k, v in same.items()]
    conn.execute(coupons.insert().from_select(["code", *same], source.add_columns(*values)))


def _fresh_codes(conn: Connection, prefix: str, size: int) -> list[str]:
    """``size`` random codes not yet stored (a collision, vanishingly rare, is drawn again)."""
    fresh: set[str] = set()
    while len(fresh) < size:
        drawn = {random_code(prefix) for _ in range(size - len(fresh))} - fresh
        taken = set(
            conn.execute(select(coupons.c.code).where(among(conn, coupons.c.code, sorted(drawn)))).scalars()
        )
        fresh |= drawn - taken
    return sorted(fresh)


def create_coupon_in(
    conn: Connection,
    promotion_code: str,
    code: str | None,
    *,
    value_minor: int | None = None,
    customer_id: str | None = None,
    max_redemptions: int | None = 1,
    per_customer_limit: int | None = None,
    valid_to: datetime | None = None,
) -> str:
    """Store one coupon of ``promotion_code`` inside the caller's transaction and return its code:
    ``code`` as given (normalised to upper case) or a fresh random one. ``value_minor`` is a
    voucher's own amount and ``customer_id`` binds it to one customer (loyalty rewards).
    409 ``pricing.coupon_exists``; 422 ``pricing.coupon_invalid`` (``field``)."""
    promotion = _promotion(conn, promotion_code)
    _check_limit(max_redemptions, "max_redemptions")
    _check_limit(per_customer_limit, "per_customer_limit")
    if value_minor is not None and value_minor < 1:
        raise _coupon_invalid("a voucher's value must be positive", "value_minor")
    no_amount = promotion.amount_minor is None and promotion.percent_bp is None
    if value_minor is None and no_amount and promotion.kind == PromotionKind.SPEND_GET.value:
        raise _coupon_invalid(f"coupons of {promotion_code} carry their own value", "value_minor")
    if valid_to is not None and valid_to.tzinfo is None:
        raise _coupon_invalid("valid_to must carry a time zone", "valid_to")
    if code is None:
        normal = _fresh_codes(conn, "", 1)[0]
    else:
        normal = check_coupon_code(code)
        if conn.execute(select(coupons.c.id).where(coupons.c.code == normal)).first() is not None:
            raise Conflict(f"coupon {normal} already exists", code="pricing.coupon_exists", coupon=normal)
    conn.execute(
        coupons.insert().values(
            code=normal,
            promotion_id=promotion.id,
            batch_id=None,
            max_redemptions=max_redemptions,
            per_customer_limit=per_customer_limit,
            value_minor=value_minor,
            customer_id=customer_id,
            redemptions=0,
            valid_to=valid_to,
            created_at=clock.now(),
        )
    )
    return normal


def void_coupon_in(conn: Connection, code: str) -> bool:
    """Make an unused coupon unusable from now on (a cancelled loyalty redemption voids its
    voucher); False if it has already been used, and then nothing changes."""
    done = conn.execute(
        coupons.update()
        .where(coupons.c.code == code, coupons.c.redemptions == 0)
        .values(max_redemptions=0, valid_to=clock.now())
    )
    return done.rowcount == 1


def create_coupon(
    db: Database,
    promotion_code: str,
    code: str | None,
    principal: Principal,
    *,
    max_redemptions: int | None = 1,
    per_customer_limit: int | None = None,
    valid_to: datetime | None = None,
) -> str:
    """One named (or random) coupon for a coupon promotion, e.g. a shared ``WELCOME10``."""
    principal.require(Permission.PRICING_MANAGE)
    with db.write() as conn:
        if not _promotion(conn, promotion_code).requires_coupon:
            raise _coupon_invalid(
                f"promotion {promotion_code} applies without a coupon: make it require one first", "promotion"
            )
        created = create_coupon_in(
            conn,
            promotion_code,
            code,
            max_redemptions=max_redemptions,
            per_customer_limit=per_customer_limit,
            valid_to=valid_to,
        )
        record_event(
            conn,
            DomainEvent(
                "pricing.coupons_generated",
                "promotion",
                promotion_code,
                {"promotion": promotion_code, "batch_id": None, "count": 1},
            ),
        )
        return created


def export_coupons(db: Database, promotion_code: str, batch_id: str | None = None) -> list[dict[str, Any]]:
    """The promotion's coupons (one batch's if ``batch_id``), by code, as rows for a CSV."""
    with db.read() as conn:
        row = conn.execute(select(promotions.c.id).where(promotions.c.code == promotion_code)).first()
        if row is None:
            raise NotFound(
                f"no promotion {promotion_code}", code="pricing.unknown_promotion", promotion=promotion_code
            )
        query = select(coupons).where(coupons.c.promotion_id == row.id).order_by(coupons.c.code)
        if batch_id is not None:
            query = query.where(coupons.c.batch_id == batch_id)
        return [
            {
                "code": c.code,
                "batch_id": c.batch_id or "",
                "max_redemptions": c.max_redemptions,
                "per_customer_limit": c.per_customer_limit,
                "redemptions": c.redemptions,
                "value_minor": c.value_minor,
                "customer_id": c.customer_id or "",
                "valid_to": c.valid_to.isoformat() if c.valid_to else "",
                "created_at": c.created_at.isoformat(),
            }
            for c in conn.execute(query)
        ]


def list_coupon_batches(db: Database, promotion_code: str) -> list[CouponBatch]:
    """The promotion's generated batches, newest first, with how many of their codes were used."""
    with db.read() as conn:
        found = conn.execute(
            select(
                coupons.c.batch_id,
                func.count(),
                func.sum(case((coupons.c.redemptions > 0, 1), else_=0)),
                func.min(coupons.c.created_at),
            )
            .join(promotions, promotions.c.id == coupons.c.promotion_id)
            .where(promotions.c.code == promotion_code, coupons.c.batch_id.is_not(None))
            .group_by(coupons.c.batch_id)
        ).all()
    batches = [CouponBatch(b, int(n), int(used or 0), clock.as_utc(at)) for b, n, used, at in found]
    return sorted(batches, key=lambda b: (b.created_at, b.batch_id), reverse=True)


def applied_coupons_in(
    conn: Connection, typed: Sequence[str], *, at: datetime, customer_id: str | None
) -> tuple[AppliedCoupon, ...]:
    """Check each typed code and return them for the engine. 404 ``pricing.coupon_unknown``;
    422 ``pricing.coupon_expired`` (the coupon or its promotion is not live at ``at``); 409
    ``pricing.coupon_exhausted``; 409 ``pricing.budget_exhausted`` (the promotion's budget is
    used up); 422 ``pricing.coupon_not_yours`` (bound to another customer); 409
    ``pricing.coupon_customer_limit``."""
    normal = [normalise_coupon_code(code) for code in typed]
    if not normal:
        return ()
    rows = {
        r.code: r
        for r in conn.execute(
            select(
                coupons,
                promotions.c.code.label("promotion_code"),
                promotions.c.status,
                promotions.c.valid_from.label("p_from"),
                promotions.c.valid_to.label("p_to"),
                promotions.c.max_redemptions.label("p_max"),
                promotions.c.redemptions.label("p_redemptions"),
                promotions.c.budget_minor,
                promotions.c.discount_minor,
                promotions.c.per_customer_limit.label("p_per_customer"),
            )
            .join(promotions, promotions.c.id == coupons.c.promotion_id)
            .where(among(conn, coupons.c.code, sorted(set(normal))))
        )
    }
    applied = []
    for code in normal:
        row = rows.get(code)
        if row is None:
            raise NotFound(
                f"coupon {code} does not exist", code="pricing.coupon_unknown", field="coupons", coupon=code
            )
        _check_coupon(conn, row, at, customer_id)
        applied.append(AppliedCoupon(code=code, promotion_code=row.promotion_code, value=row.value_minor))
    return tuple(applied)


def _check_coupon(conn: Connection, row: Row[Any], at: datetime, customer_id: str | None) -> None:
    code = row.code
    details = {"field": "coupons", "coupon": code}
    live = (
        row.status == PromotionStatus.ACTIVE.value
        and (row.p_from is None or row.p_from <= at)
        and (row.p_to is None or at < row.p_to)
        and (row.valid_to is None or at < row.valid_to)
    )
    if not live:
        raise ValidationFailed(f"coupon {code} is not valid now", code="pricing.coupon_expired", **details)
    if row.customer_id is not None and row.customer_id != customer_id:
        raise ValidationFailed(
            f"coupon {code} belongs to another customer", code="pricing.coupon_not_yours", **details
        )
    if row.max_redemptions is not None and row.redemptions >= row.max_redemptions:
        raise Conflict(f"coupon {code} has been used up", code="pricing.coupon_exhausted", **details)
    if (row.p_max is not None and row.p_redemptions >= row.p_max) or (
        row.budget_minor is not None and row.discount_minor >= row.budget_minor
    ):
        raise Conflict(
            f"the budget of promotion {row.promotion_code} is used up",
            code="pricing.budget_exhausted",
            **details,
        )
    if customer_id is None:
        return
    if row.per_customer_limit is not None and _uses(
        conn, coupon_redemptions.c.coupon_id, row.id, customer_id
    ) >= (row.per_customer_limit):
        raise Conflict(
            f"coupon {code} was already used by this customer",
            code="pricing.coupon_customer_limit",
            **details,
        )
    if row.p_per_customer is not None and _uses(
        conn, promotion_redemptions.c.promotion_id, row.promotion_id, customer_id
    ) >= (row.p_per_customer):
        raise Conflict(
            f"this customer has had promotion {row.promotion_code} as often as it allows",
            code="pricing.coupon_customer_limit",
            **details,
        )


def _uses(conn: Connection, key: Any, value: int, customer_id: str) -> int:
    table = key.table
    return int(
        conn.execute(
            select(func.count()).select_from(table).where(key == value, table.c.customer_id == customer_id)
        ).scalar_one()
    )
