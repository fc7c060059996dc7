"""Live progress as Server-Sent Events (C9): state changes and finished attempts.

Each client gets an ``asyncio.Queue`` fed from the message bus. Bus handlers
may run on any thread, so they hand events to the client's loop with
``call_soon_threadsafe``; a slow client loses events rather than holding
memory. Only events of the key's company are sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import re
from collections.abc import AsyncGenerator
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from dialback.adapters.db.tables import Attempt, CallbackRequest, Leg
from dialback.bootstrap import Container
from dialback.domain.calls import StateChanged
from dialback.services.attempts import AttemptFinished
from dialback.web.deps import AdminDep, ContainerDep, SessionDep

router = APIRouter(tags=["events"])

STREAMED = (StateChanged, AttemptFinished)
KEEPALIVE_S = 15.0
QUEUE_SIZE = 1000

Owner = tuple[int, int]  # (company id, callback request id)


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__}")


def event_name(event: object) -> str:
    """``StateChanged`` -> ``state_changed``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(event).__name__).lower()


def encode_event(event: object, **extra: object) -> str:
    """One SSE message: ``event: <type>\\ndata: <json>\\n\\n`` (datetimes in ISO 8601)."""
    if not dataclasses.is_dataclass(event) or isinstance(event, type):
        raise TypeError(f"not an event: {event!r}")
    data: dict[str, Any] = {**dataclasses.asdict(event), **extra}
    payload = json.dumps(data, default=_json_default, separators=(",", ":"))
    return f"event: {event_name(event)}\ndata: {payload}\n\n"


def _owner(container: Container, event: object) -> Owner | None:
    """Which company and request an event belongs to (None: unknown, not sent)."""
    with container.sessions() as s:
        if isinstance(event, AttemptFinished):
            query = select(CallbackRequest.company_id, CallbackRequest.id).where(
                CallbackRequest.id == event.request_id
            )
        elif isinstance(event, StateChanged) and event.kind == "request":
            query = select(CallbackRequest.company_id, CallbackRequest.id).where(
                CallbackRequest.id == event.entity_id
            )
        elif isinstance(event, StateChanged) and event.kind == "attempt":
            query = (
                select(CallbackRequest.company_id, CallbackRequest.id)
                .join(Attempt, Attempt.request_id == CallbackRequest.id)
                .where(Attempt.id == event.entity_id)
            )
        elif isinstance(event, StateChanged) and event.kind == "leg":
            query = (
                select(CallbackRequest.company_id, CallbackRequest.id)
                .join(Attempt, Attempt.request_id == CallbackRequest.id)
                .join(Leg, Leg.attempt_id == Attempt.id)
                .where(Leg.id == event.entity_id)
            )
        else:
            return None
        row = s.execute(query).first()
    return (int(row[0]), int(row[1])) if row is not None else None


async def event_stream(
    container: Container, *, company_id: int, keepalive_s: float = KEEPALIVE_S
) -> AsyncGenerator[str, None]:
    """SSE messages for ``company_id`` until the client goes away (then unsubscribes)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=QUEUE_SIZE)

    def put(event: object) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a stalled client misses events
            queue.put_nowait(event)

    def handler(event: object) -> None:
        loop.call_soon_threadsafe(put, event)

    unsubscribe = [container.bus.subscribe(kind, handler) for kind in STREAMED]
    try:
        yield "retry: 3000\n\n"
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=keepalive_s)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            owner = await run_in_threadpool(_owner, container, event)
            if owner is not None and owner[0] == company_id:
                yield encode_event(event, request_id=owner[1])
    finally:
        for undo in unsubscribe:
            undo()


@router.get("/events", response_class=StreamingResponse)
async def events(
    principal: AdminDep, session: SessionDep, container: ContainerDep
) -> StreamingResponse:
    """C9 live progress: ``state_changed`` and ``attempt_finished`` events of the company."""
    # The key is checked; do not hold the request's DB session for the stream's lifetime.
    await run_in_threadpool(session.close)
    return StreamingResponse(
        event_stream(container, company_id=principal.company_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
