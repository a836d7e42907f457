"""EAN-13 barcodes: checksum validation and generation. Pure.

The thirteenth digit is a check digit: weigh the first twelve digits 1, 3, 1, 3, ... from the left,
and the check digit brings the weighted sum up to a multiple of ten.
"""

from __future__ import annotations

EAN13_LENGTH = 13


def ean13_check_digit(twelve_digits: str) -> int:
    """The check digit completing ``twelve_digits`` (exactly twelve ASCII digits)."""
    if len(twelve_digits) != EAN13_LENGTH - 1 or not _all_ascii_digits(twelve_digits):
        raise ValueError(f"an EAN-13 body is 12 digits, got {twelve_digits!r}")
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(twelve_digits))
    return (10 - total % 10) % 10


def ean13_with_checksum(twelve_digits: str) -> str:
    """The full 13-digit EAN for a 12-digit body: '400638133393' -> '4006381333931'."""
    return f"{twelve_digits}{ean13_check_digit(twelve_digits)}"


def is_valid_ean13(value: str) -> bool:
    """True when ``value`` is 13 ASCII digits whose last digit is the right check digit."""
    if len(value) != EAN13_LENGTH or not _all_ascii_digits(value):
        return False
    return ean13_check_digit(value[:-1]) == int(value[-1])


def ean13_problem(value: str) -> str | None:
    """Why ``value`` is not a valid EAN-13, in words for an error message; None when it is valid."""
    if len(value) != EAN13_LENGTH or not _all_ascii_digits(value):
        return f"an EAN-13 is exactly 13 digits, got {value!r}"
    expected = ean13_check_digit(value[:-1])
    if expected != int(value[-1]):
        return f"EAN-13 {value} has check digit {value[-1]}, expected {expected}"
    return None


def _all_ascii_digits(value: str) -> bool:
    # str.isdigit() accepts '²' and Arabic-Indic digits; a barcode is ASCII 0-9 only.
    return all("0" <= ch <= "9" for ch in value)
