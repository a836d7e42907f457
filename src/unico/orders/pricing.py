"""Order amounts: line totals and an order discount allocated to lines. Pure, integers only."""

from __future__ import annotations

from collections.abc import Sequence


def allocate_discount(discount: int, amounts: Sequence[int]) -> list[int]:
    """Split ``discount`` over lines in proportion to their ``amounts`` (largest remainder).

    The shares are whole minor units, sum exactly to ``discount`` and never exceed a line's
    amount, so what each line was paid (amount - share) is what a refund of it gives back.
    """
    total = sum(amounts)
    if discount <= 0 or total <= 0:
        return [0] * len(amounts)
    discount = min(discount, total)
    shares = [discount * a // total for a in amounts]
    remainders = sorted(range(len(amounts)), key=lambda i: (-(discount * amounts[i] % total), i))
    for i in remainders[: discount - sum(shares)]:
        shares[i] += 1
    return shares
