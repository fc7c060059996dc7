"""The one place a callback request changes state (STYLE habit 3)."""

from __future__ import annotations

from datetime import datetime

from dialback.adapters.db.tables import CallbackRequest
from dialback.domain.calls import REQUEST_TRANSITIONS, RequestState, StateChanged, transition
from dialback.domain.outcomes import CustomerStatus


def move_request(
    request: CallbackRequest,
    new: RequestState,
    *,
    now: datetime,
    status: CustomerStatus | None = None,
    reason: str | None = None,
) -> StateChanged:
    """Check and apply ``request.state -> new``; returns the event to publish after commit.

    Ending states other than CONNECTED stamp ``finished_at`` (a connected request
    finishes when its conversation ends).
    """
    event = transition(
        REQUEST_TRANSITIONS,
        kind="request",
        entity_id=request.id,
        old=RequestState(request.state),
        new=new,
        at=now,
    )
    request.state = new
    request.updated_at = now
    if status is not None:
        request.customer_status = status
    if reason is not None or new is RequestState.CONNECTED:
        request.status_reason = reason
    if new.is_terminal and new is not RequestState.CONNECTED:
        request.finished_at = now
    return event
