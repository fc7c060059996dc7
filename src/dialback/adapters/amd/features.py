"""8 kHz 16-bit PCM -> one ``FrameFeatures`` per 20 ms frame (SPEC V1, V3).

The answering-machine and beep detectors in ``dialback.domain.amd`` are pure; this
adapter does the signal processing they need, with numpy and the maintained
WebRTC voice-activity detector (FACTS: ``webrtcvad-wheels`` works at 8 kHz,
~3 µs per 20 ms frame).

Per frame:

- ``energy``: mean absolute sample value of the 20 ms frame, the measure Asterisk's
  silence detector thresholds (``dsp.c`` ``__ast_dsp_silence_noise``).
- ``speech``: the WebRTC VAD's decision AND ``energy`` above ``speech_floor`` -- the
  VAD alone calls faint hiss "speech" at its sensitive modes; digital silence and
  very low noise must never be. The floor is low (mean |sample| 10, ~-70 dBFS), so
  a quiet line's speech still counts; the detector's own floor follows the line's
  noise above it. The network's input has its own VAD and the floor it was trained
  with (``MODEL_SPEECH_FLOOR``), so its inputs do not change with this one.
- ``peaks``: the two strongest spectral peaks as (Hz, share of energy): a peak's
  share is the power in its bin +-2 bins over the total power (bins under 31 Hz,
  where a DC offset lands, left out); its frequency is refined between bins. The
  second peak is the strongest local maximum outside the first one's +-2 bins, and
  bins already counted for the first are not counted again. Frames quieter than
  ``peak_floor`` get ``()`` -- nothing to find there, and the FFT is saved.

Why the spectrum looks back 64 ms rather than at the 20 ms frame alone: a 20 ms
window cannot resolve two tones 40 Hz apart (a Hann window's main lobe is
+-2 bins of 1/T = 50 Hz, i.e. +-100 Hz), so ringback (440+480 Hz) would read as one
wobbling tone -- measured on 160 samples zero-padded to 512: its top peak's share
swings 0.46-0.77 and its frequency 453-500 Hz, while a pure tone only reaches 0.82.
Over the last 512 samples (this frame plus the 352 samples before it, Hann window,
15.6 Hz bins, no zero padding) a pure tone reads 1.00 / 0.00, ringback
0.65 / 0.33 and DTMF 0.50 / 0.50: the beep detector's thresholds then have wide
margins. The 44 ms of look-back costs nothing in latency for a beep (it must last
80 ms anyway) and the frame's ``energy`` still describes only the frame itself.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import webrtcvad  # type: ignore[import-untyped, unused-ignore]

from dialback.adapters.amd.model import GruScorer, GruWeights, ModelInputs, shipped_weights
from dialback.adapters.amd.voice import SileroStream
from dialback.domain.amd.frames import SAMPLES_PER_FRAME, FrameFeatures

RATE = 8000
FRAME_BYTES = 2 * SAMPLES_PER_FRAME
SPECTRUM_SAMPLES = 512  # 64 ms of look-back, 15.6 Hz bins
BIN_HZ = RATE / SPECTRUM_SAMPLES
PEAK_HALF_BINS = 2  # a peak's share: its bin +-2 bins (+-31 Hz, the Hann main lobe)
_LOW_BINS = 2  # bins 0-1 (< 31 Hz): DC offset leaks there; never a peak, not in the total

Floats = np.ndarray[Any, np.dtype[np.float64]]

DEFAULT_VAD_MODE = 2
DEFAULT_SPEECH_FLOOR = 10.0  # mean |sample| ~ -70 dBFS: below it nothing is speech
MODEL_SPEECH_FLOOR = 40.0  # ~ -58 dBFS: the network's speech input, as it was trained
DEFAULT_PEAK_FLOOR = 16.0  # frames quieter than this get no spectrum (saves the FFT)


class FeatureExtractor:
    """Streaming: ``push`` any length of PCM, get the features of each complete frame.

    PCM is 8 kHz, 16-bit little-endian, mono (what the SIP adapter reads: 320 bytes
    per 20 ms). A partial frame is kept until the next ``push`` completes it;
    ``index`` counts frames from 0, the first frame after answer.
    """

    def __init__(
        self,
        *,
        vad_mode: int = DEFAULT_VAD_MODE,
        speech_floor: float = DEFAULT_SPEECH_FLOOR,
        peak_floor: float = DEFAULT_PEAK_FLOOR,
        model: GruWeights | None | bool = True,
        record_inputs: bool = False,
        silero: bool = True,
    ) -> None:
        if vad_mode not in (0, 1, 2, 3):
            raise ValueError(f"vad_mode must be 0-3, got {vad_mode}")
        # Two VADs: each adapts to the frames it is given, and the network's must
        # see exactly the frames it saw in training (those above its own floor).
        self._vad: Any = webrtcvad.Vad(vad_mode)
        self._model_vad: Any = webrtcvad.Vad(vad_mode)
        # ... and Silero's, which still hears a quiet voice: a frame is speech to the
        # turn-taking rules when either VAD hears it (voice.py).
        self._silero = SileroStream() if silero else None
        self.speech_floor = speech_floor
        self.peak_floor = peak_floor
        self._pending = bytearray()
        self._index = 0
        self._history = np.zeros(SPECTRUM_SAMPLES, dtype=np.float64)
        self._window = np.hanning(SPECTRUM_SAMPLES)
        weights = shipped_weights() if model is True else (model or None)
        self._scorer = GruScorer(weights) if weights is not None else None
        # The model's input rows (computed once, for the scorer and for training
        # it: scripts/amd_train.py records them).
        self.inputs: list[Floats] | None = [] if record_inputs else None
        self._model_inputs = ModelInputs() if record_inputs or self._scorer is not None else None

    @property
    def frames_emitted(self) -> int:
        return self._index

    def stop_voice(self) -> None:
        """Stop Silero's VAD (the speech flag is WebRTC's alone from here on) and give
        its model back once the detector no longer reads speech
        (``DialbackAmd.reads_speech``): Silero is ~60 % of a frame's cost."""
        if self._silero is not None:
            self._silero.close()
            self._silero = None

    def push(self, pcm: bytes) -> list[FrameFeatures]:
        self._pending += pcm
        out: list[FrameFeatures] = []
        whole = len(self._pending) - len(self._pending) % FRAME_BYTES
        for start in range(0, whole, FRAME_BYTES):
            out.append(self._frame(bytes(self._pending[start : start + FRAME_BYTES])))
        del self._pending[:whole]
        return out

    def _frame(self, frame: bytes) -> FrameFeatures:
        samples = np.frombuffer(frame, dtype="<i2").astype(np.float64)
        history = self._history
        history[:-SAMPLES_PER_FRAME] = history[SAMPLES_PER_FRAME:]
        history[-SAMPLES_PER_FRAME:] = samples
        energy = float(np.abs(samples).sum()) / SAMPLES_PER_FRAME
        # (WebRTC's VAD only ever sees frames above the floor: it adapts to what it is given.)
        speech = energy > self.speech_floor and bool(self._vad.is_speech(frame, RATE))
        if self._silero is not None:
            self._silero.push(samples)  # every frame: Silero reads one continuous stream
            speech = speech or (energy > self.speech_floor and self._silero.speech)
        power: Floats | None = None
        if energy >= self.peak_floor or self._model_inputs is not None:
            spectrum = np.fft.rfft(history * self._window)
            power = spectrum.real**2 + spectrum.imag**2
        machine_p = None
        if self._model_inputs is not None:
            heard = energy > MODEL_SPEECH_FLOOR and bool(self._model_vad.is_speech(frame, RATE))
            row = self._model_inputs.push(power, energy, heard)
            if self._scorer is not None:
                machine_p = self._scorer.step(row)
            if self.inputs is not None:
                self.inputs.append(row)
        peaks = _peaks(power) if power is not None and energy >= self.peak_floor else ()
        features = FrameFeatures(
            index=self._index, energy=energy, speech=speech, peaks=peaks, machine_p=machine_p
        )
        self._index += 1
        return features


