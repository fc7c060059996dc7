"""Small deterministic test audio for the SIP rig: tones, a voice-like signal, G.711 μ-law.

Everything is 8 kHz 16-bit mono, the narrowband telephone format the SIP adapter reads
(FACTS: 320 bytes per 20 ms). Nothing is downloaded and nothing depends on the wall
clock: the voice-like signal is a function of its seed. Files come in two shapes:
WAV (stdlib `wave`) for Python readers, and RAW μ-law for sipp's `rtp_stream`, which
plays payload 0 from a headerless file (FACTS: not a WAV).

μ-law is encoded here in pure Python (ITU-T G.711) because `audioop` is deprecated
and pytest runs with warnings as errors.
"""

from __future__ import annotations

import math
import random
import wave
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import TypeAlias

RATE = 8000  # samples per second, narrowband telephony
FRAME_SAMPLES = 160  # 20 ms, one RTP packet of PCMU
FULL_SCALE = 32767

Samples: TypeAlias = "array[int]"  # array('h') of signed 16-bit samples


def silence(seconds: float) -> Samples:
    return array("h", bytes(2 * _count(seconds)))


def tone(freq_hz: float, seconds: float, *, level: float = 0.5) -> Samples:
    """A pure sine, `level` of full scale (0.5 ≈ -6 dBFS), with 5 ms ramps so it does not click."""
    n = _count(seconds)
    step = 2 * math.pi * freq_hz / RATE
    ramp = min(40, n // 2)
    out = array("h", bytes(2 * n))
    for i in range(n):
        gain = min(1.0, (i + 1) / ramp, (n - i) / ramp) if ramp else 1.0
        out[i] = _clip(level * gain * FULL_SCALE * math.sin(step * i))
    return out


def voice_like(seconds: float, *, seed: int = 0, level: float = 0.4) -> Samples:
    """Speech-shaped test signal: syllables of band-limited modulated tones with pauses.

    Each 120–320 ms "syllable" is three partials in the 300–3400 Hz telephone band
    (one per formant region), each gliding slightly in pitch, amplitude-modulated at a
    "voice pitch" of 100–220 Hz and shaped by a raised-cosine on/off envelope; syllables
    are separated by 40–160 ms gaps and every few syllables by a 250–600 ms word pause.
    Voice-activity and answering-machine detectors see it as talk, not as a tone.
    """
    rng = random.Random(seed)
    total = _count(seconds)
    out = array("h", bytes(2 * total))
    pos = 0
    in_word = 0
    while pos < total:
        length = min(_count(rng.uniform(0.12, 0.32)), total - pos)
        partials = [
            (rng.uniform(300, 900), rng.uniform(0.5, 0.7)),
            (rng.uniform(900, 2300), rng.uniform(0.25, 0.4)),
            (rng.uniform(2300, 3300), rng.uniform(0.1, 0.2)),
        ]
        glide = rng.uniform(-0.15, 0.15)  # relative pitch change over the syllable
        pitch = rng.uniform(100, 220)
        norm = sum(a for _, a in partials)
        for i in range(length):
            t = i / RATE
            env = 0.5 - 0.5 * math.cos(2 * math.pi * (i + 0.5) / length)
            bend = 1 + glide * i / length
            value = sum(a * math.sin(2 * math.pi * f * bend * t) for f, a in partials) / norm
            buzz = 0.6 + 0.4 * math.sin(2 * math.pi * pitch * t)
            out[pos + i] = _clip(level * FULL_SCALE * env * buzz * value)
        pos += length
        in_word += 1
        if in_word >= rng.randint(2, 4):
            pos += _count(rng.uniform(0.25, 0.6))
            in_word = 0
        else:
            pos += _count(rng.uniform(0.04, 0.16))
    return out


def concat(*parts: Samples) -> Samples:
    out = array("h")
    for part in parts:
        out.extend(part)
    return out


def rms(samples: Iterable[int]) -> float:
    values = list(samples)
    if not values:
        return 0.0
    return math.sqrt(sum(v * v for v in values) / len(values))


def _goertzel(samples: Samples, freq: float) -> float:
    coeff = 2 * math.cos(2 * math.pi * freq / RATE)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def dominant_frequency(samples: Samples, candidates: Iterable[float]) -> float:
    """Which of `candidates` (Hz) carries the most energy, by the Goertzel algorithm."""
    return max(candidates, key=lambda freq: _goertzel(samples, freq))


def tone_share(samples: Samples, freq: float) -> float:
    """Share of the signal's energy at `freq`: ~1 for a pure tone, small for speech/noise."""
    energy = sum(x * x for x in samples)
    if not energy:
        return 0.0
    return _goertzel(samples, freq) / (len(samples) * energy / 2)


# --- G.711 μ-law (ITU-T G.711, the "PCMU" of RFC 3551 payload type 0) ---

_BIAS = 0x84
_CLIP = 32635
_ENCODE_TABLE: bytes | None = None


def _encode_one(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(-sample if sign else sample, _CLIP) + _BIAS
    exponent = max(0, magnitude.bit_length() - 8)  # segment 0..7
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF


def _table() -> bytes:
    global _ENCODE_TABLE
    if _ENCODE_TABLE is None:  # indexed by the sample's 16-bit two's-complement pattern
        _ENCODE_TABLE = bytes(_encode_one(i - 65536 if i >= 32768 else i) for i in range(65536))
    return _ENCODE_TABLE


def ulaw_encode(samples: Iterable[int]) -> bytes:
    table = _table()
    return bytes(table[s & 0xFFFF] for s in samples)


def ulaw_decode(data: bytes) -> Samples:
    out = array("h", bytes(2 * len(data)))
    for i, byte in enumerate(data):
        u = ~byte & 0xFF
        exponent = (u >> 4) & 0x07
        magnitude = (((u & 0x0F) << 3) + _BIAS) << exponent
        value = magnitude - _BIAS
        out[i] = -value if u & 0x80 else value
    return out


# --- files ---


def write_wav(path: Path, samples: Samples) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(_little_endian(samples))
    return path


def read_wav(path: Path) -> Samples:
    with wave.open(str(path), "rb") as wav:
        if (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) != (1, 2, RATE):
            raise ValueError(f"{path}: expected 8 kHz 16-bit mono")
        raw = wav.readframes(wav.getnframes())
    out = array("h", raw)
    if _BIG_ENDIAN:
        out.byteswap()
    return out


def write_ulaw(path: Path, samples: Samples) -> Path:
    """RAW μ-law, no header: what `rtp_stream="FILE,-1,0"` plays (FACTS)."""
    path.write_bytes(ulaw_encode(samples))
    return path


def ulaw_seconds(path: Path) -> float:
    return path.stat().st_size / RATE  # one byte per sample


def _little_endian(samples: Samples) -> bytes:
    if not _BIG_ENDIAN:
        return samples.tobytes()
    swapped = array("h", samples)
    swapped.byteswap()
    return swapped.tobytes()


_BIG_ENDIAN = array("h", [1]).tobytes()[0] == 0


def _count(seconds: float) -> int:
    if seconds < 0:
        raise ValueError("seconds must be >= 0")
    return round(seconds * RATE)


def _clip(value: float) -> int:
    return max(-32768, min(32767, round(value)))
