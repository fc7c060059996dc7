"""Use cases around callback requests: order (C1, C11), cancel, block a visitor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dialback.adapters.db import jobs
from dialback.adapters.db.tables import (
    BlockEntry,
    CallbackRequest,
    Company,
    Department,
    DepartmentMember,
    Employee,
    Job,
    Widget,
)
from dialback.domain.calls import RequestState, StateChanged
from dialback.domain.outcomes import CustomerStatus
from dialback.domain.recall import Context, first_attempt
from dialback.services.company import calendar_for, policy_for
from dialback.services.phones import InvalidPhone, parse_phone
from dialback.services.requests import move_request

CALLBACK_JOB = "callback_attempt"

# C11 defaults; a widget overrides them in ``Widget.limits``.
DEFAULT_LIMITS: dict[str, int] = {
    "per_phone_per_hour": 3,
    "per_phone_per_day": 6,
    "per_ip_per_hour": 10,
    "per_widget_per_hour": 300,
}


class OrderRejected(Exception):
    """The order cannot be accepted; ``field`` names the offending input."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class RateLimited(Exception):
    def __init__(self, limit: str, retry_after_s: int) -> None:
        super().__init__(f"rate limit {limit} reached; retry after {retry_after_s} s")
        self.limit = limit
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Order:
    phone: str
    department_id: int | None = None
    employee_id: int | None = None
    visitor_ip: str | None = None
    visitor_name: str | None = None
    comment: str | None = None


@dataclass(frozen=True)
class Ordered:
    request: CallbackRequest
    created: bool  # False: an open request for the same number already existed
    events: tuple[StateChanged, ...] = ()


def attempt_ref(request_id: int, attempt: int) -> str:
    return f"{request_id}:{attempt}"


