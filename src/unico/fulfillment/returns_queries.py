"""Reading returns and quarantined stock."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from unico.catalog.store import variants
from unico.core.db import Database
from unico.core.errors import NotFound
from unico.fulfillment.returns_model import (
    Condition,
    ExchangeLineView,
    QuarantineLine,
    RefundView,
    ReturnChannel,
    ReturnLineView,
    ReturnStatus,
    ReturnView,
)
from unico.fulfillment.returns_store import (
    quarantine_stock,
    refunds,
    return_exchange_lines,
    return_lines,
    returns,
)
from unico.inventory.queries import location_by_code
from unico.inventory.store import locations
from unico.orders.store import orders


def order_pk(conn: Connection, order_id: str) -> int:
    """The row id of the order ``order_id`` ("ord_..."); 404 ``orders.not_found`` if none."""
    pk = conn.execute(select(orders.c.id).where(orders.c.order_id == order_id)).scalar()
    if pk is None:
        raise NotFound(f"unknown order '{order_id}'", code="orders.not_found", order_id=order_id)
    return int(pk)


# --- reads ------------------------------------------------------------------------------------


def return_view(conn: Connection, return_id: str) -> ReturnView:
    ret = conn.execute(
        select(returns, orders.c.order_id.label("public_order_id"), locations.c.code.label("location_code"))
        .select_from(
            returns.join(orders, orders.c.id == returns.c.order_id).join(
                locations, locations.c.id == returns.c.location_id
            )
        )
        .where(returns.c.return_id == return_id)
    ).first()
    if ret is None:
        raise NotFound(f"unknown return '{return_id}'", code="returns.not_found", return_id=return_id)
    lines = conn.execute(
        select(return_lines).where(return_lines.c.return_id == ret.id).order_by(return_lines.c.line_no)
    )
    exchange = conn.execute(
        select(return_exchange_lines)
        .where(return_exchange_lines.c.return_id == ret.id)
        .order_by(return_exchange_lines.c.id)
    )
    refund = conn.execute(select(refunds).where(refunds.c.return_id == ret.id)).first()
    return ReturnView(
        return_id=ret.return_id,
        order_id=ret.public_order_id,
        location=ret.location_code,
        channel=ReturnChannel(ret.channel),
        status=ReturnStatus(ret.status),
        currency=ret.currency,
        lines=tuple(
            ReturnLineView(
                int(x.line_no),
                x.sku,
                int(x.quantity),
                x.reason,
                None if x.condition is None else Condition(x.condition),
                int(x.refund_minor),
            )
            for x in lines
        ),
        exchange=tuple(ExchangeLineView(x.sku, int(x.quantity), int(x.unit_price_minor)) for x in exchange),
        exchange_order_id=ret.exchange_order_id,
        refund=None
        if refund is None
        else RefundView(
            refund.refund_id,
            refund.currency,
            int(refund.gross_minor),
            int(refund.exchange_minor),
            int(refund.amount_minor),
            int(refund.balance_due_minor),
            refund.status,
            refund.created_at,
        ),
        actor=ret.actor,
        created_at=ret.created_at,
        received_at=ret.received_at,
    )


def get_return(db: Database, return_id: str) -> ReturnView:
    with db.read() as conn:
        return return_view(conn, return_id)


def list_returns(
    db: Database,
    *,
    order_id: str | None = None,
    location: str | None = None,
    status: ReturnStatus | None = None,
    limit: int = 50,
) -> list[ReturnView]:
    """Returns, newest first, optionally of one order, at one location, in one status."""
    with db.read() as conn:
        query = select(returns.c.return_id).order_by(returns.c.id.desc()).limit(min(max(limit, 1), 200))
        if order_id is not None:
            query = query.where(returns.c.order_id == order_pk(conn, order_id))
        if location is not None:
            query = query.where(returns.c.location_id == location_by_code(conn, location).id)
        if status is not None:
            query = query.where(returns.c.status == status.value)
        return [return_view(conn, rid) for rid in conn.execute(query).scalars()]


def list_quarantine(db: Database, location: str) -> list[QuarantineLine]:
    """Units held in quarantine at ``location`` (damaged returns), oldest first."""
    with db.read() as conn:
        loc = location_by_code(conn, location)
        rows = conn.execute(
            select(quarantine_stock, variants.c.sku, returns.c.return_id)
            .select_from(
                quarantine_stock.join(variants, variants.c.id == quarantine_stock.c.variant_id)
                .outerjoin(return_lines, return_lines.c.id == quarantine_stock.c.return_line_id)
                .outerjoin(returns, returns.c.id == return_lines.c.return_id)
            )
            .where(quarantine_stock.c.location_id == loc.id, quarantine_stock.c.status == "held")
            .order_by(quarantine_stock.c.id)
        ).all()
    return [
        QuarantineLine(loc.code, r.sku, int(r.quantity), r.return_id, r.reason, r.created_at) for r in rows
    ]
