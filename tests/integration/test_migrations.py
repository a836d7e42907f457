"""Migrations are complete (the models match the migrated schema) and reversible, on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from unico.core.db import Database
from unico.core.schema import downgrade_database, include_object, upgrade_database
from unico.core.tables import metadata


def current_revision(url: str) -> str | None:
    engine = create_engine(url)
    with engine.connect() as conn:
        revision = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    return revision


def test_migrated_schema_matches_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, metadata) == []


def test_downgrade_to_base_and_up_again(db: Database, backend: str, tmp_path: Path) -> None:
    url = db.url
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
        upgrade_database(url)
    db.dispose()
    downgrade_database(url, "base")
    assert current_revision(url) is None
    upgrade_database(url)
    assert current_revision(url) == "0012"
