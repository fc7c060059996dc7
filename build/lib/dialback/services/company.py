"""Turn stored settings into domain objects (calendar, ReCall policy)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dialback.adapters.db.tables import Company, Widget
from dialback.domain.calendar import BusinessCalendar, parse_hours
from dialback.domain.recall import FailureDefinition, ReCallPolicy

DEFAULT_HOURS = {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
DEFAULT_RECALL: dict[str, Any] = {
    "attempts": 2,
    "intervals_s": [60],
    "failure": FailureDefinition.MANAGER_OR_CLIENT.value,
    "postpone_to_next_business_day": False,
}


def calendar_for(company: Company) -> BusinessCalendar:
    hours = company.hours if company.hours else DEFAULT_HOURS
    return BusinessCalendar(
        timezone=company.timezone,
        hours=parse_hours(hours),
        holidays=frozenset(date.fromisoformat(d) for d in company.holidays),
    )


def recall_policy_from(settings: dict[str, Any]) -> ReCallPolicy:
    """Build a ReCall policy (C4) from its stored form; raises PolicyError/ValueError."""
    merged = {**DEFAULT_RECALL, **settings}
    return ReCallPolicy(
        attempts=int(merged["attempts"]),
        intervals=tuple(timedelta(seconds=float(s)) for s in merged["intervals_s"]),
        failure=FailureDefinition(merged["failure"]),
        postpone_to_next_business_day=bool(merged["postpone_to_next_business_day"]),
    )


def policy_for(widget: Widget | None) -> ReCallPolicy:
    return recall_policy_from(widget.recall if widget is not None else {})
