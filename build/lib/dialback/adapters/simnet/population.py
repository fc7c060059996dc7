"""Hidden subscriber behaviour of the simulated telephone network (SPEC X3).

Every number the network can ring is a ``Subscriber`` with traits the callers
never see: how often they pick up, at what hours, whether a voicemail box or an
IVR answers for them, whether their carrier rejects a substituted caller ID
(C6), whether a manager presses 5 when asked (C7). A call to a subscriber
resolves into one ``Reaction``: either scripted (tests) or drawn from the
traits with a per-call ``random.Random`` (benchmarks), so a whole population is
deterministic from one seed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DEFAULT = -1.0  # sentinel for "the kind's default" in Reaction timing fields


class ReactionKind(StrEnum):
    """What a called party (or the network on its behalf) does with one call."""

    ANSWER = "answer"  # a human picks up
    BUSY = "busy"  # 486, no ringing
    NO_ANSWER = "no_answer"  # rings until the caller hangs up (CANCEL -> 487)
    UNAVAILABLE = "unavailable"  # 480, no ringing: switched off / out of coverage
    INVALID = "invalid"  # 404, no ringing: the number does not exist
    REJECT = "reject"  # rings, then the callee declines: 603
    CARRIER_ERROR = "carrier_error"  # 503 from the trunk, no ringing (C5)
    VOICEMAIL = "voicemail"  # rings, then a machine answers
    IVR = "ivr"  # a machine answers almost at once (autoresponder, IVR, ringback tones)

    @property
    def rings(self) -> bool:
        return self in _RINGING_KINDS

    @property
    def is_machine(self) -> bool:
        return self in (ReactionKind.VOICEMAIL, ReactionKind.IVR)

    @property
    def sip_code(self) -> int:
        """The final response: 200 when someone (or something) answers; 487 after CANCEL."""
        return _SIP_CODES[self]


_SIP_CODES: dict[ReactionKind, int] = {
    ReactionKind.ANSWER: 200,
    ReactionKind.BUSY: 486,
    ReactionKind.NO_ANSWER: 487,
    ReactionKind.UNAVAILABLE: 480,
    ReactionKind.INVALID: 404,
    ReactionKind.REJECT: 603,
    ReactionKind.CARRIER_ERROR: 503,
    ReactionKind.VOICEMAIL: 200,
    ReactionKind.IVR: 200,
}

_RINGING_KINDS = frozenset(
    {
        ReactionKind.ANSWER,
        ReactionKind.NO_ANSWER,
        ReactionKind.REJECT,
        ReactionKind.VOICEMAIL,
        ReactionKind.IVR,
    }
)

# Seconds from INVITE to the final response when a Reaction does not say.
# For NO_ANSWER there is no final response: the value only places the 180.
_DEFAULT_DELAY_S: dict[ReactionKind, float] = {
    ReactionKind.ANSWER: 6.0,
    ReactionKind.BUSY: 1.0,
    ReactionKind.NO_ANSWER: 1.0,
    ReactionKind.UNAVAILABLE: 2.0,
    ReactionKind.INVALID: 0.5,
    ReactionKind.REJECT: 8.0,
    ReactionKind.CARRIER_ERROR: 0.3,
    ReactionKind.VOICEMAIL: 20.0,
    ReactionKind.IVR: 1.0,
}

_DTMF_DIGITS = frozenset("0123456789*#ABCD")


@dataclass(frozen=True)
class Reaction:
    """Exactly what happens to one call that reaches the subscriber.

    ``delay_s`` runs from the INVITE to the final response (answer or failure);
    ``ring_s`` from the INVITE to the 180 for kinds that ring (default: half a
    second, or half of ``delay_s`` when that is shorter). For an answer,
    ``talk_s`` is how long a human stays on once bridged; for a machine
    (voicemail, ivr) it is how long the machine holds the line after answering.
    ``dtmf`` are the digits a human sends when prompted with "press_5" (C7).
    """

    kind: ReactionKind
    delay_s: float = DEFAULT
    talk_s: float = 60.0
    dtmf: str = ""
    patience_s: float = 90.0
    ring_s: float = DEFAULT

    def __post_init__(self) -> None:
        # Frozen: resolve the per-kind defaults once, so readers see plain numbers.
        if self.delay_s < 0:
            object.__setattr__(self, "delay_s", _DEFAULT_DELAY_S[self.kind])
        if self.ring_s < 0:
            object.__setattr__(self, "ring_s", min(0.5, self.delay_s / 2))
        if self.kind.rings and self.kind is not ReactionKind.NO_ANSWER:
            if self.ring_s > self.delay_s:
                raise ValueError("ring_s must not exceed delay_s")
        if self.talk_s < 0 or self.patience_s < 0:
            raise ValueError("talk_s and patience_s must be >= 0")
        if not set(self.dtmf) <= _DTMF_DIGITS:
            raise ValueError(f"not DTMF digits: {self.dtmf!r}")


@dataclass(frozen=True)
class Subscriber:
    """Hidden traits of one number; the flow only ever sees SIP-like events."""

    number: str
    invalid: bool = False
    answer_prob: float = 0.7
    hour_curve: tuple[float, ...] = (1.0,) * 24  # multiplier by local hour
    timezone: str = "UTC"  # IANA name
    answer_delay_s: tuple[float, float] = (3.0, 12.0)
    busy_prob: float = 0.0
    busy_spell_s: tuple[float, float] = (60.0, 300.0)
    unavailable_prob: float = 0.0
    reject_prob: float = 0.0
    voicemail: bool = False
    voicemail_after_s: float = 20.0
    ivr: bool = False
    dtmf_confirm: bool = False
    blocks_substituted_cid: bool = False  # C6: carrier answers 403 to a substituted CID
    talk_s: tuple[float, float] = (60.0, 240.0)
    script: tuple[Reaction, ...] = ()  # call n follows script[n] exactly while n < len

    def __post_init__(self) -> None:
        if len(self.hour_curve) != 24:
            raise ValueError("hour_curve needs 24 multipliers, one per local hour")
        for name in ("answer_prob", "busy_prob", "unavailable_prob", "reject_prob"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")

    def answer_probability(self, local_hour: int) -> float:
        return min(1.0, max(0.0, self.answer_prob * self.hour_curve[local_hour]))


@dataclass(frozen=True)
class TrunkBehaviour:
    """How a carrier trunk fails, independently of who is called (C5)."""

    name: str
    failure_prob: float = 0.0
    failure_code: int = 503
    outages: tuple[tuple[datetime, datetime], ...] = ()  # [start, end) windows

    def in_outage(self, now: datetime) -> bool:
        return any(start <= now < end for start, end in self.outages)


def draw_reaction(sub: Subscriber, rng: random.Random, *, local_hour: int) -> Reaction:
    """The stochastic behaviour of ``sub`` for one call, with all timing drawn.

    Busy spells and "already on a bridged call" are the network's state, not a
    trait, so the network checks them before calling this.
    """
    if sub.invalid:
        return Reaction(ReactionKind.INVALID, delay_s=rng.uniform(0.3, 1.0))
    if rng.random() < sub.busy_prob:
        return Reaction(ReactionKind.BUSY, delay_s=rng.uniform(0.5, 2.0))
    if rng.random() < sub.unavailable_prob:
        return Reaction(ReactionKind.UNAVAILABLE, delay_s=rng.uniform(1.0, 5.0))
    ring_s = rng.uniform(0.5, 2.0)
    if rng.random() < sub.reject_prob:
        return Reaction(ReactionKind.REJECT, delay_s=ring_s + rng.uniform(3.0, 10.0), ring_s=ring_s)
    if sub.ivr:
        return Reaction(
            ReactionKind.IVR,
            delay_s=ring_s + rng.uniform(0.5, 1.5),
            ring_s=ring_s,
            talk_s=rng.uniform(30.0, 60.0),
        )
    if rng.random() < sub.answer_probability(local_hour):
        return Reaction(
            ReactionKind.ANSWER,
            delay_s=ring_s + rng.uniform(*sub.answer_delay_s),
            ring_s=ring_s,
            talk_s=rng.uniform(*sub.talk_s),
            dtmf="5" if sub.dtmf_confirm else "",
            patience_s=rng.uniform(45.0, 120.0),
        )
    if sub.voicemail:
        return Reaction(
            ReactionKind.VOICEMAIL,
            delay_s=ring_s + sub.voicemail_after_s,
            ring_s=ring_s,
            talk_s=rng.uniform(30.0, 60.0),
        )
    return Reaction(ReactionKind.NO_ANSWER, delay_s=ring_s, ring_s=ring_s)


def _hour_curve(rng: random.Random, base: tuple[float, ...]) -> tuple[float, ...]:
    return tuple(round(b * rng.uniform(0.85, 1.15), 3) for b in base)


# People pick up less early in the morning and late in the evening.
_CLIENT_CURVE = (0.2,) * 7 + (0.5, 0.8) + (1.0,) * 9 + (0.9, 0.8, 0.7, 0.55, 0.4, 0.3)
# A manager's work phone: steady in working hours, weaker outside them.
_MANAGER_CURVE = (0.5,) * 8 + (1.0,) * 12 + (0.6,) * 4


def generate_client(rng: random.Random, number: str, timezone: str) -> Subscriber:
    """A realistic client: ~2 % invalid, answer_prob ~ Beta(2.5, 1.5), ~50 % voicemail."""
    lo_answer = rng.uniform(2.0, 8.0)
    lo_spell = rng.uniform(30.0, 120.0)
    lo_talk = rng.uniform(30.0, 90.0)
    return Subscriber(
        number=number,
        invalid=rng.random() < 0.02,
        answer_prob=rng.betavariate(2.5, 1.5),
        hour_curve=_hour_curve(rng, _CLIENT_CURVE),
        timezone=timezone,
        answer_delay_s=(lo_answer, lo_answer + rng.uniform(3.0, 15.0)),
        busy_prob=rng.uniform(0.05, 0.15),
        busy_spell_s=(lo_spell, lo_spell + rng.uniform(60.0, 600.0)),
        unavailable_prob=rng.uniform(0.01, 0.08),
        reject_prob=rng.uniform(0.01, 0.06),
        voicemail=rng.random() < 0.5,
        voicemail_after_s=rng.uniform(15.0, 30.0),
        ivr=rng.random() < 0.01,  # business numbers behind an IVR
        dtmf_confirm=False,  # clients are never asked to press 5 (C7 is manager-side)
        blocks_substituted_cid=rng.random() < 0.04,
        talk_s=(lo_talk, lo_talk + rng.uniform(30.0, 240.0)),
    )


def generate_manager(rng: random.Random, number: str, timezone: str) -> Subscriber:
    """A realistic manager: answers 75–95 %, short busy spells, some behind an IVR."""
    lo_answer = rng.uniform(1.5, 4.0)
    lo_spell = rng.uniform(60.0, 180.0)
    lo_talk = rng.uniform(60.0, 180.0)
    return Subscriber(
        number=number,
        invalid=False,
        answer_prob=rng.uniform(0.75, 0.95),
        hour_curve=_hour_curve(rng, _MANAGER_CURVE),
        timezone=timezone,
        answer_delay_s=(lo_answer, lo_answer + rng.uniform(2.0, 8.0)),
        busy_prob=rng.uniform(0.05, 0.15),
        busy_spell_s=(lo_spell, lo_spell + rng.uniform(60.0, 300.0)),
        unavailable_prob=rng.uniform(0.0, 0.03),
        reject_prob=rng.uniform(0.0, 0.03),
        voicemail=rng.random() < 0.3,
        voicemail_after_s=rng.uniform(20.0, 30.0),
        ivr=rng.random() < 0.1,  # C8: an autoresponder on the manager's phone
        dtmf_confirm=rng.random() < 0.9,  # C7
        blocks_substituted_cid=False,
        talk_s=(lo_talk, lo_talk + rng.uniform(60.0, 300.0)),
    )


class Population:
    """Every subscriber of the simulated network, deterministic from ``seed``.

    Numbers in ``subscribers`` (managers, scripted test parties) are used as
    given; any other number is a client generated from a string-seeded RNG, so
    its traits do not depend on which numbers were looked up before.
    """

    def __init__(
        self,
        seed: int,
        subscribers: Mapping[str, Subscriber] | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.seed = seed
        self.timezone = timezone
        self._overrides: dict[str, Subscriber] = dict(subscribers or {})
        self._generated: dict[str, Subscriber] = {}
        self._busy_until: dict[str, datetime] = {}

    def add(self, subscriber: Subscriber) -> None:
        """Register (or replace) a subscriber with known traits."""
        self._overrides[subscriber.number] = subscriber

    def subscriber(self, number: str) -> Subscriber:
        if number in self._overrides:
            return self._overrides[number]
        if number not in self._generated:
            rng = random.Random(f"{self.seed}|client|{number}")
            self._generated[number] = generate_client(rng, number, self.timezone)
        return self._generated[number]

    def react(
        self, number: str, n: int, rng: random.Random, now: datetime, *, on_call: bool
    ) -> Reaction:
        """What ``number`` does with the n-th (0-based) call that reaches it.

        ``on_call``: the subscriber is in an active bridged call of the network.
        A busy spell, once drawn, makes every call during it busy too.
        """
        sub = self.subscriber(number)
        if n < len(sub.script):
            return sub.script[n]  # exactly what the test asked for
        if on_call or now < self._busy_until.get(number, now):
            return Reaction(ReactionKind.BUSY, delay_s=rng.uniform(0.5, 2.0))
        hour = now.astimezone(ZoneInfo(sub.timezone)).hour
        reaction = draw_reaction(sub, rng, local_hour=hour)
        if reaction.kind is ReactionKind.BUSY:
            spell_s = rng.uniform(*sub.busy_spell_s)
            self._busy_until[number] = now + timedelta(seconds=spell_s)
        return reaction
