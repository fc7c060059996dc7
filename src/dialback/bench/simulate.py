"""`dialback simulate recall`: N callback requests through the real flow and engine.

Virtual time, in-memory SQLite, the simulated network with a generated
population. The run sees only SIP-like events; the network's hidden truth is
read afterwards, to count greetings that were taken for conversations.
"""

from __future__ import annotations

import asyncio
import random
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from dialback.adapters.clock import LoopClock, run_virtual
from dialback.adapters.db.migrate import upgrade
from dialback.adapters.db.session import make_engine, make_session_factory
from dialback.adapters.db.tables import Attempt, CallbackRequest, Leg, Widget
from dialback.adapters.simnet import (
    Population,
    SimulatedNetwork,
    TrunkBehaviour,
    generate_manager,
)
from dialback.domain.recall import NAMED_POLICIES, RetryPolicy
from dialback.services.attempts import CallbackWorker
from dialback.services.bus import MessageBus
from dialback.services.callbacks import Order, OrderRejected, RateLimited, order_callback
from dialback.services.engine import Engine
from dialback.services.flow import leg_tag
from dialback.services.seeding import CompanySpec, DepartmentSpec, EmployeeSpec, create_company
from dialback.services.voicemail_stats import VoicemailStats, voicemail_stats

EPOCH = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # a Monday
BUSINESS_DAYS = 5
OPEN_HOUR, CLOSE_HOUR = 9, 18
MALFORMED_SHARE = 0.01  # typos that never parse as a number


@dataclass(frozen=True)
class SimulationResult:
    requests: int
    invalid: int  # malformed at order time, or found not to exist (404) by a call
    rejected_at_order: int
    connected: int
    failed: int
    attempts: int
    connect_seconds: list[float]
    voicemail_counted_as_connected: int
    machine_manager_counted_as_connected: int
    voicemail: VoicemailStats  # V4, as the product counts it
    policy: str
    seed: int

    def as_json(self) -> dict[str, Any]:
        valid = self.requests - self.invalid
        accepted = self.requests - self.rejected_at_order
        return {
            "seed": self.seed,
            "policy": self.policy,
            "requests": self.requests,
            "invalid": self.invalid,
            "connected": self.connected,
            "failed": self.failed,
            "connected_share": round(self.connected / valid, 4) if valid else 0.0,
            "median_seconds_to_connect": (
                round(statistics.median(self.connect_seconds), 1) if self.connect_seconds else None
            ),
            # Over the requests that were accepted, i.e. that could be called at all.
            "attempts_per_request": round(self.attempts / accepted, 3) if accepted else 0.0,
            "voicemail_counted_as_connected": self.voicemail_counted_as_connected,
            "machine_manager_counted_as_connected": self.machine_manager_counted_as_connected,
            # V4: answered client calls the detector heard as voicemail, the requests
            # they hit, and how many of those a later attempt rescued.
            "voicemail_calls": self.voicemail.voicemail_calls,
            "voicemail_share": self.voicemail.voicemail_share,
            "requests_hit_voicemail": self.voicemail.requests_hit_voicemail,
            "rescued_after_voicemail": self.voicemail.rescued,
        }


def _company(seed: int) -> tuple[CompanySpec, list[str]]:
    departments = []
    numbers = []
    for d, name in enumerate(("Sales", "Support")):
        staff = []
        for i in range(4):
            number = f"{200 + 10 * d + i}"
            numbers.append(number)
            staff.append(EmployeeSpec(f"{name} {i + 1}", number))
        departments.append(DepartmentSpec(name=name, employees=tuple(staff)))
    spec = CompanySpec(
        name="Simulated Ltd",
        departments=tuple(departments),
        limits={"per_widget_per_hour": 100_000, "per_ip_per_hour": 100_000},
    )
    return spec, numbers


def _arrivals(rng: random.Random, n: int) -> list[datetime]:
    """Order times spread over the business hours of a working week (Poisson-like)."""
    times = []
    for _ in range(n):
        day = rng.randrange(BUSINESS_DAYS)
        seconds = rng.uniform(OPEN_HOUR * 3600, CLOSE_HOUR * 3600)
        times.append(EPOCH + timedelta(days=day, seconds=seconds))
    return sorted(times)


