"""State machines of a callback request, its attempts (calls) and their legs.

Each machine is an Enum plus one transition function that checks a table, logs
``old -> new`` and returns the event to publish. No I/O happens here: the
service layer stores the new state and dispatches the events after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

log = logging.getLogger(__name__)


class IllegalTransition(Exception):
    """A state change that the machine's table does not allow."""


class RequestState(StrEnum):
    """A callback request (or lead) lives across many calls."""

    SCHEDULED = "scheduled"  # an attempt is due at next_attempt_at
    IN_PROGRESS = "in_progress"  # an attempt is running now
    CONNECTED = "connected"  # a two-way conversation happened
    FAILED = "failed"  # the ReCall policy gave up
    INVALID = "invalid"  # the number cannot be called
    BLOCKED = "blocked"  # spam protection / block list (C11)
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL_REQUEST


_TERMINAL_REQUEST = frozenset(
    {
        RequestState.CONNECTED,
        RequestState.FAILED,
        RequestState.INVALID,
        RequestState.BLOCKED,
        RequestState.CANCELLED,
    }
)

REQUEST_TRANSITIONS: dict[RequestState, frozenset[RequestState]] = {
    RequestState.SCHEDULED: frozenset(
        {
            RequestState.IN_PROGRESS,
            RequestState.CANCELLED,
            RequestState.BLOCKED,
            RequestState.FAILED,
        }
    ),
    RequestState.IN_PROGRESS: frozenset(
        {
            RequestState.SCHEDULED,
            RequestState.CONNECTED,
            RequestState.FAILED,
            RequestState.INVALID,
            RequestState.BLOCKED,
            RequestState.CANCELLED,
        }
    ),
    RequestState.CONNECTED: frozenset(),
    RequestState.FAILED: frozenset(),
    RequestState.INVALID: frozenset(),
    RequestState.BLOCKED: frozenset(),
    RequestState.CANCELLED: frozenset(),
}


class AttemptState(StrEnum):
    """One attempt = one call: manager leg(s) first, then the client leg (C2)."""

    MANAGER_DIALING = "manager_dialing"
    MANAGER_CONFIRMING = "manager_confirming"  # C7: waiting for DTMF 5
    CLIENT_DIALING = "client_dialing"
    BRIDGED = "bridged"
    COMPLETED = "completed"  # a conversation took place
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the process owning it died mid-call

    @property
    def is_terminal(self) -> bool:
        return self in (AttemptState.COMPLETED, AttemptState.FAILED, AttemptState.INTERRUPTED)


_ATTEMPT_ENDINGS = frozenset({AttemptState.FAILED, AttemptState.INTERRUPTED})

ATTEMPT_TRANSITIONS: dict[AttemptState, frozenset[AttemptState]] = {
    AttemptState.MANAGER_DIALING: frozenset(
        {AttemptState.MANAGER_CONFIRMING, AttemptState.CLIENT_DIALING} | _ATTEMPT_ENDINGS
    ),
    AttemptState.MANAGER_CONFIRMING: frozenset({AttemptState.CLIENT_DIALING} | _ATTEMPT_ENDINGS),
    AttemptState.CLIENT_DIALING: frozenset({AttemptState.BRIDGED} | _ATTEMPT_ENDINGS),
    # A bridged call that the process loses still was a conversation.
    AttemptState.BRIDGED: frozenset({AttemptState.COMPLETED}),
    AttemptState.COMPLETED: frozenset(),
    AttemptState.FAILED: frozenset(),
    AttemptState.INTERRUPTED: frozenset(),
}


class LegRole(StrEnum):
    MANAGER = "manager"
    CLIENT = "client"


class LegState(StrEnum):
    DIALING = "dialing"  # INVITE sent
    RINGING = "ringing"  # 180/183 received
    ANSWERED = "answered"  # 200 OK
    BRIDGED = "bridged"
    ENDED = "ended"

    @property
    def is_terminal(self) -> bool:
        return self is LegState.ENDED


LEG_TRANSITIONS: dict[LegState, frozenset[LegState]] = {
    LegState.DIALING: frozenset({LegState.RINGING, LegState.ANSWERED, LegState.ENDED}),
    LegState.RINGING: frozenset({LegState.ANSWERED, LegState.ENDED}),
    LegState.ANSWERED: frozenset({LegState.BRIDGED, LegState.ENDED}),
    LegState.BRIDGED: frozenset({LegState.ENDED}),
    LegState.ENDED: frozenset(),
}


@dataclass(frozen=True)
class StateChanged:
    """Event: an entity of ``kind`` with ``entity_id`` moved from ``old`` to ``new``."""

    kind: str
    entity_id: int
    old: str
    new: str
    at: datetime


S = TypeVar("S", RequestState, AttemptState, LegState)


def transition(
    table: dict[S, frozenset[S]],
    *,
    kind: str,
    entity_id: int,
    old: S,
    new: S,
    at: datetime,
) -> StateChanged:
    """Check ``old -> new`` against ``table`` and return the event to publish."""
    if new not in table[old]:
        raise IllegalTransition(f"{kind} {entity_id}: {old} -> {new} is not allowed")
    log.debug("%s %s: %s -> %s", kind, entity_id, old, new)
    return StateChanged(kind=kind, entity_id=entity_id, old=str(old), new=str(new), at=at)
