from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from dialback.domain.calendar import BusinessCalendar, CalendarError, format_hours, parse_hours

MSK = "Europe/Moscow"  # UTC+3, no DST


def cal(**kw: object) -> BusinessCalendar:
    return BusinessCalendar(timezone=MSK, **kw)  # type: ignore[arg-type]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_open_uses_company_time_zone() -> None:
    c = cal()
    # Friday 27 Nov 2026, 06:30 UTC = 09:30 Moscow: open; 05:30 UTC = 08:30: closed.
    assert c.is_open(utc(2026, 11, 27, 6, 30))
    assert not c.is_open(utc(2026, 11, 27, 5, 30))
    assert c.next_open(utc(2026, 11, 27, 5, 30)) == utc(2026, 11, 27, 6, 0)


def test_next_open_after_friday_close_is_monday_morning() -> None:
    # Friday 18:30 Moscow -> Monday 09:00 Moscow (06:00 UTC), across the weekend.
    assert cal().next_open(utc(2026, 11, 27, 15, 30)) == utc(2026, 11, 30, 6, 0)


def test_next_open_skips_a_holiday_after_the_weekend() -> None:
    c = cal(holidays=frozenset({date(2026, 11, 30)}))
    assert c.next_open(utc(2026, 11, 27, 15, 30)) == utc(2026, 12, 1, 6, 0)


def test_next_business_day_start_is_tomorrows_opening_even_when_open_now() -> None:
    c = cal(holidays=frozenset({date(2026, 11, 30)}))
    # Friday 10:00 Moscow -> next business day: Tuesday 1 Dec (Monday is a holiday).
    assert c.next_business_day_start(utc(2026, 11, 27, 7, 0)) == utc(2026, 12, 1, 6, 0)
    # Thursday -> Friday.
    assert c.next_business_day_start(utc(2026, 11, 26, 7, 0)) == utc(2026, 11, 27, 6, 0)


def test_lunch_break_is_closed() -> None:
    c = cal(hours=parse_hours({"mon": ["09:00-13:00", "14:00-18:00"]}))
    monday_lunch = utc(2026, 11, 30, 10, 30)  # 13:30 Moscow
    assert not c.is_open(monday_lunch)
    assert c.next_open(monday_lunch) == utc(2026, 11, 30, 11, 0)
    assert c.closes_at(utc(2026, 11, 30, 7, 0)) == utc(2026, 11, 30, 10, 0)


def test_parse_and_format_hours_round_trip() -> None:
    spec = {"mon": ["09:00-18:00"], "sat": ["10:00-24:00"]}
    hours = parse_hours(spec)
    assert hours[5] == ((time(10, 0), time.max),)
    assert format_hours(hours) == spec


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"xyz": ["09:00-18:00"]}, "unknown weekday"),
        ({"mon": ["9-18"]}, "not HH:MM-HH:MM"),
        ({"mon": ["18:00-09:00"]}, "before closing"),
    ],
)
def test_bad_hours_are_rejected_with_reason(spec: dict[str, list[str]], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar(hours=parse_hours(spec))


def test_unknown_time_zone_is_rejected() -> None:
    with pytest.raises(CalendarError, match="unknown time zone"):
        BusinessCalendar(timezone="Mars/Olympus")


def test_calendar_without_hours_raises_instead_of_looping() -> None:
    with pytest.raises(CalendarError):
        BusinessCalendar(hours={}).next_open(utc(2026, 11, 27, 7, 0))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        cal().is_open(datetime(2026, 11, 27, 7, 0))
