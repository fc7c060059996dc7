"""Labelled answering-machine corpus, deterministic from a seed (issue 4, item 4).

`generate_corpus(out, seed=..., count=...)` writes `clip-00001.wav`, ... (8 kHz 16-bit
mono PCM) and `labels.csv`. Each clip is one answered call as the caller hears it
from the moment of answer (or, in a few clips, from late ringback): a person or a
machine speaks, synthesised offline by Debian's `espeak-ng` (en, en-us, ru, uk with
voice variants, 130-190 wpm, pitch 30-70), then the telephone channel of
`amd_channel` applies. Nothing is downloaded; same seed and count give the same bytes.

The slices are chosen to be hard in both directions: people who talk for 2-4 s
(a desk greeting), who wait silently before speaking, or who talk to someone else;
machines whose greeting is 1.2-2 s, that open with seconds of carrier silence or a
special-information tone; noise, music and ringback in both classes. A detector that
calls every utterance over 1.5 s MACHINE fails the long human slices, and one that
calls every beep-band tone a beep fails on ringback, SIT and hold music.

Times in the labels are milliseconds from the start of the file: `speech_start_ms` is
the first word of the answering party (or greeting); `beep_ms` is the start of the
tone that ends a greeting, and None when there is none.
"""

from __future__ import annotations

import csv
import random
import wave
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass, fields
from pathlib import Path

import numpy as np
import numpy.typing as npt

from dialback.bench import amd_channel as ch
from dialback.bench.amd_corpus_text import PHRASE_BANKS, SLICES, Label, Scene, phrase

__all__ = [
    "SLICES",
    "Clip",
    "ClipLabel",
    "Label",
    "LabelsError",
    "generate_corpus",
    "read_labels",
    "render_clip",
    "schedule",
    "write_labels",
]

MIN_SECONDS, MAX_SECONDS = 4.0, 10.0
RINGBACK_SHARE = 0.12


@dataclass(frozen=True)
class ClipLabel:
    """One row of labels.csv: the truth about one clip."""

    file: str
    label: Label
    kind: str  # the slice, a key of SLICES for generated clips
    language: str
    beep_ms: int | None  # start of the end-of-greeting beep, from the start of the file
    speech_start_ms: int  # first speech of the answering party, from the start of the file
    channel: str  # e.g. "ulaw+pink20db+drop2+ringback"
    seconds: float


COLUMNS = tuple(f.name for f in fields(ClipLabel))


class LabelsError(ValueError):
    """A labels.csv row that cannot be read; the message names the file and line."""


# --- rendering ---


@dataclass(frozen=True)
class Clip:
    pcm: npt.NDArray[np.int16]
    label: ClipLabel


