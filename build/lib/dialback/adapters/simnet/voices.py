"""What the simulated network "sounds like" after an answer (V1 on the simulated network).

The simulated network carries no audio; instead each answered leg gets the
frame features (``FrameFeatures``) an audio front end would compute, drawn
from the hidden truth with the styles people and machines really have --
including the hard ones: people who greet at length or pick up silently,
machines with short greetings, carrier silence, music beds. Dialback's real
detector then decides on them, so the simulated network makes the same kind
of mistakes the detector makes on audio, at a comparable rate.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from dialback.domain.amd.frames import FRAME_MS, FrameFeatures

Frames = list[FrameFeatures]


class _Builder:
    def __init__(self, rng: random.Random, floor: float = 12.0) -> None:
        self.rng = rng
        self.floor = floor
        self.frames: Frames = []

    def _add(
        self, energy: float, speech: bool, peaks: tuple[tuple[float, float], ...] = ()
    ) -> None:
        self.frames.append(FrameFeatures(len(self.frames), energy, speech, peaks))

    def silence(self, seconds: float) -> None:
        for _ in range(int(seconds * 1000 / FRAME_MS)):
            self._add(self.floor * self.rng.uniform(0.5, 1.5), False)

    def speech(self, seconds: float, *, pause: tuple[float, float] = (0.08, 0.3)) -> None:
        """Talk for ``seconds``: syllables, with short in-sentence pauses."""
        end = len(self.frames) + int(seconds * 1000 / FRAME_MS)
        while len(self.frames) < end:
            for _ in range(self.rng.randint(6, 20)):  # a word or two
                self._add(self.rng.uniform(600, 3000), True)
            if self.rng.random() < 0.35 and len(self.frames) < end:
                self.silence(self.rng.uniform(*pause))

    def beep(self, seconds: float, hz: float) -> None:
        for _ in range(int(seconds * 1000 / FRAME_MS)):
            self._add(2500.0, True, ((hz, 0.97), (hz * 1.37, 0.004)))  # one pure tone

    def music(self, seconds: float) -> None:
        note = 0.0
        for i in range(int(seconds * 1000 / FRAME_MS)):
            if i % self.rng.randint(10, 20) == 0:
                note = self.rng.choice((262.0, 294.0, 330.0, 392.0, 440.0, 523.0))
            self._add(self.rng.uniform(300, 700), False, ((note, 0.55), (note * 2, 0.3)))


def _human(rng: random.Random) -> Frames:
    b = _Builder(rng)
    style = rng.random()
    if style < 0.55:  # "Hello?" and waits
        b.silence(rng.uniform(0.2, 1.0))
        b.speech(rng.uniform(0.3, 1.0))
    elif style < 0.67:  # silent pick-up, then "hello?"
        b.silence(rng.uniform(2.5, 4.5))
        b.speech(rng.uniform(0.4, 0.9))
    elif style < 0.82:  # "Good afternoon, Acme sales, Maria speaking, how can I help?"
        b.silence(rng.uniform(0.2, 0.6))
        b.speech(rng.uniform(1.5, 4.0))
    elif style < 0.92:  # "Hello? ... Hello?"
        b.silence(rng.uniform(0.2, 0.8))
        b.speech(rng.uniform(0.3, 0.8))
        b.silence(rng.uniform(1.0, 2.0))
        b.speech(rng.uniform(0.3, 0.8))
    else:  # with a TV behind them
        b.floor = rng.uniform(150, 300)
        b.silence(rng.uniform(0.2, 0.8))
        b.speech(rng.uniform(0.4, 1.2))
    b.silence(4.0)
    return b.frames


def _machine(rng: random.Random) -> Frames:
    b = _Builder(rng)
    style = rng.random()
    beep_hz = rng.choice((440.0, 850.0, 1000.0, 1400.0))
    if style < 0.6:  # personal voicemail greeting, with a beep most of the time
        b.silence(rng.uniform(0.3, 1.5))
        b.speech(rng.uniform(3.0, 8.0), pause=(0.1, 0.45))
        if style < 0.45:
            b.silence(rng.uniform(0.2, 0.6))
            b.beep(rng.uniform(0.2, 0.6), beep_hz)
    elif style < 0.7:  # "Leave a message." + beep
        b.silence(rng.uniform(0.3, 1.0))
        b.speech(rng.uniform(1.2, 2.0))
        b.silence(rng.uniform(0.2, 0.5))
        b.beep(rng.uniform(0.2, 0.5), beep_hz)
    elif style < 0.85:  # carrier announcement, often after carrier silence
        b.silence(rng.uniform(1.0, 3.0))
        b.speech(rng.uniform(3.0, 6.0), pause=(0.1, 0.4))
    elif style < 0.95:  # IVR over music
        b.music(rng.uniform(0.5, 1.5))
        b.speech(rng.uniform(3.0, 6.0), pause=(0.1, 0.4))
    else:  # call-screening assistant
        b.silence(rng.uniform(0.3, 1.0))
        b.speech(rng.uniform(4.0, 6.0), pause=(0.1, 0.4))
    b.silence(3.0)
    return b.frames


GREETINGS: dict[str, Callable[[random.Random], Frames]] = {"human": _human, "machine": _machine}


def answer_frames(answered_by: str, rng: random.Random) -> Frames:
    """The first seconds after an answer by a ``"human"`` or a ``"machine"``."""
    return GREETINGS[answered_by](rng)
