"""VAT included in gross amounts: one rounding per rate bucket, split exactly over lines.

Pure, integers only. Prices are VAT included, so a bucket's VAT is ``gross * rate / (1 + rate)``
rounded half-even once on the bucket total; the lines' VATs are that figure split by largest
remainder over their nets, so they always add up to the bucket (no per-line rounding drift).
"""

from __future__ import annotations

from collections.abc import Sequence

from unico.pricing.allocation import div_half_even, split_largest_remainder
from unico.pricing.model import VatBucket


def vat_included(gross: int, rate_bp: int) -> int:
    """The VAT contained in a VAT-included ``gross`` at ``rate_bp`` basis points (half-even)."""
    if gross <= 0 or rate_bp <= 0:
        return 0
    return div_half_even(gross * rate_bp, 10000 + rate_bp)


def split_vat(
    nets: Sequence[int], rates: Sequence[int], delivery: int, delivery_rate_bp: int
) -> tuple[list[int], int, tuple[VatBucket, ...]]:
    """VAT of each line, of the delivery fee, and the buckets by rate (ascending).

    A bucket exists for every rate among the lines, and for the delivery rate when ``delivery``
    is positive; the delivery fee belongs to its rate's bucket. Guarantees:
    ``sum(line vats) + delivery vat == sum(bucket.vat)`` and each bucket's VAT is the rounding of
    its own gross.
    """
    members: dict[int, list[int]] = {}
    for index, rate in enumerate(rates):
        members.setdefault(rate, []).append(index)
    if delivery > 0:
        members.setdefault(delivery_rate_bp, [])
    line_vats = [0] * len(nets)
    delivery_vat = 0
    buckets = []
    for rate in sorted(members):
        indexes = members[rate]
        weights = [nets[i] for i in indexes]
        with_delivery = delivery > 0 and rate == delivery_rate_bp
        if with_delivery:
            weights.append(delivery)
        gross = sum(weights)
        vat = vat_included(gross, rate)
        shares = split_largest_remainder(vat, weights)
        for i, share in zip(indexes, shares, strict=False):
            line_vats[i] = share
        if with_delivery:
            delivery_vat = shares[-1]
        buckets.append(VatBucket(rate_bp=rate, gross=gross, taxable=gross - vat, vat=vat))
    return line_vats, delivery_vat, tuple(buckets)