def _peaks(power: Floats) -> tuple[tuple[float, float], ...]:
    """``power``: the Hann-windowed 512-point power spectrum (its DC bins get zeroed)."""
    power[:_LOW_BINS] = 0.0
    total = float(power.sum())
    if total <= 0.0:
        return ()
    first = int(power.argmax())
    lo1, hi1 = max(0, first - PEAK_HALF_BINS), first + PEAK_HALF_BINS + 1
    peaks = [(_frequency(power, first), float(power[lo1:hi1].sum()) / total)]
    # The second peak: the strongest local maximum outside the first one's main lobe.
    # Not "the strongest bin outside +-60 Hz": ringback's 480 Hz is 40 Hz from its
    # 440 Hz, and the bins just past the first lobe would only be its own skirt.
    is_max = (power[1:-1] > power[:-2]) & (power[1:-1] >= power[2:])
    is_max[max(0, lo1 - 1) : hi1 - 1] = False
    candidates = np.flatnonzero(is_max)
    if len(candidates):
        second = int(candidates[power[candidates + 1].argmax()]) + 1
        lo2, hi2 = second - PEAK_HALF_BINS, second + PEAK_HALF_BINS + 1
        if second > first:  # bins already counted in the first peak's share are not
            lo2 = max(lo2, hi1)  # counted again
        else:
            hi2 = min(hi2, lo1)
        share = float(power[max(0, lo2) : hi2].sum()) / total
        peaks.append((_frequency(power, second), share))
    return tuple(peaks)


def _frequency(power: Floats, k: int) -> float:
    """Peak frequency refined between bins: a Hann peak is near-Gaussian, so a
    parabola through the log-power of the bin and its neighbours finds its centre
    to ~1 Hz (the beep detector's +-2.5 % stability test needs better than a
    15.6 Hz bin, which is 3.9 % at 400 Hz)."""
    if 0 < k < len(power) - 1:
        a, b, c = (float(power[k - 1]), float(power[k]), float(power[k + 1]))
        if a > 0.0 and c > 0.0:
            la, lb, lc = math.log(a), math.log(b), math.log(c)
            denom = la - 2.0 * lb + lc
            if denom < 0.0:
                return (k + 0.5 * (la - lc) / denom) * BIN_HZ
    return k * BIN_HZ
