"""The recall benchmark's world parameters, read from a TOML scenario file (issue 5).

``default.toml`` beside this module holds every key with its default; a
scenario file only needs the keys it changes. Every value is checked here, and
a bad one is refused with a ``ScenarioError`` that names the key and the
reason (``clients.voicemail_share: must be within [0, 1], got 1.5``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dialback.domain.calendar import BusinessCalendar, CalendarError, parse_hours

DEFAULT_SCENARIO = Path(__file__).with_name("default.toml")

Range = tuple[float, float]


class ScenarioError(ValueError):
    """A scenario value that cannot be used; the message names the key."""


@dataclass(frozen=True)
class Arrivals:
    start: date
    days: int
    requests_per_hour: float
    follow_hours: float


@dataclass(frozen=True)
class Clients:
    invalid_share: float
    availability_beta: Range
    hour_curve: tuple[float, ...]
    hour_jitter: float
    spell_minutes: float
    spell_shape: float
    off_share: float
    interest_half_life_minutes: float
    interest_floor: float
    willingness_persistence: float
    miss_share: float
    decline_share: Range
    busy_per_hour: Range
    busy_minutes: float
    voicemail_share: float
    blocks_substituted_cid_share: float
    competitor_share: float
    competitor_after_minutes: float
    competitor_minutes: float
    competitor_interest: float


@dataclass(frozen=True)
class Managers:
    count: int
    answer_prob: Range
    busy_per_hour: Range
    busy_minutes: float
    talk_minutes: float


@dataclass(frozen=True)
class Trunks:
    failure_prob: tuple[float, ...]
    outages_per_week: tuple[float, ...]
    outage_minutes: Range


@dataclass(frozen=True)
class Baselines:
    seed_max_intervals_minutes: tuple[float, ...]
    six_a_day_interval_minutes: float
    per_outcome_max_attempts: int


@dataclass(frozen=True)
class Scenario:
    calendar: BusinessCalendar
    arrivals: Arrivals
    clients: Clients
    managers: Managers
    trunks: Trunks
    baselines: Baselines
    source: str = "default"


class _Section:
    """Reads one table of the merged scenario, checking each value as it goes.

    It remembers the keys it read, so ``finish`` can refuse unknown ones (a typo
    in a scenario file must not silently fall back to a default).
    """

    def __init__(self, data: Mapping[str, Any], name: str) -> None:
        self.name = name
        raw = data.get(name, {})
        if not isinstance(raw, Mapping):
            raise ScenarioError(f"{name}: must be a table")
        self.raw = raw
        self.used: set[str] = set()

    def fail(self, key: str, why: str) -> ScenarioError:
        return ScenarioError(f"{self.name}.{key}: {why}")

    def value(self, key: str) -> Any:
        self.used.add(key)
        if key not in self.raw:
            raise self.fail(key, "missing")
        return self.raw[key]

    def number(self, key: str, lo: float, hi: float, *, open_lo: bool = False) -> float:
        v = self.value(key)
        return self._check_number(key, v, lo, hi, open_lo=open_lo)

    def _check_number(self, key: str, v: Any, lo: float, hi: float, *, open_lo: bool) -> float:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise self.fail(key, f"must be a number, got {v!r}")
        bad_lo = v <= lo if open_lo else v < lo
        if bad_lo or v > hi:
            left = "(" if open_lo else "["
            raise self.fail(key, f"must be within {left}{lo:g}, {hi:g}], got {v!r}")
        return float(v)

    def share(self, key: str) -> float:
        return self.number(key, 0.0, 1.0)

    def integer(self, key: str, lo: int, hi: int) -> int:
        v = self.value(key)
        if isinstance(v, bool) or not isinstance(v, int):
            raise self.fail(key, f"must be a whole number, got {v!r}")
        if not lo <= v <= hi:
            raise self.fail(key, f"must be within [{lo}, {hi}], got {v}")
        return v

    def numbers(
        self, key: str, lo: float, hi: float, *, length: int | None = None, open_lo: bool = False
    ) -> tuple[float, ...]:
        v = self.value(key)
        if not isinstance(v, list) or not v:
            raise self.fail(key, f"must be a non-empty list of numbers, got {v!r}")
        if length is not None and len(v) != length:
            raise self.fail(key, f"needs exactly {length} numbers, got {len(v)}")
        return tuple(self._check_number(key, x, lo, hi, open_lo=open_lo) for x in v)

    def range(self, key: str, lo: float, hi: float, *, open_lo: bool = False) -> Range:
        a, b = self.numbers(key, lo, hi, length=2, open_lo=open_lo)
        if a > b:
            raise self.fail(key, f"[low, high] needs low <= high, got [{a:g}, {b:g}]")
        return (a, b)

    def finish(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            known = ", ".join(sorted(self.used))
            raise self.fail(unknown[0], f"unknown key; known keys: {known}")


_SECTIONS = ("calendar", "arrivals", "clients", "managers", "trunks", "baselines")
_BIG = 1e9


def _calendar(s: _Section) -> BusinessCalendar:
    tz = s.value("timezone")
    if not isinstance(tz, str):
        raise s.fail("timezone", f"must be an IANA time zone name, got {tz!r}")
    hours_raw = s.value("hours")
    if not isinstance(hours_raw, Mapping) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in hours_raw.values()
    ):
        raise s.fail("hours", 'must map weekdays to lists like ["09:00-18:00"]')
    holidays_raw = s.value("holidays")
    if not isinstance(holidays_raw, list):
        raise s.fail("holidays", "must be a list of ISO dates")
    try:
        holidays = frozenset(
            h if isinstance(h, date) else date.fromisoformat(str(h)) for h in holidays_raw
        )
    except ValueError as exc:
        raise s.fail("holidays", f"not an ISO date ({exc})") from exc
    try:
        hours = parse_hours(hours_raw)
        calendar = BusinessCalendar(timezone=tz, hours=hours, holidays=holidays)
    except CalendarError as exc:
        key = "timezone" if "time zone" in str(exc) else "hours"
        raise s.fail(key, str(exc)) from exc
    if not any(hours.values()):
        raise s.fail("hours", "the company must be open at least once a week")
    return calendar


def _pair(values: tuple[float, ...]) -> Range:
    return (values[0], values[1])


def _arrivals(s: _Section) -> Arrivals:
    start = s.value("start")
    if not isinstance(start, date):
        try:
            start = date.fromisoformat(str(start))
        except ValueError as exc:
            raise s.fail("start", f"must be an ISO date, got {start!r}") from exc
    return Arrivals(
        start=start,
        days=s.integer("days", 1, 60),
        requests_per_hour=s.number("requests_per_hour", 0.0, 1000.0, open_lo=True),
        follow_hours=s.number("follow_hours", 24.0, 24.0 * 30),
    )


def _clients(s: _Section) -> Clients:
    return Clients(
        invalid_share=s.share("invalid_share"),
        availability_beta=_pair(s.numbers("availability_beta", 0.0, 100.0, length=2, open_lo=True)),
        hour_curve=s.numbers("hour_curve", 0.0, 10.0, length=24),
        hour_jitter=s.number("hour_jitter", 0.0, 0.99),
        spell_minutes=s.number("spell_minutes", 1.0, 24 * 60.0),
        spell_shape=s.number("spell_shape", 0.0, 100.0, open_lo=True),
        off_share=s.share("off_share"),
        interest_half_life_minutes=s.number("interest_half_life_minutes", 0.0, _BIG, open_lo=True),
        interest_floor=s.share("interest_floor"),
        willingness_persistence=s.share("willingness_persistence"),
        miss_share=s.number("miss_share", 0.0, 0.99),
        decline_share=s.range("decline_share", 0.0, 1.0),
        busy_per_hour=s.range("busy_per_hour", 0.0, 30.0),
        busy_minutes=s.number("busy_minutes", 0.0, 600.0, open_lo=True),
        voicemail_share=s.share("voicemail_share"),
        blocks_substituted_cid_share=s.share("blocks_substituted_cid_share"),
        competitor_share=s.share("competitor_share"),
        competitor_after_minutes=s.number("competitor_after_minutes", 0.0, _BIG, open_lo=True),
        competitor_minutes=s.number("competitor_minutes", 0.0, 600.0, open_lo=True),
        competitor_interest=s.share("competitor_interest"),
    )


def _managers(s: _Section) -> Managers:
    return Managers(
        count=s.integer("count", 1, 200),
        answer_prob=s.range("answer_prob", 0.0, 1.0),
        busy_per_hour=s.range("busy_per_hour", 0.0, 30.0),
        busy_minutes=s.number("busy_minutes", 0.0, 600.0, open_lo=True),
        talk_minutes=s.number("talk_minutes", 0.0, 600.0, open_lo=True),
    )


def _trunks(s: _Section) -> Trunks:
    failure = s.numbers("failure_prob", 0.0, 1.0)
    outages = s.numbers("outages_per_week", 0.0, 1000.0)
    if len(outages) != len(failure):
        raise s.fail(
            "outages_per_week",
            f"needs one value per trunk ({len(failure)} in failure_prob), got {len(outages)}",
        )
    return Trunks(
        failure_prob=failure,
        outages_per_week=outages,
        outage_minutes=s.range("outage_minutes", 0.0, 7 * 24 * 60.0),
    )


def _baselines(s: _Section) -> Baselines:
    intervals = s.numbers("seed_max_intervals_minutes", 0.0, 7 * 24 * 60.0)
    if len(intervals) > 6:
        raise s.fail(
            "seed_max_intervals_minutes",
            f"at most 6 intervals (7 attempts, C4), got {len(intervals)}",
        )
    return Baselines(
        seed_max_intervals_minutes=intervals,
        six_a_day_interval_minutes=s.number("six_a_day_interval_minutes", 0.0, 24 * 60.0),
        per_outcome_max_attempts=s.integer("per_outcome_max_attempts", 1, 50),
    )


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {k: dict(v) for k, v in base.items()}
    for name, table in override.items():
        if name not in _SECTIONS:
            raise ScenarioError(f"{name}: unknown section; known: {', '.join(_SECTIONS)}")
        if not isinstance(table, Mapping):
            raise ScenarioError(f"{name}: must be a table")
        merged.setdefault(name, {}).update(table)
    return merged


def scenario_from(data: Mapping[str, Any], *, source: str = "inline") -> Scenario:
    """Build a scenario from TOML-like data over the defaults; refuse bad values."""
    with DEFAULT_SCENARIO.open("rb") as f:
        merged = _merge(tomllib.load(f), data)
    sections = {name: _Section(merged, name) for name in _SECTIONS}
    scenario = Scenario(
        calendar=_calendar(sections["calendar"]),
        arrivals=_arrivals(sections["arrivals"]),
        clients=_clients(sections["clients"]),
        managers=_managers(sections["managers"]),
        trunks=_trunks(sections["trunks"]),
        baselines=_baselines(sections["baselines"]),
        source=source,
    )
    for section in sections.values():
        section.finish()
    return scenario


def load_scenario(path: Path | None = None) -> Scenario:
    """The default scenario, or ``path`` over the defaults."""
    if path is None:
        return scenario_from({}, source="default")
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML ({exc})") from exc
    return scenario_from(data, source=str(path))
