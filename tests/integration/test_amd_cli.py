"""`dialback amd classify`: every file gets a line; bad files get a clear error."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from dialback.adapters.amd import read_audio
from dialback.bench import audio
from dialback.bench.amd_corpus import render_clip, write_pcm_wav
from dialback.bench.amd_eval import asterisk_frames_of, frames_of, run_engine, stream_dialback
from dialback.cli import main
from dialback.domain.amd.frames import Decision


def _stereo_44k(path: Path, seconds: float = 2.0) -> None:
    t = np.arange(int(44100 * seconds)) / 44100
    tone = (0.3 * np.sin(2 * np.pi * 700 * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(np.column_stack([tone, tone]).tobytes())


def test_classify_reports_bad_files_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-not-a-wav.wav").write_text("this is not audio")
    (tmp_path / "b-empty.wav").write_bytes(b"")
    _stereo_44k(tmp_path / "c-stereo-44k.wav")
    # a person's "hello" from the corpus generator (espeak-ng over a telephone line)
    hello = render_clip(seed=5, index=1, kind="hello", language="en")
    write_pcm_wav(tmp_path / "d-hello.wav", hello.pcm)
    (tmp_path / "notes.txt").write_text("ignored: not a .wav")

    assert main(["amd", "classify", str(tmp_path), "--jsonl"]) == 0
    out = capsys.readouterr()
    lines = [json.loads(line) for line in out.out.splitlines()]
    assert [line["file"] for line in lines] == [
        "a-not-a-wav.wav",
        "b-empty.wav",
        "c-stereo-44k.wav",
        "d-hello.wav",
    ]
    bad, empty, stereo, hello_line = lines
    assert "RIFF" in bad["error"]
    assert "empty" in empty["error"]
    assert stereo["decision"] in ("HUMAN", "MACHINE", "NOTSURE")  # read and resampled
    assert hello_line["decision"] == "HUMAN" and hello_line["decided_at_ms"] < 2500
    assert "a-not-a-wav.wav" in out.err  # and said on stderr too


def test_classify_with_the_asterisk_engine_and_a_missing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audio.write_wav(tmp_path / "silence.wav", audio.silence(3.0))
    assert main(["amd", "classify", str(tmp_path), "--engine", "asterisk", "--jsonl"]) == 0
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    # Asterisk's INITIALSILENCE rule: 2.5 s of silence is a "machine".
    assert line["decision"] == "MACHINE" and line["decided_at_ms"] == 2500
    assert main(["amd", "classify", str(tmp_path / "nope")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_corpus_with_the_held_out_phrase_bank(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`dialback amd corpus --phrases heldout`: the same scenes, other words."""
    args = ["amd", "corpus", "--seed", "5", "--count", "13"]
    assert main([*args, str(tmp_path / "train")]) == 0
    assert main([*args, "--phrases", "heldout", str(tmp_path / "held")]) == 0
    assert "13 clips" in capsys.readouterr().out
    train_labels = (tmp_path / "train" / "labels.csv").read_text().splitlines()
    held_labels = (tmp_path / "held" / "labels.csv").read_text().splitlines()
    kinds = [line.split(",")[2] for line in train_labels[1:]]
    assert kinds == [line.split(",")[2] for line in held_labels[1:]]  # same schedule
    differ = [
        (tmp_path / "train" / f).read_bytes() != (tmp_path / "held" / f).read_bytes()
        for f in sorted(p.name for p in (tmp_path / "held").glob("*.wav"))
    ]
    assert len(differ) == 13 and all(differ)


def test_streaming_with_silero_stopped_after_the_verdict_changes_nothing(tmp_path: Path) -> None:
    """`amd eval` streams as the SIP worker does: Silero stops after a HUMAN or NOTSURE
    verdict (only the beep detector listens on). Verdicts, times, beeps: as when every
    frame is computed with it first."""
    assert main(["amd", "corpus", "--seed", "7", "--count", "12", str(tmp_path)]) == 0
    decisions = set()
    for path in sorted(tmp_path.glob("*.wav")):
        pcm = read_audio(path)
        frames = frames_of(pcm)
        streamed, count = stream_dialback(pcm)
        assert streamed == run_engine("dialback", frames)
        assert count == len(frames)
        decisions.add(streamed.decision)
    assert {Decision.HUMAN, Decision.MACHINE} <= decisions  # both paths were taken


def test_the_asterisk_engine_reads_only_energy_and_spectrum(tmp_path: Path) -> None:
    """`--engine asterisk` runs neither Silero nor the network: its verdicts, times
    and beeps are those it reaches on the full features, and no frame carries the
    network's score."""
    assert main(["amd", "corpus", "--seed", "9", "--count", "12", str(tmp_path)]) == 0
    decisions = set()
    beeps = 0
    for path in sorted(tmp_path.glob("*.wav")):
        pcm = read_audio(path)
        lean = asterisk_frames_of(pcm)
        full = frames_of(pcm)
        verdict = run_engine("asterisk", lean)
        assert verdict == run_engine("asterisk", full)
        assert all(f.machine_p is None for f in lean)
        assert [f.energy for f in lean] == [f.energy for f in full]
        decisions.add(verdict.decision)
        beeps += verdict.beep_at_ms is not None
    assert len(decisions) >= 2 and beeps >= 1  # more than one path was taken
