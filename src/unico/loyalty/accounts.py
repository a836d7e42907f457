"""Loyalty accounts: one per customer in every channel, a digital card and physical cards.

A customer (a profile of the customers domain) enrolls once, in any channel; the account gets a
digital card number ("UD" + 10 digits, the last a Luhn check digit) and may carry physical
cards handed out at the till. Every card is also stitched to the profile as a ``loyalty_card``
identifier, so a card scanned anywhere finds the customer. The balances shown by one channel are
the balances of all: there is one account row.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from unico.access.model import Permission, Principal, Role
from unico.core import clock
from unico.core.db import Database, among
from unico.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from unico.core.events import DomainEvent, record_event
from unico.core.ids import new_id
from unico.customers.graph import insert_identifiers, profile_family, profile_row, resolve_profile_id
from unico.customers.identity import Identifier, IdentifierKind
from unico.inventory.model import Channel
from unico.loyalty.history import account_view_in
from unico.loyalty.history import ledger as ledger
from unico.loyalty.ledger import account_pk_in, post_in
from unico.loyalty.model import (
    ADJUSTED,
    AVAILABLE,
    DEFAULT_TIER,
    AccountView,
    Leg,
    Membership,
    PostingKind,
    Source,
)
from unico.loyalty.store import loyalty_accounts, loyalty_cards

CHANNELS = frozenset(c.value for c in Channel)
_CARD = re.compile(r"^[A-Z0-9]{6,40}$")
MAX_ADJUSTMENT = 1_000_000


def normalise_card(card: str) -> str:
    """Card numbers as stored: spaces dropped, upper case (as the customers domain does)."""
    return re.sub(r"\s+", "", card or "").upper()


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return str((10 - total % 10) % 10)


def new_digital_card() -> str:
    body = "".join(secrets.choice("0123456789") for _ in range(9))
    return f"UD{body}{luhn_digit(body)}"


# --- lookups (used by pricing, orders, receipts) ------------------------------------------------


def _account_row_in(conn: Connection, customer_id: str, *, active_only: bool) -> Any:
    """The account of ``customer_id``, or of the profile family it belongs to after merges: an
    account enrolled under a profile later merged into another (or the survivor's, asked by a
    merged id) is the same person's, so every channel finds it. The oldest wins if two merged
    profiles were both enrolled."""
    a = loyalty_accounts.c
    wanted = select(a.account_id, a.tier).order_by(a.id).limit(1)
    if active_only:
        wanted = wanted.where(a.status == "active")
    row = conn.execute(wanted.where(a.customer_id == customer_id)).first()
    if row is not None:
        return row
    try:
        survivor = resolve_profile_id(conn, customer_id)
    except NotFound:
        return None
    family = profile_family(conn, survivor)
    return conn.execute(wanted.where(among(conn, a.customer_id, family))).first()


def account_of_customer_in(conn: Connection, customer_id: str) -> str | None:
    """The account id of customer ``customer_id`` (merges followed), or None if not enrolled."""
    row = _account_row_in(conn, customer_id, active_only=False)
    return None if row is None else str(row.account_id)


def account_by_card_in(conn: Connection, card: str) -> str | None:
    """The account id an active card (physical or digital) belongs to, or None."""
    a, c = loyalty_accounts.c, loyalty_cards.c
    found = conn.execute(
        select(a.account_id)
        .select_from(loyalty_cards.join(loyalty_accounts, c.account_id == a.id))
        .where(c.card_number == normalise_card(card), c.status == "active")
    ).scalar_one_or_none()
    return None if found is None else str(found)


def membership(conn: Connection, customer_id: str | None) -> Membership | None:
    """The shopper's membership (account and tier) when ``customer_id`` has an active account."""
    if not customer_id:
        return None
    row = _account_row_in(conn, customer_id, active_only=True)
    return None if row is None else Membership(account_id=str(row.account_id), tier=str(row.tier))


def resolve_account_in(conn: Connection, *, account_id: str | None = None, card: str | None = None) -> str:
    """The account named by id or by card; 404 ``loyalty.account_not_found`` / ``loyalty.card_unknown``."""
    if account_id:
        account_pk_in(conn, account_id)
        return account_id
    if card:
        found = account_by_card_in(conn, card)
        if found is None:
            raise NotFound(f"no active loyalty card {card}", code="loyalty.card_unknown", card=card)
        return found
    raise ValidationFailed(
        "give an account_id or a card", code="loyalty.account_required", field="account_id"
    )


