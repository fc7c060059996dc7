"""Retry policies: when, through which trunk and with which caller ID to try again.

Pure: standard library only. A policy sees only observations of earlier
attempts (outcomes, timestamps), never anything hidden about the people.

- ``ReCallPolicy``: the widget's ReCall setting of seed 000 (C4): 1-7 attempts
  with per-attempt intervals, a failure definition, and an optional postpone of
  one more round to the next business day.
- ``PerOutcomePolicy``: the auto-dialer's per-outcome delays (D6), also usable
  for callbacks.

Rules shared by every policy (``_common_plan``):
- C5: an attempt with a carrier-side error moves the next one to the next trunk;
  a busy/reject (486/600/603) or a 480 never does.
- C6: once the client's carrier refused a substituted caller ID, later attempts
  go without substitution.
- Calls are only placed inside business hours (the calendar).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from dialback.domain.calendar import BusinessCalendar
from dialback.domain.outcomes import CustomerStatus, Outcome

MAX_ATTEMPTS = 7  # seed 000: "up to 7 attempts"


class PolicyError(ValueError):
    """A retry policy definition that cannot be used."""


class FailureDefinition(StrEnum):
    """What counts as a failed call that deserves another attempt (C4)."""

    MANAGER = "manager"  # only "the manager did not answer"
    MANAGER_OR_CLIENT = "manager_or_client"  # "the manager or the client did not answer"


@dataclass(frozen=True)
class AttemptSummary:
    """What was observed on one finished, unsuccessful attempt."""

    number: int  # 1-based
    started_at: datetime
    ended_at: datetime
    manager_outcome: Outcome | None  # best manager-leg outcome; None if none was dialed
    client_outcome: Outcome | None  # None when the client was not dialed
    trunk_index: int
    caller_id_substituted: bool
    caller_id_blocked: bool = False  # the client's carrier refused the substituted ID

    @property
    def manager_answered(self) -> bool:
        return self.manager_outcome is Outcome.ANSWERED_HUMAN

    @property
    def carrier_failed(self) -> bool:
        return any(o is not None and o.is_carrier_failure for o in self._outcomes())

    def _outcomes(self) -> tuple[Outcome | None, Outcome | None]:
        return (self.manager_outcome, self.client_outcome)

    @property
    def deciding_outcome(self) -> Outcome | None:
        """The outcome that made this attempt fail: the manager's, else the client's."""
        if not self.manager_answered:
            return self.manager_outcome
        return self.client_outcome


@dataclass(frozen=True)
class AttemptPlan:
    """The next attempt: when, through which trunk, with caller-ID substitution or not."""

    number: int
    at: datetime
    trunk_index: int
    substitute_caller_id: bool


@dataclass(frozen=True)
class GiveUp:
    status: CustomerStatus
    reason: str


Decision = AttemptPlan | GiveUp


@dataclass(frozen=True)
class Context:
    """What a policy knows besides the attempt history."""

    calendar: BusinessCalendar
    trunks: int = 1  # how many trunks are configured (main, backup, ...)
    substitute_caller_id: bool = True  # the widget's C6 setting


class RetryPolicy(Protocol):
    @property
    def name(self) -> str: ...

    def next_attempt(
        self, history: Sequence[AttemptSummary], *, now: datetime, ctx: Context
    ) -> Decision:
        """Given the failed attempts so far (oldest first), plan the next or give up."""
        ...


def first_attempt(*, now: datetime, ctx: Context) -> AttemptPlan:
    """The first attempt of a new request: at once when open, else at the next opening."""
    return AttemptPlan(
        number=1,
        at=ctx.calendar.next_open(now),
        trunk_index=0,
        substitute_caller_id=ctx.substitute_caller_id,
    )


def give_up_status(last: AttemptSummary) -> CustomerStatus:
    """The customer-facing status of a request whose last attempt failed (seed 000)."""
    if not last.manager_answered:
        return CustomerStatus.MANAGER_NO_ANSWER
    if last.client_outcome is Outcome.INVALID_NUMBER:
        return CustomerStatus.INVALID_NUMBER
    if last.client_outcome is Outcome.ANSWERED_MACHINE:
        return CustomerStatus.VOICEMAIL
    return CustomerStatus.CLIENT_BUSY


def _hopeless(last: AttemptSummary) -> GiveUp | None:
    """Attempts that no retry can fix."""
    if last.client_outcome is Outcome.INVALID_NUMBER:
        return GiveUp(CustomerStatus.INVALID_NUMBER, "the client's number does not exist")
    if last.client_outcome is Outcome.BLOCKED:
        return GiveUp(CustomerStatus.SPAM, "the client's number is blocked")
    return None


def _common_plan(history: Sequence[AttemptSummary], *, at: datetime, ctx: Context) -> AttemptPlan:
    last = history[-1]
    trunk = last.trunk_index
    if last.carrier_failed and ctx.trunks > 1:
        trunk = (trunk + 1) % ctx.trunks  # C5: backup carrier
    blocked_before = any(a.caller_id_blocked for a in history)
    return AttemptPlan(
        number=last.number + 1,
        at=ctx.calendar.next_open(at),
        trunk_index=trunk,
        substitute_caller_id=ctx.substitute_caller_id and not blocked_before,  # C6
    )


def _default_intervals() -> tuple[timedelta, ...]:
    return (timedelta(minutes=1),)


@dataclass(frozen=True)
class ReCallPolicy:
    """The widget's ReCall setting (C4). Default: 2 attempts, the second after 1 minute.

    ``intervals[k]`` is the wait after attempt ``k + 1`` failed, before attempt
    ``k + 2``. With ``postpone_to_next_business_day`` a request whose round of
    attempts all failed gets one more round, starting when the company opens
    on the next business day.
    """

    attempts: int = 2
    intervals: tuple[timedelta, ...] = field(default_factory=_default_intervals)
    failure: FailureDefinition = FailureDefinition.MANAGER_OR_CLIENT
    postpone_to_next_business_day: bool = False
    name: str = "recall"

    def __post_init__(self) -> None:
        if not 1 <= self.attempts <= MAX_ATTEMPTS:
            raise PolicyError(f"attempts must be 1..{MAX_ATTEMPTS}, got {self.attempts}")
        if len(self.intervals) != self.attempts - 1:
            raise PolicyError(
                f"{self.attempts} attempts need {self.attempts - 1} intervals, "
                f"got {len(self.intervals)}"
            )
        if any(i < timedelta(0) for i in self.intervals):
            raise PolicyError("intervals must not be negative")

    @property
    def rounds(self) -> int:
        return 2 if self.postpone_to_next_business_day else 1

    def next_attempt(
        self, history: Sequence[AttemptSummary], *, now: datetime, ctx: Context
    ) -> Decision:
        last = history[-1]
        hopeless = _hopeless(last)
        if hopeless is not None:
            return hopeless
        if last.manager_answered and self.failure is FailureDefinition.MANAGER:
            # "Failed" means only "the manager did not answer": the client not
            # answering ends the request.
            return GiveUp(give_up_status(last), "the client did not answer")
        made = len(history)
        if made >= self.attempts * self.rounds:
            return GiveUp(give_up_status(last), f"all {made} attempts failed")
        if made % self.attempts == 0:
            # The round is over; C4 "postpone to the next business day".
            at = ctx.calendar.next_business_day_start(now)
        else:
            at = now + self.intervals[made % self.attempts - 1]
        return _common_plan(history, at=at, ctx=ctx)


def _default_delays() -> dict[Outcome, timedelta]:
    # D6 defaults: no answer 90 min, unavailable 90 min, busy 5 min, technical
    # error (incl. no free operator) 10 min.
    return {
        Outcome.NO_ANSWER: timedelta(minutes=90),
        Outcome.UNAVAILABLE: timedelta(minutes=90),
        Outcome.REJECTED: timedelta(minutes=90),
        Outcome.ANSWERED_MACHINE: timedelta(minutes=90),
        Outcome.BUSY: timedelta(minutes=5),
        Outcome.CARRIER_ERROR: timedelta(minutes=10),
        Outcome.NO_FREE_OPERATOR: timedelta(minutes=10),
        Outcome.CANCELLED: timedelta(minutes=10),
    }


@dataclass(frozen=True)
class PerOutcomePolicy:
    """Per-outcome reschedule delays with an attempt cap (D6)."""

    max_attempts: int = 5
    delays: Mapping[Outcome, timedelta] = field(default_factory=_default_delays)
    name: str = "per_outcome"

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise PolicyError("max_attempts must be at least 1")

    def next_attempt(
        self, history: Sequence[AttemptSummary], *, now: datetime, ctx: Context
    ) -> Decision:
        last = history[-1]
        hopeless = _hopeless(last)
        if hopeless is not None:
            return hopeless
        if len(history) >= self.max_attempts:
            return GiveUp(give_up_status(last), f"all {len(history)} attempts failed")
        outcome = last.deciding_outcome or Outcome.CARRIER_ERROR
        delay = self.delays.get(outcome, timedelta(minutes=10))
        return _common_plan(history, at=now + delay, ctx=ctx)


def seed_default() -> ReCallPolicy:
    """The seed product's default: one retry after one minute."""
    return ReCallPolicy(name="seed_default")


def seed_max() -> ReCallPolicy:
    """The seed product's maximum: 7 attempts spread over the day."""
    minutes = (1, 5, 15, 30, 60, 120)
    return ReCallPolicy(
        attempts=7, intervals=tuple(timedelta(minutes=m) for m in minutes), name="seed_max"
    )


def no_retry() -> ReCallPolicy:
    return ReCallPolicy(attempts=1, intervals=(), name="no_retry")


NAMED_POLICIES: dict[str, Callable[[], RetryPolicy]] = {
    "no_retry": no_retry,
    "seed_default": seed_default,
    "seed_max": seed_max,
    "per_outcome": PerOutcomePolicy,
}
