"""Receiving a return: inspect each line, put the units where their condition says, record the refund.

Sellable units go back into the receiving location's sellable stock with a ``return`` ledger
movement. Damaged units are quarantined: a ``return`` movement then a ``damage`` movement (the
ledger shows they arrived and where they went), and a ``quarantine_stock`` row that holds them
outside the promisable stock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Row

from unico.access.model import Permission, Principal
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent
from unico.core.ids import new_id
from unico.core.money import Money
from unico.fulfillment.returns_model import Condition, ReturnStatus, ReturnView
from unico.fulfillment.returns_queries import return_view
from unico.fulfillment.returns_store import (
    quarantine_stock,
    refunds,
    return_exchange_lines,
    return_lines,
    returns,
)
from unico.fulfillment.timeline import record_on_order
from unico.inventory import ledger
from unico.inventory.model import MovementKind, MovementRequest
from unico.inventory.store import locations
from unico.orders.store import orders

REASON_MAX = 200


def receive_lines(
    conn: Connection, pk: int, conditions: Mapping[int, Condition], principal: Principal
) -> None:
    """Inspect every line of the (locked, expected) return ``pk``: restock, quarantine, refund."""
    ret = conn.execute(
        select(returns, orders.c.order_id.label("public_order_id"), locations.c.code.label("location_code"))
        .select_from(
            returns.join(orders, orders.c.id == returns.c.order_id).join(
                locations, locations.c.id == returns.c.location_id
            )
        )
        .where(returns.c.id == pk)
    ).one()
    lines = conn.execute(
        select(return_lines).where(return_lines.c.return_id == pk).order_by(return_lines.c.line_no)
    ).all()
    at = clock.now()
    restocked = quarantined = 0
    for line in lines:
        condition = conditions[int(line.line_no)]
        conn.execute(
            update(return_lines).where(return_lines.c.id == line.id).values(condition=condition.value)
        )
        movement = f"{ret.return_id}/{line.line_no}"
        reason = f"return of {ret.public_order_id} line {line.line_no}"
        ledger.apply_movement_in(
            conn,
            MovementRequest(
                movement,
                line.sku,
                ret.location_code,
                MovementKind.RETURN,
                line.quantity,
                reason,
                ret.return_id,
            ),
            principal,
        )
        if condition is Condition.DAMAGED:
            # Into the ledger and straight out again, so the trail shows where the units went while
            # the promisable stock never holds them.
            ledger.apply_movement_in(
                conn,
                MovementRequest(
                    f"{movement}/quarantine",
                    line.sku,
                    ret.location_code,
                    MovementKind.DAMAGE,
                    line.quantity,
                    "quarantined: damaged return",
                    ret.return_id,
                ),
                principal,
            )
            conn.execute(
                quarantine_stock.insert().values(
                    location_id=ret.location_id,
                    variant_id=line.variant_id,
                    quantity=line.quantity,
                    return_line_id=line.id,
                    reason=(line.reason or "damaged return")[:REASON_MAX],
                    status="held",
                    created_at=at,
                )
            )
            quarantined += line.quantity
        else:
            restocked += line.quantity
    conn.execute(
        update(returns).where(returns.c.id == pk).values(status=ReturnStatus.RECEIVED.value, received_at=at)
    )
    record_on_order(
        conn,
        int(ret.order_id),
        DomainEvent(
            "return.received",
            "return",
            ret.return_id,
            {
                "return_id": ret.return_id,
                "order_id": ret.public_order_id,
                "location": ret.location_code,
                "lines": [
                    {
                        "line_no": int(x.line_no),
                        "sku": x.sku,
                        "quantity": int(x.quantity),
                        "condition": conditions[int(x.line_no)].value,
                    }
                    for x in lines
                ],
                "restocked": restocked,
                "quarantined": quarantined,
            },
        ),
        f"Return {ret.return_id} received at {ret.location_code}: {restocked} unit(s) back on sale, "
        f"{quarantined} quarantined",
        principal.actor,
    )
    _record_refund(conn, ret, lines, at, principal.actor)


def _record_refund(
    conn: Connection, ret: Row[Any], lines: Sequence[Row[Any]], at: datetime, actor: str
) -> None:
    gross = sum(int(x.refund_minor) for x in lines)
    exchange = conn.execute(
        select(
            func.coalesce(
                func.sum(return_exchange_lines.c.quantity * return_exchange_lines.c.unit_price_minor), 0
            )
        ).where(return_exchange_lines.c.return_id == ret.id)
    ).scalar_one()
    exchange = int(exchange)
    refund_id = new_id("rfd")
    amount, due = max(gross - exchange, 0), max(exchange - gross, 0)
    conn.execute(
        refunds.insert().values(
            refund_id=refund_id,
            return_id=ret.id,
            order_id=ret.order_id,
            currency=ret.currency,
            gross_minor=gross,
            exchange_minor=exchange,
            amount_minor=amount,
            balance_due_minor=due,
            status="recorded",
            created_at=at,
        )
    )
    record_on_order(
        conn,
        int(ret.order_id),
        DomainEvent(
            "return.refund_recorded",
            "return",
            ret.return_id,
            {
                "refund_id": refund_id,
                "return_id": ret.return_id,
                "order_id": ret.public_order_id,
                "currency": ret.currency,
                "gross_minor": gross,
                "exchange_minor": exchange,
                "amount_minor": amount,
                "balance_due_minor": due,
            },
        ),
        f"Refund {refund_id}: {Money(amount, ret.currency)} to pay back"
        + (f", {Money(due, ret.currency)} due for the exchange" if due else ""),
        actor,
    )


def receive_return(
    db: Database, return_id: str, conditions: Mapping[int, Condition], principal: Principal
) -> ReturnView:
    """Receive and inspect an expected (by post) return: ``conditions`` maps each line_no to its
    condition. A return already received is a 409 ``returns.already_received``."""
    principal.require(Permission.RETURNS_WRITE)
    with db.write() as conn:
        ret = conn.execute(select(returns).where(returns.c.return_id == return_id).with_for_update()).first()
        if ret is None:
            raise NotFound(f"unknown return '{return_id}'", code="returns.not_found", return_id=return_id)
        loc = conn.execute(select(locations).where(locations.c.id == ret.location_id)).one()
        principal.require_store(int(loc.id), loc.code)
        if ret.status != ReturnStatus.EXPECTED.value:
            raise Conflict(
                f"return {return_id} was already received",
                code="returns.already_received",
                return_id=return_id,
            )
        numbers = {
            int(n)
            for n in conn.execute(
                select(return_lines.c.line_no).where(return_lines.c.return_id == ret.id)
            ).scalars()
        }
        unknown = sorted(set(conditions) - numbers)
        if unknown:
            raise NotFound(
                f"return {return_id} has no line {unknown[0]}",
                code="returns.line_not_found",
                line_no=unknown[0],
            )
        missing = sorted(numbers - set(conditions))
        if missing:
            raise ValidationFailed(
                f"give the condition of line {missing[0]}",
                code="returns.condition_required",
                field="lines",
                line_no=missing[0],
            )
        receive_lines(conn, int(ret.id), conditions, principal)
        return return_view(conn, ret.return_id)
