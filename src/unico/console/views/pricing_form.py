"""The promotion editor's form: what the page shows for a promotion, and the promotion a posted form
describes (with the problems of each field, for the page to show beside it).

Money is typed in euros ("12,90" or "12.90"), percentages as "10" or "12,5", lists comma separated,
dates and times in Italian time (stored in UTC).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from starlette.datastructures import FormData

from unico.console.views.order_desk import parse_price
from unico.core.errors import ValidationFailed
from unico.pricing.model import Promotion, PromotionKind, PromotionStatus, Stacking, Target

E = TypeVar("E", bound=StrEnum)
TIMEZONE = "Europe/Rome"
_ROME = ZoneInfo(TIMEZONE)
CURRENCY = "EUR"

# The definition fields each kind reads; the others are ignored (the page hides them).
KIND_FIELDS: dict[PromotionKind, tuple[str, ...]] = {
    PromotionKind.PERCENT_OFF: ("percent",),
    PromotionKind.AMOUNT_OFF: ("amount",),
    PromotionKind.SPEND_GET: ("threshold", "amount", "percent"),
    PromotionKind.BUY_X_GET_Y: ("buy_quantity", "get_quantity", "percent"),
    PromotionKind.BUNDLE_PRICE: ("bundle_quantity", "amount"),
    PromotionKind.FREE_DELIVERY: ("threshold",),
}
# The service names fields after the Promotion; the page after its inputs.
SERVICE_FIELDS = {
    "percent_bp": "percent",
    "budget_minor": "budget",
    "target": "target_skus",
    "target.skus": "target_skus",
    "target.categories": "target_categories",
    "target.brands": "target_brands",
}


@dataclass(frozen=True)
class Problem:
    """Why a field was refused: ``key`` names the sentence the page shows, ``message`` the service's
    own words when the key is ``invalid``."""

    key: str
    message: str = ""


@dataclass
class ParsedForm:
    """What the posted form said: the values as typed (to show them again) and each field's problem."""

    values: dict[str, Any]
    problems: dict[str, Problem] = field(default_factory=dict)
    promotion: Promotion | None = None


def field_of(error: ValidationFailed) -> str:
    """The page input a service's ValidationFailed is about ("" when it names none the page has)."""
    name = str(error.details.get("field") or "")
    return SERVICE_FIELDS.get(name, name)


def decimal_text(value: Decimal) -> str:
    """A decimal without trailing zeros, the way it is typed: "10", "12.5"."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def money_text(minor: int | None, locale: str) -> str:
    """Minor units as typed in the form: "12,90" in Italian, "12.90" in English; "" for none."""
    if minor is None:
        return ""
    text = f"{Decimal(minor).scaleb(-2):.2f}"
    return text.replace(".", ",") if locale == "it" else text


def percent_text(bp: int | None, locale: str) -> str:
    if bp is None:
        return ""
    text = decimal_text(Decimal(bp).scaleb(-2))
    return text.replace(".", ",") if locale == "it" else text


def local_text(at: datetime | None) -> str:
    """A UTC instant as a datetime-local input shows it, in Italian time."""
    return at.astimezone(_ROME).strftime("%Y-%m-%dT%H:%M") if at else ""


def parse_local(text: str) -> datetime | None:
    """A datetime-local value ("2026-11-27T09:00") in Italian time, as UTC; None when blank.
    ValueError when it is not a date and time."""
    if not text.strip():
        return None
    typed = datetime.fromisoformat(text.strip())
    local = typed.replace(tzinfo=_ROME) if typed.tzinfo is None else typed
    return local.astimezone(UTC)


def values_of(promotion: Promotion | None, locale: str) -> dict[str, Any]:
    """The form's values for ``promotion`` (a blank new promotion when None)."""
    p = promotion or Promotion(code="", name="", kind=PromotionKind.PERCENT_OFF, status=PromotionStatus.DRAFT)
    return {
        "code": p.code,
        "name": p.name,
        "kind": p.kind.value,
        "percent": percent_text(p.percent_bp, locale),
        "amount": money_text(p.amount, locale),
        "threshold": money_text(p.threshold, locale),
        "buy_quantity": _int_text(p.buy_quantity),
        "get_quantity": _int_text(p.get_quantity),
        "bundle_quantity": _int_text(p.bundle_quantity),
        "target_skus": ", ".join(sorted(p.target.skus)),
        "target_categories": ", ".join(sorted(p.target.categories)),
        "target_brands": ", ".join(sorted(p.target.brands)),
        "valid_from": local_text(p.valid_from),
        "valid_to": local_text(p.valid_to),
        "channels": sorted(p.channels),
        "stores": sorted(p.stores),
        "members_only": p.members_only,
        "tiers": ", ".join(sorted(p.tiers)),
        "requires_coupon": p.requires_coupon,
        "per_customer_limit": _int_text(p.per_customer_limit),
        "max_redemptions": _int_text(p.max_redemptions),
        "budget": money_text(p.budget_minor, locale),
        "stacking": p.stacking.value,
        "priority": str(p.priority),
        "status": p.status.value,
    }


