"""Imports every domain's tables so that ``metadata`` knows the whole schema (Alembic, tests)."""

from unico.access import store as _access  # noqa: F401
from unico.catalog import store as _catalog  # noqa: F401
from unico.core import events as _events  # noqa: F401
from unico.core.db import metadata
from unico.customers import matching_store as _customer_matching  # noqa: F401
from unico.customers import privacy_store as _customer_privacy  # noqa: F401
from unico.customers import store as _customers  # noqa: F401
from unico.customers import tracking_store as _tracking  # noqa: F401
from unico.fulfillment import returns_store as _returns  # noqa: F401
from unico.fulfillment import store as _fulfillment  # noqa: F401
from unico.inventory import store as _inventory  # noqa: F401
from unico.loyalty import program_store as _loyalty_program  # noqa: F401
from unico.loyalty import store as _loyalty  # noqa: F401
from unico.orders import store as _orders  # noqa: F401
from unico.pricing import store as _pricing  # noqa: F401

__all__ = ["metadata"]
