"""Alembic environment: runs migrations against the URL given by ``unico.core.schema``."""

from alembic import context
from sqlalchemy import create_engine, pool

from unico.core.tables import metadata

config = context.config

# Created by hand in the migrations (search indexes per backend), invisible to the metadata.
_OUTSIDE_METADATA = {"product_fts", "search_vector", "ix_products_search_vector"}


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    return not (name in _OUTSIDE_METADATA or (name or "").startswith("product_fts_"))


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
