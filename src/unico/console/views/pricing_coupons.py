"""Coupons of a coupon promotion: generating a batch of unique codes and exporting them as CSV."""

from __future__ import annotations

import csv
import io
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from unico.access.model import Permission
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.console.views.order_desk import PageError
from unico.console.views.pricing_editor import editor
from unico.console.views.pricing_form import values_of
from unico.core.errors import Conflict, ValidationFailed
from unico.pricing import service

router = APIRouter(dependencies=[Depends(require_csrf)])

FormStr = Annotated[str, Form()]
MAX_BATCH = 10_000
_BATCH = re.compile(r"^[\w-]{1,60}$")


def _count(text: str, field: str, default: int | None = None) -> int:
    typed = text.strip()
    if not typed and default is not None:
        return default
    try:
        value = int(typed)
    except ValueError:
        raise ValidationFailed(f"'{text}' is not a number", code="console.bad_number", field=field) from None
    if value < 1 or (field == "count" and value > MAX_BATCH):
        raise ValidationFailed(
            f"{field} must be between 1 and {MAX_BATCH}", code="console.bad_number", field=field
        )
    return value


@router.post("/promotions/{code}/coupons")
def generate(
    request: Request,
    db: DbDep,
    staff: StaffDep,
    code: str,
    count: FormStr = "",
    prefix: FormStr = "",
    max_redemptions: FormStr = "",
    per_customer_limit: FormStr = "",
) -> Response:
    """Generate ``count`` unique codes for the promotion and show them with the batch's CSV link."""
    staff.principal.require(Permission.PRICING_MANAGE)
    existing = service.get_promotion(db, code)
    values = values_of(existing.promotion, staff.locale)
    try:
        batch_id, codes = service.generate_coupons(
            db,
            existing.promotion.code,
            _count(count, "count"),
            staff.principal,
            prefix=prefix.strip().upper(),
            per_customer_limit=_count(per_customer_limit, "per_customer_limit", 1),
            max_redemptions=_count(max_redemptions, "max_redemptions", 1),
        )
    except (ValidationFailed, Conflict) as refused:
        return editor(
            request,
            db,
            staff,
            values=values,
            existing=existing,
            coupon_error=PageError.of(refused),
            status_code=refused.status,
        )
    generated = {"batch_id": batch_id, "codes": codes}
    return editor(request, db, staff, values=values, existing=existing, generated=generated)


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value.isoformat() if hasattr(value, "isoformat") else value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get("/promotions/{code}/coupons.csv")
def export(db: DbDep, staff: StaffDep, code: str, batch: str = "") -> Response:
    """The promotion's codes (one batch's when ``batch`` is given) as a CSV download."""
    staff.principal.require(Permission.PRICING_READ)
    chosen = batch if _BATCH.match(batch) else None
    rows = service.export_coupons(db, code, chosen)
    columns = list(rows[0]) if rows else ["code"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    name = re.sub(r"[^\w-]", "_", f"{code}-{chosen}" if chosen else code)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}.csv"',
            "Cache-Control": "no-store",
        },
    )
