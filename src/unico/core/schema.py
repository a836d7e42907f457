"""Bringing a database to the newest schema with Alembic (``unico migrate``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import unico

# Created by hand in the migrations (search indexes per backend), invisible to the metadata.
OUTSIDE_METADATA = frozenset({"product_fts", "search_vector", "ix_products_search_vector"})


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic filter: compare everything but the hand-made search objects."""
    return not (name in OUTSIDE_METADATA or (name or "").startswith("product_fts_"))


def migrations_dir() -> Path:
    """The Alembic scripts: packaged in a wheel, or ``migrations/`` beside ``src/`` in a checkout."""
    package = Path(unico.__file__).resolve().parent
    for candidate in (package / "_migrations", package.parent.parent / "migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("Alembic migrations not found next to the unico package")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Apply every pending migration to the database at ``url``."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def downgrade_database(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
