"""The embeddable widget's API (C1, C11, C12): CORS limited to the widget's origins.

``widget.js`` is pasted into any site as ``<script src=".../widget.js"
data-key="wk_...">``. It talks to ``/api/v1/w/{public key}/...``: the key is in
the path, so even a CORS preflight (which carries no headers of ours) can be
checked against that widget's ``allowed_origins``. A browser call from any
other origin is refused (403, without CORS headers), and the server does not
act on it. The server's own origin is always allowed (its demo page).

Visitors follow their request with a status link signed by the server (HMAC),
so the public widget key alone does not let anyone read other visitors' calls.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated, Any

import phonenumbers
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dialback.adapters.db.tables import (
    Attempt,
    CallbackRequest,
    Company,
    Department,
    DepartmentMember,
    Employee,
    Widget,
)
from dialback.bootstrap import Container
from dialback.domain.calls import AttemptState, RequestState
from dialback.domain.recall import PolicyError
from dialback.services.callbacks import Order, OrderRejected, RateLimited, order_callback
from dialback.services.users import server_secret
from dialback.web.deps import ContainerDep, MetricsDep
from dialback.web.i18n import Translator, negotiate
from dialback.web.schemas import MAX_ID
from dialback.web.ui.common import WEB_DIR, render
from dialback.web.ui.views import status_key

router = APIRouter(tags=["widget"])

PREFIX = "/api/v1/w/{key}"
KeyPath = Annotated[str, Path(min_length=1, max_length=64)]
LangQuery = Annotated[str | None, Query(max_length=16)]


# --- CORS (C1: only the widget's own sites) --------------------------------------------


def normalise_origin(origin: str) -> str:
    return origin.strip().rstrip("/").lower()


def origin_allowed(request: Request, widget: Widget) -> bool:
    origin = request.headers.get("origin")
    if origin is None:  # not a browser's cross-origin call (curl, a server)
        return True
    origin = normalise_origin(origin)
    own = normalise_origin(f"{request.url.scheme}://{request.url.netloc}")
    allowed = {normalise_origin(o) for o in widget.allowed_origins}
    return origin == own or origin in allowed


def _cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    if origin is None:
        return {}
    return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


def _refused(detail: str, status: int = 403) -> JSONResponse:
    # No Access-Control-Allow-Origin: the browser keeps the answer from the page.
    return JSONResponse(status_code=status, content={"detail": detail}, headers={"Vary": "Origin"})


@dataclass(frozen=True)
class _Site:
    widget_id: int
    company_id: int
    region: str
    allowed_regions: tuple[str, ...]
    promise_seconds: int
    department_id: int | None


def _site(container: Container, request: Request, key: str) -> _Site | JSONResponse:
    """The enabled widget of ``key`` if the calling origin may use it, else the refusal."""
    with container.sessions() as s:
        widget = s.scalar(select(Widget).where(Widget.public_key == key))
        if widget is None or not widget.enabled:
            return _refused("unknown or disabled widget key", status=404)
        if not origin_allowed(request, widget):
            origin = request.headers.get("origin")
            return _refused(f"origin {origin} is not allowed for this widget")
        company = s.get(Company, widget.company_id)
        return _Site(
            widget_id=widget.id,
            company_id=widget.company_id,
            region=company.default_region if company else "US",
            allowed_regions=tuple(widget.allowed_regions),
            promise_seconds=widget.promise_seconds,
            department_id=widget.department_id,
        )


def _answer(request: Request, content: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(status_code=status, content=content, headers=_cors_headers(request))


@router.options(PREFIX + "/{rest:path}", include_in_schema=False)
async def preflight(key: KeyPath, rest: str, request: Request, container: ContainerDep) -> Response:
    site = await run_in_threadpool(_site, container, request, key)
    if isinstance(site, JSONResponse):
        return site
    return Response(
        status_code=204,
        headers={
            **_cors_headers(request),
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Content-Type",
            "Access-Control-Max-Age": "600",
        },
    )


# --- the script ----------------------------------------------------------------------


@router.get("/widget.js", include_in_schema=False)
def widget_script() -> FileResponse:
    """The embeddable widget: plain JS, Shadow DOM, no framework, nothing from a CDN."""
    return FileResponse(
        WEB_DIR / "static" / "widget.js",
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=300"},
    )


# --- config and phone check ------------------------------------------------------------


def _lang(request: Request, lang: str | None) -> Translator:
    return Translator(negotiate(request.headers.get("accept-language"), lang))


def _config(container: Container, site: _Site) -> dict[str, Any]:
    with container.sessions() as s:
        departments = s.execute(
            select(Department.id, Department.name)
            .where(Department.company_id == site.company_id)
            .order_by(Department.id)
        ).all()
        employees = s.execute(
            select(Employee.id, Employee.name)
            .where(Employee.company_id == site.company_id, Employee.active.is_(True))
            .order_by(Employee.name)
        ).all()
        members: dict[int, list[int]] = {}
        for department_id, employee_id in s.execute(
            select(DepartmentMember.department_id, DepartmentMember.employee_id)
            .join(Department, Department.id == DepartmentMember.department_id)
            .where(Department.company_id == site.company_id)
        ).all():
            members.setdefault(employee_id, []).append(department_id)
    return {
        "promise_seconds": site.promise_seconds,
        "department_id": site.department_id,
        "departments": [{"id": d, "name": n} for d, n in departments],
        "employees": [
            {"id": e, "name": n, "departments": members.get(e, [])} for e, n in employees
        ],
    }


@router.get(PREFIX + "/config")
async def widget_config(
    key: KeyPath, request: Request, container: ContainerDep, lang: LangQuery = None
) -> Response:
    """What the widget shows: departments, employees, the promise (C12), its texts."""
    site = await run_in_threadpool(_site, container, request, key)
    if isinstance(site, JSONResponse):
        return site
    t = _lang(request, lang)
    config = await run_in_threadpool(_config, container, site)
    return _answer(request, {**config, "lang": t.lang, "strings": t.section("widget")})


class PhoneCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(max_length=64)
    lang: str | None = Field(default=None, max_length=16)


def check_phone(raw: str, *, region: str, allowed: tuple[str, ...]) -> tuple[str | None, str]:
    """(E.164, "") for a number Dialback will call, else (None, the message key) (C1, C11)."""
    text = raw.strip()
    if not text:
        return None, "widget.phone_empty"
    if len(text) > 40:
        return None, "widget.phone_length"
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        return None, "widget.phone_not_a_number"
    if not phonenumbers.is_possible_number(number):
        return None, "widget.phone_length"
    if not phonenumbers.is_valid_number(number):
        return None, "widget.phone_invalid"
    country = phonenumbers.region_code_for_number(number)
    if allowed and country not in {a.upper() for a in allowed}:
        return None, "widget.phone_foreign"
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)), ""


@router.post(PREFIX + "/phone")
async def widget_phone(
    key: KeyPath, body: PhoneCheck, request: Request, container: ContainerDep
) -> Response:
    """Checks the number as the visitor types (C1): valid, or why not, in their language."""
    site = await run_in_threadpool(_site, container, request, key)
    if isinstance(site, JSONResponse):
        return site
    t = _lang(request, body.lang)
    e164, problem = check_phone(body.phone, region=site.region, allowed=site.allowed_regions)
    if e164 is None:
        return _answer(request, {"valid": False, "message": t(problem)})
    return _answer(request, {"valid": True, "e164": e164, "message": ""})


# --- ordering and following a request --------------------------------------------------


class WidgetOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = Field(max_length=64)
    department_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    employee_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    name: str | None = Field(default=None, max_length=200)
    lang: str | None = Field(default=None, max_length=16)


def status_token(secret: str, widget_id: int, request_id: int) -> str:
    message = f"{widget_id}:{request_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def _secret(container: Container) -> str:
    cached = container.extras.get("widget_status_secret")
    if isinstance(cached, str):
        return cached
    with container.sessions() as s:
        secret = server_secret(s, "widget_status")
    container.extras["widget_status_secret"] = secret
    return secret


def stage(request: CallbackRequest, attempt: Attempt | None) -> str:
    """What the visitor is told (C12): waiting, calling the manager, calling you, ..."""
    state = RequestState(request.state)
    if state is RequestState.CONNECTED:
        return "connected"
    if state is RequestState.IN_PROGRESS and attempt is not None:
        current = AttemptState(attempt.state)
        if current in (AttemptState.MANAGER_DIALING, AttemptState.MANAGER_CONFIRMING):
            return "calling_manager"
        if current is AttemptState.CLIENT_DIALING:
            return "calling_you"
        if current in (AttemptState.BRIDGED, AttemptState.COMPLETED):
            return "connected"
        return "calling_manager"
    if state is RequestState.IN_PROGRESS:
        return "calling_manager"
    if state is RequestState.SCHEDULED:
        return "retry" if request.attempts_made > 0 else "waiting"
    return "failed"


def _status(session: Session, request: CallbackRequest, t: Translator) -> dict[str, Any]:
    attempt = session.scalar(
        select(Attempt).where(Attempt.request_id == request.id).order_by(Attempt.number.desc())
    )
    key = status_key(request.customer_status)
    return {
        "id": request.id,
        "stage": stage(request, attempt),
        "state": request.state,
        "status": t(key) if key else None,
        "next_attempt_at": request.next_attempt_at.isoformat() if request.next_attempt_at else None,
    }


@router.post(PREFIX + "/callbacks")
async def widget_order(
    key: KeyPath,
    body: WidgetOrder,
    request: Request,
    container: ContainerDep,
    metrics: MetricsDep,
) -> Response:
    """C1: the visitor's order. 201 with a status link; 200 if their request is open already."""
    site = await run_in_threadpool(_site, container, request, key)
    if isinstance(site, JSONResponse):
        return site
    t = _lang(request, body.lang)
    ip = request.client.host if request.client else None

    def work() -> tuple[int, dict[str, Any], list[object]]:
        with container.sessions() as s:
            widget = s.get(Widget, site.widget_id)
            assert widget is not None
            wanted = Order(
                phone=body.phone,
                department_id=body.department_id,
                employee_id=body.employee_id,
                visitor_ip=ip,
                visitor_name=body.name,
            )
            ordered = order_callback(s, widget=widget, order=wanted, now=container.clock.now())
            req = ordered.request
            if req.state == RequestState.BLOCKED and ordered.created:
                return 403, {"message": t("widget.blocked")}, list(ordered.events)
            answer = {
                **_status(s, req, t),
                "token": status_token(_secret(container), widget.id, req.id),
                "promise_seconds": widget.promise_seconds,
                "created": ordered.created,
            }
            return (201 if ordered.created else 200), answer, list(ordered.events)

    try:
        status, answer, events = await run_in_threadpool(work)
    except OrderRejected as exc:
        metrics.rejected.labels(reason=f"invalid_{exc.field}").inc()
        if exc.field == "phone":
            problem = check_phone(body.phone, region=site.region, allowed=site.allowed_regions)[1]
            message = t(problem or "widget.phone_invalid")
        else:
            message = t("widget.bad_choice")
        return _answer(request, {"field": exc.field, "message": message}, status=422)
    except RateLimited as exc:
        metrics.rejected.labels(reason="rate_limited").inc()
        response = _answer(request, {"message": t("widget.rate_limited")}, status=429)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except PolicyError:
        return _answer(request, {"message": t("widget.unavailable")}, status=409)
    container.bus.publish(events)
    if status == 201:
        metrics.ordered.inc()
        container.engine.wake()
    elif status == 403:
        metrics.rejected.labels(reason="blocked").inc()
    return _answer(request, answer, status=status)


