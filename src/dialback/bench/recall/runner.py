"""Run every policy and the oracle on one seed's world: a discrete-event loop (issue 5).

No database and no asyncio: attempts are events in a heap ordered by time,
each resolved against the world's hidden truth at once; the policy is asked
for the next attempt when the call is over. Managers held by calls this policy
connected are the only state shared between requests.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import UTC, datetime

from dialback.bench.recall.oracle import oracle_connect_seconds
from dialback.bench.recall.policies import ORACLE, make_policies
from dialback.bench.recall.scenario import Scenario
from dialback.bench.recall.world import World
from dialback.domain.recall import (
    AttemptPlan,
    AttemptSummary,
    Context,
    RetryPolicy,
    first_attempt,
)


@dataclass(frozen=True)
class PolicyRun:
    """One policy on one seed: per request, seconds to connect (None = never) and attempts."""

    name: str
    connect_s: tuple[float | None, ...]
    attempts: tuple[int, ...]
    outside_hours: int


@dataclass(frozen=True)
class SeedRun:
    seed: int
    valid: tuple[bool, ...]  # per request: the number exists (hidden truth)
    follow_s: float
    runs: dict[str, PolicyRun]


def _dt(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def context_for(world: World) -> Context:
    """What a policy is told besides its history: the calendar, trunks, C6 setting."""
    return Context(calendar=world.calendar, trunks=len(world.trunk_failure))


def run_policy(world: World, policy: RetryPolicy, name: str) -> PolicyRun:
    ctx = context_for(world)
    clients = world.clients
    n = len(clients)
    connect: list[float | None] = [None] * n
    attempts = [0] * n
    histories: list[list[AttemptSummary]] = [[] for _ in range(n)]
    plans: dict[int, AttemptPlan] = {}
    heap: list[tuple[float, int]] = []
    for c in clients:
        plan = first_attempt(now=_dt(c.arrival), ctx=ctx)
        plans[c.index] = plan
        heap.append((max(plan.at.timestamp(), c.arrival), c.index))
    heapq.heapify(heap)
    on_our_calls = [0.0] * len(world.managers)
    outside = 0
    while heap:
        at, i = heapq.heappop(heap)
        client = clients[i]
        if at >= client.arrival + world.follow_s:
            continue  # beyond the follow-up window: censored
        plan = plans[i]
        attempts[i] += 1
        if not world.is_open(at):
            outside += 1
        result = world.call(
            client,
            at,
            trunk=plan.trunk_index,
            substitute_caller_id=plan.substitute_caller_id,
            on_our_calls=on_our_calls,
        )
        if result.connected_at is not None:
            connect[i] = result.connected_at - client.arrival
            assert result.manager is not None
            on_our_calls[result.manager] = result.ended_at
            continue
        history = histories[i]
        history.append(
            AttemptSummary(
                number=plan.number,
                started_at=_dt(at),
                ended_at=_dt(result.ended_at),
                manager_outcome=result.manager_outcome,
                client_outcome=result.client_outcome,
                trunk_index=plan.trunk_index,
                caller_id_substituted=plan.substitute_caller_id,
                caller_id_blocked=result.caller_id_blocked,
            )
        )
        decision = policy.next_attempt(history, now=_dt(result.ended_at), ctx=ctx)
        if isinstance(decision, AttemptPlan):
            plans[i] = decision
            heapq.heappush(heap, (max(decision.at.timestamp(), result.ended_at), i))
    return PolicyRun(name, tuple(connect), tuple(attempts), outside)


def run_oracle(world: World) -> PolicyRun:
    connect = tuple(oracle_connect_seconds(world, c) for c in world.clients)
    return PolicyRun(ORACLE, connect, tuple(0 for _ in connect), 0)


def run_seed(scenario: Scenario, seed: int) -> SeedRun:
    """Every policy and the oracle against the same hidden world."""
    world = World(scenario, seed)
    b = scenario.baselines
    policies = make_policies(
        seed_max_intervals_minutes=b.seed_max_intervals_minutes,
        six_a_day_interval_minutes=b.six_a_day_interval_minutes,
        per_outcome_max_attempts=b.per_outcome_max_attempts,
    )
    runs = {name: run_policy(world, policy, name) for name, policy in policies.items()}
    runs[ORACLE] = run_oracle(world)
    return SeedRun(
        seed=seed,
        valid=tuple(not c.invalid for c in world.clients),
        follow_s=world.follow_s,
        runs=runs,
    )
