"""The promotion editor page, shared by the editor's routes and the coupon forms shown on it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from unico.access.model import Permission
from unico.console.security import StaffSession
from unico.console.views.order_desk import PageError, page, store_choices
from unico.console.views.pricing_form import KIND_FIELDS, Problem
from unico.console.views.pricing_preview import sample_for
from unico.core.db import Database
from unico.inventory.model import Channel
from unico.pricing import service
from unico.pricing.model import Promotion, PromotionKind, PromotionStatus, Stacking
from unico.pricing.service import PromotionView


def editor(
    request: Request,
    db: Database,
    staff: StaffSession,
    *,
    values: dict[str, Any],
    existing: PromotionView | None = None,
    draft: Promotion | None = None,
    problems: dict[str, Problem] | None = None,
    error: PageError | None = None,
    notice: str | None = None,
    generated: dict[str, Any] | None = None,
    coupon_error: PageError | None = None,
    status_code: int = 200,
) -> Response:
    """The editor page: ``values`` as the form shows them, ``existing`` the saved promotion with its
    use (None for a new one), ``draft`` what the form describes when it parsed, ``problems`` beside
    their fields; ``generated`` the batch of coupon codes just issued (batch_id, codes)."""
    promotion = existing.promotion if existing is not None else None
    coupon_page = promotion is not None and promotion.requires_coupon
    return page(
        request,
        "pricing/editor.html",
        staff,
        status_code=status_code,
        form=values,
        existing=existing,
        problems=problems or {},
        error=error,
        notice=notice,
        kinds=[k.value for k in PromotionKind],
        kind_fields={k.value: fields for k, fields in KIND_FIELDS.items()},
        stackings=[s.value for s in Stacking],
        statuses=[s.value for s in PromotionStatus],
        channels=[c.value for c in Channel],
        stores=store_choices(db),
        sample=sample_for(db, draft or promotion, staff.locale),
        can_manage=staff.principal.can(Permission.PRICING_MANAGE),
        batches=service.list_coupon_batches(db, promotion.code) if promotion and coupon_page else [],
        generated=generated,
        coupon_error=coupon_error,
    )
