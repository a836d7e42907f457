"""The demo retailer's customers as plain values: people, households and paper sign-ups. Pure.

Each person lives in the city of their favourite store, has an email and an Italian mobile, a
birthday, often a loyalty card and an online account (a ``user_id``). A few households share a
surname and an address. A few paper sign-ups repeat a customer with a typo in the name and no
identifier at all: only probabilistic matching can find them, so they feed the merge review.
Drawn from their own random stream (``seed``), so the catalog and stock do not change with them.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from unico.demo.model import Location

CUSTOMERS_AT_SCALE_1 = 1500
LOYALTY_SHARE = 0.6
ONLINE_SHARE = 0.65
HOUSEHOLD_SHARE = 0.02
PAPER_DUPLICATES_AT_SCALE_1 = 9

FIRST_NAMES = (
    "Giulia", "Francesca", "Chiara", "Sara", "Martina", "Valentina", "Alessia", "Elena", "Federica",
    "Silvia", "Laura", "Anna", "Paola", "Roberta", "Giorgia", "Elisa", "Ilaria", "Beatrice", "Camilla",
    "Noemi", "Marco", "Alessandro", "Andrea", "Luca", "Matteo", "Lorenzo", "Davide", "Simone",
    "Francesco", "Federico", "Giovanni", "Stefano", "Riccardo", "Paolo", "Tommaso", "Giuseppe",
    "Antonio", "Emanuele", "Nicola", "Filippo",
)  # fmt: skip
LAST_NAMES = (
    "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Marino",
    "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano", "Rizzo", "Lombardi",
    "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli",
    "Martini", "Leone", "Longo", "Gentile", "Martinelli", "Vitale", "Lombardo", "Serra", "Coppola",
    "De Santis", "D'Angelo", "Marchetti", "Parisi", "Villa", "Conte", "Ferraro", "Ferri", "Fabbri",
    "Bianco", "Marini", "Grasso", "Valentini",
)  # fmt: skip
STREETS = (
    "Via Roma", "Via Garibaldi", "Via Mazzini", "Corso Italia", "Via Dante", "Via Verdi",
    "Via Cavour", "Viale della Repubblica", "Via XX Settembre", "Via Marconi", "Piazza della Libertà",
    "Via Manzoni", "Via Leopardi", "Corso Vittorio Emanuele", "Via San Francesco", "Via dei Mille",
)  # fmt: skip
EMAIL_DOMAINS = ("mail.example.com", "posta.example.net", "example.org")


@dataclass(frozen=True, slots=True)
class Person:
    """A customer of the demo retailer; ``key`` ("C00042") names them inside the demo only."""

    key: str
    first_name: str
    last_name: str
    email: str
    phone: str
    birthday: date
    address: str
    postcode: str
    city: str
    latitude: float
    longitude: float
    home_store: str  # store code
    loyalty_card: str | None
    user_id: str | None  # an online account (web and app)
    signed_up_days_ago: int
    consents: tuple[tuple[str, bool], ...]  # (purpose, granted)
    household: str | None  # key of the person they live with


@dataclass(frozen=True, slots=True)
class PaperSignup:
    """A sign-up form typed in at a store: a customer again, without any identifier. The first
    name has a typo, with the birthday, address and postcode as on file (matching merges it), or
    with the postcode only, or only its initial was written, with the city (matching is unsure
    then, more or less depending on how many customers share the surname: a person reviews it)."""

    of: str  # key of the person it repeats
    first_name: str
    last_name: str
    birthday: date | None
    address: str | None
    postcode: str | None
    city: str | None


def customer_count(scale: float) -> int:
    return max(12, round(CUSTOMERS_AT_SCALE_1 * scale))


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _consents(rng: random.Random, online: bool) -> tuple[tuple[str, bool], ...]:
    chosen = [("email", rng.random() < 0.6), ("profiling", rng.random() < 0.45)]
    if rng.random() < 0.5:
        chosen.append(("sms", rng.random() < 0.4))
    if online:
        chosen.append(("push", rng.random() < 0.5))
    if rng.random() < 0.3:
        chosen.append(("proximity", rng.random() < 0.6))
    return tuple(chosen)


def generate_people(seed: int, scale: float, stores: list[Location]) -> list[Person]:
    """``customer_count(scale)`` people; the same seed, scale and stores give equal people."""
    rng = random.Random(f"people-{seed}")
    people: list[Person] = []
    emails: set[str] = set()
    weights = [3 if s.profile == "metro" else 2 if s.profile == "city" else 1 for s in stores]
    for number in range(1, customer_count(scale) + 1):
        key = f"C{number:05d}"
        partner = people[-1] if people and rng.random() < HOUSEHOLD_SHARE else None
        if partner is not None and partner.household is None:
            last, store_code = partner.last_name, partner.home_store
            address, postcode, city = partner.address, partner.postcode, partner.city
            lat, lon = partner.latitude, partner.longitude
        else:
            partner = None
            store = rng.choices(stores, weights)[0]
            last, store_code = rng.choice(LAST_NAMES), store.code
            address = f"{rng.choice(STREETS)} {rng.randint(1, 180)}"
            postcode, city = store.postcode, store.city
            lat = round(store.latitude + rng.uniform(-0.03, 0.03), 5)
            lon = round(store.longitude + rng.uniform(-0.03, 0.03), 5)
        first = rng.choice(FIRST_NAMES)
        local = f"{_ascii(first)}.{_ascii(last)}"
        email = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
        n = 2
        while email in emails:
            email, n = f"{local}{n}@{rng.choice(EMAIL_DOMAINS)}", n + 1
        emails.add(email)
        online = rng.random() < ONLINE_SHARE
        people.append(
            Person(
                key=key,
                first_name=first,
                last_name=last,
                email=email,
                phone=f"+39 3{rng.randint(20, 49)} {rng.randint(1_000_000, 9_999_999)}",
                birthday=date(1950, 1, 1) + timedelta(days=rng.randint(0, 56 * 365)),
                address=address,
                postcode=postcode,
                city=city,
                latitude=lat,
                longitude=lon,
                home_store=store_code,
                loyalty_card=f"UNI{rng.randint(10**9, 10**10 - 1)}" if rng.random() < LOYALTY_SHARE else None,
                user_id=f"web-{seed}-{number:05d}" if online else None,
                signed_up_days_ago=rng.randint(1, 720),
                consents=_consents(rng, online),
                household=partner.key if partner else None,
            )
        )
    return people


def _typo(rng: random.Random, name: str) -> str:
    """One slip of the pen: two letters swapped, one dropped or one doubled."""
    i = rng.randint(1, len(name) - 2)
    kind = rng.randrange(3)
    if kind == 0:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == 1:
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i] + name[i:]


def paper_signups(seed: int, scale: float, people: list[Person]) -> list[PaperSignup]:
    """Near-duplicates of a few customers, alternately of the two kinds :class:`PaperSignup` names."""
    rng = random.Random(f"paper-{seed}")
    count = max(6, round(PAPER_DUPLICATES_AT_SCALE_1 * scale))
    chosen = rng.sample([p for p in people if p.household is None], min(count, len(people)))
    forms = []
    for n, p in enumerate(chosen):
        if n % 3 == 0:
            form = PaperSignup(
                p.key, _typo(rng, p.first_name), p.last_name, p.birthday, p.address, p.postcode, p.city
            )
        elif n % 3 == 1:
            form = PaperSignup(p.key, _typo(rng, p.first_name), p.last_name, None, None, p.postcode, None)
        else:
            form = PaperSignup(p.key, f"{p.first_name[0]}.", p.last_name, None, None, None, p.city)
        forms.append(form)
    return forms
