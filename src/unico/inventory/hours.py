"""Opening hours: weekly intervals plus dated exceptions, evaluated in the store's time zone. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from unico.core.errors import ValidationFailed


@dataclass(frozen=True, slots=True)
class Interval:
    opens: time
    closes: time

    @classmethod
    def parse(cls, opens: str, closes: str, *, field_name: str = "hours") -> Interval:
        try:
            start, end = time.fromisoformat(opens), time.fromisoformat(closes)
        except ValueError:
            raise ValidationFailed(
                f"times must be HH:MM, got {opens!r}-{closes!r}", field=field_name
            ) from None
        if end <= start:
            raise ValidationFailed(f"closing {closes} is not after opening {opens}", field=field_name)
        return cls(start, end)

    def label(self) -> str:
        return f"{self.opens:%H:%M}–{self.closes:%H:%M}"


@dataclass(frozen=True)
class OpeningHours:
    """Weekly intervals by weekday (0 = Monday) and exceptions by date (empty tuple = closed)."""

    weekly: dict[int, tuple[Interval, ...]] = field(default_factory=dict)
    exceptions: dict[date, tuple[Interval, ...]] = field(default_factory=dict)
    timezone: str = "Europe/Rome"

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())


@dataclass(frozen=True, slots=True)
class OpeningState:
    is_open: bool
    closes_at: datetime | None  # local time the current interval ends, when open
    opens_at: datetime | None  # local time of the next opening, when closed (within 14 days)
    today: tuple[Interval, ...]


def opening_state(hours: OpeningHours, at: datetime) -> OpeningState:
    """Whether the location is open at ``at`` (any aware datetime), and when that changes."""
    local = at.astimezone(ZoneInfo(hours.timezone))
    today = hours.intervals_on(local.date())
    now_t = local.time()
    for interval in today:
        if interval.opens <= now_t < interval.closes:
            closes = datetime.combine(local.date(), interval.closes, local.tzinfo)
            return OpeningState(True, closes, None, today)
    for offset in range(15):
        day = local.date() + timedelta(days=offset)
        for interval in hours.intervals_on(day):
            start = datetime.combine(day, interval.opens, local.tzinfo)
            if start > local:
                return OpeningState(False, None, start, today)
    return OpeningState(False, None, None, today)
