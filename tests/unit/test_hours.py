"""Opening hours evaluated in the store's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from unico.core.errors import ValidationFailed
from unico.inventory.hours import Interval, OpeningHours, opening_state

LUNCH_BREAK = OpeningHours(
    weekly={d: (Interval.parse("09:30", "13:00"), Interval.parse("15:30", "19:30")) for d in range(6)},
    exceptions={date(2026, 12, 8): (Interval.parse("10:00", "13:00"),), date(2026, 12, 25): ()},
)


def test_open_in_the_morning_in_rome_time() -> None:
    # 10:00 in Rome on Monday 7 Dec 2026 is 09:00 UTC (CET = UTC+1).
    state = opening_state(LUNCH_BREAK, datetime(2026, 12, 7, 9, 0, tzinfo=UTC))
    assert state.is_open
    assert state.closes_at is not None and state.closes_at.strftime("%H:%M") == "13:00"


def test_closed_at_lunch_and_says_when_it_reopens() -> None:
    state = opening_state(LUNCH_BREAK, datetime(2026, 12, 7, 13, 0, tzinfo=UTC))  # 14:00 local
    assert not state.is_open
    assert state.opens_at is not None and state.opens_at.isoformat() == "2026-12-07T15:30:00+01:00"


def test_exception_day_has_short_hours_and_christmas_is_closed() -> None:
    assert not opening_state(
        LUNCH_BREAK, datetime(2026, 12, 8, 13, 0, tzinfo=UTC)
    ).is_open  # 14:00, short day
    christmas = opening_state(LUNCH_BREAK, datetime(2026, 12, 25, 10, 0, tzinfo=UTC))
    assert not christmas.is_open
    assert christmas.today == ()
    assert christmas.opens_at is not None and christmas.opens_at.isoformat() == "2026-12-26T09:30:00+01:00"


def test_sunday_closed_next_opening_monday() -> None:
    state = opening_state(LUNCH_BREAK, datetime(2026, 12, 13, 11, 0, tzinfo=UTC))
    assert not state.is_open
    assert state.opens_at is not None and state.opens_at.isoformat() == "2026-12-14T09:30:00+01:00"


def test_summer_time_is_respected() -> None:
    # 09:00 UTC on 6 July 2026 is 11:00 in Rome (CEST = UTC+2): open.
    assert opening_state(LUNCH_BREAK, datetime(2026, 7, 6, 9, 0, tzinfo=UTC)).is_open
    # 07:45 UTC is 09:45 local: open; 07:15 UTC is 09:15 local: not yet.
    assert opening_state(LUNCH_BREAK, datetime(2026, 7, 6, 7, 45, tzinfo=UTC)).is_open
    assert not opening_state(LUNCH_BREAK, datetime(2026, 7, 6, 7, 15, tzinfo=UTC)).is_open


def test_closing_before_opening_is_refused() -> None:
    with pytest.raises(ValidationFailed) as refused:
        Interval.parse("19:00", "09:00")
    assert refused.value.details == {"field": "hours"}
