"""The ``unico`` command: serve, worker, migrate, demo, import, user and key management."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from unico.access import service as access
from unico.core.db import Database
from unico.core.errors import UnicoError
from unico.core.logs import configure_logging
from unico.core.process import freeze_startup_heap
from unico.core.schema import upgrade_database
from unico.settings import get_settings

app = typer.Typer(help="Unico, the omnichannel retail hub.", no_args_is_help=True)
user_app = typer.Typer(help="Console users.", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
import_app = typer.Typer(help="Imports from POS/ERP files.", no_args_is_help=True)
tracking_source_app = typer.Typer(help="Tracking sources and their write keys.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(key_app, name="apikey")
app.add_typer(import_app, name="import")
app.add_typer(tracking_source_app, name="tracking-source")

out = Console()
err = Console(stderr=True)


def _db() -> Database:
    return Database(get_settings().resolved_database_url)


def _fail(exc: UnicoError) -> typer.Exit:
    err.print(f"[red]error[/red] {exc.code}: {exc.message}")
    for key, value in exc.details.items():
        err.print(f"  {key}: {value}")
    return typer.Exit(code=1)


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema."""
    settings = get_settings()
    upgrade_database(settings.resolved_database_url)
    out.print(f"database migrated: {settings.resolved_database_url.split('@')[-1]}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    workers: Annotated[int, typer.Option(help="Server processes (PostgreSQL deployments).")] = 1,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Run the outbox worker loop.")] = True,
) -> None:
    """Serve API + console (+ the worker loop, unless --no-worker) on one port."""
    import uvicorn

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    settings.resolved_secret_key()
    import os

    os.environ["UNICO_EMBEDDED_WORKER"] = "1" if worker else "0"
    uvicorn.run(
        "unico.server:create_served_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level.lower(),
    )


@app.command("worker")
def run_worker(
    once: Annotated[bool, typer.Option(help="Process what is due, then exit.")] = False,
) -> None:
    """Deliver outbox events to subscribers and webhooks; release lapsed reservations."""
    from unico.worker import Worker

    settings = get_settings()
    configure_logging(settings.log_level, settings.log_json)
    worker = Worker(_db(), settings)
    freeze_startup_heap()
    if once:
        report = worker.run_once()
        out.print(report)
    else:
        worker.run_forever()


@app.command()
def demo(
    scale: Annotated[
        float, typer.Option(help="Size multiplier (1 = 2,000 products, 1,500 customers, 500 orders).")
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same retailer.")] = 7,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if the catalog has products.")
    ] = False,
) -> None:
    """Load the demo retailer: Italian stores, warehouses, a bilingual catalog, stock, customers,
    and sixty days of orders, returns, e-tickets and tracking (write keys in the credentials)."""
    from unico.demo.loader import load_demo

    db = _db()
    try:
        load_demo(db, get_settings(), scale=scale, seed=seed, if_empty=if_empty, console=out)
    except UnicoError as exc:
        raise _fail(exc) from exc


@user_app.command("create")
def user_create(
    email: str,
    role: Annotated[str, typer.Option(help="admin, integration, analyst or store_associate.")] = "admin",
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    store: Annotated[str | None, typer.Option(help="Store code, for a store_associate.")] = None,
    locale: Annotated[str, typer.Option(help="Console language: it or en.")] = "it",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="UNICO_NEW_PASSWORD")
    ] = "",
) -> None:
    """Create a console user (the password is asked for, or read from UNICO_NEW_PASSWORD)."""
    try:
        access.create_user(
            _db(), email=email, name=name, password=password, role=role, store_code=store, locale=locale
        )
    except UnicoError as exc:
        raise _fail(exc) from exc
    out.print(f"user {email} created with role {role}")


@key_app.command("create")
def key_create(
    name: str,
    role: Annotated[
        str, typer.Option(help="admin, integration, analyst or store_associate.")
    ] = "integration",
    store: Annotated[str | None, typer.Option(help="Store code, for a store_associate.")] = None,
) -> None:
    """Issue an API key; the secret is printed once."""
    try:
        issued = access.create_api_key(_db(), name=name, role=role, store_code=store)
    except UnicoError as exc:
        raise _fail(exc) from exc
    out.print(f"key {issued.key_id} ({issued.role}) — keep this secret, it is not shown again:")
    print(issued.secret)


@tracking_source_app.command("create")
def tracking_source_create(
    name: str,
    kind: Annotated[
        str, typer.Option(help="web, app, pos, contact_center, chat, voice, kiosk, server or social.")
    ] = "web",
) -> None:
    """Register a tracking source; its write key is printed once."""
    from unico.customers import tracking

    try:
        issued = tracking.create_source(_db(), name=name, kind=kind)
    except UnicoError as exc:
        raise _fail(exc) from exc
    source = issued.source
    out.print(f"source {source.source_id} ({source.kind}) — keep this write key, it is not shown again:")
    print(issued.write_key)


@import_app.command("stock")
def import_stock(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    report: Annotated[Path | None, typer.Option(help="Write rejected rows to this CSV.")] = None,
) -> None:
    """Apply a POS/ERP stock file (CSV); valid rows are applied, bad rows are reported by line."""
    from unico.connectors.stock_csv import run_stock_import

    code = run_stock_import(_db(), file, report_path=report, console=out)
    raise typer.Exit(code=code)


@import_app.command("customers")
def import_customers(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    report: Annotated[Path | None, typer.Option(help="Write rejected rows to this CSV.")] = None,
) -> None:
    """Import legacy customers (CSV): shared identifiers stitch, near duplicates merge or go to review.

    Columns (any subset, aliases accepted, e.g. given_name/nome, surname/cognome, dob, zip/cap):
    first_name, last_name, email, phone, date_of_birth, address, postcode, city, loyalty_card, erp_id.
    """
    from unico.connectors.customers_csv import run_customer_import

    code = run_customer_import(_db(), file, console=out, actor="cli:import-customers", report_path=report)
    raise typer.Exit(code=code)


if __name__ == "__main__":
    app()
