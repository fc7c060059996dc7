"""Read any PCM / G.711 WAV file as 8 kHz 16-bit mono PCM (``dialback amd classify``).

The stdlib ``wave`` module refuses non-PCM encodings (μ-law, A-law, float,
WAVE_FORMAT_EXTENSIBLE) and ``audioop`` is deprecated (pytest runs with warnings as
errors), so the RIFF chunks are parsed here and the samples decoded with numpy:

- PCM 8 (unsigned), 16, 24, 32 bit; IEEE float 32/64 bit; μ-law (format 7) and
  A-law (format 6) per ITU-T G.711; WAVE_FORMAT_EXTENSIBLE wrapping any of these;
- any sample rate, resampled to 8 kHz by a windowed-sinc (Kaiser) polyphase
  filter that is also the anti-alias low-pass (scipy is not a dependency);
- any number of channels, averaged to mono.

Every problem with the file is an ``AudioFileError`` (a ``ValueError``) with a
message a person can act on, so the CLI reports it per file and goes on.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any

import numpy as np

TARGET_RATE = 8000

_PCM, _FLOAT, _ALAW, _ULAW, _EXTENSIBLE = 0x0001, 0x0003, 0x0006, 0x0007, 0xFFFE
_ENCODING_NAMES = {
    0x0002: "Microsoft ADPCM",
    0x0011: "IMA ADPCM",
    0x0016: "ITU G.723 ADPCM",
    0x0031: "GSM 6.10",
    0x0040: "ITU G.721 ADPCM",
    0x0050: "MPEG",
    0x0055: "MPEG",  # MPEG Layer 3
    0x0064: "ITU G.726 ADPCM",
    0x0065: "ITU G.722 ADPCM",
    0x2000: "Dolby AC3",
}

Floats = np.ndarray[Any, np.dtype[np.float64]]


class AudioFileError(ValueError):
    """The file cannot be read as audio; the message says why."""


def read_audio(path: Path) -> bytes:
    """8 kHz, 16-bit little-endian, mono PCM of the WAV file at ``path``."""
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise AudioFileError(f"cannot read file: {exc.strerror or exc}") from exc
    return decode_wav(blob)


def decode_wav(blob: bytes) -> bytes:
    """8 kHz, 16-bit little-endian, mono PCM of a whole WAV file's bytes."""
    fmt, data = _chunks(blob)
    if fmt is None:
        raise AudioFileError("WAV has no fmt chunk")
    code, channels, rate, block_align, bits = _parse_fmt(fmt)
    if data is None:
        raise AudioFileError("WAV has no data chunk")
    if channels < 1:
        raise AudioFileError("invalid fmt chunk: 0 channels")
    if rate < 1:
        raise AudioFileError("invalid fmt chunk: sample rate 0")
    width = _sample_width(code, channels, block_align, bits)
    frame_bytes = width * channels
    usable = len(data) - len(data) % frame_bytes  # a cut-off last sample frame is dropped
    if usable == 0:
        raise AudioFileError("WAV has no audio (the data chunk is empty)")
    samples = _decode(code, data[:usable], width)
    mono = samples.reshape(-1, channels).mean(axis=1) if channels > 1 else samples
    pcm = resample(mono, rate, TARGET_RATE)
    return np.clip(np.rint(pcm), -32768, 32767).astype("<i2").tobytes()


# --- RIFF ---


def _chunks(blob: bytes) -> tuple[bytes | None, bytes | None]:
    """The first ``fmt `` and ``data`` chunks' bodies (None when missing)."""
    if not blob:
        raise AudioFileError("empty file")
    if len(blob) < 12 or blob[:4] not in (b"RIFF", b"RIFX"):
        raise AudioFileError("not a WAV file (no RIFF header)")
    if blob[:4] == b"RIFX":
        raise AudioFileError("unsupported WAV: big-endian RIFX")
    if blob[8:12] != b"WAVE":
        kind = blob[8:12].decode("latin-1")
        raise AudioFileError(f"not a WAV file (RIFF type {kind!r}, expected 'WAVE')")
    fmt: bytes | None = None
    data: bytes | None = None
    pos = 12
    while pos + 8 <= len(blob):
        chunk_id = blob[pos : pos + 4]
        (size,) = struct.unpack_from("<I", blob, pos + 4)
        body = blob[pos + 8 : pos + 8 + size]  # a size past the end (a streamed or
        if chunk_id == b"fmt " and fmt is None:  # cut file) keeps what is there
            fmt = body
        elif chunk_id == b"data" and data is None:
            data = body
        pos += 8 + size + (size & 1)  # chunks are padded to an even length
    return fmt, data


def _parse_fmt(fmt: bytes) -> tuple[int, int, int, int, int]:
    if len(fmt) < 16:
        raise AudioFileError("truncated fmt chunk")
    code, channels, rate, _byte_rate, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if code == _EXTENSIBLE:
        # cbSize, valid bits, channel mask, then the SubFormat GUID whose first two
        # bytes are the real format code (Microsoft's WAVEFORMATEXTENSIBLE).
        if len(fmt) < 40:
            raise AudioFileError("truncated fmt chunk (WAVE_FORMAT_EXTENSIBLE)")
        (code,) = struct.unpack_from("<H", fmt, 24)
    if code not in (_PCM, _FLOAT, _ALAW, _ULAW):
        name = _ENCODING_NAMES.get(code, "unknown")
        raise AudioFileError(f"unsupported WAV encoding {code} ({name})")
    return code, channels, rate, block_align, bits


