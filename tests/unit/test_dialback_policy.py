"""Dialback's own ReCall policy (issue 5): what it does with each observation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pydantic
import pytest

from dialback.domain.calendar import BusinessCalendar
from dialback.domain.outcomes import CustomerStatus, Outcome
from dialback.domain.recall import (
    NAMED_POLICIES,
    AttemptPlan,
    AttemptSummary,
    Context,
    DialbackPolicy,
    GiveUp,
    ReCallPolicy,
)
from dialback.services.company import recall_policy_from
from dialback.web.schemas import WidgetIn

CTX = Context(calendar=BusinessCalendar(timezone="UTC"), trunks=2)
MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, open 09-18
HUMAN = Outcome.ANSWERED_HUMAN


def attempt(
    n: int,
    at: datetime,
    *,
    manager: Outcome = HUMAN,
    client: Outcome | None = Outcome.NO_ANSWER,
    trunk: int = 0,
    blocked: bool = False,
) -> AttemptSummary:
    return AttemptSummary(
        number=n,
        started_at=at,
        ended_at=at + timedelta(seconds=40),
        manager_outcome=manager,
        client_outcome=client if manager is HUMAN else None,
        trunk_index=trunk,
        caller_id_substituted=True,
        caller_id_blocked=blocked,
    )


def plan_after(history: list[AttemptSummary], policy: DialbackPolicy | None = None) -> AttemptPlan:
    decision = (policy or DialbackPolicy()).next_attempt(history, now=history[-1].ended_at, ctx=CTX)
    assert isinstance(decision, AttemptPlan), decision
    return decision


def wait(history: list[AttemptSummary], policy: DialbackPolicy | None = None) -> timedelta:
    return plan_after(history, policy).at - history[-1].ended_at


def test_is_registered_as_a_named_policy() -> None:
    assert isinstance(NAMED_POLICIES["dialback"](), DialbackPolicy)


def test_manager_side_failure_is_retried_within_a_minute() -> None:
    assert wait([attempt(1, MON_10, manager=Outcome.NO_ANSWER)]) <= timedelta(minutes=1)
    assert wait([attempt(1, MON_10, manager=Outcome.BUSY)]) <= timedelta(minutes=1)


def test_repeated_manager_failures_back_off() -> None:
    history = [
        attempt(n, MON_10 + timedelta(minutes=n), manager=Outcome.NO_ANSWER) for n in (1, 2, 3)
    ]
    assert wait(history) > wait(history[:1])


def test_carrier_error_goes_at_once_to_the_backup_trunk() -> None:
    plan = plan_after([attempt(1, MON_10, manager=Outcome.CARRIER_ERROR)])
    assert plan.trunk_index == 1  # C5
    assert plan.at - MON_10 < timedelta(minutes=1)


def test_busy_client_is_retried_quickly_and_backs_off() -> None:
    first = [attempt(1, MON_10, client=Outcome.BUSY)]
    assert timedelta(minutes=1) <= wait(first) <= timedelta(minutes=3)
    second = [*first, attempt(2, MON_10 + timedelta(minutes=3), client=Outcome.BUSY)]
    assert wait(second) > wait(first)


def test_first_unanswered_call_is_redialled_at_once_then_spaced_out() -> None:
    history = [attempt(1, MON_10)]
    waits = [wait(history)]
    for n in range(2, 8):
        at = history[-1].ended_at + waits[-1]
        history.append(attempt(n, at, client=Outcome.ANSWERED_MACHINE))
        waits.append(wait(history))
    assert waits[0] <= timedelta(minutes=1)  # double dial
    assert waits == sorted(waits)  # spacing never shrinks
    assert waits[-1] >= 4 * waits[1]


def test_voicemail_is_not_a_connection_and_is_retried() -> None:
    assert isinstance(
        DialbackPolicy().next_attempt(
            [attempt(1, MON_10, client=Outcome.ANSWERED_MACHINE)], now=MON_10, ctx=CTX
        ),
        AttemptPlan,
    )


def test_a_decline_waits_for_another_stretch_of_the_clients_day() -> None:
    history = [attempt(1, MON_10, client=Outcome.REJECTED)]
    assert wait(history) >= timedelta(minutes=30)


def test_blocked_caller_id_is_retried_at_once_without_substitution() -> None:
    plan = plan_after([attempt(1, MON_10, client=Outcome.REJECTED, blocked=True)])
    assert plan.substitute_caller_id is False  # C6
    assert plan.at - MON_10 <= timedelta(minutes=2)


def test_never_plans_outside_calling_hours() -> None:
    friday_evening = datetime(2026, 11, 27, 17, 59, 30, tzinfo=UTC)
    plan = plan_after([attempt(1, friday_evening, client=Outcome.REJECTED)])
    assert CTX.calendar.is_open(plan.at)
    assert plan.at.weekday() == 0  # Monday


def test_next_day_retry_avoids_the_hours_that_already_failed() -> None:
    evening = datetime(2026, 11, 23, 9, 5, tzinfo=UTC)
    history = [attempt(1, evening), attempt(2, evening + timedelta(minutes=10))]
    late = datetime(2026, 11, 23, 17, 50, tzinfo=UTC)
    history.append(attempt(3, late, client=Outcome.REJECTED))
    plan = plan_after(history)
    assert plan.at.date() == datetime(2026, 11, 24).date()
    assert plan.at.hour == 10  # 9 o'clock failed twice, 17 once: start at 10


def test_invalid_number_ends_the_request_at_once() -> None:
    decision = DialbackPolicy().next_attempt(
        [attempt(1, MON_10, client=Outcome.INVALID_NUMBER)], now=MON_10, ctx=CTX
    )
    assert isinstance(decision, GiveUp)
    assert decision.status is CustomerStatus.INVALID_NUMBER


def test_gives_up_after_the_client_call_cap() -> None:
    policy = DialbackPolicy(max_client_calls=3)
    history = [attempt(n, MON_10 + timedelta(minutes=10 * n)) for n in (1, 2, 3)]
    decision = policy.next_attempt(history, now=history[-1].ended_at, ctx=CTX)
    assert isinstance(decision, GiveUp)
    assert decision.status is CustomerStatus.CLIENT_BUSY


def test_manager_failures_do_not_use_up_the_client_call_cap() -> None:
    policy = DialbackPolicy(max_client_calls=2)
    history = [attempt(1, MON_10)]
    history += [
        attempt(n, MON_10 + timedelta(minutes=n), manager=Outcome.NO_ANSWER) for n in (2, 3, 4)
    ]
    assert isinstance(policy.next_attempt(history, now=history[-1].ended_at, ctx=CTX), AttemptPlan)


def test_gives_up_after_the_follow_up_window() -> None:
    later = MON_10 + timedelta(days=3, minutes=1)
    history = [attempt(1, MON_10), attempt(2, later)]
    decision = DialbackPolicy().next_attempt(history, now=later, ctx=CTX)
    assert isinstance(decision, GiveUp)


def test_new_widgets_get_the_dialback_policy_by_default() -> None:
    fresh = WidgetIn(name="w")
    assert fresh.recall.policy == "dialback"
    assert isinstance(recall_policy_from(fresh.recall.model_dump()), DialbackPolicy)


def test_explicit_and_stored_recall_settings_keep_the_seed_recall() -> None:
    explicit = WidgetIn(name="w", recall={"attempts": 3, "intervals_s": [60, 300]})  # type: ignore[arg-type]
    policy = recall_policy_from(explicit.recall.model_dump())
    assert isinstance(policy, ReCallPolicy) and policy.attempts == 3
    assert isinstance(recall_policy_from({}), ReCallPolicy)  # widgets stored before issue 5


def test_unknown_policy_name_is_refused() -> None:

    with pytest.raises(pydantic.ValidationError, match="policy"):
        WidgetIn(name="w", recall={"policy": "random"})  # type: ignore[arg-type]
