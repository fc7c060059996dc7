"""What the live board and the call card show, read from the database (C9, C10, V1).

Plain dataclasses for the templates: the pages never touch ORM objects after
their session closes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from dialback.adapters.db.tables import (
    Attempt,
    CallbackRequest,
    Company,
    Department,
    Employee,
    Leg,
)
from dialback.domain.calls import AttemptState, RequestState
from dialback.domain.outcomes import Outcome
from dialback.services.users import Viewer
from dialback.services.visibility import visible_requests

RECENT_FINISHED = 15


def status_key(status: str | None) -> str | None:
    """``"Client busy / unreachable"`` -> ``"status.client_busy_unreachable"``."""
    if not status:
        return None
    return "status." + re.sub(r"[^a-z0-9]+", "_", status.lower()).strip("_")


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 1)


@dataclass(frozen=True)
class LegView:
    id: int
    role: str
    who: str
    number: str
    trunk: str
    caller_id: str | None
    state: str
    outcome: str | None
    sip_code: int | None
    sip_reason: str | None
    amd: str | None  # V1: HUMAN / MACHINE / NOTSURE
    amd_at_ms: int | None
    beep_at_ms: int | None
    voicemail: bool  # V2: the VOICEMAIL tag
    message_left_at: datetime | None  # V3
    dialed_at: datetime
    ring_after_s: float | None
    answer_after_s: float | None
    talk_s: float | None
    hangup_by: str | None
    dtmf: str
    has_recording: bool


@dataclass(frozen=True)
class AttemptView:
    number: int
    state: str
    trunk: str
    caller_id: str | None
    caller_id_substituted: bool
    caller_id_blocked: bool
    started_at: datetime
    ended_at: datetime | None
    manager_outcome: str | None
    client_outcome: str | None
    note: str | None
    legs: list[LegView]


@dataclass(frozen=True)
class RequestView:
    id: int
    phone: str
    visitor_ip: str | None
    visitor_name: str | None
    comment: str | None
    state: str
    status_key: str | None
    status_reason: str | None
    department: str | None
    employee: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    connected_at: datetime | None
    finished_at: datetime | None
    attempts_made: int
    attempts: list[AttemptView]

    @property
    def current(self) -> AttemptView | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def is_open(self) -> bool:
        return self.state in (RequestState.SCHEDULED, RequestState.IN_PROGRESS)


@dataclass(frozen=True)
class Board:
    in_progress: list[RequestView]
    due: list[RequestView]  # waiting for their first attempt or a retry (C4)
    finished: list[RequestView]


class Names:
    """Employee and department names of one company, looked up once per page."""

    def __init__(self, session: Session, company_id: int) -> None:
        self.employees = dict(
            session.execute(
                select(Employee.id, Employee.name).where(Employee.company_id == company_id)
            ).all()
        )
        self.departments = dict(
            session.execute(
                select(Department.id, Department.name).where(Department.company_id == company_id)
            ).all()
        )


def _leg_view(leg: Leg, names: Names, recordings: Path | None) -> LegView:
    voicemail = leg.outcome == Outcome.ANSWERED_MACHINE or (
        leg.role == "client" and leg.amd_decision == "MACHINE"
    )
    return LegView(
        id=leg.id,
        role=leg.role,
        who=names.employees.get(leg.employee_id, leg.number)
        if leg.employee_id is not None
        else leg.number,
        number=leg.number,
        trunk=leg.trunk,
        caller_id=leg.caller_id,
        state=leg.state,
        outcome=leg.outcome,
        sip_code=leg.sip_code,
        sip_reason=leg.sip_reason,
        amd=leg.amd_decision,
        amd_at_ms=leg.amd_at_ms,
        beep_at_ms=leg.beep_at_ms,
        voicemail=voicemail,
        message_left_at=leg.message_left_at,
        dialed_at=leg.dialed_at,
        ring_after_s=_seconds(leg.dialed_at, leg.ringing_at),
        answer_after_s=_seconds(leg.dialed_at, leg.answered_at),
        talk_s=_seconds(leg.answered_at, leg.ended_at),
        hangup_by=leg.hangup_by,
        dtmf=leg.dtmf,
        has_recording=recording_file(leg, recordings) is not None,
    )


def recording_file(leg: Leg, recordings: Path | None) -> Path | None:
    """C10: the leg's recording if it exists inside the recordings directory."""
    if not leg.recording_path or recordings is None:
        return None
    path = Path(leg.recording_path).resolve()
    root = recordings.resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def request_view(request: CallbackRequest, names: Names, recordings: Path | None) -> RequestView:
    attempts = [
        AttemptView(
            number=a.number,
            state=a.state,
            trunk=a.trunk,
            caller_id=a.caller_id,
            caller_id_substituted=a.caller_id_substituted,
            caller_id_blocked=a.caller_id_blocked,
            started_at=a.started_at,
            ended_at=a.ended_at,
            manager_outcome=a.manager_outcome,
            client_outcome=a.client_outcome,
            note=a.note,
            legs=[_leg_view(leg, names, recordings) for leg in a.legs],
        )
        for a in request.attempts
    ]
    return RequestView(
        id=request.id,
        phone=request.phone,
        visitor_ip=request.visitor_ip,
        visitor_name=request.visitor_name,
        comment=request.comment,
        state=request.state,
        status_key=status_key(request.customer_status),
        status_reason=request.status_reason,
        department=names.departments.get(request.department_id)
        if request.department_id is not None
        else None,
        employee=names.employees.get(request.employee_id)
        if request.employee_id is not None
        else None,
        created_at=request.created_at,
        next_attempt_at=request.next_attempt_at,
        connected_at=request.connected_at,
        finished_at=request.finished_at,
        attempts_made=request.attempts_made,
        attempts=attempts,
    )


_WITH_LEGS = selectinload(CallbackRequest.attempts).selectinload(Attempt.legs)


def board(session: Session, viewer: Viewer, *, now: datetime) -> Board:
    """Calls in progress, requests due (first attempts and retries), and the latest finished."""
    names = Names(session, viewer.company_id)
    seen = visible_requests(viewer)

    def load(*conditions: Any, order: Any, limit: int = 200) -> list[RequestView]:
        rows = session.scalars(
            select(CallbackRequest)
            .options(_WITH_LEGS)
            .where(*seen, *conditions)
            .order_by(*order)
            .limit(limit)
        ).all()
        return [request_view(r, names, None) for r in rows]

    # A connected request is finished as a request, but its call goes on while
    # the two sides talk: the board shows it in progress until the bridge ends.
    talking = CallbackRequest.id.in_(
        select(Attempt.request_id).where(Attempt.state == AttemptState.BRIDGED)
    )
    return Board(
        in_progress=load(
            or_(CallbackRequest.state == RequestState.IN_PROGRESS, talking),
            order=(CallbackRequest.updated_at.desc(), CallbackRequest.id.desc()),
        ),
        due=load(
            CallbackRequest.state == RequestState.SCHEDULED,
            order=(CallbackRequest.next_attempt_at, CallbackRequest.id),
        ),
        finished=load(
            CallbackRequest.state.not_in([RequestState.SCHEDULED, RequestState.IN_PROGRESS]),
            ~talking,
            CallbackRequest.updated_at >= now - timedelta(days=1),
            order=(CallbackRequest.updated_at.desc(), CallbackRequest.id.desc()),
            limit=RECENT_FINISHED,
        ),
    )


def company_of(session: Session, viewer: Viewer) -> Company | None:
    return session.get(Company, viewer.company_id)
