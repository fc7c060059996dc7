"""The live board (C9, X2) and the call card (C9, C10, C11) of the web UI."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from dialback.adapters.db.tables import Attempt, CallbackRequest, Leg
from dialback.bootstrap import Container
from dialback.services.callbacks import block_visitor
from dialback.services.users import Role, Viewer
from dialback.services.visibility import visible_requests
from dialback.services.voicemail_stats import voicemail_stats
from dialback.web.deps import ContainerDep, PathId
from dialback.web.routes.events import event_stream
from dialback.web.ui.common import CsrfDep, PageError, SignedDep, company_time, render
from dialback.web.ui.views import Names, board, company_of, recording_file, request_view

router = APIRouter(include_in_schema=False)


def _board_context(container: Container, viewer: Viewer) -> dict[str, Any]:
    now = container.clock.now()
    with container.sessions() as s:
        company = company_of(s, viewer)
        # V4, company-wide: for admins only (others see their own calls alone).
        week = now - timedelta(days=7)
        voicemail = (
            voicemail_stats(s, viewer.company_id, created_from=week) if viewer.is_admin else None
        )
        return {
            "board": board(s, viewer, now=now),
            "voicemail": voicemail,
            "at": lambda when, fmt="%H:%M:%S": company_time(company, when, fmt),
            "timezone": company.timezone if company else "UTC",
        }


@router.get("/board", response_class=HTMLResponse)
async def board_page(request: Request, signed: SignedDep, container: ContainerDep) -> HTMLResponse:
    """Calls in progress and due retries; ``static/board.js`` keeps it live over SSE."""
    context = await run_in_threadpool(_board_context, container, signed.viewer)
    return render(request, "board.html", context, signed=signed)


@router.get("/board/rows", response_class=HTMLResponse)
async def board_rows(request: Request, signed: SignedDep, container: ContainerDep) -> HTMLResponse:
    """The board's tables alone, fetched again whenever something changes."""
    context = await run_in_threadpool(_board_context, container, signed.viewer)
    return render(request, "_board_tables.html", context, signed=signed)


async def _changes(container: Container, company_id: int) -> AsyncGenerator[str, None]:
    # Only "something changed": what a viewer may see is decided when the rows
    # are fetched, so an employee never receives other people's call events.
    async with aclosing(event_stream(container, company_id=company_id)) as stream:
        async for message in stream:
            yield "event: changed\ndata: {}\n\n" if message.startswith("event:") else message


@router.get("/board/events")
async def board_events(signed: SignedDep, container: ContainerDep) -> StreamingResponse:
    return StreamingResponse(
        _changes(container, signed.viewer.company_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _visible_request(container: Container, viewer: Viewer, request_id: int) -> CallbackRequest:
    """The request for the card: 404 when not in the company, 403 when not the viewer's."""
    with container.sessions() as s:
        found = s.scalar(
            select(CallbackRequest.id).where(
                CallbackRequest.id == request_id,
                CallbackRequest.company_id == viewer.company_id,
            )
        )
        if found is None:
            raise PageError(404, "error.not_found")
        mine = s.scalar(
            select(CallbackRequest.id).where(
                CallbackRequest.id == request_id, *visible_requests(viewer)
            )
        )
        if mine is None:
            raise PageError(403, "error.not_your_call")
        request = s.get(CallbackRequest, request_id)
        assert request is not None
        return request


def _card_context(container: Container, viewer: Viewer, request_id: int) -> dict[str, Any]:
    _visible_request(container, viewer, request_id)
    with container.sessions() as s:
        request = s.get(CallbackRequest, request_id)
        assert request is not None
        company = company_of(s, viewer)
        view = request_view(request, Names(s, viewer.company_id), container.settings.recordings_dir)
        return {
            "r": view,
            "at": lambda when, fmt="%Y-%m-%d %H:%M:%S": company_time(company, when, fmt),
            "timezone": company.timezone if company else "UTC",
            "can_block": viewer.role in (Role.ADMIN, Role.SUPERVISOR),
        }


@router.get("/calls/{request_id}", response_class=HTMLResponse)
async def call_card(
    request_id: PathId, request: Request, signed: SignedDep, container: ContainerDep
) -> HTMLResponse:
    """C9: attempts and legs with SIP codes, timings, outcomes, AMD and recordings (C10)."""
    context = await run_in_threadpool(_card_context, container, signed.viewer, request_id)
    return render(request, "card.html", context, signed=signed)


@router.post("/calls/{request_id}/block")
async def block(request_id: PathId, signed: CsrfDep, container: ContainerDep) -> RedirectResponse:
    """C11: block this visitor (number and IP) from the call card."""
    viewer = signed.viewer
    if viewer.role not in (Role.ADMIN, Role.SUPERVISOR):
        raise PageError(403, "error.forbidden")

    def work() -> list[object]:
        _visible_request(container, viewer, request_id)
        with container.sessions() as s:
            request = s.get(CallbackRequest, request_id)
            assert request is not None
            return list(
                block_visitor(
                    s,
                    request=request,
                    now=container.clock.now(),
                    reason=f"blocked from the call card by {viewer.login}",
                )
            )

    events = await run_in_threadpool(work)
    container.bus.publish(events)
    return RedirectResponse(f"/calls/{request_id}?blocked=1", status_code=303)


@router.get("/calls/{request_id}/recordings/{leg_id}")
async def recording(
    request_id: PathId, leg_id: PathId, signed: SignedDep, container: ContainerDep
) -> FileResponse:
    """C10, A8: play a recording from the card (only for who may see the call)."""

    def find() -> str:
        _visible_request(container, signed.viewer, request_id)
        with container.sessions() as s:
            leg = s.get(Leg, leg_id)
            attempt = s.get(Attempt, leg.attempt_id) if leg is not None else None
            if leg is None or attempt is None or attempt.request_id != request_id:
                raise PageError(404, "error.not_found")
            path = recording_file(leg, container.settings.recordings_dir)
            if path is None:
                raise PageError(404, "error.not_found")
            return str(path)

    return FileResponse(await run_in_threadpool(find), media_type="audio/wav")
