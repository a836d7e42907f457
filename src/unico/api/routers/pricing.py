"""HTTP routes of pricing: quotes, list prices and overrides, promotions and their coupons, and
the coherence audit. Business rules live in ``unico.pricing``; amounts are minor units, VAT in.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep
from unico.api.schemas import StrictModel
from unico.loyalty.accounts import membership
from unico.pricing import service
from unico.pricing.coherence import CoherenceReport
from unico.pricing.model import (
    CartLine,
    PriceOverride,
    Promotion,
    PromotionKind,
    PromotionStatus,
    Stacking,
    Target,
)
from unico.pricing.promotions import PromotionView

router = APIRouter(tags=["pricing"])


def _default(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError


def _json(doc: Any, status_code: int = 200) -> Response:
    return Response(
        orjson.dumps(doc, default=_default), status_code=status_code, media_type="application/json"
    )


# --- quotes -----------------------------------------------------------------------------------


class QuoteLineIn(StrictModel):
    sku: str = Field(min_length=1, max_length=40)
    quantity: int = Field(description="Units (>= 1).")


class QuoteIn(StrictModel):
    lines: list[QuoteLineIn] = Field(max_length=1000)
    channel: str = Field(max_length=20, description="web, app, store, contact_center, ...")
    store: str | None = Field(default=None, max_length=40)
    customer_id: str | None = Field(
        default=None, max_length=40, description="Membership and tier come from it."
    )
    coupons: list[str] = Field(default=[], max_length=50)
    at: datetime | None = Field(default=None, description="The moment to price at; now by default.")
    delivery_fee: int = Field(default=0, description="Minor units, VAT included.")


@router.post("/quotes")
def post_quote(body: QuoteIn, db: DbDep, principal: PrincipalDep) -> Response:
    """Price a cart: lines with their list or override price, every promotion's discount allocated
    to lines with an explanation (en, it), VAT by rate, totals. Records nothing."""
    principal.require(Permission.PRICING_READ)
    request = service.QuoteRequest(
        lines=tuple(CartLine(x.sku, x.quantity) for x in body.lines),
        channel=body.channel,
        store=body.store,
        customer_id=body.customer_id,
        coupons=tuple(body.coupons),
        at=body.at,
        delivery_fee=body.delivery_fee,
    )
    return _json(service.quote(db, request, membership=membership))


# --- prices -----------------------------------------------------------------------------------


class PriceIn(StrictModel):
    amount: int = Field(description="List price, minor units, VAT included.")
    vat_rate_bp: int | None = Field(default=None, description="The product's VAT rate (2200 = 22 %).")


class OverrideIn(StrictModel):
    sku: str = Field(max_length=40)
    amount: int
    reason: str = Field(default="", max_length=300)
    channel: str | None = Field(default=None, max_length=20)
    store: str | None = Field(default=None, max_length=40)
    valid_from: datetime | None = None
    valid_to: datetime | None = None


@router.get("/prices/{sku}")
def get_price(sku: str, db: DbDep, principal: PrincipalDep) -> Response:
    principal.require(Permission.PRICING_READ)
    return _json(service.get_price(db, sku))


@router.put("/prices/{sku}")
def put_price(sku: str, body: PriceIn, db: DbDep, principal: PrincipalDep) -> Response:
    """Set the SKU's list price (and its product's VAT rate)."""
    return _json(service.set_list_price(db, sku, body.amount, principal, vat_rate_bp=body.vat_rate_bp))


@router.post("/price-overrides", status_code=status.HTTP_201_CREATED)
def post_override(body: OverrideIn, db: DbDep, principal: PrincipalDep) -> Response:
    """An explicit channel and/or store price; the reason that justifies it is required."""
    draft = PriceOverride(override_id="", **body.model_dump())
    return _json(service.create_override(db, draft, principal), status.HTTP_201_CREATED)


# --- promotions -------------------------------------------------------------------------------


class TargetIn(StrictModel):
    skus: list[str] = Field(default=[], max_length=1000)
    categories: list[str] = Field(default=[], max_length=200)
    brands: list[str] = Field(default=[], max_length=200)


class PromotionIn(StrictModel):
    code: str = Field(default="", max_length=40, description="Upper case; taken from the path on PUT.")
    name: str = Field(default="", max_length=200)
    kind: PromotionKind
    target: TargetIn = TargetIn()
    percent_bp: int | None = None
    amount: int | None = None
    threshold: int | None = None
    buy_quantity: int | None = None
    get_quantity: int | None = None
    bundle_quantity: int | None = None
    priority: int = 0
    stacking: Stacking = Stacking.STACKABLE
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    channels: list[str] = Field(default=[], max_length=20)
    stores: list[str] = Field(default=[], max_length=500)
    members_only: bool = False
    tiers: list[str] = Field(default=[], max_length=20)
    requires_coupon: bool = False
    per_customer_limit: int | None = None
    max_redemptions: int | None = None
    budget_minor: int | None = None
    status: PromotionStatus = PromotionStatus.ACTIVE

    def promotion(self, code: str | None = None) -> Promotion:
        fields = self.model_dump(exclude={"target", "code"})
        for name in ("channels", "stores", "tiers"):
            fields[name] = frozenset(fields[name])
        return Promotion(
            code=code if code is not None else self.code,
            target=Target(
                skus=frozenset(self.target.skus),
                categories=frozenset(self.target.categories),
                brands=frozenset(self.target.brands),
            ),
            **fields,
        )


class StatusIn(StrictModel):
    status: PromotionStatus


class CouponsIn(StrictModel):
    count: int | None = Field(default=None, description="Generate this many unique codes (<= 100,000).")
    code: str | None = Field(default=None, max_length=40, description="Or create this one named code.")
    prefix: str = Field(default="", max_length=16)
    per_customer_limit: int | None = 1
    max_redemptions: int | None = 1
    valid_to: datetime | None = None


class AuditIn(StrictModel):
    at: datetime | None = None


def _promotion_doc(p: Promotion) -> dict[str, Any]:
    doc = {k: v for k, v in vars(p).items() if k != "target"}
    doc["target"] = {k: sorted(v) for k, v in vars(p.target).items()}
    return doc


def _view_doc(view: PromotionView) -> dict[str, Any]:
    return {
        **_promotion_doc(view.promotion),
        "usage": {
            "redemptions": view.redemptions,
            "discount_minor": view.discount_minor,
            "coupons": view.coupons,
        },
        "created_at": view.created_at,
        "updated_at": view.updated_at,
        "updated_by": view.updated_by,
    }


@router.get("/promotions")
def list_promotions(db: DbDep, principal: PrincipalDep, status: PromotionStatus | None = None) -> Response:
    principal.require(Permission.PRICING_READ)
    return _json([_view_doc(v) for v in service.list_promotions(db, status)])


@router.post("/promotions", status_code=status.HTTP_201_CREATED)
def post_promotion(body: PromotionIn, db: DbDep, principal: PrincipalDep) -> Response:
    """Create a promotion; 422 ``pricing.promotion_invalid`` names the field of a definition that
    contradicts itself."""
    created = service.create_promotion(db, body.promotion(), principal)
    return _json(_promotion_doc(created), status.HTTP_201_CREATED)


@router.get("/promotions/{code}")
def get_promotion(code: str, db: DbDep, principal: PrincipalDep) -> Response:
    principal.require(Permission.PRICING_READ)
    return _json(_view_doc(service.get_promotion(db, code)))


@router.put("/promotions/{code}")
def put_promotion(code: str, body: PromotionIn, db: DbDep, principal: PrincipalDep) -> Response:
    return _json(_promotion_doc(service.update_promotion(db, code, body.promotion(code), principal)))


@router.post("/promotions/{code}/status")
def post_status(code: str, body: StatusIn, db: DbDep, principal: PrincipalDep) -> Response:
    """Activate, pause, archive (final) or return to draft."""
    return _json(_promotion_doc(service.set_promotion_status(db, code, body.status, principal)))


@router.post("/promotions/{code}/coupons", status_code=status.HTTP_201_CREATED)
def post_coupons(code: str, body: CouponsIn, db: DbDep, principal: PrincipalDep) -> Response:
    """Generate ``count`` unique codes as a batch, or create one named ``code``."""
    if body.code is not None:
        created = service.create_coupon(
            db,
            code,
            body.code,
            principal,
            max_redemptions=body.max_redemptions,
            per_customer_limit=body.per_customer_limit,
            valid_to=body.valid_to,
        )
        doc: dict[str, Any] = {"batch_id": None, "count": 1, "codes": [created]}
    else:
        batch_id, codes = service.generate_coupons(
            db,
            code,
            1 if body.count is None else body.count,
            principal,
            prefix=body.prefix,
            per_customer_limit=body.per_customer_limit,
            max_redemptions=body.max_redemptions,
            valid_to=body.valid_to,
        )
        doc = {"batch_id": batch_id, "count": len(codes), "codes": codes}
    return _json(doc, status.HTTP_201_CREATED)


@router.get("/promotions/{code}/coupons")
def get_coupons(code: str, db: DbDep, principal: PrincipalDep, batch: str | None = None) -> Response:
    principal.require(Permission.PRICING_READ)
    return _json(service.export_coupons(db, code, batch))


def _cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _filename(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", code)


@router.get("/promotions/{code}/coupons.csv")
def get_coupons_csv(code: str, db: DbDep, principal: PrincipalDep, batch: str | None = None) -> Response:
    """The promotion's coupons (one batch's with ``batch``) as CSV, one code a row."""
    principal.require(Permission.PRICING_READ)
    rows = service.export_coupons(db, code, batch)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = list(rows[0]) if rows else ["code"]
    writer.writerow(columns)
    writer.writerows([_cell(row[c]) for c in columns] for row in rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(code)}-coupons.csv"'},
    )


# --- coherence --------------------------------------------------------------------------------


def _report_doc(
    report: CoherenceReport, *, unjustified_only: bool = False, limit: int | None = None
) -> dict[str, Any]:
    findings = report.unjustified if unjustified_only else report.findings
    listed = findings if limit is None else findings[:limit]
    return {
        "at": report.at,
        "skus": report.skus,
        "total": len(report.findings),
        "unjustified": len(report.unjustified),
        "new_findings": report.new_findings,
        "truncated": len(listed) < len(findings),
        "findings": listed,
    }


@router.get("/pricing/coherence")
def get_coherence(
    db: DbDep,
    principal: PrincipalDep,
    at: datetime | None = None,
    unjustified_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
) -> Response:
    """Every SKU whose price or promotions differ between channels or stores at ``at`` (now by
    default), with the rule behind each difference and whether it is justified, unjustified first;
    at most ``limit`` rows (``truncated`` says when more exist). Records nothing."""
    report = service.audit_coherence(db, at, emit=False, principal=principal)
    return _json(_report_doc(report, unjustified_only=unjustified_only, limit=limit))


@router.post("/pricing/coherence/audit")
def post_audit(body: AuditIn, db: DbDep, principal: PrincipalDep) -> Response:
    """Run the audit: each unjustified difference not seen before is recorded once as a
    ``pricing.incoherence_detected`` event."""
    return _json(_report_doc(service.audit_coherence(db, body.at, emit=True, principal=principal)))
