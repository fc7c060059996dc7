"""Run a claimed callback attempt and conclude it: connected, next attempt, or give up.

Exactly once: an attempt row is unique per (request, number) and is created
when its job is claimed; every leg is stored before it is dialed. After a
crash (``recover``), an attempt that placed no call is simply run again; one
that did is concluded as INTERRUPTED (or COMPLETED if the two sides were
already bridged) and the ReCall policy plans the next one, so nobody is
called twice for the same attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from dialback.adapters.db import jobs
from dialback.adapters.db.tables import (
    Attempt,
    CallbackRequest,
    Company,
    Department,
    DepartmentMember,
    Employee,
    Job,
    Trunk,
    Widget,
)
from dialback.domain.calls import (
    ATTEMPT_TRANSITIONS,
    AttemptState,
    LegRole,
    LegState,
    RequestState,
    StateChanged,
    transition,
)
from dialback.domain.outcomes import CustomerStatus, Outcome
from dialback.domain.recall import (
    AttemptPlan,
    AttemptSummary,
    Context,
    GiveUp,
    RetryPolicy,
)
from dialback.ports import Clock, Telephony
from dialback.services.bus import MessageBus
from dialback.services.callbacks import CALLBACK_JOB, _plan_payload, attempt_ref
from dialback.services.company import calendar_for, policy_for
from dialback.services.flow import (
    AttemptFlow,
    AttemptResult,
    AttemptSpec,
    FlowTimers,
    Target,
    employee_target,
    summarise,
)
from dialback.services.requests import move_request

log = logging.getLogger(__name__)

DEFAULT_TRUNK = "default"


@dataclass(frozen=True)
class AttemptFinished:
    """Event: an attempt ended (after commit)."""

    request_id: int
    attempt_number: int
    state: str
    request_state: str
    next_attempt_at: datetime | None


class CallbackWorker:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        telephony: Telephony,
        clock: Clock,
        bus: MessageBus,
        timers: FlowTimers | None = None,
        recordings_dir: Path | None = None,
        policy_override: RetryPolicy | None = None,
    ) -> None:
        self._sessions = sessions
        self._tel = telephony
        self._clock = clock
        self._bus = bus
        self._timers = timers or FlowTimers()
        self._recordings = recordings_dir
        self._policy_override = policy_override

    async def run_job(self, job_id: int, *, owner: str) -> None:
        spec = self._start(job_id, owner=owner)
        if spec is None:
            return
        flow = AttemptFlow(
            telephony=self._tel,
            clock=self._clock,
            sessions=self._sessions,
            bus=self._bus,
            timers=self._timers,
            recordings_dir=self._recordings,
        )
        result = await flow.run(spec)
        self._conclude(job_id, result)

    # -- start ----------------------------------------------------------------

    def _start(self, job_id: int, *, owner: str) -> AttemptSpec | None:
        now = self._clock.now()
        events: list[StateChanged] = []
        with self._sessions() as s:
            job = s.get(Job, job_id)
            if job is None or job.state != jobs.CLAIMED or job.owner != owner:
                return None
            request = s.get(CallbackRequest, job.request_id)
            if request is None or RequestState(request.state).is_terminal:
                jobs.finish(s, job, now=now, state=jobs.CANCELLED)
                s.commit()
                return None
            number = int(job.payload["attempt"])
            company = s.get(Company, request.company_id)
            assert company is not None
            widget = s.get(Widget, request.widget_id) if request.widget_id else None
            trunks = _trunk_names(s, company.id)
            trunk_index = int(job.payload.get("trunk_index", 0)) % len(trunks)
            substitute = bool(job.payload.get("substitute_caller_id", False))
            caller_id = company.company_number if substitute and company.company_number else None
            chosen, department, ring_timeout = _targets(s, request)
            attempt = Attempt(
                request_id=request.id,
                number=number,
                state=AttemptState.MANAGER_DIALING,
                trunk=trunks[trunk_index],
                trunk_index=trunk_index,
                caller_id=caller_id,
                caller_id_substituted=caller_id is not None,
                scheduled_for=job.due_at,
                started_at=now,
                node=owner,
            )
            s.add(attempt)
            events.append(move_request(request, RequestState.IN_PROGRESS, now=now))
            request.attempts_made = number
            request.next_attempt_at = None
            s.commit()
            spec = AttemptSpec(
                attempt_id=attempt.id,
                request_id=request.id,
                attempt_number=number,
                client_number=request.phone,
                trunk=attempt.trunk,
                caller_id=caller_id,
                chosen=chosen,
                department=department,
                ring_timeout_s=ring_timeout,
                ivr_confirm=bool(widget and widget.ivr_confirm),
                leave_message=bool(widget and widget.leave_message),
                record=self._recordings is not None,
            )
        self._bus.publish(events)
        return spec

    # -- conclude -------------------------------------------------------------

    def _conclude(self, job_id: int, result: AttemptResult) -> None:
        now = self._clock.now()
        with self._sessions() as s:
            job = s.get(Job, job_id)
            assert job is not None and job.request_id is not None
            attempt = s.scalar(
                select(Attempt).where(
                    Attempt.request_id == job.request_id,
                    Attempt.number == int(job.payload["attempt"]),
                )
            )
            request = s.get(CallbackRequest, job.request_id)
            assert attempt is not None and request is not None
            events, finished = self._conclude_in(s, job, request, attempt, result, now)
            s.commit()
        self._bus.publish([*events, finished])

    def _conclude_in(
        self,
        s: Session,
        job: Job,
        request: CallbackRequest,
        attempt: Attempt,
        result: AttemptResult,
        now: datetime,
    ) -> tuple[list[StateChanged], AttemptFinished]:
        events = [
            transition(
                ATTEMPT_TRANSITIONS,
                kind="attempt",
                entity_id=attempt.id,
                old=AttemptState(attempt.state),
                new=result.state,
                at=now,
            )
        ]
        attempt.state = result.state
        attempt.ended_at = now
        attempt.manager_outcome = result.manager_outcome
        attempt.client_outcome = result.client_outcome
        attempt.manager_employee_id = result.manager_employee_id
        attempt.caller_id_blocked = result.caller_id_blocked
        attempt.note = result.note
        jobs.finish(s, job, now=now)
        if request.state == RequestState.CONNECTED:
            request.finished_at = now  # the conversation is over
        elif RequestState(request.state).is_terminal:
            pass  # cancelled or blocked while the attempt ran: nothing more to plan
        elif result.state is AttemptState.COMPLETED:
            events.append(
                move_request(
                    request, RequestState.CONNECTED, now=now, status=CustomerStatus.CONNECTED
                )
            )
            request.connected_at = result.bridged_at or now
            request.finished_at = now
        else:
            events.extend(self._plan_next(s, request, now))
        finished = AttemptFinished(
            request_id=request.id,
            attempt_number=attempt.number,
            state=result.state,
            request_state=request.state,
            next_attempt_at=request.next_attempt_at,
        )
        return events, finished

    def _plan_next(self, s: Session, request: CallbackRequest, now: datetime) -> list[StateChanged]:
        company = s.get(Company, request.company_id)
        assert company is not None
        widget = s.get(Widget, request.widget_id) if request.widget_id else None
        policy = self._policy_override or policy_for(widget)
        ctx = Context(
            calendar=calendar_for(company),
            trunks=len(_trunk_names(s, company.id)),
            substitute_caller_id=bool(widget.caller_id_substitution) if widget else False,
        )
        history = _history(s, request.id)
        decision = policy.next_attempt(history, now=now, ctx=ctx)
        if isinstance(decision, GiveUp):
            new = (
                RequestState.INVALID
                if decision.status is CustomerStatus.INVALID_NUMBER
                else RequestState.FAILED
            )
            return [
                move_request(request, new, now=now, status=decision.status, reason=decision.reason)
            ]
        return [self._schedule(s, request, decision, now)]

    def _schedule(
        self, s: Session, request: CallbackRequest, plan: AttemptPlan, now: datetime
    ) -> StateChanged:
        event = move_request(request, RequestState.SCHEDULED, now=now)
        request.next_attempt_at = plan.at
        jobs.enqueue(
            s,
            kind=CALLBACK_JOB,
            ref=attempt_ref(request.id, plan.number),
            due_at=plan.at,
            now=now,
            request_id=request.id,
            payload=_plan_payload(plan.number, plan.trunk_index, plan.substitute_caller_id),
        )
        return event

    # -- crash recovery -------------------------------------------------------

    def abandon(self, job_id: int) -> None:
        """Conclude a job whose attempt crashed inside this process."""
        now = self._clock.now()
        with self._sessions() as s:
            job = s.get(Job, job_id)
            if job is None or job.state != jobs.CLAIMED:
                return
            events = self._recover_job(s, job, now)
            s.commit()
        self._bus.publish(events)

    def recover(self, *, node: str, owner: str) -> int:
        """Conclude or re-queue the attempts of jobs whose owner died; returns how many."""
        now = self._clock.now()
        handled = 0
        with self._sessions() as s:
            for job in jobs.orphaned(
                s, kind=CALLBACK_JOB, now=now, node=node, incarnation_owner=owner
            ):
                handled += 1
                events = self._recover_job(s, job, now)
                s.commit()
                self._bus.publish(events)
        return handled

    def _recover_job(self, s: Session, job: Job, now: datetime) -> list[object]:
        number = int(job.payload["attempt"])
        attempt = s.scalar(
            select(Attempt).where(Attempt.request_id == job.request_id, Attempt.number == number)
        )
        legs = list(attempt.legs) if attempt is not None else []
        if attempt is None or not legs:
            # Nothing was dialed: running the same attempt again calls nobody twice.
            if attempt is not None:
                s.execute(delete(Attempt).where(Attempt.id == attempt.id))
            request = s.get(CallbackRequest, job.request_id)
            if request is not None and request.state == RequestState.IN_PROGRESS:
                move_request(request, RequestState.SCHEDULED, now=now)
                request.next_attempt_at = job.due_at
            jobs.release(s, job, now=now)
            log.warning("job %s (%s) re-queued after its owner died", job.id, job.ref)
            return []
        request = s.get(CallbackRequest, job.request_id)
        assert request is not None
        for leg in legs:
            if leg.state != LegState.ENDED:
                leg.state = LegState.ENDED
                leg.ended_at = now
                leg.hangup_by = "lost"
                leg.outcome = leg.outcome or Outcome.CANCELLED
        managers = [Outcome(x.outcome) for x in legs if x.role == LegRole.MANAGER and x.outcome]
        clients = [Outcome(x.outcome) for x in legs if x.role == LegRole.CLIENT and x.outcome]
        bridged = attempt.state == AttemptState.BRIDGED
        result = AttemptResult(
            state=AttemptState.COMPLETED if bridged else AttemptState.INTERRUPTED,
            manager_outcome=summarise(managers),
            client_outcome=clients[-1] if clients else None,
            bridged_at=attempt.started_at if bridged else None,
            note="the node running this attempt stopped mid-call",
        )
        log.warning("attempt %s of request %s concluded after its node died", number, request.id)
        events, finished = self._conclude_in(s, job, request, attempt, result, now)
        return [*events, finished]


def _trunk_names(s: Session, company_id: int) -> list[str]:
    names = list(
        s.scalars(
            select(Trunk.name)
            .where(Trunk.company_id == company_id, Trunk.enabled.is_(True))
            .order_by(Trunk.priority, Trunk.id)
        )
    )
    return names or [DEFAULT_TRUNK]


def _targets(
    s: Session, request: CallbackRequest
) -> tuple[Target | None, tuple[Target, ...], float]:
    chosen: Target | None = None
    if request.employee_id is not None:
        employee = s.get(Employee, request.employee_id)
        if employee is not None and employee.active:
            chosen = employee_target(employee)
    ring_timeout = 25.0
    department: tuple[Target, ...] = ()
    if request.department_id is not None:
        dept = s.get(Department, request.department_id)
        if dept is not None:
            ring_timeout = float(dept.ring_timeout_s)
            members = s.scalars(
                select(Employee)
                .join(DepartmentMember, DepartmentMember.employee_id == Employee.id)
                .where(DepartmentMember.department_id == dept.id, Employee.active.is_(True))
                .order_by(DepartmentMember.position, Employee.id)
            )
            department = tuple(
                employee_target(e) for e in members if chosen is None or e.id != chosen.employee_id
            )
    return chosen, department, ring_timeout


def _history(s: Session, request_id: int) -> Sequence[AttemptSummary]:
    rows = s.scalars(
        select(Attempt).where(Attempt.request_id == request_id).order_by(Attempt.number)
    )
    return [
        AttemptSummary(
            number=a.number,
            started_at=a.started_at,
            ended_at=a.ended_at or a.started_at,
            manager_outcome=Outcome(a.manager_outcome) if a.manager_outcome else None,
            client_outcome=Outcome(a.client_outcome) if a.client_outcome else None,
            trunk_index=a.trunk_index,
            caller_id_substituted=a.caller_id_substituted,
            caller_id_blocked=a.caller_id_blocked,
        )
        for a in rows
        if AttemptState(a.state).is_terminal
    ]
