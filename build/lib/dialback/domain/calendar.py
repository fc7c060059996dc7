"""Business calendar: opening hours per weekday, holidays, company time zone (C4).

Pure: standard library only. Every function takes the moment it reasons about;
nothing reads the wall clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[time, time]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# How far ahead to look for an opening before concluding there is none
# (a calendar with no hours at all, or a year of holidays).
_SEARCH_DAYS = 400


class CalendarError(ValueError):
    """A calendar definition that cannot be used."""


def _default_hours() -> dict[int, tuple[Interval, ...]]:
    nine_to_six = ((time(9, 0), time(18, 0)),)
    return dict.fromkeys(range(5), nine_to_six)


@dataclass(frozen=True)
class BusinessCalendar:
    """When a company answers calls, in its own time zone.

    ``hours`` maps a weekday (0 = Monday) to its open intervals ``[start, end)``
    in local time; a missing weekday is closed. ``holidays`` are local dates on
    which the company is closed all day.
    """

    timezone: str = "UTC"
    hours: Mapping[int, tuple[Interval, ...]] = field(default_factory=_default_hours)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except Exception as exc:  # ZoneInfoNotFoundError, ValueError
            raise CalendarError(f"unknown time zone {self.timezone!r}") from exc
        for day, intervals in self.hours.items():
            if day not in range(7):
                raise CalendarError(f"weekday must be 0..6, got {day}")
            for start, end in intervals:
                if not start < end:
                    raise CalendarError(
                        f"{WEEKDAYS[day]}: opening {start} must be before closing {end}"
                    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, at: datetime) -> datetime:
        _require_aware(at)
        return at.astimezone(self.zone)

    def is_business_day(self, day: date) -> bool:
        return day not in self.holidays and bool(self.hours.get(day.weekday()))

    def _intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_business_day(day):
            return []
        zone = self.zone
        return sorted(
            (datetime.combine(day, s, tzinfo=zone), datetime.combine(day, e, tzinfo=zone))
            for s, e in self.hours.get(day.weekday(), ())
        )

    def is_open(self, at: datetime) -> bool:
        local = self.local(at)
        return any(s <= local < e for s, e in self._intervals(local.date()))

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next moment the company opens."""
        local = self.local(at)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            for s, e in self._intervals(day):
                if local < e:
                    return max(local, s).astimezone(at.tzinfo)
            day += timedelta(days=1)
        raise CalendarError("the calendar has no opening hours within a year")

    def next_business_day_start(self, at: datetime) -> datetime:
        """The first opening on a business day after ``at``'s local date (C4 postpone)."""
        day = self.local(at).date() + timedelta(days=1)
        for _ in range(_SEARCH_DAYS):
            intervals = self._intervals(day)
            if intervals:
                return intervals[0][0].astimezone(at.tzinfo)
            day += timedelta(days=1)
        raise CalendarError("the calendar has no business day within a year")

    def closes_at(self, at: datetime) -> datetime | None:
        """End of the open interval containing ``at``, or None when closed."""
        local = self.local(at)
        for s, e in self._intervals(local.date()):
            if s <= local < e:
                return e.astimezone(at.tzinfo)
        return None


def parse_hours(spec: Mapping[str, Iterable[str]]) -> dict[int, tuple[Interval, ...]]:
    """Parse ``{"mon": ["09:00-13:00", "14:00-18:00"], ...}`` into calendar hours."""
    hours: dict[int, tuple[Interval, ...]] = {}
    for name, ranges in spec.items():
        key = name.strip().lower()[:3]
        if key not in WEEKDAYS:
            raise CalendarError(f"unknown weekday {name!r}; use one of {', '.join(WEEKDAYS)}")
        intervals: list[Interval] = []
        for text in ranges:
            try:
                start_s, end_s = text.split("-")
                start = time.fromisoformat(start_s.strip())
                end_s = end_s.strip()
                # "24:00" (or "00:00" as an end) means until midnight.
                end = time.max if end_s in ("24:00", "00:00") else time.fromisoformat(end_s)
            except ValueError as exc:
                raise CalendarError(f"{name}: {text!r} is not HH:MM-HH:MM") from exc
            intervals.append((start, end))
        hours[WEEKDAYS.index(key)] = tuple(intervals)
    return hours


def format_hours(hours: Mapping[int, tuple[Interval, ...]]) -> dict[str, list[str]]:
    """The inverse of ``parse_hours``."""
    return {
        WEEKDAYS[d]: [
            f"{s:%H:%M}-{'24:00' if e == time.max else f'{e:%H:%M}'}" for s, e in intervals
        ]
        for d, intervals in sorted(hours.items())
    }


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
