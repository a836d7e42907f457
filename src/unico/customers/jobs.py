"""The customers domain's periodic jobs and outbox subscribers, run by the worker."""

from __future__ import annotations

from collections.abc import Callable

from unico.core.db import Database
from unico.core.outbox import Subscribers

PERIODIC_JOBS: tuple[tuple[str, Callable[[Database], int]], ...] = ()


def subscribe(subscribers: Subscribers, db: Database) -> None:
    """Register this domain's in-process event handlers."""
