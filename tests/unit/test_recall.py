"""Each ReCall rule of C4-C6 and the D6 per-outcome delays, on the pure policy."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from dialback.domain.calendar import BusinessCalendar
from dialback.domain.outcomes import CustomerStatus, Outcome
from dialback.domain.recall import (
    AttemptPlan,
    AttemptSummary,
    Context,
    FailureDefinition,
    GiveUp,
    PerOutcomePolicy,
    PolicyError,
    ReCallPolicy,
    first_attempt,
    seed_max,
)

CAL = BusinessCalendar(timezone="UTC", holidays=frozenset({date(2026, 11, 30)}))
CTX = Context(calendar=CAL, trunks=2, substitute_caller_id=True)
MON = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, open
FRI_EVENING = datetime(2026, 11, 27, 17, 59, tzinfo=UTC)


def attempt(
    n: int,
    *,
    at: datetime = MON,
    manager: Outcome | None = Outcome.NO_ANSWER,
    client: Outcome | None = None,
    trunk: int = 0,
    substituted: bool = True,
    blocked: bool = False,
) -> AttemptSummary:
    return AttemptSummary(
        number=n,
        started_at=at,
        ended_at=at,
        manager_outcome=manager,
        client_outcome=client,
        trunk_index=trunk,
        caller_id_substituted=substituted,
        caller_id_blocked=blocked,
    )


def plan(decision: object) -> AttemptPlan:
    assert isinstance(decision, AttemptPlan), decision
    return decision


def test_default_is_two_attempts_second_after_one_minute() -> None:
    policy = ReCallPolicy()
    second = plan(policy.next_attempt([attempt(1)], now=MON, ctx=CTX))
    assert (second.number, second.at) == (2, MON + timedelta(minutes=1))
    gave_up = policy.next_attempt([attempt(1), attempt(2)], now=MON, ctx=CTX)
    assert isinstance(gave_up, GiveUp)
    assert gave_up.status is CustomerStatus.MANAGER_NO_ANSWER


def test_seven_attempts_follow_their_configured_intervals() -> None:
    policy = seed_max()
    history: list[AttemptSummary] = []
    times = []
    now = MON
    for n in range(1, 8):
        history.append(attempt(n, at=now))
        decision = policy.next_attempt(history, now=now, ctx=CTX)
        if n == 7:
            assert isinstance(decision, GiveUp)
            break
        p = plan(decision)
        times.append(p.at - now)
        now = p.at
    assert times == [timedelta(minutes=m) for m in (1, 5, 15, 30, 60, 120)]


@pytest.mark.parametrize("attempts", [0, 8])
def test_attempt_count_outside_1_to_7_is_refused(attempts: int) -> None:
    with pytest.raises(PolicyError, match="attempts must be 1..7"):
        ReCallPolicy(attempts=attempts, intervals=(timedelta(minutes=1),) * max(attempts - 1, 0))


def test_intervals_must_match_attempts() -> None:
    with pytest.raises(PolicyError, match="3 attempts need 2 intervals"):
        ReCallPolicy(attempts=3, intervals=(timedelta(minutes=1),))


def test_failure_manager_only_ends_when_client_does_not_answer() -> None:
    manager_only = ReCallPolicy(failure=FailureDefinition.MANAGER)
    history = [attempt(1, manager=Outcome.ANSWERED_HUMAN, client=Outcome.NO_ANSWER)]
    decision = manager_only.next_attempt(history, now=MON, ctx=CTX)
    assert isinstance(decision, GiveUp)
    assert decision.status is CustomerStatus.CLIENT_BUSY
    # ...but the manager not answering is still a failure worth retrying.
    assert plan(manager_only.next_attempt([attempt(1)], now=MON, ctx=CTX)).number == 2


def test_failure_manager_or_client_retries_when_client_does_not_answer() -> None:
    policy = ReCallPolicy(failure=FailureDefinition.MANAGER_OR_CLIENT)
    history = [attempt(1, manager=Outcome.ANSWERED_HUMAN, client=Outcome.BUSY)]
    assert plan(policy.next_attempt(history, now=MON, ctx=CTX)).number == 2


def test_retry_due_after_closing_moves_to_next_opening_across_weekend_and_holiday() -> None:
    # Friday 17:59 + 5 min is after closing; Sat/Sun are closed, Monday 30th a holiday.
    policy = ReCallPolicy(attempts=2, intervals=(timedelta(minutes=5),))
    p = plan(policy.next_attempt([attempt(1, at=FRI_EVENING)], now=FRI_EVENING, ctx=CTX))
    assert p.at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_postpone_gives_one_more_round_on_next_business_day() -> None:
    policy = ReCallPolicy(postpone_to_next_business_day=True)
    friday = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    history = [attempt(1, at=friday), attempt(2, at=friday)]
    third = plan(policy.next_attempt(history, now=friday, ctx=CTX))
    # Next business day after Friday 27 Nov: Tuesday 1 Dec (weekend + holiday).
    assert third.at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    fourth = plan(policy.next_attempt([*history, attempt(3)], now=third.at, ctx=CTX))
    assert fourth.at == third.at + timedelta(minutes=1)
    done = policy.next_attempt([*history, attempt(3), attempt(4)], now=third.at, ctx=CTX)
    assert isinstance(done, GiveUp)


def test_without_postpone_round_end_gives_up() -> None:
    decision = ReCallPolicy().next_attempt([attempt(1), attempt(2)], now=MON, ctx=CTX)
    assert isinstance(decision, GiveUp)


@pytest.mark.parametrize(
    ("manager", "client", "expected_trunk"),
    [
        (Outcome.CARRIER_ERROR, None, 1),
        (Outcome.ANSWERED_HUMAN, Outcome.CARRIER_ERROR, 1),
        (Outcome.BUSY, None, 0),
        (Outcome.ANSWERED_HUMAN, Outcome.BUSY, 0),
        (Outcome.ANSWERED_HUMAN, Outcome.REJECTED, 0),
        (Outcome.ANSWERED_HUMAN, Outcome.UNAVAILABLE, 0),
        (Outcome.NO_ANSWER, None, 0),
    ],
)
def test_backup_trunk_only_after_carrier_errors(
    manager: Outcome, client: Outcome | None, expected_trunk: int
) -> None:
    p = plan(
        ReCallPolicy().next_attempt([attempt(1, manager=manager, client=client)], now=MON, ctx=CTX)
    )
    assert p.trunk_index == expected_trunk


def test_backup_trunk_wraps_and_single_trunk_stays() -> None:
    failed_on_backup = [attempt(1, manager=Outcome.CARRIER_ERROR, trunk=1)]
    assert plan(ReCallPolicy().next_attempt(failed_on_backup, now=MON, ctx=CTX)).trunk_index == 0
    one_trunk = Context(calendar=CAL, trunks=1)
    failed = [attempt(1, manager=Outcome.CARRIER_ERROR)]
    assert plan(ReCallPolicy().next_attempt(failed, now=MON, ctx=one_trunk)).trunk_index == 0


def test_caller_id_substitution_dropped_for_good_after_a_block() -> None:
    policy = seed_max()
    blocked = attempt(1, manager=Outcome.ANSWERED_HUMAN, client=Outcome.REJECTED, blocked=True)
    second = plan(policy.next_attempt([blocked], now=MON, ctx=CTX))
    assert second.substitute_caller_id is False
    later = [blocked, attempt(2, manager=Outcome.NO_ANSWER, substituted=False)]
    assert plan(policy.next_attempt(later, now=MON, ctx=CTX)).substitute_caller_id is False
    unblocked = [attempt(1, manager=Outcome.ANSWERED_HUMAN, client=Outcome.REJECTED)]
    assert plan(policy.next_attempt(unblocked, now=MON, ctx=CTX)).substitute_caller_id is True


def test_invalid_client_number_is_never_retried() -> None:
    history = [attempt(1, manager=Outcome.ANSWERED_HUMAN, client=Outcome.INVALID_NUMBER)]
    for policy in (seed_max(), PerOutcomePolicy()):
        decision = policy.next_attempt(history, now=MON, ctx=CTX)
        assert isinstance(decision, GiveUp)
        assert decision.status is CustomerStatus.INVALID_NUMBER


def test_voicemail_gives_voicemail_status() -> None:
    history = [
        attempt(n, manager=Outcome.ANSWERED_HUMAN, client=Outcome.ANSWERED_MACHINE) for n in (1, 2)
    ]
    decision = ReCallPolicy().next_attempt(history, now=MON, ctx=CTX)
    assert isinstance(decision, GiveUp)
    assert decision.status is CustomerStatus.VOICEMAIL


@pytest.mark.parametrize(
    ("manager", "client", "delay"),
    [
        (Outcome.NO_ANSWER, None, timedelta(minutes=90)),
        (Outcome.UNAVAILABLE, None, timedelta(minutes=90)),
        (Outcome.BUSY, None, timedelta(minutes=5)),
        (Outcome.CARRIER_ERROR, None, timedelta(minutes=10)),
        (Outcome.ANSWERED_HUMAN, Outcome.BUSY, timedelta(minutes=5)),
        (Outcome.ANSWERED_HUMAN, Outcome.NO_ANSWER, timedelta(minutes=90)),
        (Outcome.NO_FREE_OPERATOR, None, timedelta(minutes=10)),
    ],
)
def test_per_outcome_delays_follow_d6_defaults(
    manager: Outcome, client: Outcome | None, delay: timedelta
) -> None:
    p = plan(
        PerOutcomePolicy().next_attempt(
            [attempt(1, manager=manager, client=client)], now=MON, ctx=CTX
        )
    )
    assert p.at - MON == delay


def test_per_outcome_caps_attempts() -> None:
    history = [attempt(n, manager=Outcome.BUSY) for n in range(1, 4)]
    assert isinstance(
        PerOutcomePolicy(max_attempts=3).next_attempt(history, now=MON, ctx=CTX), GiveUp
    )


def test_first_attempt_waits_for_opening_hours() -> None:
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    p = first_attempt(now=saturday, ctx=CTX)
    assert (p.number, p.at, p.trunk_index) == (1, datetime(2026, 12, 1, 9, 0, tzinfo=UTC), 0)
    assert first_attempt(now=MON, ctx=CTX).at == MON
