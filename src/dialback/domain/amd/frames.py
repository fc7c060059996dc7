"""What the detectors see of each 20 ms frame of 8 kHz, 16-bit mono audio."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

FRAME_MS = 20
SAMPLES_PER_FRAME = 160  # 8 kHz * 20 ms


class Decision(StrEnum):
    HUMAN = "HUMAN"
    MACHINE = "MACHINE"
    NOTSURE = "NOTSURE"


@dataclass(frozen=True)
class FrameFeatures:
    """Features of one frame, computed by an adapter (``adapters/amd``).

    ``energy`` is the mean absolute sample value (16-bit scale), the measure
    Asterisk's silence detector thresholds (256 by default). ``speech`` is a
    voice-activity decision. ``peaks`` are the two strongest spectral peaks as
    (frequency Hz, share of the frame's energy), strongest first; a pure tone
    has one peak with a share near 1, ringback (440+480 Hz) and DTMF two.
    """

    index: int
    energy: float
    speech: bool
    peaks: tuple[tuple[float, float], ...] = ()
    # The adapter's learned score, P(machine) from everything heard so far
    # (``adapters/amd/model.py``); None where no model runs (the timing rules decide).
    machine_p: float | None = None

    @property
    def t_ms(self) -> int:
        return self.index * FRAME_MS


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    decided_at_ms: int  # from the moment of answer
    reason: str = ""
    beep_at_ms: int | None = None