def store_of(principal: Principal, store: str | None) -> str | None:
    """The store a write happens at: an associate's own store (another one is refused)."""
    if principal.role is Role.STORE_ASSOCIATE:
        if store and store != principal.store_code:
            raise PermissionDenied(
                f"an associate of {principal.store_code} may not act for {store}",
                code="auth.other_store",
                location=store,
                own_store=principal.store_code,
            )
        return principal.store_code
    return store


# --- enrolment and cards ------------------------------------------------------------------------


def _insert_card(conn: Connection, account_pk: int, number: str, kind: str) -> None:
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stored = conn.execute(
        insert(loyalty_cards)
        .values(account_id=account_pk, card_number=number, kind=kind, status="active", created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["card_number"])
        .returning(loyalty_cards.c.id)
    ).first()
    if stored is None:
        raise Conflict(f"card {number} already belongs to an account", code="loyalty.card_taken", card=number)


def _stitch_card(conn: Connection, customer_id: str, number: str) -> None:
    """Record the card on the profile; one already on another profile is left where it is (the
    customers domain's matching decides about merging people, not the loyalty program)."""
    profile = profile_row(conn, customer_id)
    insert_identifiers(
        conn, int(profile.id), [Identifier(IdentifierKind.LOYALTY_CARD, number)], "loyalty", clock.now()
    )


def _check_card_number(card: str) -> str:
    number = normalise_card(card)
    if not _CARD.match(number):
        raise ValidationFailed(
            "a card number is 6-40 letters or digits", code="loyalty.card_invalid", field="card_number"
        )
    return number


def enroll_in(
    conn: Connection,
    customer_id: str,
    *,
    actor: str,
    physical_card: str | None = None,
    channel: str = "web",
    store: str | None = None,
) -> str:
    """Open the account of ``customer_id`` (merged profiles enroll their survivor); returns its id.
    404 for an unknown customer, 409 ``loyalty.already_enrolled``, 409 ``loyalty.card_taken``."""
    if channel not in CHANNELS:
        raise ValidationFailed(f"unknown channel {channel!r}", code="loyalty.bad_channel", field="channel")
    number = _check_card_number(physical_card) if physical_card else None
    customer_id = resolve_profile_id(conn, customer_id)
    if profile_row(conn, customer_id).status != "active":
        raise NotFound(
            f"no customer profile {customer_id}", code="customers.not_found", profile_id=customer_id
        )
    # A profile merged into this one may have enrolled before the merge: one account per person.
    family = profile_family(conn, customer_id)
    if len(family) > 1:
        earlier = conn.execute(
            select(loyalty_accounts.c.account_id).where(among(conn, loyalty_accounts.c.customer_id, family))
        ).first()
        if earlier is not None:
            raise Conflict(
                f"customer {customer_id} already has a loyalty account",
                code="loyalty.already_enrolled",
                customer_id=customer_id,
                account_id=earlier.account_id,
            )
    now = clock.now()
    account_id = new_id("LA").replace("_", "")
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    for _ in range(5):
        digital = new_digital_card()
        if account_by_card_in(conn, digital) is None:
            break
    created = conn.execute(
        insert(loyalty_accounts)
        .values(
            account_id=account_id,
            customer_id=customer_id,
            digital_card=digital,
            tier=DEFAULT_TIER,
            available=0,
            pending=0,
            lifetime_earned=0,
            status="active",
            enrolled_channel=channel,
            enrolled_store=store,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["customer_id"])
        .returning(loyalty_accounts.c.id)
    ).first()
    if created is None:
        raise Conflict(
            f"customer {customer_id} already has a loyalty account",
            code="loyalty.already_enrolled",
            customer_id=customer_id,
            account_id=account_of_customer_in(conn, customer_id),
        )
    account_pk = int(created[0])
    _insert_card(conn, account_pk, digital, "digital")
    _stitch_card(conn, customer_id, digital)
    if number:
        _insert_card(conn, account_pk, number, "physical")
        _stitch_card(conn, customer_id, number)
    record_event(
        conn,
        DomainEvent(
            "loyalty.account_enrolled",
            "loyalty_account",
            account_id,
            {"customer_id": customer_id, "channel": channel, "store": store, "actor": actor},
        ),
    )
    return account_id


