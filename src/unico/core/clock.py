"""The one source of 'now': timezone-aware UTC, replaceable in tests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


class FrozenClock:
    """A controllable clock for tests: call it for 'now', ``advance`` to move it on."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start

    def __call__(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


_current: Clock = system_clock


def now() -> datetime:
    return _current()


def set_clock(clock: Clock) -> None:
    global _current
    _current = clock


def reset_clock() -> None:
    set_clock(system_clock)


def as_utc(value: datetime) -> datetime:
    """Attach UTC to naive values read back from SQLite; convert aware ones."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
