"""The editor's live preview: a sample cart priced as if the promotion on the form (not yet saved)
were live, so whoever edits it sees what a customer would pay."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from unico.access.model import Permission
from unico.catalog import service as catalog
from unico.console.sessions import DbDep, StaffDep, require_csrf
from unico.console.views.order_desk import PageError, page, parse_price
from unico.console.views.pricing_form import CURRENCY, local_text, money_text, parse_local, parse_promotion
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import UnicoError, ValidationFailed
from unico.pricing import service
from unico.pricing.model import CartLine, Promotion, PromotionKind
from unico.pricing.service import QuoteRequest

router = APIRouter(dependencies=[Depends(require_csrf)])

SAMPLE_ROWS = 4
SAMPLE_SKUS = 3


@dataclass(frozen=True)
class Sample:
    """The sample cart the preview starts from: SKUs that match the promotion's target when some do."""

    rows: list[tuple[str, str]]  # (sku, quantity) as the inputs show them, SAMPLE_ROWS of them
    channel: str = "web"
    store: str = ""
    member: bool = False
    tier: str = ""
    coupon: str = ""
    delivery: str = ""
    at: str = ""


def _matching_skus(db: Database, promotion: Promotion | None) -> list[str]:
    """A few SKUs the promotion's target matches (any active ones when it targets everything)."""
    if promotion is None:
        return []
    target = promotion.target
    found = sorted(target.skus)[:SAMPLE_SKUS]
    searches: list[tuple[str | None, str | None]] = [(c, None) for c in sorted(target.categories)]
    searches += [(None, b) for b in sorted(target.brands)]
    if not (target.skus or searches):
        searches = [(None, None)]  # it targets everything: any products will do
    for category, brand in searches:
        if len(found) >= SAMPLE_SKUS:
            break
        hits = catalog.search_products(db, "", limit=SAMPLE_SKUS, category=category, brand=brand).items
        found.extend(sku for hit in hits for sku in hit.skus[:1] if sku not in found)
    return found[:SAMPLE_SKUS]


def sample_for(db: Database, promotion: Promotion | None, locale: str = "it") -> Sample:
    """The sample cart for ``promotion``: quantities that let its kind trigger on the first line."""
    skus = _matching_skus(db, promotion)
    first = 1
    if promotion is not None and promotion.kind is PromotionKind.BUY_X_GET_Y:
        first = (promotion.buy_quantity or 1) + (promotion.get_quantity or 1)
    elif promotion is not None and promotion.kind is PromotionKind.BUNDLE_PRICE:
        first = promotion.bundle_quantity or 1
    rows = [(sku, str(first if n == 0 else 1)) for n, sku in enumerate(skus)]
    rows += [("", "")] * (SAMPLE_ROWS - len(rows))
    delivery = money_text(490, locale) if promotion and promotion.kind is PromotionKind.FREE_DELIVERY else ""
    return Sample(rows=rows, delivery=delivery, at=local_text(clock.now()))


def _sample_request(form: FormData) -> QuoteRequest:
    """The quote request the preview's sample fields describe; ValidationFailed names the field."""
    skus = [v.strip() for v in form.getlist("sample_sku") if isinstance(v, str)]
    quantities = [v.strip() for v in form.getlist("sample_qty") if isinstance(v, str)]
    lines = []
    for n, sku in enumerate(skus):
        if not sku:
            continue
        typed = quantities[n] if n < len(quantities) else ""
        try:
            quantity = int(typed or "1")
        except ValueError:
            raise ValidationFailed(
                f"'{typed}' is not a quantity", code="console.bad_quantity", field="sample_qty"
            ) from None
        lines.append(CartLine(sku=sku, quantity=quantity))
    if not lines:
        raise ValidationFailed("add a SKU to the sample cart", code="console.no_lines", field="sample_sku")
    text = {
        name: (v.strip() if isinstance(v := form.get(name), str) else "")
        for name in (
            "sample_channel",
            "sample_store",
            "sample_tier",
            "sample_coupon",
            "sample_delivery",
            "sample_at",
        )
    }
    try:
        at = parse_local(text["sample_at"])
    except ValueError:
        raise ValidationFailed(
            "not a date and time", code="console.bad_datetime", field="sample_at"
        ) from None
    return QuoteRequest(
        lines=tuple(lines),
        channel=text["sample_channel"] or "web",
        store=text["sample_store"] or None,
        member="sample_member" in form or bool(text["sample_tier"]),
        tier=text["sample_tier"] or None,
        coupons=(text["sample_coupon"].upper(),) if text["sample_coupon"] else (),
        at=at,
        delivery_fee=parse_price(text["sample_delivery"], CURRENCY, "sample_delivery")
        if text["sample_delivery"]
        else 0,
    )


@router.post("/promotions/preview")
async def preview(request: Request, db: DbDep, staff: StaffDep) -> Response:
    """The sample cart quoted with the form's promotion as if it were saved and active (htmx)."""
    staff.principal.require(Permission.PRICING_READ)
    form = await request.form()
    parsed = parse_promotion(form, code=(_code(form) or "PREVIEW"))
    quote = None
    error: PageError | None = None
    if parsed.promotion is None:
        error = PageError("console.form_invalid", "", {"fields": sorted(parsed.problems)})
    else:
        try:
            quote = service.preview_promotion(db, parsed.promotion, _sample_request(form))
        except UnicoError as refused:
            error = PageError.of(refused)
    return page(request, "pricing/_preview.html", staff, quote=quote, error=error)


def _code(form: FormData) -> str:
    value = form.get("code")
    return value.strip() if isinstance(value, str) else ""