def render_clip(
    *,
    seed: int,
    index: int,
    kind: str,
    language: str,
    ringback: bool | None = None,
    voices: str = "espeak",
    phrases: str = "train",
) -> Clip:
    """One clip of slice `kind`, MIN_SECONDS-MAX_SECONDS long; `ringback` forces late
    ringback before the answer on or off (None: in about RINGBACK_SHARE of clips, when
    it fits in MAX_SECONDS; forced on, a long clip may run past MAX_SECONDS). `voices`
    is the voice family (`amd_channel.VOICE_FAMILIES`): espeak-ng's, or flite and
    festival ones for a held-out check on voices a detector was not tuned on.
    `phrases` is the phrase bank (`amd_corpus_text.PHRASE_BANKS`): "heldout" says
    other words than every training corpus, for a check on unheard wording."""

    def stream(purpose: str) -> random.Random:
        return random.Random(f"{seed}|{index}|{kind}|{language}|{purpose}")

    spec = SLICES[kind]
    rng = stream("scene")
    level = ch.FULL * ch.db(rng.uniform(-28, -18))  # the random gain of phone and line
    voice = ch.Voice.draw(rng, language, voices)
    scene = Scene(rng, language, level, voice, voices, phrases)
    if ":" in voice.name:  # a flite or festival voice: say which
        scene.notes.append(voice.name.replace(":", "-"))
    spec.build(scene)
    total = min(max(scene.pos, ch.samples(MIN_SECONDS)), ch.samples(MAX_SECONDS))
    if scene.beep:  # never cut a labelled beep: keep it and 300 ms after
        total = max(total, scene.beep[1] + ch.samples(0.3))

    extra = stream("extra")
    wanted = extra.random() < RINGBACK_SHARE
    on, off = extra.uniform(0.8, 2.0), extra.uniform(0.3, 1.5)  # late in a 2 s burst
    if ringback is None:
        ringback = wanted and total + ch.samples(on + off) <= ch.samples(MAX_SECONDS)
    prefix = np.zeros(0)
    if ringback:
        prefix = ch.ringback(on, off, level * ch.db(extra.uniform(-8, -2)))
        scene.notes.insert(0, "ringback")
    shift = len(prefix)
    total = -(-(shift + total) // ch.FRAME) * ch.FRAME  # whole 20 ms frames

    mix = np.zeros(total)
    mix[:shift] = prefix
    for start, x in scene.parts:
        x = x[: max(0, total - shift - start)]
        mix[shift + start : shift + start + len(x)] += x
    for start, end, bed_kind, rel_db in scene.beds:
        stop = total if end is None else min(total, shift + end)
        begin = shift + start
        mix[begin:stop] += _bed(
            bed_kind, stop - begin, extra, language, level * ch.db(rel_db), voices, phrases
        )

    channel = ch.Channel.draw(stream("channel"))
    protect = [(shift + scene.beep[0], shift + scene.beep[1])] if scene.beep else []
    pcm = ch.transmit(mix, speech_rms=level, channel=channel, rng=stream("noise"), protect=protect)
    label = ClipLabel(
        file=f"clip-{index:05d}.wav",
        label=spec.label,
        kind=kind,
        language=language,
        beep_ms=None if scene.beep is None else _ms(shift + scene.beep[0]),
        speech_start_ms=_ms(shift + (scene.speech_start or 0)),
        channel="+".join([channel.describe(), *scene.notes]),
        seconds=round(total / ch.RATE, 3),
    )
    return Clip(pcm, label)


def _bed(
    kind: str, n: int, rng: random.Random, language: str, rms: float, voices: str, bank: str
) -> ch.Signal:
    seconds = n / ch.RATE
    if kind == "music":
        return ch.music_bed(seconds, rng, rms)[:n]
    if kind == "street":
        return ch.street_bed(seconds, rng, rms)[:n]
    # television: a presenter over a music bed, in the room behind the person
    text = phrase("chatter", language, rng, bank)
    talk = ch.synthesize(text, ch.Voice.draw(rng, language, voices))
    repeats = np.tile(np.concatenate([talk, ch.silence(0.4)]), n // (len(talk) + 3200) + 1)
    return repeats[:n] * rms + ch.music_bed(seconds, rng, rms * ch.db(-8))[:n]


def _ms(sample: int) -> int:
    return round(sample * 1000 / ch.RATE)


def schedule(seed: int, count: int, languages: Sequence[str]) -> list[tuple[str, str]]:
    """(kind, language) per clip: slices in proportion to their weights (largest
    remainder, every slice at least once when count allows), languages balanced."""
    total = sum(s.weight for s in SLICES.values())
    quotas = {k: count * s.weight / total for k, s in SLICES.items()}
    counts = {k: int(q) for k, q in quotas.items()}
    if count >= len(SLICES):
        counts = {k: max(1, c) for k, c in counts.items()}
    by_remainder = sorted(SLICES, key=lambda k: (counts[k] - quotas[k], k))
    while sum(counts.values()) < count:
        for k in by_remainder:
            if sum(counts.values()) < count:
                counts[k] += 1
    while sum(counts.values()) > count:
        k = max(counts, key=lambda k: (counts[k] - quotas[k], k))
        counts[k] -= 1
    kinds = [k for k in SLICES for _ in range(counts[k])]
    langs = [languages[i % len(languages)] for i in range(count)]
    rng = random.Random(f"{seed}|schedule|{count}")
    rng.shuffle(kinds)
    rng.shuffle(langs)
    return list(zip(kinds, langs, strict=True))


def generate_corpus(
    out: Path,
    *,
    seed: int,
    count: int,
    languages: Sequence[str] = ("en", "ru", "uk"),
    workers: int = 2,
    voices: str = "espeak",
    phrases: str = "train",
) -> list[ClipLabel]:
    """Write `count` clips and labels.csv into `out`; the same seed and count give
    byte-identical files. `workers` threads run espeak-ng and sox in parallel."""
    if count < 0:
        raise ValueError(f"count must be >= 0, not {count}")
    unknown = set(languages) - set(ch.LANGUAGE_VOICES)
    if unknown or not languages:
        raise ValueError(f"languages must be a non-empty subset of {sorted(ch.LANGUAGE_VOICES)}")
    if voices not in ch.VOICE_FAMILIES:
        raise ValueError(f"voices must be one of {', '.join(ch.VOICE_FAMILIES)}, not {voices!r}")
    if phrases not in PHRASE_BANKS:
        raise ValueError(f"phrases must be one of {', '.join(PHRASE_BANKS)}, not {phrases!r}")
    out.mkdir(parents=True, exist_ok=True)
    plan = schedule(seed, count, languages)

    def one(i: int) -> ClipLabel:
        kind, language = plan[i]
        clip = render_clip(
            seed=seed, index=i + 1, kind=kind, language=language, voices=voices, phrases=phrases
        )
        write_pcm_wav(out / clip.label.file, clip.pcm)
        return clip.label

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        labels = list(pool.map(one, range(count)))
    write_labels(out / "labels.csv", labels)
    return labels


def write_pcm_wav(path: Path, pcm: npt.NDArray[np.int16]) -> None:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(ch.RATE)
        wav.writeframes(pcm.astype("<i2").tobytes())


# --- labels.csv ---


def write_labels(path: Path, labels: Sequence[ClipLabel]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for label in labels:
            writer.writerow("" if v is None else v for v in astuple(label))


def read_labels(path: Path) -> list[ClipLabel]:
    """Rows of labels.csv; a bad row raises LabelsError naming the file and line."""
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or ())]
        if missing:
            raise LabelsError(f"{path}:1: missing column(s) {', '.join(missing)}")
        labels = []
        for row in reader:
            try:
                labels.append(_parse_row(row))
            except (ValueError, TypeError) as exc:
                raise LabelsError(f"{path}:{reader.line_num}: {exc}") from None
    return labels


def _parse_row(row: dict[str, str | None]) -> ClipLabel:
    def text(column: str) -> str:
        value = (row.get(column) or "").strip()
        if not value and column not in ("beep_ms", "channel"):
            raise ValueError(f"{column} is empty")
        return value

    label = text("label")
    if label not in ("HUMAN", "MACHINE"):
        raise ValueError(f"label must be HUMAN or MACHINE, not {label!r}")
    beep = text("beep_ms")
    try:
        seconds = float(text("seconds"))
    except ValueError:
        raise ValueError(f"seconds must be a number, not {row.get('seconds')!r}") from None
    if not seconds >= 0:
        raise ValueError(f"seconds must be >= 0, not {seconds}")
    return ClipLabel(
        file=text("file"),
        label="HUMAN" if label == "HUMAN" else "MACHINE",
        kind=text("kind"),
        language=text("language"),
        beep_ms=_int(beep, "beep_ms") if beep else None,
        speech_start_ms=_int(text("speech_start_ms"), "speech_start_ms"),
        channel=text("channel"),
        seconds=seconds,
    )


def _int(value: str, column: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{column} must be an integer, not {value!r}") from None