def enroll(
    db: Database,
    customer_id: str,
    principal: Principal,
    *,
    physical_card: str | None = None,
    channel: str = "web",
    store: str | None = None,
) -> AccountView:
    """Enroll a customer (see :func:`enroll_in`); associates enroll at their own store."""
    principal.require(Permission.LOYALTY_WRITE)
    store = store_of(principal, store)
    with db.write() as conn:
        account_id = enroll_in(
            conn,
            customer_id,
            actor=principal.actor,
            physical_card=physical_card,
            channel=channel,
            store=store,
        )
        return account_view_in(conn, account_id)


def add_card(db: Database, account_id: str, card_number: str, principal: Principal) -> AccountView:
    """Attach a physical card to an account; 409 ``loyalty.card_taken`` if any account has it."""
    principal.require(Permission.LOYALTY_WRITE)
    number = _check_card_number(card_number)
    with db.write() as conn:
        account_pk = account_pk_in(conn, account_id)
        _insert_card(conn, account_pk, number, "physical")
        customer_id = conn.execute(
            select(loyalty_accounts.c.customer_id).where(loyalty_accounts.c.id == account_pk)
        ).scalar_one()
        _stitch_card(conn, str(customer_id), number)
        return account_view_in(conn, account_id)


# --- reading --------------------------------------------------------------------------------------


def get_account(db: Database, account_id: str) -> AccountView:
    """Balances, tier, cards, the last 20 postings and the recent redemptions of an account."""
    with db.read() as conn:
        return account_view_in(conn, account_id)


def get_account_of_customer(db: Database, customer_id: str) -> AccountView:
    """The account of a customer; 404 ``loyalty.not_enrolled`` when there is none."""
    with db.read() as conn:
        account_id = account_of_customer_in(conn, customer_id)
        if account_id is None:
            raise NotFound(
                f"customer {customer_id} has no loyalty account",
                code="loyalty.not_enrolled",
                customer_id=customer_id,
            )
        return account_view_in(conn, account_id)


def find_account_of_customer(db: Database, customer_id: str) -> AccountView | None:
    """The account of a customer, or None when not enrolled."""
    with db.read() as conn:
        account_id = account_of_customer_in(conn, customer_id)
        return None if account_id is None else account_view_in(conn, account_id)


def get_account_by_card(db: Database, card: str) -> AccountView:
    """The account a card belongs to; 404 ``loyalty.card_unknown``."""
    with db.read() as conn:
        return account_view_in(conn, resolve_account_in(conn, card=card))


# --- manual adjustments ---------------------------------------------------------------------------


def adjust(
    db: Database, account_id: str, points: int, reason: str, principal: Principal, *, source_ref: str
) -> dict[str, Any]:
    """A staff correction of ``available`` (positive or negative), idempotent by ``source_ref``;
    a negative one larger than the balance is 409 ``loyalty.insufficient_points``."""
    principal.require(Permission.LOYALTY_MANAGE)
    if not isinstance(points, int) or points == 0 or abs(points) > MAX_ADJUSTMENT:
        raise ValidationFailed(
            f"points must be a non-zero whole number up to {MAX_ADJUSTMENT}",
            code="loyalty.bad_points",
            field="points",
        )
    if not reason.strip():
        raise ValidationFailed("an adjustment needs a reason", code="loyalty.reason_required", field="reason")
    if not source_ref.strip() or len(source_ref) > 120:
        raise ValidationFailed(
            "source_ref must be 1-120 characters", code="loyalty.bad_posting", field="source_ref"
        )
    with db.write() as conn:
        txn_id = post_in(
            conn,
            account_id,
            PostingKind.ADJUST,
            Source("adjustment", source_ref),
            [Leg(AVAILABLE, points), Leg(ADJUSTED, -points)],
            actor=principal.actor,
            detail={"reason": reason.strip()[:300]},
        )
        view = account_view_in(conn, account_id)
    return {"txn_id": txn_id, "replayed": txn_id is None, "account": view}
