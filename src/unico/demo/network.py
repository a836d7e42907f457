"""The store network: places for the locator, stores and warehouses with hours, holidays, services.

Addresses and coordinates come from the CSV files in ``data/``; what a person would not look up
(phone numbers, which stores offer which service, a refurbishment closure) is drawn from the seed.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources

from unico.catalog.text import fold
from unico.demo.model import Location, OpeningException, OpeningSlot, Place

DEMO_EMAIL_DOMAIN = "demo.unico.it"

# Patron saints' days (month, day, saint): a local holiday on which small shops close.
PATRON_DAYS: dict[str, tuple[int, int, str]] = {
    "Milano": (12, 7, "Sant'Ambrogio"),
    "Roma": (6, 29, "Santi Pietro e Paolo"),
    "Torino": (6, 24, "San Giovanni"),
    "Napoli": (9, 19, "San Gennaro"),
    "Firenze": (6, 24, "San Giovanni"),
    "Bologna": (10, 4, "San Petronio"),
    "Venezia": (4, 25, "San Marco"),
    "Verona": (5, 21, "San Zeno"),
    "Genova": (6, 24, "San Giovanni Battista"),
    "Bari": (12, 6, "San Nicola"),
    "Palermo": (7, 15, "Santa Rosalia"),
    "Catania": (2, 5, "Sant'Agata"),
    "Padova": (6, 13, "Sant'Antonio"),
    "Brescia": (2, 15, "Santi Faustino e Giovita"),
    "Bergamo": (8, 26, "Sant'Alessandro"),
    "Monza": (6, 24, "San Giovanni Battista"),
    "Como": (8, 31, "Sant'Abbondio"),
    "Parma": (1, 13, "Sant'Ilario"),
    "Modena": (1, 31, "San Geminiano"),
    "Trieste": (11, 3, "San Giusto"),
    "Trento": (6, 26, "San Vigilio"),
    "Pisa": (6, 17, "San Ranieri"),
    "Cagliari": (10, 30, "San Saturnino"),
}

_DEPTH = {"metro": 0.5, "city": 0.4, "town": 0.3, "warehouse": 0.9}
_CAPACITY = {"metro": (60, 80), "city": (35, 60), "town": (20, 35)}


def stocking_depth(profile: str) -> float:
    """The share of the catalog a location of ``profile`` carries (before size curves)."""
    return _DEPTH[profile]


def _data_rows(name: str) -> list[dict[str, str]]:
    with resources.files("unico.demo").joinpath("data", name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def load_places() -> tuple[Place, ...]:
    """Italian provincial capitals and large towns, plus district postcodes of the big cities."""
    return tuple(
        Place(
            name=row["name"],
            name_key=fold(row["name"]),
            postcode=row["postcode"],
            province=row["province"],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
        )
        for row in _data_rows("places.csv")
    )


def weekly_hours(profile: str, rng: random.Random) -> tuple[OpeningSlot, ...]:
    """A week of opening slots: continuous hours in big cities, the lunch break in small towns."""
    slots: list[OpeningSlot] = []
    if profile == "warehouse":
        slots += [OpeningSlot(day, "06:00", "22:00") for day in range(5)]
        slots.append(OpeningSlot(5, "06:00", "14:00"))
    elif profile == "metro":
        slots += [OpeningSlot(day, "10:00", "20:00") for day in range(6)]
        sunday = rng.choice([("10:00", "20:00"), ("11:00", "19:00")])
        slots.append(OpeningSlot(6, *sunday))
    elif profile == "city":
        slots += [OpeningSlot(day, "09:30", "19:30") for day in range(6)]
        if rng.random() < 0.5:
            slots.append(OpeningSlot(6, "10:30", "19:30"))
    else:
        morning = rng.choice([("09:00", "12:30"), ("09:30", "13:00")])
        afternoon = rng.choice([("15:30", "19:30"), ("16:00", "20:00")])
        slots.append(OpeningSlot(0, *afternoon))  # closed on Monday morning, as many Italian shops
        for day in range(1, 6):
            slots += [OpeningSlot(day, *morning), OpeningSlot(day, *afternoon)]
        if rng.random() < 0.3:
            slots.append(OpeningSlot(6, "10:00", "13:00"))
    return tuple(slots)


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous algorithm of 1876)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (h + m - 7 * ((a + 11 * h + 22 * m) // 451) + 114) // 31
    p = (h + m - 7 * ((a + 11 * h + 22 * m) // 451) + 114) % 31
    return date(year, n, p + 1)


def _holidays(year: int, profile: str, city: str) -> Iterator[OpeningException]:
    """This year's exceptional days for a location: closed, or open for fewer hours."""

    def closed(day: date, note: str) -> OpeningException:
        return OpeningException(day, True, None, None, note)

    def reduced(day: date, opens: str, closes: str, note: str) -> OpeningException:
        return OpeningException(day, False, opens, closes, note)

    easter = easter_sunday(year)
    big = profile in ("metro", "city")
    yield closed(date(year, 1, 1), "Capodanno")
    yield closed(easter, "Pasqua")
    if profile == "metro":
        yield reduced(easter + timedelta(days=1), "11:00", "19:00", "Lunedì dell'Angelo")
    elif profile != "warehouse":
        yield closed(easter + timedelta(days=1), "Lunedì dell'Angelo")
    yield closed(date(year, 5, 1), "Festa dei lavoratori")
    if profile == "warehouse":
        yield closed(date(year, 12, 25), "Natale")
        return
    yield (
        reduced(date(year, 8, 15), "10:00", "19:00", "Ferragosto")
        if big
        else closed(date(year, 8, 15), "Ferragosto")
    )
    if city in PATRON_DAYS:
        month, day, saint = PATRON_DAYS[city]
        note = f"Festa del patrono, {saint}"
        yield (
            reduced(date(year, month, day), "10:00", "19:00", note)
            if big
            else closed(date(year, month, day), note)
        )
    yield (
        reduced(date(year, 12, 8), "10:00", "19:00", "Immacolata Concezione")
        if big
        else closed(date(year, 12, 8), "Immacolata Concezione")
    )
    yield reduced(date(year, 12, 24), "09:30", "18:00", "Vigilia di Natale")
    yield closed(date(year, 12, 25), "Natale")
    if profile == "metro":
        yield reduced(date(year, 12, 26), "11:00", "19:00", "Santo Stefano")
    else:
        yield closed(date(year, 12, 26), "Santo Stefano")
    yield reduced(date(year, 12, 31), "09:30", "17:00", "San Silvestro")


