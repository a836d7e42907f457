"""Imports every domain's tables so that ``metadata`` knows the whole schema (Alembic, tests)."""

from unico.access import store as _access  # noqa: F401
from unico.catalog import store as _catalog  # noqa: F401
from unico.core import events as _events  # noqa: F401
from unico.core.db import metadata
from unico.inventory import store as _inventory  # noqa: F401

__all__ = ["metadata"]
