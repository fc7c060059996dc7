"""The manager-first callback flow: one attempt of one request (C2, C3, C5-C7, C9, C10).

1. Ring the chosen employee; if they do not answer (busy, unavailable, no
   answer, rejected, unconfirmed), ring the whole department at once and take
   the first who answers (C3; ring-all).
2. With the widget's "I have an IVR" option, the manager must press 5 (C7).
3. Only then dial the visitor through the attempt's trunk, with or without
   caller-ID substitution (C5, C6), and bridge the two (C2).
Every leg is written to the database before it is dialed, so a crash never
hides a call that was placed (no double calls after a restart).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from dialback.adapters.db.tables import Employee
from dialback.domain.amd.frames import Decision, Verdict
from dialback.domain.calls import (
    AttemptState,
    LegRole,
    LegState,
    StateChanged,
)
from dialback.domain.outcomes import Outcome, outcome_from_sip
from dialback.ports import Clock, DialRequest, Leg, LegEvent, LegEventKind, Telephony
from dialback.services.bus import MessageBus
from dialback.services.records import CallRecords

log = logging.getLogger(__name__)

CONFIRM_DIGIT = "5"  # C7: "press 5"

# When summarising several manager legs, the outcome that tells the most wins:
# an answer, then the callee's own choices, then network failures.
_MANAGER_RANK = (
    Outcome.ANSWERED_HUMAN,
    Outcome.ANSWERED_MACHINE,
    Outcome.BUSY,
    Outcome.NO_ANSWER,
    Outcome.REJECTED,
    Outcome.UNAVAILABLE,
    Outcome.CARRIER_ERROR,
    Outcome.INVALID_NUMBER,
    Outcome.NO_FREE_OPERATOR,
    Outcome.BLOCKED,
    Outcome.CANCELLED,
)


def summarise(outcomes: Sequence[Outcome]) -> Outcome | None:
    if not outcomes:
        return None
    return min(outcomes, key=_MANAGER_RANK.index)


@dataclass(frozen=True)
class FlowTimers:
    client_ring_timeout_s: float = 30.0
    confirm_timeout_s: float = 15.0  # C7: how long to wait for "5"
    amd_timeout_s: float = 9.0  # V1: the detector decides within 8 s of answer
    # V3: how long after the verdict a greeting may go on to its beep (the SIP worker
    # listens for it up to 30 s from the answer; the verdict comes within 8 s).
    beep_wait_s: float = 20.0
    prompt_timeout_s: float = 60.0  # a prompt that never reports its end
    max_talk_s: float = 4 * 3600.0  # a safety net against a lost BYE


@dataclass(frozen=True)
class Target:
    employee_id: int
    number: str


@dataclass(frozen=True)
class AttemptSpec:
    """Everything one attempt needs, loaded before it starts."""

    attempt_id: int
    request_id: int
    attempt_number: int
    client_number: str
    trunk: str
    caller_id: str | None  # substituted caller ID, or None (C6)
    chosen: Target | None  # the employee the visitor chose
    department: tuple[Target, ...]  # everyone else to ring after them (C3)
    ring_timeout_s: float
    ivr_confirm: bool
    record: bool
    leave_message: bool = False  # V3: the prepared message after a voicemail's beep


@dataclass
class AttemptResult:
    state: AttemptState
    manager_outcome: Outcome | None
    client_outcome: Outcome | None
    manager_employee_id: int | None = None
    caller_id_blocked: bool = False
    bridged_at: datetime | None = None
    note: str | None = None
    events: list[StateChanged] = field(default_factory=list)


class _LiveLeg:
    """A placed leg, its database row, and what we learned about it."""

    def __init__(self, handle: Leg, row_id: int, target: Target | None) -> None:
        self.handle = handle
        self.row_id = row_id
        self.target = target
        self.ringing = False
        self.ended = False
        self.outcome: Outcome | None = None


class AttemptFlow:
    """Runs one attempt against a Telephony, recording every leg as it goes."""

    def __init__(
        self,
        *,
        telephony: Telephony,
        clock: Clock,
        sessions: sessionmaker[Session],
        bus: MessageBus,
        timers: FlowTimers,
        recordings_dir: Path | None = None,
    ) -> None:
        self._tel = telephony
        self._clock = clock
        self._records = CallRecords(sessions=sessions, clock=clock, bus=bus)
        self._timers = timers
        self._recordings = recordings_dir
        self._live: list[_LiveLeg] = []

    async def run(self, spec: AttemptSpec) -> AttemptResult:
        try:
            return await self._run(spec)
        finally:
            # No BYE is ever forgotten: every leg is hung up on every path.
            for live in self._live:
                try:
                    await live.handle.hangup()
                except Exception:
                    log.exception("hangup of leg %s failed", live.row_id)
                self._end_leg_row(live, by="us")

    # -- phases ---------------------------------------------------------------

    async def _run(self, spec: AttemptSpec) -> AttemptResult:
        manager_outcomes: list[Outcome] = []
        manager: _LiveLeg | None = None
        groups = [[spec.chosen]] if spec.chosen else []
        if spec.department:
            groups.append(list(spec.department))
        if not groups:
            return self._fail(spec, Outcome.NO_FREE_OPERATOR, None, "nobody to ring")
        for group in groups:
            manager = await self._ring_group(spec, [t for t in group if t], manager_outcomes)
            if manager is not None:
                break
        if manager is None:
            return self._fail(spec, summarise(manager_outcomes), None, "no manager answered")

        if self._records.request_closed(spec.request_id):
            # Cancelled or blocked (C11) while the manager was being reached:
            # the visitor must not be called.
            await self._say(manager, "request_cancelled")
            return self._fail(spec, Outcome.ANSWERED_HUMAN, None, "request closed during the call")
        self._records.attempt_state(spec.attempt_id, AttemptState.CLIENT_DIALING)
        await manager.handle.play("connecting")
        client, ended = await self._dial_client(spec, manager)
        if client is None or client.outcome is not Outcome.ANSWERED_HUMAN:
            client_outcome = client.outcome if client else Outcome.CANCELLED
            blocked = bool(
                client
                and spec.caller_id is not None
                and client.outcome is Outcome.REJECTED
                and not client.ringing
            )
            note = "manager hung up while the client was dialed" if ended else None
            if not ended:
                await self._say(manager, "client_unavailable")
            result = self._fail(spec, Outcome.ANSWERED_HUMAN, client_outcome, note)
            result.caller_id_blocked = blocked  # C6: refused before ringing
            result.manager_employee_id = manager.target.employee_id if manager.target else None
            return result

        verdict, manager_left = await self._amd_while_manager_waits(client, manager)
        if manager_left:
            # The manager gave up while the client's answer was being checked.
            await self._hangup(client, Outcome.CANCELLED, sip_reason="manager hung up")
            result = self._fail(
                spec, Outcome.ANSWERED_HUMAN, Outcome.CANCELLED, "manager hung up before the bridge"
            )
            result.manager_employee_id = manager.target.employee_id if manager.target else None
            return result
        if client.ended or (verdict is not None and verdict.decision is Decision.MACHINE):
            # V2: a voicemail is never bridged and never counts as a conversation.
            machine = verdict is not None and verdict.decision is Decision.MACHINE
            outcome = Outcome.ANSWERED_MACHINE if machine else Outcome.REJECTED
            client.outcome = outcome
            if verdict is not None and machine and spec.leave_message and not client.ended:
                # V3: the manager is told and let go; the message goes on alone.
                await self._say(manager, "client_unavailable")
                await self._hangup(manager, Outcome.ANSWERED_HUMAN, sip_reason="client: voicemail")
                await self._leave_message(client, verdict)
                await self._hangup(client, outcome, sip_reason="voicemail")
            else:
                await self._hangup(client, outcome, sip_reason="voicemail" if verdict else None)
                await self._say(manager, "client_unavailable")
            result = self._fail(spec, Outcome.ANSWERED_HUMAN, outcome, "client leg: voicemail")
            result.manager_employee_id = manager.target.employee_id if manager.target else None
            return result
        await self._tel.bridge(manager.handle, client.handle)
        now = self._clock.now()
        for live in (manager, client):
            self._leg_state(live, LegState.BRIDGED)
        self._records.attempt_state(spec.attempt_id, AttemptState.BRIDGED)
        self._records.request_connected(spec.request_id)
        if spec.record and self._recordings is not None:
            # C10: record only when both legs are answered by humans.
            path = self._recordings / f"request-{spec.request_id}-attempt-{spec.attempt_number}.wav"
            path.parent.mkdir(parents=True, exist_ok=True)
            await self._tel.start_recording(manager.handle, client.handle, str(path))
            self._set_leg(client, recording_path=str(path))
        await self._until_either_ends(manager, client)
        return AttemptResult(
            state=AttemptState.COMPLETED,
            manager_outcome=Outcome.ANSWERED_HUMAN,
            client_outcome=Outcome.ANSWERED_HUMAN,
            manager_employee_id=manager.target.employee_id if manager.target else None,
            bridged_at=now,
        )

    async def _ring_group(
        self, spec: AttemptSpec, group: list[Target], outcomes: list[Outcome]
    ) -> _LiveLeg | None:
        """Ring everyone in ``group`` at once; the first to answer (and confirm) wins."""
        legs = [
            await self._place(spec, LegRole.MANAGER, t.number, target=t, caller_id=None)
            for t in group
        ]
        waiting = {
            asyncio.ensure_future(self._await_answer(live, spec.ring_timeout_s)): live
            for live in legs
        }
        winner: _LiveLeg | None = None
        try:
            while waiting and winner is None:
                done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
                # In the group's order, not the set's (which follows memory
                # addresses): the same calls must give the same winner.
                for task in [t for t in waiting if t in done]:
                    live = waiting.pop(task)
                    if live.outcome is Outcome.ANSWERED_HUMAN and winner is None:
                        if await self._confirmed(spec, live):
                            winner = live
                            continue
                    if live is not winner and live.outcome is not None:
                        outcomes.append(live.outcome)
        finally:
            for task in waiting:
                task.cancel()
            await asyncio.gather(*waiting, return_exceptions=True)
            for live in legs:
                if live is not winner and not live.ended:
                    # Rang (or answered a moment too late) while a colleague answered
                    # first: CANCEL -> 487, or BYE if it had answered.
                    answered = live.outcome is not None
                    await self._hangup(
                        live,
                        Outcome.CANCELLED,
                        sip_code=None if answered else 487,
                        sip_reason="another manager answered first",
                    )
        if winner is not None:
            outcomes.append(Outcome.ANSWERED_HUMAN)
        return winner

    async def _confirmed(self, spec: AttemptSpec, live: _LiveLeg) -> bool:
        """Is a person on this manager leg? C7: with the "I have an IVR" option only
        a pressed 5 proves it; otherwise the detector must not hear a machine (C8)."""
        if not spec.ivr_confirm:
            verdict = await self._amd(live)
            if verdict is None or verdict.decision is not Decision.MACHINE:
                return verdict is not None or not live.ended
            live.outcome = Outcome.ANSWERED_MACHINE
            await self._hangup(
                live, Outcome.ANSWERED_MACHINE, sip_reason=f"machine (AMD: {verdict.reason})"
            )
            return False
        self._records.attempt_state(spec.attempt_id, AttemptState.MANAGER_CONFIRMING)
        await live.handle.play("press_5")
        deadline = asyncio.get_running_loop().time() + self._timers.confirm_timeout_s
        digits = ""
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            event = await live.handle.next_event(timeout=left)
            if event is None or event.kind is LegEventKind.ENDED:
                break
            if event.kind is LegEventKind.DTMF:
                digits += event.digit
                if event.digit == CONFIRM_DIGIT:
                    self._set_leg(live, dtmf=digits[-32:])
                    return True
        self._set_leg(live, dtmf=digits[-32:])
        # Answered but never confirmed: an autoresponder, IVR or ringback service (C8).
        live.outcome = Outcome.ANSWERED_MACHINE
        await self._hangup(live, Outcome.ANSWERED_MACHINE, sip_reason="not confirmed by DTMF 5")
        self._records.attempt_state(spec.attempt_id, AttemptState.MANAGER_DIALING)
        return False

    async def _amd_while_manager_waits(
        self, client: _LiveLeg, manager: _LiveLeg
    ) -> tuple[Verdict | None, bool]:
        """The client's AMD verdict, unless the manager hangs up first (then True)."""
        amd = asyncio.ensure_future(self._amd(client))
        left = asyncio.ensure_future(self._wait_ended(manager))
        try:
            await asyncio.wait({amd, left}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (amd, left):
                if not task.done():
                    task.cancel()
            await asyncio.gather(amd, left, return_exceptions=True)
        if left.done() and not left.cancelled():
            return None, True
        return amd.result(), False

    async def _amd(self, live: _LiveLeg) -> Verdict | None:
        """Wait for the detector's verdict on an answered leg (V1); stored on the leg.

        None when the far end hung up first, or when the adapter gave no verdict
        in time (then the leg is taken for a person: never hang up on a human).
        A machine heard up to a hang-up (a carrier announcement, a greeting cut
        short) is still a machine: that verdict is returned with the leg ended.
        """

        def verdict(e: LegEvent) -> bool:
            # After a hang-up only a machine counts: a person (or nobody) who hung up
            # is the ENDED that follows.
            return (
                e.kind is LegEventKind.AMD
                and e.verdict is not None
                and (not e.after_hangup or e.verdict.decision is Decision.MACHINE)
            )

        event = await self._next(live, verdict, self._timers.amd_timeout_s)
        if event is None or event.verdict is None:
            return None
        v = event.verdict
        self._set_leg(
            live, amd_decision=str(v.decision), amd_at_ms=v.decided_at_ms, beep_at_ms=v.beep_at_ms
        )
        if event.after_hangup:
            live.outcome = Outcome.ANSWERED_MACHINE
            self._end_leg_row(live, by="remote", outcome=live.outcome)
        return v

    async def _leave_message(self, live: _LiveLeg, verdict: Verdict) -> None:
        """V3: wait for the end of the greeting -- its beep or, where a mailbox has
        none, the silence after its last word -- then play the prepared message to its
        end. Neither heard, no message: spoken into a greeting it would be cut off."""
        if verdict.beep_at_ms is None:
            end = await self._next(
                live,
                lambda e: e.kind in (LegEventKind.BEEP, LegEventKind.GREETING_END),
                self._timers.beep_wait_s,
            )
            if end is None:
                return
            if end.kind is LegEventKind.BEEP:
                self._set_leg(live, beep_at_ms=end.at_ms)
        if await self._say(live, "voicemail_message"):
            self._set_leg(live, message_left_at=self._clock.now())

    async def _say(self, live: _LiveLeg, prompt: str) -> bool:
        """Play ``prompt`` and wait until it has been heard to its end (True), the far
        end hangs up, or it never reports its end (False): a BYE must not cut it off."""
        if live.ended:
            return False
        await live.handle.play(prompt)
        played = await self._next(
            live,
            lambda e: e.kind is LegEventKind.PLAYED and e.prompt == prompt,
            self._timers.prompt_timeout_s,
        )
        return played is not None

    async def _next(
        self, live: _LiveLeg, wanted: Callable[[LegEvent], bool], timeout: float
    ) -> LegEvent | None:
        """The first event ``wanted`` within ``timeout`` seconds; None when time runs
        out or the far end hangs up first (its leg row is then ended)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            event = await live.handle.next_event(timeout=left)
            if event is None:
                return None
            if wanted(event):
                return event
            if event.kind in (LegEventKind.ENDED, LegEventKind.FAILED):
                self._end_leg_row(live, by="remote")
                return None
        return None

    async def _dial_client(
        self, spec: AttemptSpec, manager: _LiveLeg
    ) -> tuple[_LiveLeg | None, bool]:
        """Dial the visitor while the manager waits; returns (client leg, manager left)."""
        client = await self._place(
            spec,
            LegRole.CLIENT,
            spec.client_number,
            target=None,
            caller_id=spec.caller_id,
            near=manager.handle.id,  # the two will be bridged
        )
        answer = asyncio.ensure_future(
            self._await_answer(client, self._timers.client_ring_timeout_s)
        )
        manager_left = asyncio.ensure_future(self._wait_ended(manager))
        try:
            await asyncio.wait({answer, manager_left}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not answer.done():
                answer.cancel()
                await asyncio.gather(answer, return_exceptions=True)
            if not manager_left.done():
                manager_left.cancel()
                await asyncio.gather(manager_left, return_exceptions=True)
        if manager_left.done() and not manager_left.cancelled():
            if client.outcome is None:
                await self._hangup(client, Outcome.CANCELLED)
            return client, True
        return client, False

    async def _until_either_ends(self, a: _LiveLeg, b: _LiveLeg) -> None:
        tasks = [asyncio.ensure_future(self._wait_ended(x)) for x in (a, b)]
        try:
            await asyncio.wait(
                tasks, timeout=self._timers.max_talk_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # -- one leg ----------------------------------------------------------------

    async def _place(
        self,
        spec: AttemptSpec,
        role: LegRole,
        number: str,
        *,
        target: Target | None,
        caller_id: str | None,
        near: str | None = None,
    ) -> _LiveLeg:
        row_id = self._records.new_leg(
            attempt_id=spec.attempt_id,
            role=role,
            number=number,
            trunk=spec.trunk,
            caller_id=caller_id,
            employee_id=target.employee_id if target else None,
        )
        tag = leg_tag(spec.request_id, spec.attempt_number, role, row_id)
        handle = await self._tel.originate(
            DialRequest(number=number, trunk=spec.trunk, caller_id=caller_id, tag=tag, near=near)
        )
        live = _LiveLeg(handle, row_id, target)
        self._live.append(live)
        return live

    async def _await_answer(self, live: _LiveLeg, ring_timeout: float) -> None:
        """Follow ``live`` until it answers, fails, or rings out (then CANCEL)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ring_timeout
        while (left := deadline - loop.time()) > 0:
            event = await live.handle.next_event(timeout=left)
            if event is None:
                break
            if event.kind is LegEventKind.RINGING and not live.ringing:
                live.ringing = True
                self._leg_state(live, LegState.RINGING, sip_code=event.code)
            elif event.kind is LegEventKind.ANSWERED:
                live.outcome = Outcome.ANSWERED_HUMAN
                self._leg_state(live, LegState.ANSWERED, sip_code=event.code, outcome=live.outcome)
                return
            elif event.kind in (LegEventKind.FAILED, LegEventKind.ENDED):
                self._failed(live, event)
                return
        # Our ring timeout: CANCEL -> 487 -> no answer.
        await self._hangup(live, Outcome.NO_ANSWER, sip_code=487, sip_reason="ring timeout")

    async def _wait_ended(self, live: _LiveLeg) -> None:
        while True:
            event = await live.handle.next_event()
            if event is not None and event.kind in (LegEventKind.ENDED, LegEventKind.FAILED):
                self._end_leg_row(live, by="remote")
                return

    def _failed(self, live: _LiveLeg, event: LegEvent) -> None:
        live.outcome = outcome_from_sip(event.code, ringing_seen=live.ringing)
        live.ended = True
        self._set_leg(
            live,
            state=LegState.ENDED,
            sip_code=event.code,
            sip_reason=event.reason[:200],
            outcome=live.outcome,
            hangup_by="remote",
        )

    async def _hangup(
        self,
        live: _LiveLeg,
        outcome: Outcome,
        *,
        sip_code: int | None = None,
        sip_reason: str | None = None,
    ) -> None:
        live.outcome = live.outcome or outcome
        if live.ended:
            return
        await live.handle.hangup()
        self._end_leg_row(
            live, by="us", outcome=live.outcome, sip_code=sip_code, sip_reason=sip_reason
        )

    # -- records ----------------------------------------------------------------

    def _fail(
        self,
        spec: AttemptSpec,
        manager_outcome: Outcome | None,
        client_outcome: Outcome | None,
        note: str | None,
    ) -> AttemptResult:
        return AttemptResult(
            state=AttemptState.FAILED,
            manager_outcome=manager_outcome,
            client_outcome=client_outcome,
            note=note,
        )

    def _leg_state(self, live: _LiveLeg, new: LegState, **values: object) -> None:
        self._records.update_leg(live.row_id, state=new, **values)

    def _set_leg(self, live: _LiveLeg, **values: object) -> None:
        self._records.update_leg(live.row_id, **values)

    def _end_leg_row(self, live: _LiveLeg, *, by: str, **values: object) -> None:
        if live.ended:
            return
        live.ended = True
        values = {k: v for k, v in values.items() if v is not None}
        self._records.update_leg(live.row_id, state=LegState.ENDED, hangup_by=by, **values)


def leg_tag(request_id: int, attempt: int, role: str, leg_id: int) -> str:
    """The reference a leg carries through the network (a SIP header on real trunks)."""
    return f"cb:{request_id}:a:{attempt}:{role}:{leg_id}"


def employee_target(employee: Employee) -> Target:
    return Target(employee_id=employee.id, number=employee.phone)
