"""A small Dialback world for flow tests: real SQLite, the simulated network, virtual time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dialback.adapters.clock import LoopClock
from dialback.adapters.db.migrate import upgrade
from dialback.adapters.db.session import make_engine, make_session_factory
from dialback.adapters.db.tables import Attempt, CallbackRequest, Widget
from dialback.adapters.simnet import Population, SimulatedNetwork, Subscriber, TrunkBehaviour
from dialback.domain.calls import StateChanged
from dialback.domain.recall import RetryPolicy
from dialback.services.attempts import AttemptFinished, CallbackWorker
from dialback.services.bus import MessageBus
from dialback.services.callbacks import Order, order_callback
from dialback.services.engine import Engine
from dialback.services.seeding import CompanySpec, DepartmentSpec, EmployeeSpec, create_company

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

ALICE, BOB, CAROL = "101", "102", "103"
SALES = DepartmentSpec(
    name="Sales",
    employees=(
        EmployeeSpec("Alice", ALICE),
        EmployeeSpec("Bob", BOB),
        EmployeeSpec("Carol", CAROL),
    ),
)


def client_number(i: int = 1) -> str:
    return f"+1650253{i:04d}"


class World:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        *,
        subscribers: list[Subscriber],
        spec: CompanySpec | None = None,
        trunks: dict[str, TrunkBehaviour] | None = None,
        epoch: datetime = MONDAY_10,
        recordings: Path | None = None,
        policy: RetryPolicy | None = None,
        db_url: str = "sqlite://",
    ) -> None:
        self.clock = LoopClock(loop, epoch)
        self.db = make_engine(db_url)
        upgrade(self.db)
        self.sessions = make_session_factory(self.db)
        self.net = SimulatedNetwork(
            Population(7, {s.number: s for s in subscribers}),
            clock=self.clock,
            trunks=trunks or {"main": TrunkBehaviour("main"), "backup": TrunkBehaviour("backup")},
            seed=7,
        )
        self.bus = MessageBus()
        self.events: list[object] = []
        for event_type in (StateChanged, AttemptFinished):
            self.bus.subscribe(event_type, self.events.append)
        self.worker = CallbackWorker(
            sessions=self.sessions,
            telephony=self.net,
            clock=self.clock,
            bus=self.bus,
            recordings_dir=recordings,
            policy_override=policy,
        )
        self.engine = Engine(
            sessions=self.sessions,
            worker=self.worker,
            clock=self.clock,
            node_id="test",
            poll_seconds=None,
        )
        with self.sessions() as s:
            self.seeded = create_company(s, spec or CompanySpec(departments=(SALES,)), now=epoch)

    def order(self, phone: str, **kw: Any) -> int:
        with self.sessions() as s:
            widget = s.get(Widget, self.seeded.widget_id)
            assert widget is not None
            if "employee" in kw:
                kw["employee_id"] = self.seeded.employees[kw.pop("employee")]
            ordered = order_callback(
                s, widget=widget, order=Order(phone=phone, **kw), now=self.clock.now()
            )
            self.engine.wake()
            return ordered.request.id

    async def run_until_idle(self) -> None:
        self.engine.stop_when_idle()
        await self.engine.run()

    def request(self, request_id: int) -> CallbackRequest:
        with self.sessions() as s:
            req = s.scalar(
                select(CallbackRequest)
                .where(CallbackRequest.id == request_id)
                .options(selectinload(CallbackRequest.attempts).selectinload(Attempt.legs))
            )
            assert req is not None
            return req
