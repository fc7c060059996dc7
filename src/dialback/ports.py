"""The seams between Dialback's services and the outside world.

Each outside world has one small Protocol here, one real adapter in
``dialback.adapters`` and, for domain unit tests, a hand-written fake in
``tests/fakes.py``. The simulated telephone network and the SIP adapter are
interchangeable behind ``Telephony``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from dialback.domain.amd.frames import Verdict


class Clock(Protocol):
    """Wall-clock time. Only clock adapters read the real clock (STYLE habit 2).

    Waiting is done with asyncio (``asyncio.sleep``, ``asyncio.wait_for``): in
    virtual time the event loop itself jumps ahead, so flows never sleep for real.
    """

    def now(self) -> datetime:
        """The current moment, timezone-aware (UTC)."""
        ...


@dataclass(frozen=True)
class DialRequest:
    """What it takes to place one outbound leg."""

    number: str  # E.164 ("+74993223085") or an internal extension ("101")
    trunk: str  # name of the trunk (carrier) to route through (C5)
    caller_id: str | None  # number presented to the callee; None = trunk default (C6)
    tag: str  # correlation reference carried with the call (e.g. "cb:12:a:2:client")
    # The id of a leg this one will be bridged with: adapters that split calls
    # over processes keep the two together (the SIP pool); others ignore it.
    near: str | None = None


class LegEventKind(StrEnum):
    RINGING = "ringing"  # 180/183: the far end is alerting
    ANSWERED = "answered"  # 200 OK
    FAILED = "failed"  # final non-2xx response, or transport failure (code 0)
    DTMF = "dtmf"  # RFC 2833 / in-band digit from the far end
    ENDED = "ended"  # BYE from the far end after answer
    AMD = "amd"  # the answering-machine detector's verdict on an answered leg (V1)
    BEEP = "beep"  # a machine's greeting ended with a beep after the verdict (V3)
    # ... or, with no beep, in a silence after its last word (V3)
    GREETING_END = "greeting_end"
    PLAYED = "played"  # the prompt last asked for has been played to its end


@dataclass(frozen=True)
class LegEvent:
    kind: LegEventKind
    code: int = 0  # SIP status code for RINGING / ANSWERED / FAILED
    reason: str = ""  # SIP reason phrase or transport error text
    digit: str = ""  # for DTMF
    verdict: Verdict | None = None  # for AMD
    # For AMD: decided when the far end hung up, from what it had said; ENDED follows.
    after_hangup: bool = False
    at_ms: int = 0  # for BEEP and GREETING_END: from the moment of answer
    prompt: str = ""  # for PLAYED: which prompt


class Leg(Protocol):
    """One outbound call leg as the telephony adapter sees it."""

    @property
    def id(self) -> str: ...

    async def next_event(self, timeout: float | None = None) -> LegEvent | None:
        """The next progress event, or None when ``timeout`` seconds pass first."""
        ...

    async def play(self, prompt: str) -> None:
        """Play a named prompt (a file in the prompt library) to the far end; returns
        at once, and PLAYED follows when it has been played to its end."""
        ...

    async def hangup(self) -> None:
        """CANCEL a ringing leg or BYE an answered one; idempotent."""
        ...


class Telephony(Protocol):
    """Places, bridges and ends calls. SIP and the simulated network implement it."""

    async def originate(self, request: DialRequest) -> Leg:
        """Send the INVITE and return at once; progress arrives as leg events."""
        ...

    async def bridge(self, a: Leg, b: Leg) -> None:
        """Connect the audio of two answered legs both ways."""
        ...

    async def start_recording(self, a: Leg, b: Leg, path: str) -> None:
        """Record a bridged conversation to ``path`` (C10: humans on both legs only)."""
        ...
