"""What a running attempt writes down: legs, attempt and request states (C9).

Every change is committed at once and its event published after the commit,
so the live board and a crash-recovering node see the same truth.
"""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from dialback.adapters.db.tables import Attempt, CallbackRequest
from dialback.adapters.db.tables import Leg as LegRow
from dialback.domain.calls import (
    ATTEMPT_TRANSITIONS,
    LEG_TRANSITIONS,
    AttemptState,
    LegRole,
    LegState,
    RequestState,
    StateChanged,
    transition,
)
from dialback.domain.outcomes import CustomerStatus
from dialback.ports import Clock
from dialback.services.bus import MessageBus
from dialback.services.requests import move_request


class CallRecords:
    def __init__(self, *, sessions: sessionmaker[Session], clock: Clock, bus: MessageBus) -> None:
        self._sessions = sessions
        self._clock = clock
        self._bus = bus

    def new_leg(
        self,
        *,
        attempt_id: int,
        role: LegRole,
        number: str,
        trunk: str,
        caller_id: str | None,
        employee_id: int | None,
    ) -> int:
        """Store a leg about to be dialed; returns its id. Call BEFORE the INVITE."""
        with self._sessions() as s:
            row = LegRow(
                attempt_id=attempt_id,
                role=role,
                employee_id=employee_id,
                number=number,
                trunk=trunk,
                caller_id=caller_id,
                state=LegState.DIALING,
                dialed_at=self._clock.now(),
            )
            s.add(row)
            s.commit()  # a crash must never hide a placed call
            return row.id

    def update_leg(self, leg_id: int, **values: object) -> None:
        """Set columns of a leg; a new ``state`` is checked and timestamped."""
        events: list[StateChanged] = []
        with self._sessions() as s:
            row = s.get(LegRow, leg_id)
            assert row is not None
            new_state = values.get("state")
            if isinstance(new_state, LegState) and new_state != row.state:
                now = self._clock.now()
                events.append(
                    transition(
                        LEG_TRANSITIONS,
                        kind="leg",
                        entity_id=row.id,
                        old=LegState(row.state),
                        new=new_state,
                        at=now,
                    )
                )
                if new_state is LegState.RINGING:
                    row.ringing_at = now
                elif new_state is LegState.ANSWERED:
                    row.answered_at = now
                elif new_state is LegState.ENDED:
                    row.ended_at = now
            for key, value in values.items():
                setattr(row, key, value)
            s.commit()
        self._bus.publish(events)

    def attempt_state(self, attempt_id: int, new: AttemptState) -> None:
        with self._sessions() as s:
            attempt = s.get(Attempt, attempt_id)
            assert attempt is not None
            event = transition(
                ATTEMPT_TRANSITIONS,
                kind="attempt",
                entity_id=attempt.id,
                old=AttemptState(attempt.state),
                new=new,
                at=self._clock.now(),
            )
            attempt.state = new
            s.commit()
        self._bus.publish([event])

    def request_closed(self, request_id: int) -> bool:
        """Cancelled or blocked meanwhile (C11)?"""
        with self._sessions() as s:
            request = s.get(CallbackRequest, request_id)
            return request is None or RequestState(request.state).is_terminal

    def request_connected(self, request_id: int) -> None:
        """Both sides are on the line: the request is connected from this moment (C2)."""
        now = self._clock.now()
        with self._sessions() as s:
            request = s.get(CallbackRequest, request_id)
            assert request is not None
            if RequestState(request.state).is_terminal:
                return
            event = move_request(
                request, RequestState.CONNECTED, now=now, status=CustomerStatus.CONNECTED
            )
            request.connected_at = now
            s.commit()
        self._bus.publish([event])
