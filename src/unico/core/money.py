"""Money as integer minor units with an ISO 4217 currency; rounding lives here only."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from unico.core.errors import ValidationFailed

# Minor-unit exponents for the currencies a European retailer meets; others default to 2.
_EXPONENTS = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0, "SEK": 2, "DKK": 2, "PLN": 2, "CZK": 2}


def minor_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units (cents for EUR). Never a float."""

    amount: int
    currency: str = "EUR"

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValidationFailed("currency must be an ISO 4217 code", field="currency")

    @classmethod
    def from_decimal(cls, value: Decimal | str, currency: str = "EUR") -> Money:
        exponent = minor_exponent(currency)
        minor = round_half_up(Decimal(value) * (Decimal(10) ** exponent))
        return cls(minor, currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount) / (Decimal(10) ** minor_exponent(self.currency))

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValidationFailed(f"cannot combine {self.currency} with {other.currency}", field="currency")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.amount * quantity, self.currency)

    def __str__(self) -> str:
        return f"{self.to_decimal():.{minor_exponent(self.currency)}f} {self.currency}"


def round_half_up(value: Decimal) -> int:
    """Round to the nearest integer, halves away from zero (as tills and invoices do)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def round_half_even(value: Decimal) -> int:
    """Banker's rounding, for allocations that must not drift upward over many lines."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