def _int_text(value: int | None) -> str:
    return "" if value is None else str(value)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _codes(text: str, *, upper: bool = False) -> frozenset[str]:
    parts = (part.strip() for part in text.replace(";", ",").split(","))
    return frozenset(part.upper() if upper else part for part in parts if part)


class _Reader:
    """Reads typed fields, noting the problem of each one that does not parse."""

    def __init__(self, form: FormData) -> None:
        self.form = form
        self.problems: dict[str, Problem] = {}

    def money(self, name: str) -> int | None:
        text = _text(self.form, name)
        if not text:
            return None
        try:
            return parse_price(text, CURRENCY, name)
        except ValidationFailed:
            self.problems[name] = Problem("price")
            return None

    def percent(self, name: str) -> int | None:
        """Basis points of a percentage typed "10" or "12,5"; at most two decimals."""
        text = _text(self.form, name).replace("%", "").strip().replace(",", ".")
        if not text:
            return None
        try:
            bp = Decimal(text) * 100
        except InvalidOperation:
            bp = Decimal("NaN")
        if not bp.is_finite() or bp != bp.to_integral_value():
            self.problems[name] = Problem("percent")
            return None
        return int(bp)

    def integer(self, name: str, default: int | None = None) -> int | None:
        text = _text(self.form, name)
        if not text:
            return default
        try:
            return int(text)
        except ValueError:
            self.problems[name] = Problem("integer")
            return default

    def moment(self, name: str) -> datetime | None:
        """A datetime-local value in Italian time, as UTC."""
        text = _text(self.form, name)
        try:
            return parse_local(text)
        except ValueError:
            self.problems[name] = Problem("datetime")
            return None

    def choice(self, name: str, enum: type[E], default: E) -> E:
        text = _text(self.form, name)
        try:
            return enum(text) if text else default
        except ValueError:
            self.problems[name] = Problem("choice")
            return default


def parse_promotion(form: FormData, *, code: str | None = None) -> ParsedForm:
    """The promotion the editor's ``form`` describes; ``code`` fixes it when editing.

    Fields the chosen kind does not use are left empty, so a hidden leftover value never saves.
    """
    values: dict[str, Any] = {name: _text(form, name) for name in values_of(None, "en")}
    values["channels"] = [v for v in form.getlist("channels") if isinstance(v, str)]
    values["stores"] = [v for v in form.getlist("stores") if isinstance(v, str)]
    values["members_only"] = "members_only" in form
    values["requires_coupon"] = "requires_coupon" in form
    if code is not None:
        values["code"] = code
    read = _Reader(form)
    kind = read.choice("kind", PromotionKind, PromotionKind.PERCENT_OFF)
    used = KIND_FIELDS[kind]
    promotion = Promotion(
        code=str(values["code"]).upper(),
        name=str(values["name"]),
        kind=kind,
        target=Target(
            skus=_codes(values["target_skus"]),
            categories=_codes(values["target_categories"]),
            brands=_codes(values["target_brands"]),
        ),
        percent_bp=read.percent("percent") if "percent" in used else None,
        amount=read.money("amount") if "amount" in used else None,
        threshold=read.money("threshold") if "threshold" in used else None,
        buy_quantity=read.integer("buy_quantity") if "buy_quantity" in used else None,
        get_quantity=read.integer("get_quantity") if "get_quantity" in used else None,
        bundle_quantity=read.integer("bundle_quantity") if "bundle_quantity" in used else None,
        priority=read.integer("priority", 0) or 0,
        stacking=read.choice("stacking", Stacking, Stacking.STACKABLE),
        valid_from=read.moment("valid_from"),
        valid_to=read.moment("valid_to"),
        channels=frozenset(values["channels"]),
        stores=frozenset(values["stores"]),
        members_only=bool(values["members_only"]),
        tiers=_codes(values["tiers"], upper=False),
        requires_coupon=bool(values["requires_coupon"]),
        per_customer_limit=read.integer("per_customer_limit"),
        max_redemptions=read.integer("max_redemptions"),
        budget_minor=read.money("budget"),
        status=read.choice("status", PromotionStatus, PromotionStatus.DRAFT),
    )
    if not promotion.code:
        read.problems.setdefault("code", Problem("required"))
    if read.problems:
        return ParsedForm(values, read.problems)
    return ParsedForm(values, {}, promotion)
