"""Turn stored settings into domain objects (calendar, ReCall policy)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dialback.adapters.db.tables import Company, Widget
from dialback.domain.calendar import BusinessCalendar, parse_hours
from dialback.domain.recall import (
    DialbackPolicy,
    FailureDefinition,
    PolicyError,
    ReCallPolicy,
    RetryPolicy,
)

DEFAULT_HOURS = {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
# Settings stored without a "policy" key (widgets from before issue 5, seeded
# companies) keep the seed's ReCall; new widgets made through the API get
# Dialback's own policy (schemas.WidgetIn).
RECALL_POLICIES = ("recall", "dialback")
DEFAULT_RECALL: dict[str, Any] = {
    "policy": "recall",
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


def recall_policy_from(settings: dict[str, Any]) -> RetryPolicy:
    """Build a widget's retry policy from its stored form; raises PolicyError/ValueError.

    ``policy = "dialback"`` is Dialback's own policy (issue 5; it ignores the
    C4 attempts and intervals); ``"recall"`` is the seed's ReCall setting (C4).
    """
    merged = {**DEFAULT_RECALL, **settings}
    if merged["policy"] == "dialback":
        return DialbackPolicy()
    if merged["policy"] != "recall":
        raise PolicyError(f"policy must be one of {', '.join(RECALL_POLICIES)}")
    return ReCallPolicy(
        attempts=int(merged["attempts"]),
        intervals=tuple(timedelta(seconds=float(s)) for s in merged["intervals_s"]),
        failure=FailureDefinition(merged["failure"]),
        postpone_to_next_business_day=bool(merged["postpone_to_next_business_day"]),
    )


def policy_for(widget: Widget | None) -> RetryPolicy:
    return recall_policy_from(widget.recall if widget is not None else {})