@router.get(PREFIX + "/callbacks/{request_id}")
async def widget_status(
    key: KeyPath,
    request_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    request: Request,
    container: ContainerDep,
    token: Annotated[str, Query(max_length=64)] = "",
    lang: LangQuery = None,
) -> Response:
    """The live state of the visitor's own request (needs the token the order returned)."""
    site = await run_in_threadpool(_site, container, request, key)
    if isinstance(site, JSONResponse):
        return site
    t = _lang(request, lang)

    def work() -> dict[str, Any] | None:
        expected = status_token(_secret(container), site.widget_id, request_id)
        if not hmac.compare_digest(token, expected):
            return None
        with container.sessions() as s:
            req = s.get(CallbackRequest, request_id)
            if req is None or req.widget_id != site.widget_id:
                return None
            return _status(s, req, t)

    answer = await run_in_threadpool(work)
    if answer is None:
        return _answer(request, {"detail": "unknown request or token"}, status=404)
    return _answer(request, answer)


@router.get("/try-widget", include_in_schema=False, response_class=HTMLResponse)
def try_widget(request: Request, key: Annotated[str, Query(max_length=64)] = "") -> HTMLResponse:
    """A plain page with the widget on it, to try a widget key on this server's origin."""
    return render(request, "try_widget.html", {"key": key})
