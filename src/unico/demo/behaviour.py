"""The demo's tracking history: what people did on the web site, in the app, in the stores and
on the phone, as Segment messages sent through ``customers.tracking.ingest``.

Online customers browse anonymously (searches, product views, cart and wishlist adds), then log
in (an ``identify`` joining the browser's anonymous id to their account); before each of their
web and app orders they look at what they buy and complete the checkout. Loyalty members are seen
at the tills (``Store Visited`` with their card), customers open their e-tickets, the contact
center looks callers up by phone, and some visitors never say who they are. Every message has
its own past ``timestamp``; identity resolution then stitches the profiles.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson

from unico.core.db import Database
from unico.customers import tracking
from unico.demo.activity import DAYS
from unico.demo.model import DemoData, Product
from unico.demo.people import Person
from unico.demo.prices import list_price_minor
from unico.demo.trade import TradeResult, frozen_at
from unico.fulfillment.etickets import open_eticket

SOURCES = (
    ("web", "Sito web unico.example"),
    ("app", "App Unico (iOS e Android)"),
    ("pos", "Casse dei negozi"),
    ("contact_center", "Servizio clienti"),
)
BATCH = 250  # messages per ingest request, well under the 500 KB limit
ANONYMOUS_VISITORS_SHARE = 0.15
ETICKET_OPENED_SHARE = 0.6


@dataclass(frozen=True, slots=True)
class Message:
    source: str  # source kind
    at: datetime
    body: dict[str, Any]


class _Writer:
    """Builds messages with deterministic ids and anonymous ids from one random stream."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(f"behaviour-{seed}")
        self.seed = seed
        self.now = now
        self.messages: list[Message] = []

    def anonymous_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def add(self, source: str, at: datetime, kind: str, **fields: Any) -> None:
        at = min(at, self.now - timedelta(seconds=5))
        body = {
            "type": kind,
            "messageId": f"demo-{self.seed}-{len(self.messages):07d}",
            "timestamp": at.isoformat(),
            **fields,
        }
        self.messages.append(Message(source, at, body))


def _product_properties(product: Product, sku: str | None = None) -> dict[str, Any]:
    return {
        "product_id": product.code,
        "sku": sku or product.variants[0].sku,
        "name": product.name_it,
        "brand": product.brand,
        "category": product.category,
        "price": list_price_minor(product.code) / 100,
        "currency": "EUR",
    }


def _who(person: Person, anonymous_id: str, logged_in: bool) -> dict[str, Any]:
    return (
        {"anonymousId": anonymous_id, "userId": person.user_id}
        if logged_in
        else {"anonymousId": anonymous_id}
    )


def _session(
    w: _Writer, person: Person | None, products: list[Product], source: str, anon: str, start: datetime
) -> None:
    """One visit: maybe logged in from the start, else maybe logging in at the end."""
    rng = w.rng
    logged_in = person is not None and person.user_id is not None and rng.random() < 0.4
    who = _who(person, anon, logged_in) if person else {"anonymousId": anon}
    at = start
    if logged_in and person is not None:
        w.add(source, at, "identify", **who, traits={"email": person.email})
    page = "page" if source == "web" else "screen"
    w.add(source, at, page, **who, name="Home")
    viewed = rng.sample(products, min(len(products), rng.randint(1, 4)))
    if rng.random() < 0.6:
        at += timedelta(seconds=rng.randint(5, 60))
        words = viewed[0].name_it.split()
        w.add(
            source, at, "track", **who, event="Products Searched", properties={"query": " ".join(words[:2])}
        )
    for product in viewed:
        at += timedelta(seconds=rng.randint(20, 240))
        w.add(source, at, "track", **who, event="Product Viewed", properties=_product_properties(product))
    if rng.random() < 0.3:
        at += timedelta(seconds=rng.randint(10, 90))
        props = {**_product_properties(viewed[-1]), "quantity": 1}
        w.add(source, at, "track", **who, event="Product Added", properties=props)
    if rng.random() < 0.2:
        at += timedelta(seconds=rng.randint(10, 90))
        w.add(
            source,
            at,
            "track",
            **who,
            event="Product Added to Wishlist",
            properties=_product_properties(viewed[0]),
        )
    if rng.random() < 0.12:
        at += timedelta(seconds=rng.randint(10, 90))
        store = person.home_store if person else "MI-BUENOSAIRES"
        w.add(source, at, "track", **who, event="Store Locator Clicked", properties={"store": store})
    if person is not None and person.user_id and not logged_in and rng.random() < 0.6:
        at += timedelta(seconds=rng.randint(10, 120))
        traits = {"email": person.email, "firstName": person.first_name, "lastName": person.last_name}
        w.add(source, at, "identify", userId=person.user_id, anonymousId=anon, traits=traits)


