"""Running a use case at a past instant: the demo's history is made through the real services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from unico.core import clock
from unico.core.clock import FrozenClock


@contextmanager
def frozen_at(at: datetime) -> Iterator[None]:
    """Run the body with ``clock.now()`` answering ``at``, then give the previous clock back."""
    previous = clock._current  # core.clock has no getter; a test may have frozen it
    clock.set_clock(FrozenClock(at))
    try:
        yield
    finally:
        clock.set_clock(previous)
