"""`dialback amd classify` and `dialback amd eval`: the detectors on audio files.

Every file is streamed frame by frame as a call would be (20 ms frames of
8 kHz PCM from the moment of answer); times are from the start of the file.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from dialback.adapters.amd.features import FRAME_BYTES, FeatureExtractor
from dialback.adapters.amd.wavio import AudioFileError, read_audio
from dialback.domain.amd.asterisk import AsteriskAmd
from dialback.domain.amd.beep import BeepDetector
from dialback.domain.amd.detector import DialbackAmd
from dialback.domain.amd.frames import FRAME_MS, Decision, FrameFeatures, Verdict

Engine = Literal["dialback", "asterisk"]
ENGINES: tuple[Engine, ...] = ("dialback", "asterisk")
BEEP_TOLERANCE_MS = 150


@dataclass(frozen=True)
class Classified:
    file: str
    decision: str | None = None
    decided_at_ms: int | None = None
    beep_at_ms: int | None = None
    reason: str = ""
    error: str | None = None
    frames: int = 0
    seconds_spent: float = 0.0

    def as_json(self) -> dict[str, Any]:
        if self.error is not None:
            return {"file": self.file, "error": self.error}
        return {
            "file": self.file,
            "decision": self.decision,
            "decided_at_ms": self.decided_at_ms,
            "beep_at_ms": self.beep_at_ms,
        }


def frames_of(pcm: bytes) -> list[FrameFeatures]:
    return FeatureExtractor().push(pcm)


def asterisk_frames_of(pcm: bytes) -> list[FrameFeatures]:
    """The frames Asterisk's rules and the beep detector read: the energy and the
    spectrum. Neither reads the speech flag or the network's score, so neither
    Silero nor the network runs (their cost is not the baseline's)."""
    return FeatureExtractor(model=False, silero=False).push(pcm)


def stream_dialback(pcm: bytes) -> tuple[Verdict, int]:
    """Dialback's detector on ``pcm`` as a call hears it: 20 ms at a time, features
    and verdict together, Silero stopped once the detector no longer reads speech (as
    the SIP worker does). The verdict, with any beep, and the number of frames."""
    features, amd = FeatureExtractor(), DialbackAmd()
    count = 0
    for start in range(0, len(pcm), FRAME_BYTES):
        for f in features.push(pcm[start : start + FRAME_BYTES]):
            count += 1
            amd.push(f)
            if not amd.reads_speech:
                features.stop_voice()
    return amd.finish(), count


def run_engine(engine: Engine, frames: Sequence[FrameFeatures]) -> Verdict:
    """Stream ``frames`` through one engine; the verdict, with any beep (V3)."""
    if engine == "dialback":
        amd = DialbackAmd()
        for f in frames:
            amd.push(f)
        return amd.finish()
    asterisk = AsteriskAmd()
    beep = BeepDetector()
    verdict: Verdict | None = None
    beep_at: int | None = None
    for f in frames:
        if verdict is None:
            verdict = asterisk.push(f)
        if beep_at is None:
            beep_at = beep.push(f)
    end_ms = len(frames) * FRAME_MS
    if verdict is None:
        verdict = Verdict(Decision.NOTSURE, end_ms, "ended before a decision")
    return Verdict(verdict.decision, verdict.decided_at_ms, verdict.reason, beep_at)


def wav_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise NotADirectoryError(f"{folder} is not a folder")
    return sorted(p for p in folder.iterdir() if p.suffix.lower() == ".wav" and p.is_file())


def classify_folder(folder: Path, engine: Engine) -> Iterator[Classified]:
    for path in wav_files(folder):
        try:
            pcm = read_audio(path)
        except (AudioFileError, OSError) as exc:
            yield Classified(file=path.name, error=str(exc))
            continue
        if len(pcm) < FRAME_BYTES:
            yield Classified(file=path.name, error="shorter than one 20 ms frame")
            continue
        started = time.perf_counter()
        if engine == "dialback":
            verdict, count = stream_dialback(pcm)
        else:
            frames = asterisk_frames_of(pcm)
            verdict, count = run_engine(engine, frames), len(frames)
        yield Classified(
            file=path.name,
            decision=str(verdict.decision),
            decided_at_ms=verdict.decided_at_ms,
            beep_at_ms=verdict.beep_at_ms,
            reason=verdict.reason,
            frames=count,
            seconds_spent=time.perf_counter() - started,
        )


@dataclass(frozen=True)
class Truth:
    label: str  # HUMAN | MACHINE
    beep_ms: int | None


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


def score(results: Sequence[Classified], truth: dict[str, Truth]) -> dict[str, Any]:
    """The issue 4 metrics for one engine over labelled clips."""
    rows = [(r, truth[r.file]) for r in results if r.error is None and r.file in truth]
    humans = [r for r, t in rows if t.label == "HUMAN"]
    machines = [r for r, t in rows if t.label == "MACHINE"]
    correct = sum(1 for r, t in rows if r.decision == t.label)
    with_beep = [(r, t) for r, t in rows if t.beep_ms is not None]
    without_beep = [r for r, t in rows if t.beep_ms is None]
    hits = sum(
        1
        for r, t in with_beep
        if r.beep_at_ms is not None
        and t.beep_ms is not None
        and abs(r.beep_at_ms - t.beep_ms) <= BEEP_TOLERANCE_MS
    )
    frames = sum(r.frames for r, _ in rows)
    spent = sum(r.seconds_spent for r, _ in rows)

    def times(group: list[Classified]) -> dict[str, float | None]:
        ms = [float(r.decided_at_ms) for r in group if r.decided_at_ms is not None]
        return {
            "median_ms": statistics.median(ms) if ms else None,
            "p95_ms": _pct(ms, 0.95),
        }

    def share(n: int, d: int) -> float | None:
        return round(n / d, 4) if d else None

    return {
        "clips": len(rows),
        "accuracy": share(correct, len(rows)),
        "humans_called_machine": share(sum(r.decision == "MACHINE" for r in humans), len(humans)),
        "machine_recall": share(sum(r.decision == "MACHINE" for r in machines), len(machines)),
        "notsure": share(sum(r.decision == "NOTSURE" for r, _ in rows), len(rows)),
        "human_decision": times(humans),
        "machine_decision": times(machines),
        "beep_hit_rate_150ms": share(hits, len(with_beep)),
        "false_beep_rate": share(
            sum(r.beep_at_ms is not None for r in without_beep), len(without_beep)
        ),
        "us_per_frame": round(1e6 * spent / frames, 1) if frames else None,
        "errors": sum(1 for r in results if r.error is not None),
    }
