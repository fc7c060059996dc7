"""The simulated telephone network: a ``Telephony`` adapter over a Population (X3).

The same code runs in virtual time (tests, benchmarks) and real time (demo):
delays are ``loop.call_later`` timers, events go through an ``asyncio.Queue``,
the time of day comes from the injected ``Clock``. Callers see SIP-like leg
events only; the hidden ground truth is kept in ``SimCall`` records and,
optionally, in an fsynced JSONL log that survives a crash of Dialback itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import wave
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal

from dialback.adapters.simnet.population import (
    Population,
    Reaction,
    ReactionKind,
    TrunkBehaviour,
)
from dialback.adapters.simnet.voices import answer_frames
from dialback.adapters.sip.prompts import generated_seconds
from dialback.domain.amd.detector import DialbackAmd
from dialback.domain.amd.frames import Verdict
from dialback.ports import Clock, DialRequest, Leg, LegEvent, LegEventKind

log = logging.getLogger(__name__)

AnsweredBy = Literal["human", "machine"]

_REASONS: dict[int, str] = {
    0: "no route to trunk",
    180: "Ringing",
    200: "OK",
    403: "Forbidden",
    404: "Not Found",
    480: "Temporarily Unavailable",
    486: "Busy Here",
    487: "Request Terminated",
    503: "Service Unavailable",
    603: "Decline",
}

_LOG_FIELDS = ("call_id", "tag", "number", "trunk", "caller_id")
_PCM_RATE = 8000  # recordings: 8 kHz, 16-bit, mono


@dataclass
class SimCall:
    """Ground truth of one call, for benchmarks only: the flow must not read it."""

    call_id: str
    tag: str
    number: str
    trunk: str
    caller_id: str | None
    invited_at: datetime
    kind: ReactionKind | None = None  # what really happened; None = C6 block (403)
    ringing: bool = False
    final_code: int | None = None
    answered_by: AnsweredBy | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    cancelled: bool = False
    bridged: bool = False


@dataclass(frozen=True)
class _Plan:
    """The timeline of one call, decided at INVITE time."""

    final_s: float | None  # INVITE -> final response; None = rings until cancelled
    code: int  # final code: 200 or the failure code
    ring_s: float | None = None  # INVITE -> 180; None = no ringing
    answered_by: AnsweredBy | None = None
    hold_s: float = 0.0  # machine: answer -> hang-up; human: patience when never bridged
    talk_s: float = 0.0  # human: bridge -> hang-up
    dtmf: str = ""


def _plan_from(r: Reaction) -> _Plan:
    if not r.kind.rings:
        return _Plan(r.delay_s, r.kind.sip_code)
    # A machine holds the line for talk_s after answering, bridged or not, and
    # never presses anything (C7, C8); a human waits patience_s unless bridged.
    human = r.kind is ReactionKind.ANSWER
    machine = r.kind.is_machine
    return _Plan(
        final_s=None if r.kind is ReactionKind.NO_ANSWER else r.delay_s,
        code=r.kind.sip_code,
        ring_s=r.ring_s,
        answered_by="human" if human else "machine" if machine else None,
        hold_s=r.talk_s if machine else r.patience_s,
        talk_s=r.talk_s,
        dtmf=r.dtmf if human else "",
    )


class _State(StrEnum):
    TRYING = "trying"
    RINGING = "ringing"
    ANSWERED = "answered"
    FAILED = "failed"
    CANCELLED = "cancelled"
    ENDED = "ended"


_TRANSITIONS: dict[_State, frozenset[_State]] = {
    _State.TRYING: frozenset({_State.RINGING, _State.ANSWERED, _State.FAILED, _State.CANCELLED}),
    _State.RINGING: frozenset({_State.ANSWERED, _State.FAILED, _State.CANCELLED}),
    _State.ANSWERED: frozenset({_State.ENDED}),
    _State.FAILED: frozenset(),
    _State.CANCELLED: frozenset(),
    _State.ENDED: frozenset(),
}


class SimLeg:
    """One outbound leg on the simulated network (implements ``dialback.ports.Leg``)."""

    def __init__(
        self,
        network: SimulatedNetwork,
        call: SimCall,
        plan: _Plan,
        rng: random.Random,
    ) -> None:
        self._network = network
        self._call = call
        self._plan = plan
        self._rng = rng
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[LegEvent] = asyncio.Queue()
        self._state = _State.TRYING
        self._timers: list[asyncio.TimerHandle] = []
        self._hold: asyncio.TimerHandle | None = None
        self._pending_verdict: Verdict | None = None  # computed, not yet heard (V1)

    @property
    def id(self) -> str:
        return self._call.call_id

    @property
    def answered(self) -> bool:
        return self._state is _State.ANSWERED

    async def next_event(self, timeout: float | None = None) -> LegEvent | None:  # noqa: ASYNC109
        if not self._queue.empty():
            return self._queue.get_nowait()
        if timeout is None:
            return await self._queue.get()
        try:
            async with asyncio.timeout(timeout):
                return await self._queue.get()
        except TimeoutError:
            return None

    async def play(self, prompt: str) -> None:
        # C7: only a human who confirms presses 5; machines never press anything.
        plan = self._plan
        if self.answered:
            self._after(generated_seconds(prompt), self._played, prompt)
        if prompt != "press_5" or not self.answered or plan.answered_by != "human":
            return
        at = self._rng.uniform(1.0, 3.0)
        for digit in plan.dtmf:
            self._after(at, self._dtmf, digit)
            at += self._rng.uniform(0.2, 0.5)

    async def hangup(self) -> None:
        if self._state in (_State.TRYING, _State.RINGING):
            # CANCEL: the INVITE ends with 487 Request Terminated.
            self._cancel_timers()
            self._set_state(_State.CANCELLED)
            self._call.cancelled = True
            self._call.final_code = 487
            self._network._record(self, "final", 487)
        elif self._state is _State.ANSWERED:
            self._end()  # BYE from our side

    # -- timeline ---------------------------------------------------------

    def _start(self) -> None:
        plan = self._plan
        if plan.ring_s is not None:
            self._after(plan.ring_s, self._ring)
        elif plan.final_s is not None:
            self._after(plan.final_s, self._final)

    def _ring(self) -> None:
        self._set_state(_State.RINGING)
        self._call.ringing = True
        self._queue.put_nowait(LegEvent(LegEventKind.RINGING, code=180, reason=_REASONS[180]))
        plan = self._plan
        if plan.final_s is not None and plan.ring_s is not None:
            # Chained rather than scheduled up front, so 180 always precedes the final.
            self._after(max(0.0, plan.final_s - plan.ring_s), self._final)

    def _final(self) -> None:
        plan = self._plan
        self._call.final_code = plan.code
        if plan.code != 200:
            self._set_state(_State.FAILED)
            self._network._record(self, "final", plan.code)
            reason = _REASONS.get(plan.code, "Server Error")
            self._queue.put_nowait(LegEvent(LegEventKind.FAILED, code=plan.code, reason=reason))
            return
        self._set_state(_State.ANSWERED)
        self._call.answered_by = plan.answered_by
        self._call.answered_at = self._network.now()
        self._network._record(self, "final", 200)
        self._queue.put_nowait(LegEvent(LegEventKind.ANSWERED, code=200, reason=_REASONS[200]))
        # A human left waiting gives up after their patience; a machine hangs up
        # after its greeting and recording time.
        self._hold = self._after(plan.hold_s, self._far_end_hangup)
        # V1: Dialback's detector listens to what this answer "sounds like".
        if plan.answered_by is not None:
            amd = DialbackAmd()
            for frame in answer_frames(plan.answered_by, self._rng):
                amd.push(frame)
            verdict = amd.finish()
            beep, greeting_end = verdict.beep_at_ms, amd.greeting_end_at_ms
            if beep is not None and beep > verdict.decided_at_ms:
                # Heard after the verdict: reported then, as BEEP (V3), not in it.
                self._after(beep / 1000, self._beep, beep)
                verdict = replace(verdict, beep_at_ms=None)
            elif greeting_end is not None:
                # No beep: the greeting's end in silence, when it is heard (V3).
                self._after(greeting_end / 1000, self._greeting_end, greeting_end)
            self._pending_verdict = verdict
            self._after(verdict.decided_at_ms / 1000, self._amd, verdict)

    def _on_bridged(self) -> None:
        self._call.bridged = True
        if self._plan.answered_by == "human":
            if self._hold is not None:
                self._hold.cancel()
            self._hold = self._after(self._plan.talk_s, self._far_end_hangup)

    def _amd(self, verdict: Verdict, *, after_hangup: bool = False) -> None:
        self._pending_verdict = None
        if self.answered:
            self._queue.put_nowait(
                LegEvent(LegEventKind.AMD, verdict=verdict, after_hangup=after_hangup)
            )

    def _beep(self, at_ms: int) -> None:
        if self.answered:
            self._queue.put_nowait(LegEvent(LegEventKind.BEEP, at_ms=at_ms))

    def _greeting_end(self, at_ms: int) -> None:
        if self.answered:
            self._queue.put_nowait(LegEvent(LegEventKind.GREETING_END, at_ms=at_ms))

    def _played(self, prompt: str) -> None:
        if self.answered:
            self._queue.put_nowait(LegEvent(LegEventKind.PLAYED, prompt=prompt))

    def _dtmf(self, digit: str) -> None:
        if self.answered:
            self._queue.put_nowait(LegEvent(LegEventKind.DTMF, digit=digit))

    def _far_end_hangup(self) -> None:
        if self.answered:
            if self._pending_verdict is not None:
                # Hung up before the detector decided: it settles what it heard,
                # as the SIP worker does (adapters/sip/worker.py, _closed).
                self._amd(self._pending_verdict, after_hangup=True)
            self._end()
            self._queue.put_nowait(LegEvent(LegEventKind.ENDED, reason="BYE"))

    def _end(self) -> None:
        self._cancel_timers()
        self._set_state(_State.ENDED)
        self._call.ended_at = self._network.now()
        self._network._record(self, "end", 200)
        self._network._leg_ended(self)

    # -- plumbing ---------------------------------------------------------

    def _after(
        self, delay: float, callback: Callable[..., None], *args: object
    ) -> asyncio.TimerHandle:
        handle = self._loop.call_later(delay, callback, *args)
        self._timers.append(handle)
        return handle

    def _cancel_timers(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()
        self._hold = None

    def _set_state(self, new: _State) -> None:
        old = self._state
        if new not in _TRANSITIONS[old]:
            raise RuntimeError(f"simnet leg {self.id}: illegal transition {old} -> {new}")
        log.debug("simnet leg %s: %s -> %s", self.id, old, new)
        self._state = new


@dataclass
class _Bridge:
    a: SimLeg
    b: SimLeg
    started: float  # loop time
    recordings: list[Path] = field(default_factory=list)
    closed: bool = False


class SimulatedNetwork:
    """A ``dialback.ports.Telephony`` over a simulated population (SPEC X3)."""

    def __init__(
        self,
        population: Population,
        *,
        clock: Clock,
        trunks: Mapping[str, TrunkBehaviour],
        seed: int,
        call_log_path: str | Path | None = None,
    ) -> None:
        self.population = population
        self._clock = clock
        self._trunks = dict(trunks)
        self._seed = seed
        self._log_path = Path(call_log_path) if call_log_path is not None else None
        self.calls: list[SimCall] = []
        self._by_tag: dict[str, SimCall] = {}
        self._received: Counter[str] = Counter()
        self._on_call: Counter[str] = Counter()  # numbers in an active bridged call
        self._bridges: dict[SimLeg, _Bridge] = {}

    def now(self) -> datetime:
        return self._clock.now()

    def call_for_tag(self, tag: str) -> SimCall | None:
        """The latest call placed with ``DialRequest.tag == tag`` (ground truth)."""
        return self._by_tag.get(tag)

    async def originate(self, request: DialRequest) -> SimLeg:
        now = self.now()
        call = SimCall(
            call_id=f"sim-{len(self.calls) + 1}",
            tag=request.tag,
            number=request.number,
            trunk=request.trunk,
            caller_id=request.caller_id,
            invited_at=now,
        )
        self.calls.append(call)
        self._by_tag[request.tag] = call
        plan, rng = self._decide(request, call, now)
        leg = SimLeg(self, call, plan, rng)
        self._record(leg, "invite", None)
        leg._start()
        return leg

    def _decide(
        self, request: DialRequest, call: SimCall, now: datetime
    ) -> tuple[_Plan, random.Random]:
        number = request.number
        trunk = self._trunks.get(request.trunk)
        if trunk is None:
            # Never left Dialback: does not count as a call the number received.
            call.kind = ReactionKind.CARRIER_ERROR
            return _Plan(0.0, 0), random.Random(f"{self._seed}|{number}|noroute")
        n = self._received[number]
        self._received[number] += 1
        # One RNG per (number, n): a call's fate does not depend on how other
        # calls interleave. The trunk draws use their own stream, so the same
        # call through the backup trunk meets the same callee behaviour (C5).
        rng = random.Random(f"{self._seed}|{number}|{n}")
        trunk_rng = random.Random(f"{self._seed}|{number}|{n}|trunk")
        sub = self.population.subscriber(number)
        # Scripted calls are exactly what the test asked for: trunk failures
        # do not touch them (a script can say carrier_error itself).
        scripted = n < len(sub.script)
        trunk_fails = trunk_rng.random() < trunk.failure_prob or trunk.in_outage(now)
        if trunk_fails and not scripted:
            call.kind = ReactionKind.CARRIER_ERROR
            return _Plan(trunk_rng.uniform(0.1, 0.5), trunk.failure_code), rng
        if request.caller_id is not None and sub.blocks_substituted_cid:
            # C6: the callee's carrier refuses a substituted caller ID, before ringing.
            return _Plan(trunk_rng.uniform(0.05, 0.5), 403), rng
        on_call = self._on_call[number] > 0
        reaction = self.population.react(number, n, rng, now, on_call=on_call)
        call.kind = reaction.kind
        return _plan_from(reaction), rng

    async def bridge(self, a: Leg, b: Leg) -> None:
        legs = (self._own_leg(a), self._own_leg(b))
        if legs[0] is legs[1]:
            raise ValueError("cannot bridge a leg with itself")
        for leg in legs:
            if not leg.answered:
                raise ValueError(f"leg {leg.id} is not answered (or has ended)")
            if leg in self._bridges:
                raise ValueError(f"leg {leg.id} is already bridged")
        bridge = _Bridge(legs[0], legs[1], started=asyncio.get_running_loop().time())
        for leg in legs:
            self._bridges[leg] = bridge
            self._on_call[leg._call.number] += 1
            leg._on_bridged()

    async def start_recording(self, a: Leg, b: Leg, path: str) -> None:
        bridge = self._bridges.get(self._own_leg(a))
        if bridge is None or bridge.closed or bridge is not self._bridges.get(self._own_leg(b)):
            raise ValueError("start_recording needs two legs of one active bridge")
        bridge.recordings.append(Path(path))

    def _own_leg(self, leg: Leg) -> SimLeg:
        if not isinstance(leg, SimLeg) or leg._network is not self:
            raise ValueError(f"not a leg of this simulated network: {leg!r}")
        return leg

    def _leg_ended(self, leg: SimLeg) -> None:
        bridge = self._bridges.pop(leg, None)
        if bridge is None:
            return
        self._on_call[leg._call.number] -= 1
        if not bridge.closed:
            # The first hang-up ends the conversation; the other party is still
            # on the line until the caller hangs it up too.
            bridge.closed = True
            talk_s = asyncio.get_running_loop().time() - bridge.started
            for path in bridge.recordings:
                _write_silence(path, talk_s)

    def _record(self, leg: SimLeg, event: str, code: int | None) -> None:
        """Append one ground-truth line; fsynced so it survives our own crash."""
        if self._log_path is None:
            return
        call = leg._call
        line = {"event": event, **{k: getattr(call, k) for k in _LOG_FIELDS}}
        line.update(code=code, answered_by=call.answered_by, at=self.now().isoformat())
        with self._log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())


def _write_silence(path: Path, seconds: float) -> None:
    """A valid 8 kHz 16-bit mono WAV of silence, as long as the conversation."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(_PCM_RATE)
        out.writeframes(bytes(2 * round(seconds * _PCM_RATE)))
