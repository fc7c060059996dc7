"""Numbers of the recall benchmark: shares, Kaplan-Meier median, bootstrap (issue 5)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from dialback.bench.recall.policies import BASELINES, DIALBACK
from dialback.bench.recall.runner import SeedRun

WINDOWS_S = {"1h": 3600.0, "4h": 4 * 3600.0, "24h": 24 * 3600.0}
BOOTSTRAP_REPS = 2000


def km_median(times: Sequence[float], events: Sequence[bool]) -> float | None:
    """Kaplan-Meier median of ``times`` (event or censoring); None if S(t) never reaches 0.5."""
    order = sorted(zip(times, events, strict=True), key=lambda te: (te[0], not te[1]))
    at_risk = len(order)
    survival = 1.0
    i = 0
    while i < len(order):
        t = order[i][0]
        deaths = removed = 0
        while i < len(order) and order[i][0] == t:
            deaths += order[i][1]
            removed += 1
            i += 1
        if deaths:
            survival *= 1.0 - deaths / at_risk
            if survival <= 0.5:
                return t
        at_risk -= removed
    return None


@dataclass(frozen=True)
class PolicyStats:
    valid: int
    connected: dict[str, int]  # window -> count
    km_median_s: float | None
    attempts: int
    requests: int
    outside_hours: int

    def share(self, window: str) -> float:
        return self.connected[window] / self.valid if self.valid else 0.0


def policy_stats(seeds: Sequence[SeedRun], name: str) -> PolicyStats:
    times: list[float] = []
    events: list[bool] = []
    connected = dict.fromkeys(WINDOWS_S, 0)
    attempts = requests = outside = 0
    for seed in seeds:
        run = seed.runs[name]
        attempts += sum(run.attempts)
        requests += len(run.attempts)
        outside += run.outside_hours
        for valid, t in zip(seed.valid, run.connect_s, strict=True):
            if not valid:
                continue
            # Unreached requests are censored at the end of their follow-up.
            times.append(seed.follow_s if t is None else t)
            events.append(t is not None)
            for window, limit in WINDOWS_S.items():
                connected[window] += t is not None and t <= limit
    return PolicyStats(len(times), connected, km_median(times, events), attempts, requests, outside)


def _per_seed_24h(seed: SeedRun, name: str) -> tuple[int, int]:
    run = seed.runs[name]
    hits = sum(
        1
        for valid, t in zip(seed.valid, run.connect_s, strict=True)
        if valid and t is not None and t <= WINDOWS_S["24h"]
    )
    return hits, sum(seed.valid)


def best_baseline(stats: dict[str, PolicyStats]) -> str:
    return max(BASELINES, key=lambda b: stats[b].share("24h"))


def bootstrap_difference(
    seeds: Sequence[SeedRun], baseline: str, *, reps: int = BOOTSTRAP_REPS, rng_seed: int = 0
) -> tuple[float, float, float]:
    """Dialback minus ``baseline`` in the 24 h share, with a percentile 95 % interval.

    Both policies met the same people (common random numbers), so the
    difference is paired. With several seeds the seeds are resampled (a seed's
    requests share managers, so they are not independent); with one seed, its
    requests are.
    """
    rng = random.Random(rng_seed)
    if len(seeds) > 1:
        units = [
            (_per_seed_24h(s, DIALBACK)[0] - _per_seed_24h(s, baseline)[0], sum(s.valid))
            for s in seeds
        ]
    else:
        seed = seeds[0]
        units = []
        for valid, d, b in zip(
            seed.valid, seed.runs[DIALBACK].connect_s, seed.runs[baseline].connect_s, strict=True
        ):
            if valid:
                hit_d = d is not None and d <= WINDOWS_S["24h"]
                hit_b = b is not None and b <= WINDOWS_S["24h"]
                units.append((int(hit_d) - int(hit_b), 1))
    total = sum(n for _, n in units)
    point = sum(d for d, _ in units) / total if total else 0.0
    draws: list[float] = []
    for _ in range(reps):
        sample = rng.choices(units, k=len(units))
        n = sum(u[1] for u in sample)
        draws.append(sum(u[0] for u in sample) / n if n else 0.0)
    draws.sort()
    lo = draws[int(0.025 * (reps - 1))]
    hi = draws[int(0.975 * (reps - 1))]
    return point, lo, hi
