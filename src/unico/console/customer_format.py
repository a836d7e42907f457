"""Display helpers of the customer pages: money in minor units and the console's time zone."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency, get_currency_precision

# Profiles are not tied to one store; times on customer pages are shown in Italian time.
TIMEZONE = "Europe/Rome"


class Money:
    """Formats integer minor units as the locale writes an amount (``€ 1.234,50`` / ``€1,234.50``)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def __call__(self, minor: int | None, currency: str | None) -> str:
        if minor is None or not currency:
            return "—"
        amount = Decimal(minor).scaleb(-get_currency_precision(currency))
        return format_currency(amount, currency, locale=self.locale)
