"""Points for purchases (orders, POS receipts), pending until the return window closes, and
taken back, pro rata to the units, when goods are returned.

An earning is one ``EARN`` posting (``pending +P / program:issued -P``), idempotent by its source
(``("order", order_id)``, ``("receipt", receipt_id)``), plus a ``loyalty_earnings`` row holding
the points per line and when they mature. A return is one ``REVERSE`` posting, idempotent by
``("return", return_id)`` (an order's) or ``("receipt_return", id)`` (at a till): the returned
units' share of their line's points, taken from what is
still pending of that earning first, then from available points, even below zero (the member
may already have spent them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.catalog.queries import sku_category_codes_in
from unico.core import clock
from unico.core.events import DomainEvent, record_event
from unico.fulfillment.returns_store import return_lines, returns
from unico.loyalty.accounts import membership
from unico.loyalty.configuration import program_in
from unico.loyalty.earning import Earning, PurchaseLine, points_for_purchase
from unico.loyalty.ledger import post_in, posted_in
from unico.loyalty.model import AVAILABLE, ISSUED, PENDING, Leg, PostingKind, Source
from unico.loyalty.program_store import loyalty_earnings
from unico.loyalty.store import loyalty_accounts
from unico.loyalty.tiers import update_tier_in
from unico.orders.store import order_lines, orders

SYSTEM_ACTOR = "system:loyalty"


def member_account_in(conn: Connection, customer_id: str | None) -> str | None:
    """The active loyalty account of ``customer_id``, or of the profile it was merged into; None
    when the customer is not a member (or unknown)."""
    found = membership(conn, customer_id)  # follows merges both ways
    return None if found is None else found.account_id


def earn_for_purchase_in(
    conn: Connection,
    account_id: str,
    source: Source,
    channel: str,
    store: str | None,
    lines: Sequence[PurchaseLine],
    at: datetime,
    *,
    actor: str = SYSTEM_ACTOR,
    pending_until: datetime | None = None,
    window_from: datetime | None = None,
    returned: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
) -> str | None:
    """Post the points ``lines`` bought at ``at`` earn (the rules live then) as pending, maturing
    at ``pending_until`` (default: the program's return window after ``window_from``, itself
    ``at`` by default: an order's window opens when it completes). Returns the EARN ``txn_id``;
    None when ``source`` was already posted or the purchase earns no points (nothing is
    recorded then). ``returned`` notes returns already taken into account (``{"returns": [ids]}``)."""
    if posted_in(conn, source) is not None:
        return None
    program = program_in(conn)
    tier_code = conn.execute(
        select(loyalty_accounts.c.tier).where(loyalty_accounts.c.account_id == account_id)
    ).scalar_one_or_none()
    earning = points_for_purchase(lines, channel, at, program.rules, program.tier(tier_code))
    if earning.points <= 0:
        return None
    matures_at = pending_until or (window_from or at) + timedelta(days=program.settings.return_window_days)
    per_line = [
        {"line_no": x.line_no, "sku": x.sku, "quantity": x.quantity, "points": x.points}
        for x in earning.per_line
    ]
    txn_id = post_in(
        conn,
        account_id,
        PostingKind.EARN,
        source,
        [Leg(PENDING, earning.points), Leg(ISSUED, -earning.points)],
        actor=actor,
        channel=channel,
        store=store,
        detail={
            **(detail or {}),
            "lines": per_line,
            "tier": tier_code,
            "sold_at": at.isoformat(),
            "matures_at": matures_at.isoformat(),
            "explanation_en": earning.explanation_en,
            "explanation_it": earning.explanation_it,
        },
    )
    if txn_id is None:
        return None
    conn.execute(
        loyalty_earnings.insert().values(
            txn_id=txn_id,
            account_id=account_id,
            source_kind=source.kind,
            source_ref=source.ref,
            channel=channel,
            store=store,
            points=earning.points,
            pending_points=earning.points,
            reversed_points=0,
            lines=per_line,
            returned={"returns": list((returned or {}).get("returns", [])), "lines": {}},
            state="pending",
            earned_at=at,
            matures_at=matures_at,
        )
    )
    _announce(conn, "loyalty.points_earned", account_id, txn_id, source, earning, matures_at)
    update_tier_in(conn, account_id, reason="earning", program=program)
    return txn_id


def _announce(
    conn: Connection,
    type_: str,
    account_id: str,
    txn_id: str,
    source: Source,
    earning: Earning,
    until: datetime,
) -> None:
    record_event(
        conn,
        DomainEvent(
            type_,
            "loyalty_account",
            account_id,
            {
                "account_id": account_id,
                "txn_id": txn_id,
                "source_kind": source.kind,
                "source_ref": source.ref,
                "points": earning.points,
                "pending_until": until.isoformat(),
            },
        ),
    )


def earn_for_order_in(
    conn: Connection, order_id: str, *, customer_id: str | None, channel: str, store: str | None
) -> str | None:
    """The points of a completed order, if its customer is a member: the units kept (neither
    cancelled nor already returned) at what was paid for them. Idempotent by ``("order", id)``."""
    account_id = member_account_in(conn, customer_id)
    if account_id is None:
        return None
    order = conn.execute(
        select(orders.c.id, orders.c.created_at).where(orders.c.order_id == order_id)
    ).first()
    if order is None:
        return None
    order_pk = order.id
    ol = order_lines.c
    rows = conn.execute(
        select(ol.id, ol.line_no, ol.sku, ol.quantity, ol.quantity_cancelled, ol.paid_minor)
        .where(ol.order_id == order_pk)
        .order_by(ol.line_no)
    ).all()
    back = conn.execute(
        select(returns.c.return_id, return_lines.c.order_line_id, return_lines.c.quantity)
        .select_from(returns.join(return_lines, return_lines.c.return_id == returns.c.id))
        .where(returns.c.order_id == order_pk)
    ).all()
    returned_units: dict[int, int] = {}
    for b in back:
        returned_units[int(b.order_line_id)] = returned_units.get(int(b.order_line_id), 0) + int(b.quantity)
    cats = sku_category_codes_in(conn, [r.sku for r in rows])
    lines = []
    for r in rows:
        kept = int(r.quantity) - int(r.quantity_cancelled) - returned_units.get(int(r.id), 0)
        if kept > 0:
            paid = int(r.paid_minor) * kept // int(r.quantity)
            lines.append(PurchaseLine(r.sku, cats.get(r.sku, frozenset()), paid, kept, int(r.line_no)))
    return earn_for_purchase_in(
        conn,
        account_id,
        Source("order", order_id),
        channel,
        store,
        lines,
        order.created_at,  # the campaigns live when the customer ordered
        window_from=clock.now(),
        returned={"returns": sorted({str(b.return_id) for b in back})},
        detail={"order_id": order_id},
    )


def reverse_return_in(
    conn: Connection,
    return_id: str,
    order_id: str,
    lines: Sequence[Mapping[str, Any]],
    *,
    actor: str = SYSTEM_ACTOR,
) -> str | None:
    """Take back the points of an order's returned units (``lines``: ``{line_no, quantity}``),
    source ``("return", return_id)``; see :func:`reverse_in`."""
    return reverse_in(
        conn,
        Source("return", return_id),
        Source("order", order_id),
        lines,
        actor=actor,
        detail={"order_id": order_id},
    )


def reverse_in(
    conn: Connection,
    source: Source,
    earned_by: Source,
    lines: Sequence[Mapping[str, Any]],
    *,
    actor: str = SYSTEM_ACTOR,
    detail: Mapping[str, Any] | None = None,
) -> str | None:
    """Take back the points of returned units of the purchase ``earned_by`` (``lines``:
    ``{line_no, quantity}``): for each line, ``points * (before + now) // quantity - points *
    before // quantity``, so returning a line unit by unit takes back exactly its points; units
    beyond those earned on are ignored. From the earning's pending points first, then from
    available ones (may go negative). Returns the REVERSE ``txn_id``, or None when ``source``
    was already done, nothing was earned, or the return was counted when the order earned."""
    if posted_in(conn, source) is not None:
        return None
    e = loyalty_earnings.c
    row = conn.execute(
        select(loyalty_earnings)
        .where(e.source_kind == earned_by.kind, e.source_ref == earned_by.ref)
        .with_for_update()
    ).first()
    if row is None:
        return None
    done_returns: list[str] = list(row.returned.get("returns", []))
    done_units: dict[str, int] = dict(row.returned.get("lines", {}))
    if source.ref in done_returns:
        return None
    by_line = {int(x["line_no"]): x for x in row.lines}
    taken: list[dict[str, int]] = []
    for item in lines:
        earned = by_line.get(int(item["line_no"]))
        if earned is None:
            continue
        key = str(earned["line_no"])
        quantity, points, before = (
            int(earned["quantity"]),
            int(earned["points"]),
            int(done_units.get(key, 0)),
        )
        units = max(min(int(item["quantity"]), quantity - before), 0)
        if units == 0:
            continue
        share = points * (before + units) // quantity - points * before // quantity
        done_units[key] = before + units
        taken.append({"line_no": int(earned["line_no"]), "units": units, "points": share})
    done_returns.append(source.ref)
    total = sum(x["points"] for x in taken)
    from_pending = min(total, int(row.pending_points)) if row.state == "pending" else 0
    values: dict[str, Any] = {"returned": {"returns": done_returns, "lines": done_units}}
    txn_id = None
    if total > 0:
        legs = [Leg(PENDING, -from_pending), Leg(AVAILABLE, -(total - from_pending)), Leg(ISSUED, total)]
        txn_id = post_in(
            conn,
            row.account_id,
            PostingKind.REVERSE,
            source,
            [leg for leg in legs if leg.points],
            actor=actor,
            channel=row.channel,
            store=row.store,
            detail={**(detail or {}), "earn_txn_id": row.txn_id, "lines": taken},
            allow_negative=True,
        )
        if txn_id is None:
            return None
        values.update(
            pending_points=int(row.pending_points) - from_pending,
            reversed_points=int(row.reversed_points) + total,
        )
    conn.execute(loyalty_earnings.update().where(e.id == row.id).values(**values))
    if txn_id is not None:
        record_event(
            conn,
            DomainEvent(
                "loyalty.points_reversed",
                "loyalty_account",
                row.account_id,
                {
                    "account_id": row.account_id,
                    "txn_id": txn_id,
                    "source_kind": source.kind,
                    "source_ref": source.ref,
                    **(detail or {}),
                    "points": total,
                    "from_pending": from_pending,
                },
            ),
        )
        update_tier_in(conn, row.account_id, reason="return")
    return txn_id
