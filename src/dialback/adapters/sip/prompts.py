"""Prompt files played to a leg ("press_5", "connecting", ...).

A company can drop its own recordings (8 kHz 16-bit mono WAV) named
``<prompt>.wav`` into the prompts folder. Until then each prompt is a short,
distinct tone pattern made here, so the product never plays silence where a
prompt belongs and ships no audio it cannot reproduce.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 8000

# (frequency Hz, milliseconds) pairs; 0 Hz is a pause.
_PATTERNS: dict[str, tuple[tuple[int, int], ...]] = {
    "press_5": ((660, 150), (0, 100), (660, 150), (0, 100), (880, 300)),
    "connecting": ((440, 200), (0, 200), (440, 200)),
    "client_unavailable": ((480, 300), (0, 150), (380, 500)),
    "request_cancelled": ((380, 600),),
    "no_free_operator": ((520, 200), (0, 100), (420, 600)),
    "missed_call": ((600, 200), (0, 100), (500, 200), (0, 100), (400, 400)),
    # V3: left on a voicemail after its beep; a company records its own message.
    "voicemail_message": ((520, 250), (0, 100), (620, 250), (0, 100), (520, 250), (0, 300)),
}


def _synth(pattern: tuple[tuple[int, int], ...]) -> bytes:
    parts = []
    for freq, ms in pattern:
        t = np.arange(RATE * ms // 1000) / RATE
        tone = 0.3 * np.sin(2 * np.pi * freq * t) if freq else np.zeros_like(t)
        parts.append(tone)
    samples = np.concatenate(parts) if parts else np.zeros(0)
    return (samples * 32767).astype("<i2").tobytes()


def generated_seconds(name: str) -> float:
    """How long the generated prompt ``name`` plays (the simulated network's timing)."""
    return sum(ms for _, ms in _PATTERNS.get(name, ((500, 300),))) / 1000


def prompt_file(folder: Path, name: str) -> Path:
    """The WAV for prompt ``name``: the company's own, else a generated tone pattern."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"bad prompt name {name!r}")
    path = folder / f"{name}.wav"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    pcm = _synth(_PATTERNS.get(name, ((500, 300),)))
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm)
    tmp.replace(path)
    return path
