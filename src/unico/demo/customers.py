"""The demo's customers in the database: profiles, consents, households, paper sign-ups.

Profiles are stitched by ``customers.service.find_or_create_profile`` at each person's sign-up
time; the opening consents are stored in bulk; households go through ``add_relation``. The paper
sign-ups go through the customers import, whose probabilistic matching merges the clear
near-duplicates and sends the doubtful ones to the merge review queue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select

from unico.core.db import Database
from unico.customers import service
from unico.customers.consent import ConsentSource, Purpose
from unico.customers.imports import CustomerImportReport, import_customers
from unico.customers.privacy_store import customer_consents
from unico.customers.service import find_or_create_profile
from unico.customers.store import customer_profiles
from unico.demo.people import PaperSignup, Person
from unico.demo.trade import DEMO, frozen_at
from unico.inventory.store import locations

PAPER_FILE = "moduli-cartacei-negozi.csv"


def _identifiers(person: Person) -> dict[str, str]:
    found = {"email": person.email, "phone": person.phone}
    if person.loyalty_card:
        found["loyalty_card"] = person.loyalty_card
    if person.user_id:
        found["user_id"] = person.user_id
    return found


def _traits(person: Person) -> dict[str, str]:
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": person.phone,
        "birthday": person.birthday.isoformat(),
        "address": person.address,
        "postcode": person.postcode,
        "city": person.city,
        "country": "IT",
    }


def signed_up_at(person: Person, now: datetime) -> datetime:
    return now - timedelta(days=person.signed_up_days_ago, hours=person.birthday.toordinal() % 9)


def create_profiles(
    db: Database, people: list[Person], now: datetime, on_progress: Callable[[int], None] = lambda _n: None
) -> dict[str, str]:
    """A profile per person, created at their sign-up time (one transaction); key -> profile id."""
    profiles: dict[str, str] = {}
    with db.write() as conn:
        for person in sorted(people, key=lambda p: signed_up_at(p, now)):
            source = "web" if person.user_id else "pos"
            with frozen_at(signed_up_at(person, now)):
                profiles[person.key] = find_or_create_profile(
                    conn, _identifiers(person), _traits(person), source
                )
            on_progress(1)
    return profiles


def record_people_consents(
    db: Database,
    people: list[Person],
    profiles: dict[str, str],
    now: datetime,
    on_progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """Each person's choices, given online (account holders) or at their store, at sign-up.

    The opening state, like the opening stock, goes in with one bulk insert of the rows
    ``consent.record_consents`` would append (1,500 units of work cost five seconds); there is no
    history to compare with yet, and no ``customer.consent_changed`` event for it.
    """
    with db.write() as conn:
        pks = dict(conn.execute(select(customer_profiles.c.profile_id, customer_profiles.c.id)).all())
        stores = dict(conn.execute(select(locations.c.code, locations.c.id)).all())
        rows = [
            {
                "profile_id": pks[profiles[person.key]],
                "purpose": Purpose(purpose).value,
                "granted": granted,
                "source": (ConsentSource.WEB if person.user_id else ConsentSource.STORE).value,
                "location_id": None if person.user_id else stores[person.home_store],
                "actor": DEMO.actor,
                "recorded_at": signed_up_at(person, now) + timedelta(minutes=2),
            }
            for person in people
            for purpose, granted in person.consents
        ]
        conn.execute(customer_consents.insert(), rows)
    on_progress(len(people))
    return len(rows)


def relate_households(db: Database, people: list[Person], profiles: dict[str, str], now: datetime) -> int:
    """People living together are related as a household; returns how many pairs."""
    pairs = [(p.household, p.key) for p in people if p.household]
    for first, second in pairs:
        with frozen_at(now - timedelta(days=1)):
            service.add_relation(db, profiles[first], profiles[second], "household", DEMO.actor)
    return len(pairs)


def import_paper_signups(db: Database, signups: list[PaperSignup], now: datetime) -> CustomerImportReport:
    """The stores' paper forms, typed in: near-duplicates that only matching can find."""
    rows = [
        (
            line,
            {
                "first_name": s.first_name,
                "last_name": s.last_name,
                "date_of_birth": s.birthday.strftime("%d/%m/%Y") if s.birthday else "",
                "address": s.address or "",
                "postcode": s.postcode or "",
                "city": s.city or "",
            },
        )
        for line, s in enumerate(signups, start=2)
    ]
    digest = hashlib.sha256(repr(rows).encode()).hexdigest()
    with frozen_at(now - timedelta(hours=3)):
        return import_customers(db, rows, filename=PAPER_FILE, digest=digest, actor=DEMO.actor)
