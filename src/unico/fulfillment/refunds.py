"""Refunds and exchange balances from what was actually paid. Pure: integers in, integers out.

An order line's ``paid_minor`` is what the customer paid for all its units, order discounts
already allocated to it. A refund must never depend on how a line's units are split over several
returns, and the refunds of every unit of a line must add up to ``paid_minor`` to the cent. Both
follow from refunding units by their position in the line: units ``[a, a + n)`` are worth
``share(a + n) - share(a)``, where ``share(k) = floor(paid * k / quantity)`` is what the first
``k`` units are worth. ``share(quantity) == paid``, so the pieces always sum to the whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def _share(paid_minor: int, quantity: int, units: int) -> int:
    """What the first ``units`` of a line are worth: ``floor(paid * units / quantity)``."""
    return paid_minor * units // quantity


def refund_for_units(paid_minor: int, quantity: int, already_returned: int, returning: int) -> int:
    """The refund for ``returning`` more units of a line of ``quantity`` units paid ``paid_minor``,
    of which ``already_returned`` were refunded before.

    Returning a line unit by unit, in any grouping, refunds exactly ``paid_minor`` in total.
    """
    if quantity <= 0:
        raise ValueError("a line has at least one unit")
    if paid_minor < 0:
        raise ValueError("paid amount cannot be negative")
    if already_returned < 0 or returning < 0 or already_returned + returning > quantity:
        raise ValueError("cannot return more units than the line has")
    return _share(paid_minor, quantity, already_returned + returning) - _share(
        paid_minor, quantity, already_returned
    )


def unit_paid_floor(paid_minor: int, quantity: int) -> int:
    """The least any single unit of the line was worth (the default price of a like-for-like swap)."""
    if quantity <= 0:
        raise ValueError("a line has at least one unit")
    return paid_minor // quantity


@dataclass(frozen=True, slots=True)
class LineToRefund:
    """One order line being returned: what it cost, how much came back before, how much now."""

    line_no: int
    quantity: int
    paid_minor: int
    already_returned: int
    returning: int


@dataclass(frozen=True, slots=True)
class RefundLine:
    line_no: int
    quantity: int
    amount_minor: int


@dataclass(frozen=True, slots=True)
class Settlement:
    """The money side of a return with an optional exchange.

    ``gross_minor``: what the returned units were paid. ``exchange_minor``: the value of the
    replacement items. ``refund_minor``: paid back to the customer. ``balance_due_minor``: paid by
    the customer at the till when the replacements are worth more. At most one of the two is > 0.
    """

    lines: tuple[RefundLine, ...]
    gross_minor: int
    exchange_minor: int
    refund_minor: int
    balance_due_minor: int


def settle(lines: Sequence[LineToRefund], exchange_minor: int = 0) -> Settlement:
    """Refund each returned line from what was paid, less the value of any exchange items."""
    if exchange_minor < 0:
        raise ValueError("an exchange cannot be worth less than nothing")
    refunded = tuple(
        RefundLine(
            line.line_no,
            line.returning,
            refund_for_units(line.paid_minor, line.quantity, line.already_returned, line.returning),
        )
        for line in lines
    )
    gross = sum(r.amount_minor for r in refunded)
    return Settlement(
        lines=refunded,
        gross_minor=gross,
        exchange_minor=exchange_minor,
        refund_minor=max(gross - exchange_minor, 0),
        balance_due_minor=max(exchange_minor - gross, 0),
    )
