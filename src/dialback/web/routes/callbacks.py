"""Callback requests: order (C1, C11), the call card (C9), list, cancel, block."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from starlette.concurrency import run_in_threadpool

from dialback.adapters.db.tables import Attempt, CallbackRequest, Widget
from dialback.domain.calendar import CalendarError
from dialback.domain.calls import IllegalTransition, RequestState
from dialback.domain.recall import PolicyError
from dialback.services.callbacks import (
    Order,
    Ordered,
    OrderRejected,
    RateLimited,
    block_visitor,
    cancel_request,
    order_callback,
)
from dialback.services.phones import InvalidPhone, parse_phone
from dialback.web.deps import (
    AdminDep,
    CompanyDep,
    ContainerDep,
    MetricsDep,
    PathId,
    Principal,
    PrincipalDep,
    SessionDep,
)
from dialback.web.errors import conflict, invalid
from dialback.web.schemas import MAX_ID, Blocked, CallbackList, CallbackOrder, CallbackOut, Reason

router = APIRouter(prefix="/callbacks", tags=["callbacks"])

_CARD = selectinload(CallbackRequest.attempts).selectinload(Attempt.legs)


def _order_widget(session: Session, principal: Principal, body: CallbackOrder) -> Widget:
    if not principal.is_admin:
        if body.widget_id is not None and body.widget_id != principal.widget_id:
            raise HTTPException(
                status_code=403,
                detail="widget_id: a widget key may only order callbacks for its own widget",
            )
        widget = session.get(Widget, principal.widget_id)
        if widget is None:  # deleted between the key check and now
            raise HTTPException(status_code=403, detail="the widget of this key no longer exists")
        return widget
    if body.widget_id is None:
        raise invalid("widget_id", "an admin key must name the widget to order through")
    widget = session.get(Widget, body.widget_id)
    if widget is None or widget.company_id != principal.company_id:
        raise invalid("widget_id", f"no widget {body.widget_id} in this company")
    if not widget.enabled:
        raise invalid("widget_id", f"widget {widget.id} is disabled")
    return widget


def _visible(session: Session, principal: Principal, request_id: int) -> CallbackRequest:
    """The request if this caller may see it: its company's, or its own widget's."""
    query = (
        select(CallbackRequest)
        .options(_CARD)
        .where(CallbackRequest.id == request_id, CallbackRequest.company_id == principal.company_id)
    )
    if not principal.is_admin:
        query = query.where(CallbackRequest.widget_id == principal.widget_id)
    request = session.scalar(query)
    if request is None:
        raise HTTPException(status_code=404, detail=f"callback request {request_id} not found")
    return request


@router.post(
    "",
    status_code=201,
    response_model=CallbackOut,
    responses={
        200: {"model": CallbackOut, "description": "An open request for this number exists"},
        403: {"model": Blocked, "description": "Blocked (stored, shows as Spam)"},
        429: {"description": "A rate limit was reached; see Retry-After"},
    },
)
async def order(
    body: CallbackOrder,
    request: Request,
    response: Response,
    principal: PrincipalDep,
    session: SessionDep,
    container: ContainerDep,
    metrics: MetricsDep,
) -> Any:
    """C1: order a callback. Never calls anyone twice: an open request is returned (200)."""
    ip = request.client.host if request.client else None

    def work() -> tuple[Ordered, CallbackOut]:
        widget = _order_widget(session, principal, body)
        wanted = Order(
            phone=body.phone,
            department_id=body.department_id,
            employee_id=body.employee_id,
            visitor_ip=ip,
            visitor_name=body.name,
            comment=body.comment,
        )
        ordered = order_callback(session, widget=widget, order=wanted, now=container.clock.now())
        return ordered, CallbackOut.model_validate(ordered.request)

    try:
        ordered, card = await run_in_threadpool(work)
    except OrderRejected as exc:
        field = "widget_id" if exc.field == "widget" else exc.field
        metrics.rejected.labels(reason=f"invalid_{field}").inc()
        raise invalid(field, exc.reason) from exc
    except RateLimited as exc:
        metrics.rejected.labels(reason="rate_limited").inc()
        return JSONResponse(
            status_code=429,
            content={
                "detail": f"rate limit {exc.limit} reached; retry after {exc.retry_after_s} s",
                "limit": exc.limit,
            },
            headers={"Retry-After": str(exc.retry_after_s)},
        )
    except (PolicyError, CalendarError) as exc:  # stored settings that cannot be used
        raise conflict(f"the widget or company settings cannot be used: {exc}") from exc
    # Events out after commit (STYLE habit 5), on the loop thread like the engine's.
    container.bus.publish(ordered.events)
    if card.state == RequestState.BLOCKED and ordered.created:
        metrics.rejected.labels(reason="blocked").inc()
        return JSONResponse(
            status_code=403,
            content={
                "detail": f"the request was blocked: {card.status_reason}",
                "request_id": card.id,
            },
        )
    if ordered.created:
        metrics.ordered.inc()
        container.engine.wake()
    else:
        response.status_code = 200
    return card


@router.get("/{request_id}", response_model=CallbackOut)
def get_callback(request_id: PathId, principal: PrincipalDep, session: SessionDep) -> CallbackOut:
    """C9: the call card: every attempt and leg with SIP codes and timing."""
    return CallbackOut.model_validate(_visible(session, principal, request_id))


def _utc(at: datetime | None) -> datetime | None:
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=UTC)  # a naive filter is read as UTC


def created_window(
    created_from: datetime | None, created_to: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """The ``created_from``/``created_to`` query filters in UTC; 422 when reversed."""
    created_from, created_to = _utc(created_from), _utc(created_to)
    if created_from and created_to and created_to < created_from:
        raise invalid("created_to", "must not be before created_from", where="query")
    return created_from, created_to


@router.get("", response_model=CallbackList)
def list_callbacks(
    principal: PrincipalDep,
    session: SessionDep,
    company: CompanyDep,
    state: RequestState | None = None,
    department_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    employee_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    phone: Annotated[str | None, Query(max_length=64)] = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> CallbackList:
    """Requests, newest first. A widget key sees only the requests it created."""
    created_from, created_to = created_window(created_from, created_to)
    conditions: list[Any] = [CallbackRequest.company_id == principal.company_id]
    if not principal.is_admin:
        conditions.append(CallbackRequest.widget_id == principal.widget_id)
    if state is not None:
        conditions.append(CallbackRequest.state == state.value)
    if department_id is not None:
        conditions.append(CallbackRequest.department_id == department_id)
    if employee_id is not None:
        conditions.append(CallbackRequest.employee_id == employee_id)
    if phone is not None:
        try:  # the same normalisation as on order, when the text is a number
            phone = parse_phone(phone, region=company.default_region)
        except InvalidPhone:
            phone = phone.strip()
        conditions.append(CallbackRequest.phone == phone)
    if created_from is not None:
        conditions.append(CallbackRequest.created_at >= created_from)
    if created_to is not None:
        conditions.append(CallbackRequest.created_at <= created_to)
    total = session.scalar(select(func.count(CallbackRequest.id)).where(*conditions)) or 0
    rows = session.scalars(
        select(CallbackRequest)
        .options(selectinload(CallbackRequest.attempts))
        .where(*conditions)
        .order_by(CallbackRequest.created_at.desc(), CallbackRequest.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return CallbackList.model_validate({"items": rows, "total": total}, from_attributes=True)


@router.post("/{request_id}/cancel", response_model=CallbackOut)
async def cancel(
    request_id: PathId,
    principal: AdminDep,
    session: SessionDep,
    container: ContainerDep,
    body: Annotated[Reason | None, Body()] = None,
) -> CallbackOut:
    """Cancel an open request and its pending attempt."""
    reason = (body.reason if body else None) or f"cancelled through the API by {principal.name}"

    def work() -> tuple[list[Any], CallbackOut]:
        request = _visible(session, principal, request_id)
        state = RequestState(request.state)
        if state.is_terminal:
            raise conflict(
                f"callback request {request_id} is already {state.value}; "
                "only scheduled or in-progress requests can be cancelled"
            )
        try:
            event = cancel_request(
                session, request=request, now=container.clock.now(), reason=reason
            )
        except IllegalTransition as exc:
            raise conflict(f"callback request {request_id} cannot be cancelled: {exc}") from exc
        return [event], CallbackOut.model_validate(request)

    events, card = await run_in_threadpool(work)
    container.bus.publish(events)
    return card


@router.post("/{request_id}/block", response_model=CallbackOut)
async def block(
    request_id: PathId,
    principal: AdminDep,
    session: SessionDep,
    container: ContainerDep,
    body: Annotated[Reason | None, Body()] = None,
) -> CallbackOut:
    """C11: block the visitor from the call card: number and IP go on the block list."""
    reason = (body.reason if body else None) or f"blocked from the call card by {principal.name}"

    def work() -> tuple[list[Any], CallbackOut]:
        request = _visible(session, principal, request_id)
        events = block_visitor(session, request=request, now=container.clock.now(), reason=reason)
        return list(events), CallbackOut.model_validate(request)

    events, card = await run_in_threadpool(work)
    container.bus.publish(events)
    return card
