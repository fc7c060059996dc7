"""A small recurrent network that scores, frame by frame, how much the answer so far
sounds like a recording (SPEC V1).

Timing alone cannot tell a beepless voicemail, a carrier announcement or a
call-screening assistant from a person's long desk greeting: they differ in *what*
is said ("leave a message", "the subscriber is not available", "press one",
"state your name") and in what is behind it (hold music). This network hears
that from the spectrum: per 20 ms frame it reads 24 log-mel bands of the last
64 ms (their shape, and their mean level apart), the frame's loudness over the
line's noise floor and the voice-activity bit; a causal convolution over the last
five frames (100 ms, ReLU) picks out short sound patterns, and a one-layer GRU
carries what it heard so far into one number, P(machine).

The weights ship in ``amd_model.npz`` next to this file; they are trained by
``scripts/amd_train.py`` from the repository's own corpus generator
(``dialback amd corpus``), so they are reproducible with the seeds the script
records in the file. Inference is numpy only: one 512-point FFT the beep detector
needs anyway, a 257x24 filterbank product, the convolution and a GRU step (the
frame cost is measured by ``dialback amd eval``, see README).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

Floats = np.ndarray[Any, np.dtype[np.float64]]

RATE = 8000
FFT_SAMPLES = 512
MEL_BANDS = 24
MEL_LOW_HZ = 150.0
MEL_HIGH_HZ = 3700.0
FLOOR_FRAMES = 150  # the noise floor follows the quietest tenth of the last 3 s
INPUTS = MEL_BANDS + 3  # band shape, mean level, level over the floor, VAD bit
MODEL_FILE = "amd_model.npz"


def mel_filterbank(bands: int = MEL_BANDS) -> Floats:
    """Triangular mel filters over the 257 bins of a 512-point FFT at 8 kHz."""

    def mel(hz: Floats) -> Floats:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def hz(m: Floats) -> Floats:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)

    edges = hz(np.linspace(mel(np.array(MEL_LOW_HZ)), mel(np.array(MEL_HIGH_HZ)), bands + 2))
    freqs = np.arange(FFT_SAMPLES // 2 + 1) * RATE / FFT_SAMPLES
    bank = np.zeros((FFT_SAMPLES // 2 + 1, bands))
    for i in range(bands):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        rise = (freqs - lo) / (mid - lo)
        fall = (hi - freqs) / (hi - mid)
        bank[:, i] = np.clip(np.minimum(rise, fall), 0.0, None)
    return bank


_BANK = mel_filterbank()


class ModelInputs:
    """Streaming: one frame's power spectrum, energy and VAD bit -> the model's input row."""

    def __init__(self) -> None:
        self._recent: list[float] = []

    def push(self, power: Floats | None, energy: float, speech: bool) -> Floats:
        row = np.zeros(INPUTS)
        if power is not None:
            # Power of a 512-point Hann-windowed FFT of 16-bit samples: ~1e6 for a
            # quiet line, ~1e12 for loud speech; log10 keeps it within ~5..13.
            logmel = np.log10(power @ _BANK + 1e3)
            level = float(logmel.mean())
            row[:MEL_BANDS] = logmel - level
            row[MEL_BANDS] = level
        else:
            row[MEL_BANDS] = 3.0  # the +1e3 floor: nothing on the line
        log_energy = float(np.log10(energy + 1.0))
        self._recent.append(log_energy)
        if len(self._recent) > FLOOR_FRAMES:
            del self._recent[0]
        floor = sorted(self._recent)[len(self._recent) // 10]
        row[MEL_BANDS + 1] = log_energy - floor
        row[MEL_BANDS + 2] = 1.0 if speech else 0.0
        return row


@dataclass(frozen=True)
class GruWeights:
    """An optional causal 1-D convolution over the last frames (ReLU), one GRU layer
    (PyTorch's gate order r, z, n) and a logistic read-out."""

    mean: Floats  # input normalisation
    std: Floats
    w_ih: Floats  # (3H, INPUTS or C)
    w_hh: Floats  # (3H, H)
    b_ih: Floats
    b_hh: Floats
    w_out: Floats  # (H,)
    b_out: float
    conv_w: Floats | None = None  # (C, INPUTS, K): K frames, the oldest first
    conv_b: Floats | None = None  # (C,)

    @property
    def hidden(self) -> int:
        return int(self.w_hh.shape[1])

    @property
    def kernel(self) -> int:
        return 1 if self.conv_w is None else int(self.conv_w.shape[2])

    @classmethod
    def load(cls, path: Path) -> GruWeights:
        with np.load(path) as z:
            return cls(
                mean=z["mean"].astype(np.float64),
                std=z["std"].astype(np.float64),
                w_ih=z["w_ih"].astype(np.float64),
                w_hh=z["w_hh"].astype(np.float64),
                b_ih=z["b_ih"].astype(np.float64),
                b_hh=z["b_hh"].astype(np.float64),
                w_out=z["w_out"].astype(np.float64).reshape(-1),
                b_out=float(np.asarray(z["b_out"]).reshape(-1)[0]),
                conv_w=z["conv_w"].astype(np.float64) if "conv_w" in z else None,
                conv_b=z["conv_b"].astype(np.float64) if "conv_b" in z else None,
            )


@cache
def shipped_weights() -> GruWeights | None:
    """The weights in the package, or None when none ship (then AMD runs on timing)."""
    ref = resources.files("dialback.adapters.amd").joinpath(MODEL_FILE)
    if not ref.is_file():
        return None
    with resources.as_file(ref) as path:
        return GruWeights.load(path)


class GruScorer:
    """Streaming P(machine) after each frame.

    The input normalisation is folded into the first layer's weights once, and each
    step is a handful of numpy calls: at 50 frames a second per call, the per-call
    overhead, not the arithmetic, is what a frame costs.
    """

    def __init__(self, weights: GruWeights) -> None:
        w = weights
        self.w = w
        self._h = np.zeros(w.hidden)
        self._inputs = ModelInputs()
        scale = 1.0 / w.std
        self._first: Floats | None = None
        if w.conv_w is not None and w.conv_b is not None:
            # (C, INPUTS, K) -> (C, K * INPUTS), matching the window's row-major layout
            # (oldest frame first); the normalisation folded in: W (x - m) / s + b is
            # (W / s) x + (b - W m / s).
            kernel = w.conv_w.transpose(0, 2, 1) * scale
            self._first = kernel.reshape(w.conv_w.shape[0], -1)
            self._first_b = w.conv_b - (kernel * w.mean).sum(axis=(1, 2))
            # before the first frame the window holds the mean: PyTorch's zero padding
            # of the normalised input
            self._window = np.tile(w.mean, (w.kernel, 1))
            self._w_ih, self._b_ih = w.w_ih, w.b_ih
        else:
            self._w_ih = w.w_ih * scale
            self._b_ih = w.b_ih - w.w_ih @ (w.mean * scale)
        self._two_h = 2 * w.hidden

    def push(self, power: Floats | None, energy: float, speech: bool) -> float:
        return self.step(self._inputs.push(power, energy, speech))

    def step(self, x: Floats) -> float:
        """P(machine) after one more input row (``ModelInputs.push``'s)."""
        if self._first is not None:
            window = self._window
            window[:-1] = window[1:]
            window[-1] = x
            x = np.maximum(self._first @ window.ravel() + self._first_b, 0.0)
        gi = self._w_ih @ x + self._b_ih
        gh = self.w.w_hh @ self._h + self.w.b_hh
        k = self._two_h
        rz = 0.5 + 0.5 * np.tanh(0.5 * (gi[:k] + gh[:k]))  # sigmoid, without overflow
        half = k // 2
        n = np.tanh(gi[k:] + rz[:half] * gh[k:])
        self._h = n + rz[half:] * (self._h - n)  # (1 - z) n + z h
        logit = float(self.w.w_out @ self._h) + self.w.b_out
        return 0.5 + 0.5 * math.tanh(0.5 * logit)