def plan_messages(
    data: DemoData,
    people: list[Person],
    trade: TradeResult,
    now: datetime,
    seed: int,
) -> list[Message]:
    """Every message of the demo's tracking history, oldest first."""
    w = _Writer(seed, now)
    rng = w.rng
    products = data.products
    by_code = {p.code: p for p in products}
    devices: dict[str, dict[str, str]] = {}
    for person in people:
        if person.user_id:
            mine = {"web": w.anonymous_id()}
            if rng.random() < 0.5:
                mine["app"] = w.anonymous_id()
            devices[person.key] = mine
            for _ in range(rng.randint(1, 3)):
                source = rng.choice(sorted(mine))
                start = now - timedelta(days=rng.uniform(0, DAYS), hours=rng.uniform(0, 10))
                _session(w, person, rng.sample(products, min(8, len(products))), source, mine[source], start)
        if person.loyalty_card:
            for _ in range(rng.randint(0, 2)):
                at = now - timedelta(days=rng.uniform(0, DAYS))
                w.add(
                    "pos",
                    at,
                    "track",
                    anonymousId=f"till-{person.home_store}",
                    event="Store Visited",
                    properties={"store": person.home_store},
                    context={"traits": {"loyalty_card": person.loyalty_card}},
                )
    for _ in range(round(len(people) * ANONYMOUS_VISITORS_SHARE)):
        start = now - timedelta(days=rng.uniform(0, DAYS))
        source = rng.choice(("web", "web", "app"))
        _session(w, None, rng.sample(products, min(6, len(products))), source, w.anonymous_id(), start)
    people_by_key = {p.key: p for p in people}
    for placed in trade.placed:
        order = placed.planned
        buyer = people_by_key.get(order.person or "")
        if buyer is None:
            continue
        person = buyer
        bought = [by_code["-".join(line.sku.split("-", 2)[:2])] for line in order.lines]
        if order.channel in ("web", "app") and person.user_id:
            source = order.channel
            anon = devices[person.key].get(source) or devices[person.key]["web"]
            who = {"anonymousId": anon, "userId": person.user_id}
            at = order.placed_at - timedelta(minutes=rng.randint(8, 40))
            for product, line in zip(bought, order.lines, strict=True):
                at += timedelta(seconds=rng.randint(30, 200))
                props = _product_properties(product, line.sku)
                w.add(source, at, "track", **who, event="Product Viewed", properties=props)
                w.add(
                    source,
                    at + timedelta(seconds=20),
                    "track",
                    **who,
                    event="Product Added",
                    properties=props,
                )
            completed = {
                "order_id": placed.order_id,
                "currency": "EUR",
                "products": [
                    _product_properties(p, line.sku) for p, line in zip(bought, order.lines, strict=True)
                ],
            }
            w.add(source, order.placed_at, "track", **who, event="Order Completed", properties=completed)
        elif order.channel == "contact_center":
            traits = {"phone": person.phone}
            w.add(
                "contact_center",
                order.placed_at - timedelta(minutes=6),
                "identify",
                anonymousId=f"call-{order.number}",
                traits=traits,
            )
        elif order.channel == "store" and person.loyalty_card:
            w.add(
                "pos",
                order.placed_at - timedelta(minutes=15),
                "track",
                anonymousId=f"till-{order.store}",
                event="Store Visited",
                properties={"store": order.store},
                context={"traits": {"loyalty_card": person.loyalty_card}},
            )
    for order_id, (code, issued) in trade.etickets.items():
        if rng.random() < ETICKET_OPENED_SHARE:
            at = issued + timedelta(minutes=rng.randint(5, 600))
            w.add(
                "web",
                at,
                "track",
                anonymousId=w.anonymous_id(),
                event="E-ticket Opened",
                properties={"code": code, "order_id": order_id},
            )
    return sorted(w.messages, key=lambda m: (m.at, m.body["messageId"]))


def create_sources(db: Database) -> dict[str, str]:
    """One tracking source per channel kind; kind -> its write key (shown only now)."""
    return {kind: tracking.create_source(db, name=name, kind=kind).write_key for kind, name in SOURCES}


def _requests(messages: list[Message]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Runs of messages of one source, in time order, at most ``BATCH`` per request."""
    run: list[dict[str, Any]] = []
    kind = ""
    for message in messages:
        if run and (message.source != kind or len(run) >= BATCH):
            yield kind, run
            run = []
        kind = message.source
        run.append(message.body)
    if run:
        yield kind, run


def send_messages(
    db: Database,
    keys: dict[str, str],
    messages: list[Message],
    on_progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """Ingest the messages as their sources would send them; returns how many were stored."""
    stored = 0
    for kind, run in _requests(messages):
        result = tracking.ingest(
            db, endpoint="batch", body=orjson.dumps({"batch": run}), write_key=keys[kind]
        )
        stored += result.stored
        on_progress(len(run))
    return stored


def open_etickets(db: Database, messages: list[Message]) -> int:
    """Record the openings of e-tickets the messages report, each at its time."""
    opened = 0
    for message in messages:
        if message.body.get("event") == "E-ticket Opened":
            with frozen_at(message.at):
                open_eticket(db, message.body["properties"]["code"], "Mozilla/5.0 (iPhone; demo)")
            opened += 1
    return opened