def _sample_width(code: int, channels: int, block_align: int, bits: int) -> int:
    # The container width is what the data is laid out in (12-bit PCM sits in 2 bytes).
    width = block_align // channels if block_align else (bits + 7) // 8
    allowed = {_PCM: (1, 2, 3, 4), _FLOAT: (4, 8), _ALAW: (1,), _ULAW: (1,)}[code]
    if width not in allowed:
        kind = {_PCM: "PCM", _FLOAT: "float", _ALAW: "A-law", _ULAW: "μ-law"}[code]
        raise AudioFileError(f"unsupported {kind} sample width: {width * 8} bits")
    return width


# --- decoding ---


def _decode(code: int, data: bytes, width: int) -> Floats:
    """Samples on the 16-bit scale (-32768..32767) as float64."""
    if code == _ULAW:
        return _ULAW_TABLE[np.frombuffer(data, dtype=np.uint8)]
    if code == _ALAW:
        return _ALAW_TABLE[np.frombuffer(data, dtype=np.uint8)]
    if code == _FLOAT:
        values = np.frombuffer(data, dtype="<f4" if width == 4 else "<f8")
        return np.asarray(values, dtype=np.float64) * 32768.0
    if width == 1:  # 8-bit WAV PCM is unsigned, 128 = zero
        return (np.frombuffer(data, dtype=np.uint8).astype(np.float64) - 128.0) * 256.0
    if width == 2:
        return np.frombuffer(data, dtype="<i2").astype(np.float64)
    if width == 3:
        raw = np.frombuffer(data, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        value = np.where(value >= 1 << 23, value - (1 << 24), value)
        return value.astype(np.float64) / 256.0
    return np.frombuffer(data, dtype="<i4").astype(np.float64) / 65536.0


def _ulaw_table() -> Floats:
    # ITU-T G.711 μ-law expansion (the bytes are stored complemented).
    u = ~np.arange(256, dtype=np.int32) & 0xFF
    exponent = (u >> 4) & 0x07
    magnitude = (((u & 0x0F) << 3) + 0x84) << exponent
    value = magnitude - 0x84
    return np.where(u & 0x80, -value, value).astype(np.float64)


def _alaw_table() -> Floats:
    # ITU-T G.711 A-law expansion (even bits inverted, sign bit 1 = positive).
    a = np.arange(256, dtype=np.int32) ^ 0x55
    exponent = (a >> 4) & 0x07
    mantissa = a & 0x0F
    value = np.where(
        exponent == 0,
        (mantissa << 4) + 8,
        ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0),
    )
    return np.where(a & 0x80, value, -value).astype(np.float64)


_ULAW_TABLE = _ulaw_table()
_ALAW_TABLE = _alaw_table()


# --- resampling ---

_ZERO_CROSSINGS = 16  # filter half-length in zero crossings of the sinc
_KAISER_BETA = 8.0  # ~-80 dB stop band
_CUTOFF = 0.94  # of the lower Nyquist frequency: 3760 Hz when going to 8 kHz
_MAX_PHASES = 1024  # odd rates: the fractional delay is rounded to 1/1024 sample
_CHUNK = 8192  # outputs computed per numpy step (bounds memory on long files)


def resample(x: Floats, rate_in: int, rate_out: int) -> Floats:
    """Band-limited resampling by a polyphase windowed-sinc filter.

    Output sample ``n`` sits at input position ``t = n * rate_in / rate_out``; it is
    the sum of the input around ``t`` weighted by a Kaiser-windowed sinc whose
    cut-off is just below the lower of the two Nyquist frequencies -- the anti-alias
    low-pass and the interpolation in one step. The sinc is tabulated for each
    fractional position ``t - floor(t)`` (exactly ``L`` of them for a ratio
    ``L/M`` in lowest terms, at most 1024).
    """
    if rate_in == rate_out or len(x) == 0:
        return x
    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g  # rate_out / rate_in = up / down
    cutoff = 0.5 * _CUTOFF * min(1.0, up / down)  # cycles per input sample
    half = math.ceil(_ZERO_CROSSINGS / (2.0 * cutoff))  # taps each side, input samples
    phases = min(up, _MAX_PHASES)
    offsets = np.arange(-half + 1, half + 1)  # taps j = floor(t) + offset
    frac = np.arange(phases)[:, None] / phases  # t - floor(t) for each phase
    dist = offsets[None, :] - frac  # input sample position minus t
    kernel = 2.0 * cutoff * np.sinc(2.0 * cutoff * dist)
    kernel *= _kaiser(dist / half)
    padded = np.concatenate([np.zeros(half), x, np.zeros(half + 1)])
    n_out = (len(x) * up) // down
    out = np.empty(n_out, dtype=np.float64)
    for start in range(0, n_out, _CHUNK):
        n = np.arange(start, min(start + _CHUNK, n_out), dtype=np.int64)
        base = (n * down) // up
        phase = ((n * down) % up) * phases // up
        taps = padded[base[:, None] + half + offsets[None, :]]
        out[start : start + len(n)] = np.einsum("ij,ij->i", taps, kernel[phase])
    return out


def _kaiser(position: Floats) -> Floats:
    """Kaiser window evaluated at ``position`` in [-1, 1] (0 outside)."""
    inside = np.clip(1.0 - position**2, 0.0, None)
    return np.asarray(np.i0(_KAISER_BETA * np.sqrt(inside)) / np.i0(_KAISER_BETA), dtype=np.float64)