def simulate_recall(*, seed: int, requests: int, policy: str | None = None) -> SimulationResult:
    if policy is not None and policy not in NAMED_POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose from {', '.join(NAMED_POLICIES)}")
    override: RetryPolicy | None = NAMED_POLICIES[policy]() if policy else None

    async def main(loop: asyncio.AbstractEventLoop) -> SimulationResult:
        clock = LoopClock(loop, EPOCH)
        db = make_engine("sqlite://")
        upgrade(db)
        sessions = make_session_factory(db)
        spec, manager_numbers = _company(seed)
        rng = random.Random(f"{seed}|managers")
        population = Population(
            seed, {n: generate_manager(rng, n, "UTC") for n in manager_numbers}, timezone="UTC"
        )
        net = SimulatedNetwork(
            population,
            clock=clock,
            trunks={
                "main": TrunkBehaviour("main", failure_prob=0.02),
                "backup": TrunkBehaviour("backup", failure_prob=0.01),
            },
            seed=seed,
        )
        worker = CallbackWorker(
            sessions=sessions,
            telephony=net,
            clock=clock,
            bus=MessageBus(),
            policy_override=override,
        )
        engine = Engine(
            sessions=sessions,
            worker=worker,
            clock=clock,
            node_id="simulate",
            poll_seconds=None,
            max_concurrent=200,
        )
        with sessions() as s:
            seeded = create_company(s, spec, now=clock.now())
        arrivals_rng = random.Random(f"{seed}|arrivals")
        rejected = 0

        async def arrivals() -> None:
            nonlocal rejected
            for i, at in enumerate(_arrivals(arrivals_rng, requests)):
                await asyncio.sleep(max(0.0, (at - clock.now()).total_seconds()))
                phone = f"+1650{arrivals_rng.randrange(2_000_000, 9_999_999):07d}"
                if arrivals_rng.random() < MALFORMED_SHARE:
                    phone = phone[:6]
                department = seeded.departments["Sales"] if i % 3 else seeded.departments["Support"]
                with sessions() as s:
                    widget = s.get(Widget, seeded.widget_id)
                    assert widget is not None
                    try:
                        order_callback(
                            s,
                            widget=widget,
                            order=Order(phone=phone, department_id=department),
                            now=clock.now(),
                        )
                    except (OrderRejected, RateLimited):
                        rejected += 1
                engine.wake()
            engine.stop_when_idle()

        await asyncio.gather(arrivals(), engine.run())
        policy_name = policy or "widget_default"
        return _collect(sessions, net, seeded.company_id, seed, policy_name, requests, rejected)

    return run_virtual(main)


def _collect(
    sessions: Any,
    net: SimulatedNetwork,
    company_id: int,
    seed: int,
    policy: str,
    requests: int,
    rejected: int,
) -> SimulationResult:
    with sessions() as s:
        v4 = voicemail_stats(s, company_id)
        rows = list(s.scalars(select(CallbackRequest)))
        attempts = int(s.scalar(select(func.count(Attempt.id))) or 0)
        states = [r.state for r in rows]
        seconds = [
            (r.connected_at - r.created_at).total_seconds()
            for r in rows
            if r.state == "connected" and r.connected_at is not None
        ]
        voicemail = machine_manager = 0
        bridged = s.scalars(
            select(Leg)
            .join(Attempt, Attempt.id == Leg.attempt_id)
            .where(Attempt.state == "completed", Leg.outcome == "answered_human")
        )
        for leg in bridged:
            attempt = s.get(Attempt, leg.attempt_id)
            assert attempt is not None
            if leg.role == "manager" and leg.employee_id != attempt.manager_employee_id:
                continue  # answered too late in a ring-all group: never bridged
            truth = net.call_for_tag(leg_tag(attempt.request_id, attempt.number, leg.role, leg.id))
            if truth is None or truth.answered_by != "machine":
                continue
            if leg.role == "client":
                voicemail += 1
            else:
                machine_manager += 1
    return SimulationResult(
        requests=requests,
        invalid=rejected + states.count("invalid"),
        rejected_at_order=rejected,
        connected=states.count("connected"),
        failed=states.count("failed"),
        attempts=attempts,
        connect_seconds=seconds,
        voicemail_counted_as_connected=voicemail,
        machine_manager_counted_as_connected=machine_manager,
        voicemail=v4,
        policy=policy,
        seed=seed,
    )
