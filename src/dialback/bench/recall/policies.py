"""The policies the recall benchmark compares: the product's own objects (issue 5).

Each is a ``dialback.domain.recall.RetryPolicy``: it sees the observed
attempts (outcomes, timestamps, trunk, caller-ID flags) and the calendar, and
nothing else. This module must not import the world, the oracle or the
scenario (a test checks its imports): a policy cannot peek at hidden traits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from dialback.domain.recall import (
    DialbackPolicy,
    PerOutcomePolicy,
    ReCallPolicy,
    RetryPolicy,
    no_retry,
    seed_default,
)

BASELINES = ("no_retry", "seed_default", "seed_max", "per_outcome", "six_a_day")
DIALBACK = "dialback"
ORACLE = "oracle"
POLICY_NAMES = (*BASELINES, DIALBACK)


def six_a_day(interval_minutes: float) -> ReCallPolicy:
    """ "6 attempts over the day": a fixed spacing, the common call-centre rule of thumb."""
    return ReCallPolicy(
        attempts=6,
        intervals=(timedelta(minutes=interval_minutes),) * 5,
        name="six_a_day",
    )


def seed_max(intervals_minutes: Sequence[float]) -> ReCallPolicy:
    """The seed product's maximum: up to 7 attempts with configurable intervals (C4)."""
    return ReCallPolicy(
        attempts=len(intervals_minutes) + 1,
        intervals=tuple(timedelta(minutes=m) for m in intervals_minutes),
        name="seed_max",
    )


def make_policies(
    *,
    seed_max_intervals_minutes: Sequence[float],
    six_a_day_interval_minutes: float,
    per_outcome_max_attempts: int,
) -> dict[str, RetryPolicy]:
    """Every compared policy by its report name, in report order."""
    return {
        "no_retry": no_retry(),
        "seed_default": seed_default(),
        "seed_max": seed_max(seed_max_intervals_minutes),
        "per_outcome": PerOutcomePolicy(max_attempts=per_outcome_max_attempts),
        "six_a_day": six_a_day(six_a_day_interval_minutes),
        DIALBACK: DialbackPolicy(),
    }