def exceptional_days(profile: str, city: str, start: date) -> tuple[OpeningException, ...]:
    """Holidays in the year from ``start`` (inclusive), in date order."""
    end = start + timedelta(days=366)
    days = [
        exception
        for year in (start.year, start.year + 1)
        for exception in _holidays(year, profile, city)
        if start <= exception.day < end
    ]
    unique = {exception.day: exception for exception in days}  # a patron day may fall on a holiday
    return tuple(sorted(unique.values(), key=lambda e: e.day))


def _phone(area_code: str, rng: random.Random) -> str:
    """An E.164 Italian landline: +39, the area code with its 0, ten national digits in all."""
    subscriber = "".join(str(rng.randrange(10)) for _ in range(10 - len(area_code)))
    return f"+39{area_code}{subscriber}"


def _chosen(codes: list[str], share: float, rng: random.Random) -> set[str]:
    return set(rng.sample(codes, round(len(codes) * share)))


def generate_locations(rng: random.Random, start: date) -> list[Location]:
    """The stores and warehouses, with services drawn so that the shares are exact per seed."""
    rows = _data_rows("locations.csv")
    store_codes = [row["code"] for row in rows if row["type"] == "store"]
    towns = [row["code"] for row in rows if row["profile"] == "town"]
    no_pickup = set(rng.sample(towns, 2))
    no_returns = set(rng.sample(towns, 1))
    reserve = _chosen(store_codes, 2 / 3, rng)
    ship = _chosen(store_codes, 1 / 2, rng)
    refurbished = set(rng.sample(store_codes, 2))
    locations = []
    for row in rows:
        code, profile, is_store = row["code"], row["profile"], row["type"] == "store"
        exceptions = exceptional_days(profile, row["city"], start)
        if code in refurbished:
            first = start + timedelta(days=rng.randint(20, 120))
            works = tuple(
                OpeningException(
                    first + timedelta(days=n), True, None, None, "Chiuso per lavori di ristrutturazione"
                )
                for n in range(4)
            )
            taken = {w.day for w in works}
            exceptions = tuple(
                sorted((*works, *(e for e in exceptions if e.day not in taken)), key=lambda e: e.day)
            )
        pickup = is_store and code not in no_pickup
        low, high = _CAPACITY.get(profile, (0, 0))
        locations.append(
            Location(
                code=code,
                type=row["type"],
                profile=profile,
                name=row["name"],
                address=row["address"],
                city=row["city"],
                province=row["province"],
                postcode=row["postcode"],
                latitude=float(row["latitude"]),
                longitude=float(row["longitude"]),
                phone=_phone(row["area_code"], rng),
                email=f"{code.lower()}@{'negozi' if is_store else 'logistica'}.{DEMO_EMAIL_DOMAIN}",
                pickup=pickup,
                reserve_in_store=is_store and code in reserve,
                ship_from_store=is_store and code in ship,
                returns=is_store and code not in no_returns,
                pickup_capacity_per_day=rng.randrange(low, high + 1, 5) if pickup else 0,
                hours=weekly_hours(profile, rng),
                exceptions=exceptions,
            )
        )
    return locations
