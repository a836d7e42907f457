"""HTTP routes of returns, refunds, exchanges and e-tickets; ``public_router`` serves the e-ticket
link a customer opens (``/e/{code}``, no credentials: the unguessable code is the key)."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Annotated

from fastapi import APIRouter, Header, Request, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from unico.access.model import Permission
from unico.api.deps import DbDep, PrincipalDep, SettingsDep
from unico.api.schemas import StrictModel
from unico.core.errors import NotFound
from unico.core.money import Money
from unico.fulfillment import etickets, return_receipt, returns, returns_queries
from unico.fulfillment.etickets import ETicket, Receipt
from unico.fulfillment.returns_model import (
    Condition,
    ExchangeItem,
    ReturnChannel,
    ReturnLineRequest,
    ReturnRequest,
    ReturnStatus,
    ReturnView,
)
from unico.settings import Settings

router = APIRouter(tags=["returns"])

# Routes outside /api/v1 (the e-ticket link a customer opens).
public_router = APIRouter(include_in_schema=False)


# --- returns ----------------------------------------------------------------------------------


class ReturnLineIn(StrictModel):
    line_no: int = Field(ge=1)
    quantity: int = Field(ge=1)
    reason: str = Field(default="", max_length=200)
    condition: Condition | None = Field(default=None, description="Inspected condition; null if by post.")


class ExchangeIn(StrictModel):
    sku: str = Field(min_length=1, max_length=40)
    quantity: int = Field(ge=1, le=1000)
    unit_price: int | None = Field(
        default=None, ge=0, description="Minor units, VAT in; default: a like-for-like swap."
    )


class ReturnIn(StrictModel):
    order_id: str = Field(min_length=1, max_length=40)
    location: str = Field(min_length=1, max_length=40, description="The store taking it, or a warehouse.")
    channel: ReturnChannel = ReturnChannel.STORE
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    exchange: list[ExchangeIn] = Field(default=[], max_length=50)
    associate: str | None = Field(default=None, max_length=120)


class InspectionIn(StrictModel):
    line_no: int = Field(ge=1)
    condition: Condition


class ReceiveIn(StrictModel):
    lines: list[InspectionIn] = Field(min_length=1, max_length=200)


class ReturnLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int
    reason: str
    condition: Condition | None
    refund: int


class ExchangeOut(BaseModel):
    sku: str
    quantity: int
    unit_price: int


class RefundOut(BaseModel):
    refund_id: str
    currency: str
    gross: int
    exchange: int
    amount: int
    balance_due: int
    status: str
    created_at: datetime


class ReturnOut(BaseModel):
    return_id: str
    order_id: str
    location: str
    channel: ReturnChannel
    status: ReturnStatus
    currency: str
    lines: list[ReturnLineOut]
    exchange: list[ExchangeOut]
    exchange_order_id: str | None
    refund: RefundOut | None
    actor: str
    created_at: datetime
    received_at: datetime | None


class QuarantineOut(BaseModel):
    sku: str
    quantity: int
    return_id: str | None
    reason: str
    created_at: datetime


def _return_out(view: ReturnView) -> ReturnOut:
    refund = view.refund
    return ReturnOut(
        return_id=view.return_id,
        order_id=view.order_id,
        location=view.location,
        channel=view.channel,
        status=view.status,
        currency=view.currency,
        lines=[
            ReturnLineOut(
                line_no=x.line_no,
                sku=x.sku,
                quantity=x.quantity,
                reason=x.reason,
                condition=x.condition,
                refund=x.refund_minor,
            )
            for x in view.lines
        ],
        exchange=[
            ExchangeOut(sku=x.sku, quantity=x.quantity, unit_price=x.unit_price_minor) for x in view.exchange
        ],
        exchange_order_id=view.exchange_order_id,
        refund=None
        if refund is None
        else RefundOut(
            refund_id=refund.refund_id,
            currency=refund.currency,
            gross=refund.gross_minor,
            exchange=refund.exchange_minor,
            amount=refund.amount_minor,
            balance_due=refund.balance_due_minor,
            status=refund.status,
            created_at=refund.created_at,
        ),
        actor=view.actor,
        created_at=view.created_at,
        received_at=view.received_at,
    )


@router.post("/returns", response_model=ReturnOut, status_code=status.HTTP_201_CREATED)
def post_return(
    body: ReturnIn,
    db: DbDep,
    principal: PrincipalDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> ReturnOut:
    """Take a return of delivered order lines at a store's desk, or announce one by post. A retry
    with the same ``Idempotency-Key`` gets the same return back and records nothing more."""
    request = ReturnRequest(
        order_id=body.order_id,
        location=body.location,
        channel=body.channel,
        lines=tuple(ReturnLineRequest(x.line_no, x.quantity, x.reason, x.condition) for x in body.lines),
        exchange=tuple(ExchangeItem(x.sku, x.quantity, x.unit_price) for x in body.exchange),
        associate=body.associate,
    )
    return _return_out(returns.accept_return(db, request, principal, idempotency_key))


@router.post("/returns/{return_id}/receive", response_model=ReturnOut)
def receive_return(return_id: str, body: ReceiveIn, db: DbDep, principal: PrincipalDep) -> ReturnOut:
    """Receive and inspect a return expected by post."""
    conditions = {x.line_no: x.condition for x in body.lines}
    return _return_out(return_receipt.receive_return(db, return_id, conditions, principal))


@router.get("/returns", response_model=list[ReturnOut])
def list_returns(
    db: DbDep,
    principal: PrincipalDep,
    order_id: str | None = None,
    location: str | None = None,
    status: ReturnStatus | None = None,
    limit: int = 50,
) -> list[ReturnOut]:
    principal.require(Permission.ORDERS_READ)
    found = returns_queries.list_returns(db, order_id=order_id, location=location, status=status, limit=limit)
    return [_return_out(v) for v in found]


@router.get("/returns/{return_id}", response_model=ReturnOut)
def get_return(return_id: str, db: DbDep, principal: PrincipalDep) -> ReturnOut:
    principal.require(Permission.ORDERS_READ)
    return _return_out(returns_queries.get_return(db, return_id))


@router.get("/locations/{code}/quarantine", response_model=list[QuarantineOut])
def get_quarantine(code: str, db: DbDep, principal: PrincipalDep) -> list[QuarantineOut]:
    """Units held out of sellable stock at a location (damaged returns)."""
    principal.require(Permission.INVENTORY_READ)
    return [
        QuarantineOut(
            sku=q.sku, quantity=q.quantity, return_id=q.return_id, reason=q.reason, created_at=q.created_at
        )
        for q in returns_queries.list_quarantine(db, code)
    ]


# --- e-tickets --------------------------------------------------------------------------------


class ETicketOut(BaseModel):
    code: str
    order_id: str
    store: str | None
    url: str
    issued_at: datetime
    opens: int


def eticket_url(settings: Settings, code: str) -> str:
    base = settings.public_base_url or f"http://{settings.host}:{settings.port}"
    return f"{base.rstrip('/')}/e/{code}"


def _eticket_out(ticket: ETicket, settings: Settings) -> ETicketOut:
    return ETicketOut(
        code=ticket.code,
        order_id=ticket.order_id,
        store=ticket.store,
        url=eticket_url(settings, ticket.code),
        issued_at=ticket.issued_at,
        opens=ticket.opens,
    )


@router.get("/etickets/{code}", response_model=ETicketOut)
def get_eticket(code: str, db: DbDep, principal: PrincipalDep, settings: SettingsDep) -> ETicketOut:
    principal.require(Permission.ORDERS_READ)
    return _eticket_out(etickets.get_eticket(db, code), settings)


@router.get("/orders/{order_id}/eticket", response_model=ETicketOut)
def get_order_eticket(order_id: str, db: DbDep, principal: PrincipalDep, settings: SettingsDep) -> ETicketOut:
    principal.require(Permission.ORDERS_READ)
    return _eticket_out(etickets.eticket_for_order(db, order_id), settings)


def _money(amount: int, currency: str) -> str:
    return escape(str(Money(amount, currency)))


def render_receipt(receipt: Receipt) -> str:
    """The receipt page: minimal inline HTML, every value escaped."""
    rows = "".join(
        f"<tr><td>{escape(x.name)}<br><small>{escape(x.sku)}</small></td><td>{x.quantity}</td>"
        f"<td>{_money(x.unit_price_minor, receipt.currency)}</td>"
        f"<td>{_money(x.paid_minor, receipt.currency)}</td></tr>"
        for x in receipt.lines
    )
    store = escape(receipt.store_name or "Unico")
    address = f"<p>{escape(receipt.store_address)}</p>" if receipt.store_address else ""
    discount = (
        "<tr><th colspan=3>Sconto / Discount</th>"
        f"<td>-{_money(receipt.discount_minor, receipt.currency)}</td></tr>"
        if receipt.discount_minor
        else ""
    )
    return (
        "<!doctype html><html lang=it><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<title>Scontrino {escape(receipt.code)}</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:1rem auto;padding:0 1rem}"
        "table{width:100%;border-collapse:collapse}"
        "td,th{text-align:left;padding:.3rem;border-bottom:1px solid #ddd}"
        "td:nth-child(n+2),th:last-child{text-align:right}</style></head><body>"
        f"<h1>{store}</h1>{address}"
        f"<p>Scontrino digitale / Digital receipt <strong>{escape(receipt.code)}</strong><br>"
        f"{escape(receipt.issued_at.strftime('%d/%m/%Y %H:%M'))} UTC · {escape(receipt.order_id)}</p>"
        "<table><thead><tr><th>Articolo</th><th>Qtà</th><th>Prezzo</th><th>Importo</th></tr></thead>"
        f"<tbody>{rows}</tbody><tfoot>"
        f"<tr><th colspan=3>Subtotale</th><td>{_money(receipt.subtotal_minor, receipt.currency)}</td></tr>"
        f"{discount}"
        f"<tr><th colspan=3>Totale / Total</th><td><strong>{_money(receipt.total_minor, receipt.currency)}"
        "</strong></td></tr></tfoot></table>"
        "<p><small>Prezzi IVA inclusa / Prices include VAT.</small></p></body></html>"
    )


@public_router.get("/e/{code}", response_class=HTMLResponse)
def open_eticket(code: str, request: Request, db: DbDep) -> HTMLResponse:
    """The customer's receipt; every opening is recorded (time and user agent)."""
    try:
        receipt = etickets.open_eticket(db, code, request.headers.get("user-agent", ""))
    except NotFound:
        page = "<!doctype html><html lang=it><meta charset=utf-8><title>Unico</title>"
        page += "<p>Scontrino non trovato / Receipt not found.</p></html>"
        return HTMLResponse(page, status_code=404, headers={"Cache-Control": "no-store"})
    return HTMLResponse(render_receipt(receipt), headers={"Cache-Control": "no-store"})
