"""Integer arithmetic for the quote engine: half-even division and largest-remainder splits.

Pure and fast: no Decimal, every result a whole number of minor units.
"""

from __future__ import annotations

from collections.abc import Sequence


def div_half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves to even.

    Both arguments are non-negative and ``denominator`` is positive; the result equals
    ``unico.core.money.round_half_even(Decimal(numerator) / denominator)`` without the Decimal.
    """
    quotient, remainder = divmod(numerator, denominator)
    twice = remainder + remainder
    if twice > denominator or (twice == denominator and quotient & 1):
        quotient += 1
    return quotient


def split_largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights``; the shares sum exactly to ``total``.

    Each share is the floor of its exact part; the units left over go one each to the largest
    remainders, ties to the earlier index, so the split is deterministic. When ``total`` does not
    exceed ``sum(weights)`` no share exceeds its weight. All weights zero (or ``total`` zero) gives
    zero shares.
    """
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    if len(weights) == 1:
        return [total]
    parts = [total * weight for weight in weights]
    shares = [part // whole for part in parts]
    left = total - sum(shares)
    if left:
        # The largest remainders first; the sort is stable (also reversed), so ties go to the
        # earlier index.
        remainders = [part % whole for part in parts]
        for index in sorted(range(len(remainders)), key=remainders.__getitem__, reverse=True)[:left]:
            shares[index] += 1
    return shares
