"""Builders for the loyalty program tests: a catalog with categories, stores, members, completed
orders (as rows, with their ``order.completed`` event) and balances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from tests.api.returns_support import Alloc, Line, Order, insert_order
from tests.factories import make_location, make_variants
from unico.access.model import SYSTEM
from unico.catalog.store import categories, products
from unico.core import clock
from unico.core.db import Database
from unico.core.events import DomainEvent, outbox_events, record_event
from unico.customers import service as customers
from unico.fulfillment.returns import accept_return
from unico.fulfillment.returns_model import Condition, ReturnChannel, ReturnLineRequest, ReturnRequest
from unico.inventory.model import Capability, LocationType
from unico.loyalty import accounts
from unico.loyalty.ledger import account_pk_in, balance_in, verify_in
from unico.loyalty.program_store import loyalty_earnings
from unico.loyalty.receipts import Receipt, ReceiptLine
from unico.loyalty.store import loyalty_entries, loyalty_transactions
from unico.orders.store import orders
from unico.settings import Settings
from unico.worker import Worker

RUN = "RUN-42"  # running shoes: sport > sport-running > sport-running-shoes
BAG = "BAG-1"  # no category


def make_program_network(db: Database) -> None:
    """Categories sport > sport-running > sport-running-shoes; RUN-42 in the last, BAG-1 in none;
    stores MI-01 and MI-02 (taking returns) and the warehouse WH-01."""
    make_variants(db, RUN, product_code="P-RUN", name="Scarpa da corsa")
    make_variants(db, BAG, product_code="P-BAG", name="Borsa")
    with db.write() as conn:
        parent = None
        for position, code in enumerate(("sport", "sport-running", "sport-running-shoes")):
            parent = conn.execute(
                categories.insert()
                .values(code=code, parent_id=parent, name_it=code, name_en=code, position=position)
                .returning(categories.c.id)
            ).scalar_one()
        conn.execute(products.update().where(products.c.code == "P-RUN").values(category_id=parent))
    returns_desk = frozenset({Capability.PICKUP, Capability.RETURNS})
    make_location(db, "MI-01", capabilities=returns_desk)
    make_location(db, "MI-02", offset_km=3, capabilities=returns_desk)
    make_location(db, "WH-01", type=LocationType.WAREHOUSE, capabilities=frozenset(), city="Torino")


@dataclass(frozen=True)
class Member:
    customer_id: str
    account_id: str


def receipt(
    receipt_id: str,
    *lines: ReceiptLine,
    card: str | None = None,
    customer_id: str | None = None,
    store: str = "MI-01",
    at: datetime | None = None,
) -> Receipt:
    """A receipt of till T1 (at ``store``), sold now unless ``at``."""
    return Receipt(
        receipt_id, store, "T1", tuple(lines), at or clock.now(), card=card, customer_id=customer_id
    )


def give_back(db: Database, order_id: str, line_no: int, quantity: int) -> str:
    """``quantity`` units of an order's line returned at MI-01's desk; returns the return id."""
    request = ReturnRequest(
        order_id,
        "MI-01",
        ReturnChannel.STORE,
        (ReturnLineRequest(line_no, quantity, "", Condition.SELLABLE),),
    )
    return accept_return(db, request, SYSTEM).return_id


def tick(db: Database, settings: Settings) -> dict[str, int]:
    """One tick of the worker: the outbox relay and every periodic job."""
    return Worker(db, settings).run_once()


def make_member(db: Database, email: str = "anna@example.it", card: str | None = None) -> Member:
    made = customers.upsert_profile(db, {"email": email}, {"first_name": "Anna"}, "test", "test")
    customer_id = str(made["profile_id"])
    account_id = accounts.enroll(db, customer_id, SYSTEM, physical_card=card).account_id
    return Member(customer_id, account_id)


def complete_order(
    db: Database, order_id: str, customer_id: str | None, lines: tuple[Line, ...], channel: str = "web"
) -> None:
    """A completed order of ``customer_id`` and its ``order.completed`` event, as the orders
    service leaves them."""
    insert_order(db, Order(order_id, lines, channel=channel))
    with db.write() as conn:
        conn.execute(orders.update().where(orders.c.order_id == order_id).values(customer_id=customer_id))
        payload: dict[str, Any] = {
            "order_id": order_id,
            "channel": channel,
            "customer_id": customer_id,
            "store": None,
            "total_minor": sum(x.paid for x in lines),
            "currency": "EUR",
            "lines": [
                {"line_no": i, "sku": x.sku, "quantity": x.quantity, "method": x.method, "paid_minor": x.paid}
                for i, x in enumerate(lines, start=1)
            ],
        }
        record_event(conn, DomainEvent("order.completed", "order", order_id, payload))


def shipped(sku: str, quantity: int, unit_price: int, discount: int = 0) -> Line:
    return Line(sku, quantity, unit_price, discount, allocations=(Alloc("WH-01", quantity),))


def balance(db: Database, account_id: str) -> tuple[int, int, int, str]:
    """(available, pending, lifetime earned, tier), after checking the ledger adds up."""
    with db.read() as conn:
        assert verify_in(conn, account_id) == []
        found = balance_in(conn, account_id)
    return found.available, found.pending, found.lifetime_earned, found.tier


def ledger_rows(db: Database) -> tuple[int, int, int, int]:
    """(transactions, entries, earnings, outbox events): 'nothing recorded' is these unchanged."""
    with db.read() as conn:
        return tuple(  # type: ignore[return-value]
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (loyalty_transactions, loyalty_entries, loyalty_earnings, outbox_events)
        )


def kinds_of(db: Database, account_id: str) -> list[tuple[str, str, int]]:
    """(kind, source_kind, points) of the account's postings, oldest first."""
    with db.read() as conn:
        pk = account_pk_in(conn, account_id)
        t = loyalty_transactions.c
        rows = conn.execute(
            select(t.kind, t.source_kind, t.points).where(t.account_id == pk).order_by(t.id)
        ).all()
    return [(str(k), str(s), int(p)) for k, s, p in rows]
