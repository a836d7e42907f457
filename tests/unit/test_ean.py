"""EAN-13 check digits: known barcodes, every single-digit error caught, generation round-trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from unico.catalog.ean import ean13_check_digit, ean13_problem, ean13_with_checksum, is_valid_ean13

twelve_digits = st.text(alphabet="0123456789", min_size=12, max_size=12)


@pytest.mark.parametrize(
    "ean",
    ["4006381333931", "8001234567897", "9788804668237", "5901234123457", "0000000000000"],
)
def test_real_barcodes_are_valid(ean: str) -> None:
    assert is_valid_ean13(ean)
    assert ean13_problem(ean) is None


@pytest.mark.parametrize(
    ("ean", "problem"),
    [
        ("4006381333932", "EAN-13 4006381333932 has check digit 2, expected 1"),
        ("400638133393", "an EAN-13 is exactly 13 digits, got '400638133393'"),
        ("40063813339310", "an EAN-13 is exactly 13 digits, got '40063813339310'"),
        ("400638133393X", "an EAN-13 is exactly 13 digits, got '400638133393X'"),
        ("４００６３８１３３３９３１", "an EAN-13 is exactly 13 digits, got '４００６３８１３３３９３１'"),
        ("", "an EAN-13 is exactly 13 digits, got ''"),
    ],
)
def test_malformed_barcodes_say_why(ean: str, problem: str) -> None:
    assert not is_valid_ean13(ean)
    assert ean13_problem(ean) == problem


def test_generator_appends_the_check_digit() -> None:
    assert ean13_with_checksum("400638133393") == "4006381333931"
    assert ean13_with_checksum("800000000042") == "8000000000422"
    assert ean13_check_digit("978880466823") == 7


@pytest.mark.parametrize("body", ["12345678901", "1234567890123", "12345678901a"])
def test_generator_refuses_a_body_that_is_not_twelve_digits(body: str) -> None:
    with pytest.raises(ValueError, match="12 digits"):
        ean13_with_checksum(body)


@given(twelve_digits)
def test_every_generated_ean_is_valid(body: str) -> None:
    ean = ean13_with_checksum(body)
    assert len(ean) == 13
    assert ean[:12] == body
    assert is_valid_ean13(ean)


@given(twelve_digits, st.integers(0, 12), st.integers(1, 9))
def test_any_single_wrong_digit_is_caught(body: str, position: int, shift: int) -> None:
    ean = ean13_with_checksum(body)
    wrong = ean[:position] + str((int(ean[position]) + shift) % 10) + ean[position + 1 :]
    assert not is_valid_ean13(wrong)
