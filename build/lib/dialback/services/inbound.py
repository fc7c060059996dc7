"""Calls delivered to Dialback: answer, say we will call back, record the missed call.

Issue 3's part of inbound handling. Distribution to departments and the
responsible manager (SPEC I1-I12) replaces the prompt later; the record stays,
so every call that reached Dialback and was not taken is counted (SPEC A).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from dialback.adapters.db.tables import InboundCall
from dialback.ports import Clock, Leg, LegEventKind

log = logging.getLogger(__name__)

ANSWER_TIMEOUT_S = 5.0
PROMPT = "missed_call"
PROMPT_HOLD_S = 4.0  # long enough for the prompt, short enough not to trap the caller


class InboundLeg(Leg, Protocol):
    async def answer(self) -> None: ...


class InboundDesk:
    def __init__(self, *, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock

    async def handle(self, leg: InboundLeg, caller: str) -> None:
        with self._sessions() as s:
            row = InboundCall(caller=caller[:200], received_at=self._clock.now(), outcome="missed")
            s.add(row)
            s.commit()  # recorded before anything else can fail
            call_id = row.id
        hangup_by = "us"
        try:
            await leg.answer()
            answered = await self._until(leg, LegEventKind.ANSWERED, ANSWER_TIMEOUT_S)
            if answered:
                self._update(call_id, answered_at=self._clock.now())
                await leg.play(PROMPT)
                if await self._until(leg, LegEventKind.ENDED, PROMPT_HOLD_S):
                    hangup_by = "caller"
            else:
                hangup_by = "caller"
        finally:
            await leg.hangup()
            self._update(call_id, ended_at=self._clock.now(), hangup_by=hangup_by)

    async def _until(self, leg: Leg, kind: LegEventKind, timeout: float) -> bool:
        """Wait for an event of ``kind``; False on timeout or when the call ends first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            event = await leg.next_event(timeout=left)
            if event is None:
                return False
            if event.kind is kind:
                return True
            if event.kind in (LegEventKind.ENDED, LegEventKind.FAILED):
                return False
        return False

    def _update(self, call_id: int, **values: object) -> None:
        with self._sessions() as s:
            row = s.get(InboundCall, call_id)
            if row is not None:
                for key, value in values.items():
                    setattr(row, key, value)
                s.commit()