def order_callback(session: Session, *, widget: Widget, order: Order, now: datetime) -> Ordered:
    """Accept a visitor's callback order and schedule its first attempt; commits.

    Raises ``OrderRejected`` (bad input), ``RateLimited`` (C11). A blocked number
    or IP is stored as a BLOCKED request (it shows as "Spam") and returned.
    """
    company = session.get(Company, widget.company_id)
    if company is None:
        raise OrderRejected("widget", "the widget's company no longer exists")
    try:
        phone = parse_phone(
            order.phone, region=company.default_region, allowed_regions=widget.allowed_regions
        )
    except InvalidPhone as exc:
        raise OrderRejected("phone", str(exc)) from exc
    department_id, employee_id = _resolve_target(session, widget=widget, order=order)

    existing = _open_request(session, company_id=company.id, phone=phone)
    if existing is not None:
        # Never call anyone twice: a second order joins the open request.
        return Ordered(request=existing, created=False)

    blocked = _block_reason(session, company_id=company.id, phone=phone, ip=order.visitor_ip)
    if blocked is None:
        _check_limits(session, widget=widget, phone=phone, ip=order.visitor_ip, now=now)

    request = CallbackRequest(
        company_id=company.id,
        widget_id=widget.id,
        department_id=department_id,
        employee_id=employee_id,
        phone=phone,
        phone_raw=order.phone[:64],
        visitor_ip=order.visitor_ip,
        visitor_name=order.visitor_name,
        comment=order.comment,
        state=RequestState.SCHEDULED,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    try:
        session.flush()
    except IntegrityError:
        # A concurrent order for the same number won the race (unique index).
        session.rollback()
        existing = _open_request(session, company_id=company.id, phone=phone)
        if existing is None:
            raise
        return Ordered(request=existing, created=False)
    events: tuple[StateChanged, ...] = ()
    if blocked is not None:
        events = (
            move_request(
                request, RequestState.BLOCKED, now=now, status=CustomerStatus.SPAM, reason=blocked
            ),
        )
    else:
        ctx = Context(
            calendar=calendar_for(company), substitute_caller_id=widget.caller_id_substitution
        )
        plan = first_attempt(now=now, ctx=ctx)
        request.next_attempt_at = plan.at
        jobs.enqueue(
            session,
            kind=CALLBACK_JOB,
            ref=attempt_ref(request.id, plan.number),
            due_at=plan.at,
            now=now,
            request_id=request.id,
            payload=_plan_payload(plan.number, plan.trunk_index, plan.substitute_caller_id),
        )
        # Validate the widget's policy now, not at the first retry.
        policy_for(widget)
    session.commit()
    return Ordered(request=request, created=True, events=events)


def _open_request(session: Session, *, company_id: int, phone: str) -> CallbackRequest | None:
    return session.scalar(
        select(CallbackRequest).where(
            CallbackRequest.phone == phone,
            CallbackRequest.company_id == company_id,
            CallbackRequest.state.in_([RequestState.SCHEDULED, RequestState.IN_PROGRESS]),
        )
    )


def _plan_payload(number: int, trunk_index: int, substitute: bool) -> dict[str, Any]:
    return {"attempt": number, "trunk_index": trunk_index, "substitute_caller_id": substitute}


def _resolve_target(
    session: Session, *, widget: Widget, order: Order
) -> tuple[int | None, int | None]:
    department_id = order.department_id or widget.department_id
    if department_id is not None:
        department = session.get(Department, department_id)
        if department is None or department.company_id != widget.company_id:
            raise OrderRejected("department_id", f"no department {department_id}")
    employee_id = order.employee_id
    if employee_id is not None:
        employee = session.get(Employee, employee_id)
        if employee is None or employee.company_id != widget.company_id or not employee.active:
            raise OrderRejected("employee_id", f"no active employee {employee_id}")
        if department_id is None:
            department_id = session.scalar(
                select(DepartmentMember.department_id).where(
                    DepartmentMember.employee_id == employee_id
                )
            )
    if department_id is None and employee_id is None:
        raise OrderRejected("department_id", "the widget has no default department; name one")
    return department_id, employee_id


def _block_reason(session: Session, *, company_id: int, phone: str, ip: str | None) -> str | None:
    keys = [("phone", phone)] + ([("ip", ip)] if ip else [])
    for kind, value in keys:
        entry = session.scalar(
            select(BlockEntry).where(
                BlockEntry.company_id == company_id,
                BlockEntry.kind == kind,
                BlockEntry.value == value,
            )
        )
        if entry is not None:
            return f"{kind} {value} is on the block list" + (
                f": {entry.reason}" if entry.reason else ""
            )
    return None


def _count_since(session: Session, *conditions: Any) -> int:
    return int(session.scalar(select(func.count(CallbackRequest.id)).where(*conditions)) or 0)


def _check_limits(
    session: Session, *, widget: Widget, phone: str, ip: str | None, now: datetime
) -> None:
    limits = {**DEFAULT_LIMITS, **widget.limits}
    hour, day = now - timedelta(hours=1), now - timedelta(days=1)
    checks: list[tuple[str, int, Any, datetime]] = [
        ("per_phone_per_hour", limits["per_phone_per_hour"], CallbackRequest.phone == phone, hour),
        ("per_phone_per_day", limits["per_phone_per_day"], CallbackRequest.phone == phone, day),
        (
            "per_widget_per_hour",
            limits["per_widget_per_hour"],
            CallbackRequest.widget_id == widget.id,
            hour,
        ),
    ]
    if ip:
        checks.append(
            ("per_ip_per_hour", limits["per_ip_per_hour"], CallbackRequest.visitor_ip == ip, hour)
        )
    for name, limit, condition, since in checks:
        if _count_since(session, condition, CallbackRequest.created_at >= since) >= limit:
            window = 3600 if since == hour else 86400
            raise RateLimited(name, retry_after_s=window)


def cancel_request(
    session: Session, *, request: CallbackRequest, now: datetime, reason: str
) -> StateChanged:
    """Cancel an open request and its pending attempt; commits."""
    event = move_request(request, RequestState.CANCELLED, now=now, reason=reason)
    _cancel_pending_jobs(session, request_id=request.id, now=now)
    session.commit()
    return event


def _cancel_pending_jobs(session: Session, *, request_id: int, now: datetime) -> None:
    for job in session.scalars(
        select(Job).where(Job.request_id == request_id, Job.state == jobs.PENDING)
    ):
        jobs.finish(session, job, now=now, state=jobs.CANCELLED)


def block_visitor(
    session: Session, *, request: CallbackRequest, now: datetime, reason: str
) -> list[StateChanged]:
    """C11 manual block from the call card: block the number (and IP), stop calling."""
    for kind, value in (("phone", request.phone), ("ip", request.visitor_ip)):
        if not value:
            continue
        exists = session.scalar(
            select(BlockEntry).where(
                BlockEntry.company_id == request.company_id,
                BlockEntry.kind == kind,
                BlockEntry.value == value,
            )
        )
        if exists is None:
            session.add(
                BlockEntry(
                    company_id=request.company_id,
                    kind=kind,
                    value=value,
                    reason=reason,
                    created_at=now,
                )
            )
    events: list[StateChanged] = []
    if request.state in (RequestState.SCHEDULED, RequestState.IN_PROGRESS):
        # A running attempt sees the block before it dials the visitor.
        events.append(
            move_request(
                request, RequestState.BLOCKED, now=now, status=CustomerStatus.SPAM, reason=reason
            )
        )
        _cancel_pending_jobs(session, request_id=request.id, now=now)
    session.commit()
    return events
