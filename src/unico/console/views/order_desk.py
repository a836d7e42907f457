"""What the order, fulfillment and returns pages share: rendering with money and time helpers,
the store a page works on, and business errors shown inside the page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_currency
from starlette.requests import Request
from starlette.responses import HTMLResponse

from unico.access.model import Role
from unico.console.rendering import render
from unico.console.security import StaffSession
from unico.core.db import Database
from unico.core.errors import UnicoError, ValidationFailed
from unico.core.money import Money
from unico.inventory import locations as network
from unico.inventory.model import LocationType
from unico.orders.model import CustomerRef
from unico.orders.network import DEFAULT_TIMEZONE


@dataclass(frozen=True)
class PageError:
    """A business error as the page shows it: the template translates known codes."""

    code: str
    message: str
    details: dict[str, Any]

    @classmethod
    def of(cls, exc: UnicoError) -> PageError:
        return cls(exc.code, exc.message, dict(exc.details))


def money_formatter(locale: str) -> Callable[[int, str], str]:
    """Minor units as the locale writes an amount (``89,90 €`` in Italian, ``€89.90`` in English)."""

    def money(minor: int, currency: str = "EUR") -> str:
        return str(format_currency(Money(int(minor), currency).to_decimal(), currency, locale=locale))

    return money


def page(
    request: Request, template: str, staff: StaffSession, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """Render a page of the order desk for the signed-in ``staff``."""
    context.setdefault("error", None)
    context.setdefault("notice", None)
    return render(
        request,
        template,
        staff.locale,
        status_code=status_code,
        staff=staff,
        csrf_token=staff.csrf_token,
        money=money_formatter(staff.locale),
        tz=DEFAULT_TIMEZONE,
        **context,
    )


def working_store(staff: StaffSession, asked: str) -> str | None:
    """An associate always works at their own store; other roles choose one (None: not yet)."""
    if staff.principal.role is Role.STORE_ASSOCIATE:
        return staff.principal.store_code
    return asked.strip() or None


def store_choices(db: Database) -> list[network.LocationView]:
    return network.list_locations(db, type=LocationType.STORE)


def parse_price(text: str, currency: str, field: str) -> int:
    """``"89,90"`` or ``"89.90"`` in major units -> minor units; ValidationFailed otherwise."""
    cleaned = text.strip().replace("€", "").replace(" ", "")
    if "," in cleaned:
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationFailed(f"'{text}' is not a price", code="console.bad_price", field=field) from None
    if value < 0 or not value.is_finite():
        raise ValidationFailed(f"'{text}' is not a price", code="console.bad_price", field=field)
    return Money.from_decimal(value, currency).amount


@dataclass
class ContactForm:
    """The customer and delivery address an associate types on an order form."""

    customer_name: str = ""
    customer_email: str = ""
    customer_phone: str = ""
    line1: str = ""
    postcode: str = ""
    city: str = ""

    def customer(self, customer_id: str | None = None) -> CustomerRef:
        return CustomerRef(
            customer_id=customer_id,
            email=self.customer_email.strip() or None,
            name=self.customer_name.strip() or None,
            phone=self.customer_phone.strip() or None,
        )

    def address(self) -> dict[str, str]:
        """The shipping address for a home delivery; ValidationFailed when it is incomplete."""
        if not (self.line1.strip() and self.city.strip() and self.postcode.strip()):
            raise ValidationFailed(
                "home delivery needs the address", code="console.address_required", field="address"
            )
        return {
            "name": self.customer_name.strip(),
            "line1": self.line1.strip(),
            "city": self.city.strip(),
            "postcode": self.postcode.strip(),
            "country": "IT",
        }
