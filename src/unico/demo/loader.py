"""``load_demo``: store the generated retailer in one transaction, then issue demo credentials.

Rows go in by bulk inserts of ``CHUNK`` rows. Every non-zero stock row gets one ``receipt``
movement carrying the same quantity, so the ledger explains every unit on hand from the start.
Passwords and the API key are random on every load and written only to
``var_dir/demo-credentials.txt`` (mode 600).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from unico.access import service as access
from unico.access.model import Role
from unico.access.store import users
from unico.catalog.store import brands, categories, products, variants
from unico.core import clock
from unico.core.db import Database
from unico.core.errors import Conflict
from unico.demo.generate import generate_demo
from unico.demo.life import Activity, bring_to_life
from unico.demo.model import DemoData
from unico.demo.network import DEMO_EMAIL_DOMAIN
from unico.demo.offers import price_catalog_in
from unico.inventory.model import MovementKind
from unico.inventory.store import (
    locations,
    opening_exceptions,
    opening_hours,
    places,
    stock,
    stock_movements,
)
from unico.settings import Settings

CHUNK = 2000
ACTOR = "demo"
CREDENTIALS_FILE = "demo-credentials.txt"
STORES_PER_ASSOCIATE = 3  # one associate account for every third store
_COPIED_TABLES = frozenset({"variants", "stock", "stock_movements"})  # no JSON columns, many rows
_LOCATION_FIELDS = (
    "code", "type", "name", "address", "city", "province", "postcode", "latitude", "longitude",
    "phone", "email", "pickup", "reserve_in_store", "ship_from_store", "returns", "pickup_capacity_per_day",
)  # fmt: skip


@dataclass(frozen=True)
class Credential:
    email: str
    role: str
    store: str | None
    password: str


@dataclass(frozen=True)
class DemoLoaded:
    """What a load stored and where its credentials are."""

    digest: str
    counts: dict[str, int]
    credentials: list[Credential]
    api_key: str
    credentials_path: Path
    write_keys: dict[str, str]


class _Stages:
    """A Rich progress bar per stage when there is a console; silent otherwise (tests)."""

    def __init__(self, console: Console | None) -> None:
        self._progress = (
            Progress(
                TextColumn("{task.description:<24}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            )
            if console is not None
            else None
        )

    @contextmanager
    def running(self) -> Iterator[_Stages]:
        if self._progress is None:
            yield self
        else:
            with self._progress:
                yield self

    def start(self, description: str, total: int) -> TaskID | None:
        return self._progress.add_task(description, total=total) if self._progress else None

    def advance(self, task: TaskID | None, amount: int) -> None:
        if self._progress is not None and task is not None:
            self._progress.advance(task, amount)

    def stage(self, description: str, total: int) -> Callable[[int], None]:
        """Start a stage; returns the function that advances it."""
        task = self.start(description, total)
        return lambda amount: self.advance(task, amount)


def _existing_rows(conn: Connection) -> dict[str, int]:
    """Rows already in the tables the demo fills; the demo never mixes with real data.

    Other console users may exist (an operator's own admin), but not the demo's accounts.
    """
    found = {}
    for table in (products, locations, places):
        count = conn.execute(select(func.count()).select_from(table)).scalar_one()
        if count:
            found[table.name] = int(count)
    demo_users = conn.execute(
        select(func.count()).where(users.c.email.like(f"%@{DEMO_EMAIL_DOMAIN}"))
    ).scalar_one()
    if demo_users:
        found["demo_users"] = int(demo_users)
    return found


def _insert(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], stages: _Stages, task: TaskID | None
) -> None:
    """Bulk-insert ``rows`` (dicts with the same keys) in chunks, advancing ``task`` as they go.

    On PostgreSQL the big tables go through COPY on the same connection and transaction:
    psycopg's executemany sends one statement per row, which made a full load three times slower.
    """
    if rows and conn.dialect.name == "postgresql" and table.name in _COPIED_TABLES:
        _copy(conn, table, rows, stages, task)
        return
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        conn.execute(table.insert(), list(chunk))
        stages.advance(task, len(chunk))


def _copy(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], stages: _Stages, task: TaskID | None
) -> None:
    columns = list(rows[0])
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(statement) as copy:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            for row in chunk:
                copy.write_row([row[column] for column in columns])
            stages.advance(task, len(chunk))


def _ids(conn: Connection, table: Table, key: str) -> dict[str, int]:
    return {row[0]: int(row[1]) for row in conn.execute(select(table.c[key], table.c.id))}


def _store_network(conn: Connection, data: DemoData, at: datetime, stages: _Stages) -> dict[str, int]:
    task = stages.start("Places", len(data.places))
    _insert(
        conn,
        places,
        [
            _fields(p, "name", "name_key", "postcode", "province", "latitude", "longitude")
            for p in data.places
        ],
        stages,
        task,
    )
    task = stages.start("Stores and warehouses", len(data.locations))
    rows = [
        {
            **_fields(loc, *_LOCATION_FIELDS),
            "country": "IT",
            "timezone": "Europe/Rome",
            "status": "active",
            "created_at": at,
        }
        for loc in data.locations
    ]
    _insert(conn, locations, rows, stages, task)
    location_ids = _ids(conn, locations, "code")
    hours = [
        {"location_id": location_ids[loc.code], "weekday": s.weekday, "opens": s.opens, "closes": s.closes}
        for loc in data.locations
        for s in loc.hours
    ]
    exceptions = [
        {"location_id": location_ids[loc.code], **_fields(e, "day", "closed", "opens", "closes", "note")}
        for loc in data.locations
        for e in loc.exceptions
    ]
    _insert(conn, opening_hours, hours, stages, None)
    _insert(conn, opening_exceptions, exceptions, stages, None)
    return location_ids


def _store_catalog(conn: Connection, data: DemoData, at: datetime, stages: _Stages) -> dict[str, int]:
    task = stages.start("Catalog", len(data.products) + data.variant_count)
    _insert(conn, brands, [_fields(b, "code", "name") for b in data.brands], stages, None)
    category_ids: dict[str, int] = {}
    for category in data.categories:  # parents come first, so each parent id is known
        result = conn.execute(
            categories.insert().values(
                code=category.code,
                parent_id=category_ids[category.parent] if category.parent else None,
                name_it=category.name_it,
                name_en=category.name_en,
                position=category.position,
            )
        )
        category_ids[category.code] = int(result.inserted_primary_key[0])  # type: ignore[index]
    brand_ids = _ids(conn, brands, "code")
    product_rows = [
        {
            **_fields(
                p,
                "code",
                "name_it",
                "name_en",
                "description_it",
                "description_en",
                "attributes",
                "search_text",
            ),
            "brand_id": brand_ids[p.brand],
            "category_id": category_ids[p.category],
            "status": "active",
            "images": list(p.images),
            "created_at": at,
            "updated_at": at,
        }
        for p in data.products
    ]
    _insert(conn, products, product_rows, stages, task)
    product_ids = _ids(conn, products, "code")
    variant_rows = [
        {"product_id": product_ids[p.code], "status": "active", **_fields(v, "sku", "ean", "size", "colour")}
        for p in data.products
        for v in p.variants
    ]
    _insert(conn, variants, variant_rows, stages, task)
    return _ids(conn, variants, "sku")


def _store_stock(
    conn: Connection,
    data: DemoData,
    variant_ids: dict[str, int],
    location_ids: dict[str, int],
    at: datetime,
    stages: _Stages,
) -> int:
    received = [level for level in data.stock if level.on_hand > 0]
    task = stages.start("Stock and ledger", len(data.stock) + len(received))
    stock_rows = [
        {
            "variant_id": variant_ids[level.sku],
            "location_id": location_ids[level.location],
            "on_hand": level.on_hand,
            "reserved": 0,
            "safety_stock": level.safety_stock,
            "updated_at": at,
        }
        for level in data.stock
    ]
    _insert(conn, stock, stock_rows, stages, task)
    movement_rows = [
        {
            "movement_id": f"demo-{data.seed}-{level.sku}-{level.location}",
            "variant_id": variant_ids[level.sku],
            "location_id": location_ids[level.location],
            "kind": MovementKind.RECEIPT.value,
            "quantity": level.on_hand,
            "on_hand_after": level.on_hand,
            "reason": "demo initial stock",
            "reference": f"demo-{data.seed}",
            "actor": ACTOR,
            "created_at": at,
        }
        for level in received
    ]
    _insert(conn, stock_movements, movement_rows, stages, task)
    return len(movement_rows)


def _fields(item: Any, *names: str) -> dict[str, Any]:
    return {name: getattr(item, name) for name in names}


def _associate_email(city: str, taken: set[str]) -> str:
    base = "".join(ch for ch in city.lower() if ch.isalnum())
    local, n = base, 2
    while local in taken:
        local, n = f"{base}{n}", n + 1
    taken.add(local)
    return f"{local}@{DEMO_EMAIL_DOMAIN}"


def _issue_credentials(db: Database, data: DemoData) -> tuple[list[Credential], str]:
    """An admin, one associate for every third store, and an admin API key; all secrets random."""
    people = [Credential(f"admin@{DEMO_EMAIL_DOMAIN}", Role.ADMIN.value, None, secrets.token_urlsafe(9))]
    taken: set[str] = set()
    for store in data.stores[::STORES_PER_ASSOCIATE]:
        email = _associate_email(store.city, taken)
        people.append(Credential(email, Role.STORE_ASSOCIATE.value, store.code, secrets.token_urlsafe(9)))
    for person in people:
        name = "Demo admin" if person.store is None else f"Addetto {person.store}"
        access.create_user(
            db,
            email=person.email,
            name=name,
            password=person.password,
            role=person.role,
            store_code=person.store,
        )
    key = access.create_api_key(db, name="demo admin key", role=Role.ADMIN.value)
    return people, key.secret


def _write_credentials(
    var_dir: Path, people: Iterable[Credential], api_key: str, seed: int, write_keys: dict[str, str]
) -> Path:
    var_dir.mkdir(parents=True, exist_ok=True)
    path = var_dir / CREDENTIALS_FILE
    lines = [
        f"# Unico demo retailer (seed {seed}): console users and an admin API key.",
        "# Generated at random on this load; keep this file private.",
        "",
        *(f"{p.email:<32} {p.role:<16} {p.store or '-':<18} {p.password}" for p in people),
        "",
        f"API key (admin): {api_key}",
        "",
        "# Tracking sources (Segment write keys: HTTP Basic user of POST /v1/batch)",
        *(f"write key ({kind}): {key}" for kind, key in write_keys.items()),
        "",
    ]
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)  # before the secrets go in, also when the file was already there
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def load_demo(
    db: Database,
    settings: Settings,
    *,
    scale: float = 1.0,
    seed: int = 7,
    if_empty: bool = False,
    console: Console | None = None,
    trade: bool = True,
) -> DemoLoaded | None:
    """Load the demo retailer into an empty database; returns None when ``if_empty`` skipped it.

    Raises ``Conflict`` (``demo.database_not_empty``) when products, locations or places exist,
    unless ``if_empty``, which then does nothing. The network, catalog (with its list prices) and
    stock go in in one transaction; then (``trade``) customers, promotions, loyalty members, sixty
    days of orders and a tracking history go in through the domains' use cases
    (:mod:`unico.demo.life`), so that every console page shows something real. ``trade=False``
    loads only the network, the priced catalog and the stock.
    """
    with db.read() as conn:
        existing = _existing_rows(conn)
    if existing and if_empty:
        if console is not None:
            console.print("The database already holds data: the demo retailer was not loaded.")
        return None
    if existing:
        raise Conflict(
            "the demo loads only into an empty database", code="demo.database_not_empty", **existing
        )
    at = clock.now()
    today = at.astimezone(ZoneInfo("Europe/Rome")).date()
    if console is None:
        data = generate_demo(seed, scale, start=today)
    else:
        with console.status(f"Generating the demo retailer (seed {seed}, scale {scale:g})"):
            data = generate_demo(seed, scale, start=today)
    stages = _Stages(console)
    with stages.running():
        with db.write() as conn:
            existing = _existing_rows(conn)  # again, inside the write lock: another load may have won
            if existing:
                raise Conflict(
                    "the demo loads only into an empty database", code="demo.database_not_empty", **existing
                )
            location_ids = _store_network(conn, data, at, stages)
            variant_ids = _store_catalog(conn, data, at, stages)
            movements = _store_stock(conn, data, variant_ids, location_ids, at, stages)
            priced = price_catalog_in(conn, data)
        task = stages.start("Users and API key", 1)
        people, api_key = _issue_credentials(db, data)
        stages.advance(task, 1)
        activity = bring_to_life(db, data, at, stages.stage) if trade else Activity({}, {})
    path = _write_credentials(settings.var_dir, people, api_key, seed, activity.write_keys)
    counts = {
        "places": len(data.places),
        "stores": len(data.stores),
        "warehouses": len(data.warehouses),
        "products": len(data.products),
        "variants": data.variant_count,
        "stock_rows": len(data.stock),
        "movements": movements,
        "list_prices": priced,
        "users": len(people),
        **activity.counts,
    }
    if console is not None:
        _print_summary(console, counts, people, api_key, path, activity.write_keys)
    return DemoLoaded(data.digest(), counts, people, api_key, path, activity.write_keys)


def _print_summary(
    console: Console,
    counts: dict[str, int],
    people: list[Credential],
    api_key: str,
    path: Path,
    write_keys: dict[str, str],
) -> None:
    console.print(
        "[green]Demo retailer loaded:[/green] "
        + ", ".join(f"{value:,} {name.replace('_', ' ')}" for name, value in counts.items())
    )
    table = RichTable("Email", "Role", "Store", "Password", title="Demo console users")
    for person in people:
        table.add_row(person.email, person.role, person.store or "-", person.password)
    console.print(table)
    console.print("API key (admin):")
    console.print(api_key, soft_wrap=True, markup=False, highlight=False)
    for kind, key in write_keys.items():
        console.print(f"Tracking write key ({kind}): {key}", soft_wrap=True, markup=False, highlight=False)
    console.print(f"Credentials saved to {path} (readable only by you).")
