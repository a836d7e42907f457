"""Returns anywhere: any delivered line of any order, at any store's returns desk or by post.

    plan_return     check a request against the order, the location and what came back before
    accept_return   check, then record: at a store the return is inspected on the spot (every
                    line has a condition) and received at once; by post it is *expected* until
                    the warehouse receives it (``return_receipt.receive_return``)

Receiving puts sellable units back into the receiving location's sellable stock and damaged
ones into quarantine, and records the refund: what was paid for the returned units
(``refunds.settle``), less the value of any exchange items, which the customer takes away at the
store as a new carry-out order (``exchanges.py``). Nothing here moves money: the refund record
says what to pay back.

Concurrency: the order row and its lines are locked (``FOR UPDATE`` on PostgreSQL; SQLite write
units are ``BEGIN IMMEDIATE``) before the units already returned are counted, so two returns of
the same line at once can never exceed what was delivered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Row

from unico.access.model import Permission, Principal
from unico.catalog.store import variants
from unico.core import clock
from unico.core.db import Database, among
from unico.core.errors import Conflict, NotFound, ValidationFailed
from unico.core.events import DomainEvent
from unico.core.idempotency import remember, stored_response
from unico.core.ids import new_id
from unico.fulfillment.exchanges import ExchangeOrderLine, place_exchange_order
from unico.fulfillment.refunds import LineToRefund, Settlement, settle, unit_paid_floor
from unico.fulfillment.return_receipt import receive_lines
from unico.fulfillment.returns_model import (
    Condition,
    ExchangeItem,
    ReturnChannel,
    ReturnRequest,
    ReturnStatus,
    ReturnView,
)
from unico.fulfillment.returns_queries import return_view
from unico.fulfillment.returns_store import (
    return_exchange_lines,
    return_lines,
    returns,
)
from unico.fulfillment.timeline import record_on_order
from unico.inventory.model import LocationType
from unico.inventory.queries import location_by_code, require_variants
from unico.orders.store import order_allocations, order_lines, orders

# Allocation statuses whose units reached the customer (``orders.lifecycle``); only those can come back.
DELIVERED = ("shipped", "delivered", "collected")
REASON_MAX = 200


@dataclass(frozen=True)
class _PlannedLine:
    order_line_id: int
    line_no: int
    variant_id: int
    sku: str
    quantity: int
    reason: str
    condition: Condition | None
    refund: LineToRefund


@dataclass(frozen=True)
class _PlannedExchange:
    variant_id: int
    sku: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class ReturnPlan:
    """A checked return request: what would be written, and its money (``settlement``)."""

    order_pk: int
    order_id: str
    currency: str
    location_id: int
    location: str
    channel: ReturnChannel
    lines: tuple[_PlannedLine, ...]
    exchange: tuple[_PlannedExchange, ...]
    settlement: Settlement

    @property
    def received(self) -> bool:
        return all(line.condition is not None for line in self.lines)


# --- checks -----------------------------------------------------------------------------------


def _check_shape(request: ReturnRequest) -> None:
    if not request.lines:
        raise ValidationFailed("give at least one line to return", field="lines")
    numbers = [line.line_no for line in request.lines]
    if len(set(numbers)) != len(numbers):
        raise ValidationFailed("each order line may appear once in a return", field="lines")
    for i, line in enumerate(request.lines):
        if line.quantity <= 0:
            raise ValidationFailed("quantity must be a positive number of units", field=f"lines.{i}.quantity")
    conditions = {line.condition is None for line in request.lines}
    if request.channel is ReturnChannel.STORE and True in conditions:
        raise ValidationFailed(
            "a return at a store is inspected on the spot: give each line's condition",
            code="returns.condition_required",
            field="lines",
        )
    if len(conditions) > 1:
        raise ValidationFailed(
            "give the condition of every line (received now) or of none (expected by post)",
            code="returns.condition_required",
            field="lines",
        )
    if request.exchange and request.channel is not ReturnChannel.STORE:
        raise ValidationFailed(
            "exchange items are handed over at a store", code="returns.exchange_needs_store", field="exchange"
        )
    for i, item in enumerate(request.exchange):
        if item.quantity <= 0:
            raise ValidationFailed(
                "quantity must be a positive number of units", field=f"exchange.{i}.quantity"
            )
        if item.unit_price_minor is not None and item.unit_price_minor < 0:
            raise ValidationFailed("a price cannot be negative", field=f"exchange.{i}.unit_price")


def _accepting_location(
    conn: Connection, code: str, channel: ReturnChannel, principal: Principal
) -> Row[Any]:
    """The location taking the return: a store with the returns capability, or (by post) a warehouse."""
    loc = location_by_code(conn, code)
    by_post_here = channel is ReturnChannel.POST and loc.type == LocationType.WAREHOUSE.value
    at_store_desk = loc.type == LocationType.STORE.value and bool(loc.returns)
    if loc.status != "active" or not (by_post_here or at_store_desk):
        raise Conflict(
            f"{loc.code} does not take returns"
            + (" at a desk" if loc.type == LocationType.WAREHOUSE.value else ""),
            code="returns.store_not_accepting",
            location=loc.code,
            channel=channel.value,
        )
    principal.require_store(int(loc.id), loc.code)
    return loc


def _order(conn: Connection, order_id: str) -> Row[Any]:
    """The order, row-locked (as the orders service locks it for edits) until the return commits."""
    row = conn.execute(select(orders).where(orders.c.order_id == order_id).with_for_update(of=orders)).first()
    if row is None:
        raise NotFound(f"unknown order '{order_id}'", code="orders.not_found", order_id=order_id)
    return row


def _sum_by_line(
    conn: Connection, column: Any, quantity: Any, line_ids: list[int], *where: Any
) -> dict[int, int]:
    rows = conn.execute(
        select(column, func.sum(quantity)).where(among(conn, column, line_ids), *where).group_by(column)
    ).all()
    return {int(line_id): int(total) for line_id, total in rows}


def _exchange_lines(
    conn: Connection, items: Sequence[ExchangeItem], returned: Sequence[_PlannedLine]
) -> tuple[_PlannedExchange, ...]:
    """Resolve exchange SKUs and prices. Without a price, an item is priced as the least a returned
    unit of the same product was paid (a size or colour swap costs nothing more)."""
    if not items:
        return ()
    ids = require_variants(conn, [item.sku for item in items])
    wanted = list(ids.values()) + [line.variant_id for line in returned]
    product_of = dict(
        conn.execute(
            select(variants.c.id, variants.c.product_id).where(among(conn, variants.c.id, wanted))
        ).all()
    )
    swap_price: dict[int, int] = {}
    for line in returned:
        floor = unit_paid_floor(line.refund.paid_minor, line.refund.quantity)
        product = product_of[line.variant_id]
        swap_price[product] = min(floor, swap_price.get(product, floor))
    planned = []
    for i, item in enumerate(items):
        variant_id = ids[item.sku]
        price = item.unit_price_minor
        if price is None:
            price = swap_price.get(product_of[variant_id])
            if price is None:
                raise ValidationFailed(
                    f"give the price of {item.sku}: it is not a swap of a returned product",
                    code="returns.exchange_price_required",
                    field=f"exchange.{i}.unit_price",
                )
        planned.append(_PlannedExchange(variant_id, item.sku, item.quantity, price))
    return tuple(planned)


def plan_return(conn: Connection, request: ReturnRequest, principal: Principal) -> ReturnPlan:
    """Check ``request`` against the order and the location; raises on any bad input.

    Inside a write transaction it locks the order and its lines first, so the counts it checks hold
    until commit.
    """
    _check_shape(request)
    order = _order(conn, request.order_id)
    loc = _accepting_location(conn, request.location, request.channel, principal)
    by_no = {
        int(r.line_no): r
        for r in conn.execute(
            select(order_lines)
            .where(order_lines.c.order_id == order.id)
            .order_by(order_lines.c.id)
            .with_for_update()
        )
    }
    for i, asked in enumerate(request.lines):
        if asked.line_no not in by_no:
            raise NotFound(
                f"order {order.order_id} has no line {asked.line_no}",
                code="returns.line_not_found",
                field=f"lines.{i}.line_no",
                line_no=asked.line_no,
            )
    ids = [int(by_no[a.line_no].id) for a in request.lines]
    delivered = _sum_by_line(
        conn,
        order_allocations.c.line_id,
        order_allocations.c.quantity,
        ids,
        order_allocations.c.status.in_(DELIVERED),
    )
    returned = _sum_by_line(conn, return_lines.c.order_line_id, return_lines.c.quantity, ids)
    planned = []
    for asked in request.lines:
        line = by_no[asked.line_no]
        got = min(delivered.get(int(line.id), 0), int(line.quantity))
        back = returned.get(int(line.id), 0)
        facts = {"line_no": asked.line_no, "requested": asked.quantity, "bought": int(line.quantity)}
        if got == 0:
            raise Conflict(
                f"nothing of line {asked.line_no} was delivered, so nothing can be returned",
                code="returns.not_delivered",
                **facts,
            )
        if back >= got:
            raise Conflict(
                f"line {asked.line_no} was already returned",
                code="returns.already_returned",
                **facts,
                returned=back,
            )
        if asked.quantity > got - back:
            raise Conflict(
                f"only {got - back} unit(s) of line {asked.line_no} can still be returned",
                code="returns.quantity_exceeded",
                **facts,
                returnable=got - back,
            )
        planned.append(
            _PlannedLine(
                int(line.id),
                asked.line_no,
                int(line.variant_id),
                line.sku,
                asked.quantity,
                asked.reason[:REASON_MAX],
                asked.condition,
                LineToRefund(asked.line_no, int(line.quantity), int(line.paid_minor), back, asked.quantity),
            )
        )
    exchange = _exchange_lines(conn, request.exchange, planned)
    value = sum(e.quantity * e.unit_price_minor for e in exchange)
    return ReturnPlan(
        order_pk=int(order.id),
        order_id=order.order_id,
        currency=order.currency,
        location_id=int(loc.id),
        location=loc.code,
        channel=request.channel,
        lines=tuple(planned),
        exchange=exchange,
        settlement=settle([p.refund for p in planned], value),
    )


# --- writes -----------------------------------------------------------------------------------


def record_return(
    conn: Connection,
    plan: ReturnPlan,
    principal: Principal,
    *,
    return_id: str | None = None,
    exchange_order_id: str | None = None,
) -> str:
    """Write a checked return (from :func:`plan_return` in this transaction); returns its id."""
    return_id = return_id or new_id("ret")
    at = clock.now()
    pk = conn.execute(
        returns.insert()
        .values(
            return_id=return_id,
            order_id=plan.order_pk,
            location_id=plan.location_id,
            channel=plan.channel.value,
            status=ReturnStatus.EXPECTED.value,
            currency=plan.currency,
            exchange_order_id=exchange_order_id,
            actor=principal.actor,
            created_at=at,
        )
        .returning(returns.c.id)
    ).scalar_one()
    refunded = {r.line_no: r.amount_minor for r in plan.settlement.lines}
    conn.execute(
        return_lines.insert(),
        [
            {
                "return_id": pk,
                "order_line_id": p.order_line_id,
                "line_no": p.line_no,
                "variant_id": p.variant_id,
                "sku": p.sku,
                "quantity": p.quantity,
                "reason": p.reason,
                "condition": None,
                "refund_minor": refunded[p.line_no],
            }
            for p in plan.lines
        ],
    )
    if plan.exchange:
        conn.execute(
            return_exchange_lines.insert(),
            [
                {
                    "return_id": pk,
                    "variant_id": e.variant_id,
                    "sku": e.sku,
                    "quantity": e.quantity,
                    "unit_price_minor": e.unit_price_minor,
                }
                for e in plan.exchange
            ],
        )
    record_on_order(
        conn,
        plan.order_pk,
        DomainEvent(
            "return.created",
            "return",
            return_id,
            {
                "return_id": return_id,
                "order_id": plan.order_id,
                "location": plan.location,
                "channel": plan.channel.value,
                "lines": [{"line_no": p.line_no, "sku": p.sku, "quantity": p.quantity} for p in plan.lines],
                "exchange": [{"sku": e.sku, "quantity": e.quantity} for e in plan.exchange],
                "exchange_order_id": exchange_order_id,
                "refund_expected_minor": plan.settlement.refund_minor,
                "currency": plan.currency,
            },
        ),
        f"Return {return_id} of {sum(p.quantity for p in plan.lines)} unit(s) at {plan.location}"
        + (" (by post)" if plan.channel is ReturnChannel.POST else ""),
        principal.actor,
    )
    if plan.received:
        receive_lines(conn, pk, {p.line_no: p.condition for p in plan.lines if p.condition}, principal)
    return return_id


IDEMPOTENCY_SCOPE = "returns"


def _digest(request: ReturnRequest) -> str:
    canonical = json.dumps(asdict(request), sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replayed(conn: Connection, key: str | None, digest: str) -> str | None:
    """The return already recorded under ``key``; 409 if the key came with another request."""
    stored = None if key is None else stored_response(conn, IDEMPOTENCY_SCOPE, key, digest, "return")
    return None if stored is None else str(stored[1]["return_id"])


class _KeyTaken(Exception):
    """A concurrent twin stored the idempotency key first; this transaction rolls back."""


def _claim(conn: Connection, key: str | None, digest: str, return_id: str) -> None:
    """Store the key with the return, in its transaction."""
    if key is not None and not remember(conn, IDEMPOTENCY_SCOPE, key, digest, {"return_id": return_id}):
        raise _KeyTaken


def accept_return(
    db: Database, request: ReturnRequest, principal: Principal, idempotency_key: str | None = None
) -> ReturnView:
    """Record a return (see the module docstring); bad input raises and changes nothing.

    With an ``idempotency_key``, a retry of the same request returns the return the first one
    recorded and records nothing (a till or a courier's scanner retrying after a timeout).

    With exchange items, the return is checked once without writing (to price the replacements),
    then checked again under its locks and recorded inside the unit of work that places the
    replacement order, so the return and its exchange order exist together or not at all.
    """
    principal.require(Permission.RETURNS_WRITE)
    digest = _digest(request)
    try:
        return _accept(db, request, principal, idempotency_key, digest)
    except _KeyTaken:
        with db.read() as conn:  # a concurrent twin recorded it first
            first = _replayed(conn, idempotency_key, digest)
            if first is None:
                raise
            return return_view(conn, first)


def _accept(
    db: Database, request: ReturnRequest, principal: Principal, key: str | None, digest: str
) -> ReturnView:
    with db.read() as conn:
        first = _replayed(conn, key, digest)
        if first is not None:
            return return_view(conn, first)
    if not request.exchange:
        with db.write() as conn:
            plan = plan_return(conn, request, principal)
            return_id = record_return(conn, plan, principal)
            _claim(conn, key, digest, return_id)
            return return_view(conn, return_id)
    with db.read() as conn:
        preview = plan_return(conn, request, principal)
    return_id = new_id("ret")
    locked: list[ReturnPlan] = []

    def check_under_lock(conn: Connection) -> None:
        plan = plan_return(conn, request, principal)
        if plan.exchange != preview.exchange:  # paid amounts do not change; this is only a guard
            raise Conflict("the order changed meanwhile; try again", code="returns.order_changed")
        locked.append(plan)

    def record(conn: Connection, exchange_order_id: str) -> None:
        record_return(conn, locked[0], principal, return_id=return_id, exchange_order_id=exchange_order_id)
        _claim(conn, key, digest, return_id)

    place_exchange_order(
        db,
        store=preview.location,
        currency=preview.currency,
        lines=[ExchangeOrderLine(e.sku, e.quantity, e.unit_price_minor) for e in preview.exchange],
        associate=request.associate,
        principal=principal,
        before=check_under_lock,
        after=record,
    )
    with db.read() as conn:
        return return_view(conn, return_id)
