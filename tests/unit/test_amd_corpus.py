"""The AMD corpus generator (issue 4, item 4): deterministic, labelled honestly, hard.

Runs the real espeak-ng and sox (a 40-clip corpus takes about a second on 2 cores).
"""

from __future__ import annotations

import random
import shutil
import wave
from collections import Counter
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import webrtcvad

from dialback.bench.amd_channel import OTHER_VOICES, Voice
from dialback.bench.amd_corpus import (
    SLICES,
    ClipLabel,
    LabelsError,
    generate_corpus,
    read_labels,
    render_clip,
    schedule,
    write_labels,
)

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="needs Debian espeak-ng and sox",
)

SEED = 2024
BEEPLESS = {"voicemail_nobeep", "carrier", "ivr", "screening"}
BEEPING = {"voicemail_beep", "short_greeting"}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[ClipLabel]]:
    out = tmp_path_factory.mktemp("corpus")
    return out, generate_corpus(out, seed=SEED, count=40)


def pcm(path: Path) -> npt.NDArray[np.int16]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        return np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def spectrum_peak(x: npt.NDArray[np.int16]) -> tuple[float, float]:
    """(frequency of the strongest bin, share of the energy within ±40 Hz of it)."""
    windowed = x.astype(np.float64) * np.hanning(len(x))
    power = np.abs(np.fft.rfft(windowed)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / 8000)
    peak = float(freqs[int(np.argmax(power))])
    near = np.abs(freqs - peak) <= 40
    return peak, float(power[near].sum() / power.sum())


def speech_span_s(x: npt.NDArray[np.int16], label: ClipLabel) -> float:
    """Seconds from the first voiced frame at or after the labelled speech start to the
    last one before a 600 ms pause or the beep (webrtcvad over the whole clip, 20 ms
    frames): the greeting length a timing detector would measure."""
    vad = webrtcvad.Vad(3)
    end = len(x) if label.beep_ms is None else label.beep_ms * 8
    voiced = [vad.is_speech(x[i : i + 160].tobytes(), 8000) for i in range(0, end - 159, 160)]
    first = voiced.index(True, label.speech_start_ms // 20)
    last, gap = first, 0
    for i in range(first, len(voiced)):
        if voiced[i]:
            last, gap = i, 0
        elif (gap := gap + 1) >= 30:
            break
    return (last - first + 1) * 0.02


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    first = generate_corpus(tmp_path / "a", seed=7, count=2)
    again = generate_corpus(tmp_path / "b", seed=7, count=2, workers=1)
    other = generate_corpus(tmp_path / "c", seed=8, count=2)
    assert first == again
    for name in ("clip-00001.wav", "clip-00002.wav", "labels.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert first != other
    assert (tmp_path / "a" / "clip-00001.wav").read_bytes() != (
        tmp_path / "c" / "clip-00001.wav"
    ).read_bytes()


def test_labels_csv_matches_the_wav_files(corpus: tuple[Path, list[ClipLabel]]) -> None:
    out, labels = corpus
    assert read_labels(out / "labels.csv") == labels
    assert [c.file for c in labels] == [f"clip-{i:05d}.wav" for i in range(1, 41)]
    for clip in labels:
        samples = pcm(out / clip.file)  # 8 kHz 16-bit mono, or it fails
        assert len(samples) / 8000 == pytest.approx(clip.seconds, abs=0.002)
        assert len(samples) % 160 == 0  # whole 20 ms frames
        assert 4.0 <= clip.seconds <= 12.5
        assert 0 <= clip.speech_start_ms < clip.seconds * 1000
        assert clip.channel.split("+")[0] in {"ulaw", "alaw", "gsm", "ulaw2alaw"}


def test_corpus_is_balanced_and_has_the_hard_slices(
    corpus: tuple[Path, list[ClipLabel]],
) -> None:
    _, labels = corpus
    classes = Counter(c.label for c in labels)
    assert 16 <= classes["HUMAN"] <= 24 and 16 <= classes["MACHINE"] <= 24
    kinds = {c.kind for c in labels}
    assert kinds == set(SLICES)  # every slice, at 40 clips
    assert {c.language for c in labels} == {"en", "ru", "uk"}
    for clip in labels:
        assert clip.label == SLICES[clip.kind].label


def test_schedule_balances_classes_and_languages() -> None:
    plan = schedule(1, 200, ("en", "ru", "uk"))
    classes = Counter(SLICES[kind].label for kind, _ in plan)
    assert classes == {"HUMAN": 100, "MACHINE": 100}
    assert sorted(Counter(lang for _, lang in plan).values()) == [66, 67, 67]


def test_beep_ms_points_at_a_steady_tone_in_the_beep_band(
    corpus: tuple[Path, list[ClipLabel]],
) -> None:
    out, labels = corpus
    beeps = [c for c in labels if c.beep_ms is not None]
    assert len(beeps) >= 6
    for clip in beeps:
        assert clip.beep_ms is not None and clip.beep_ms > clip.speech_start_ms
        start = clip.beep_ms * 8
        freq, share = spectrum_peak(pcm(out / clip.file)[start : start + 800])  # 100 ms
        assert 390 <= freq <= 2010, clip
        assert share > 0.5, clip


def test_only_greeting_ends_carry_beep_ms(corpus: tuple[Path, list[ClipLabel]]) -> None:
    _, labels = corpus
    for clip in labels:
        if clip.label == "HUMAN" or clip.kind in BEEPLESS:
            assert clip.beep_ms is None, clip
        if clip.kind in BEEPING:
            assert clip.beep_ms is not None, clip


def test_ringback_before_the_answer_is_not_a_beep() -> None:
    clip = render_clip(seed=SEED, index=1, kind="hello", language="en", ringback=True)
    assert clip.label.beep_ms is None
    assert clip.label.channel.split("+")[-1] == "ringback"
    freq, _ = spectrum_peak(clip.pcm[:4000])  # the first 500 ms: ringback
    assert freq == pytest.approx(460, abs=30)  # 440 + 480 Hz
    assert clip.label.speech_start_ms >= 1100  # 0.8-2 s of ringback, 0.3-1.5 s of quiet

    machine = render_clip(seed=SEED, index=2, kind="voicemail_beep", language="uk", ringback=True)
    assert "ringback" in machine.label.channel
    assert machine.label.beep_ms is not None
    assert machine.label.beep_ms > machine.label.speech_start_ms >= 1100


def test_silent_pickups_are_quiet_until_the_first_word() -> None:
    for index in range(1, 4):
        clip = render_clip(seed=SEED, index=index, kind="silent_pickup", language="ru")
        start = clip.label.speech_start_ms
        assert clip.label.label == "HUMAN" and start >= 2500
        x = clip.pcm.astype(np.float64)
        before = np.sqrt(np.mean(x[: start * 8 - 400] ** 2))
        after = np.sqrt(np.mean(x[start * 8 : start * 8 + 2400] ** 2))
        assert after > 2 * before


def test_long_talking_humans_and_short_greeting_machines_defeat_a_length_rule() -> None:
    """A detector that says MACHINE for speech longer than 1.5 s must get these wrong."""
    for index in range(1, 4):
        human = render_clip(seed=SEED, index=index, kind="business_greeting", language="en")
        assert human.label.label == "HUMAN"
        assert speech_span_s(human.pcm, human.label) > 1.5
        machine = render_clip(seed=SEED, index=index, kind="short_greeting", language="uk")
        assert machine.label.label == "MACHINE"
        assert speech_span_s(machine.pcm, machine.label) < 2.5


def test_read_labels_names_the_line_of_a_malformed_row(tmp_path: Path) -> None:
    good = ClipLabel("clip-00001.wav", "HUMAN", "hello", "en", None, 300, "ulaw", 4.0)
    path = tmp_path / "labels.csv"
    write_labels(path, [good, good])
    assert read_labels(path) == [good, good]
    lines = path.read_text().splitlines()

    lines[2] = lines[2].replace(",300,", ",soon,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LabelsError, match=r"labels\.csv:3: speech_start_ms must be an integer"):
        read_labels(path)

    lines[2] = lines[1].replace("HUMAN", "PERSON")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(LabelsError, match=r"labels\.csv:3: label must be HUMAN or MACHINE"):
        read_labels(path)

    path.write_text("file,label\nclip-00001.wav,HUMAN\n")
    with pytest.raises(LabelsError, match=r"labels\.csv:1: missing column"):
        read_labels(path)


OTHER_TTS = shutil.which("flite") is not None and shutil.which("text2wave") is not None


@pytest.mark.skipif(not OTHER_TTS, reason="needs Debian flite and festival")
@pytest.mark.parametrize("language", ["en", "uk"])
def test_other_voices_speak_each_language_deterministically(language: str) -> None:
    """The held-out voice family (flite, festival) renders the same bytes twice, and
    a business greeting keeps to the slice's 4 s bound even with festival's voices,
    which ignore the speaking rate (the generator then time-stretches)."""
    clips = [
        render_clip(seed=SEED, index=5, kind="business_greeting", language=language, voices="other")
        for _ in range(2)
    ]
    assert np.array_equal(clips[0].pcm, clips[1].pcm)
    label = clips[0].label
    assert "flite-" in label.channel or "festival-" in label.channel
    assert 1.5 < speech_span_s(clips[0].pcm, label) <= 4.3


def test_piper_speaks_english_deterministically_and_hands_other_languages_on() -> None:
    """piper's neural voice (the `piper` extra, installed by scripts/setup.sh): its
    sampling noise is off, so a seed gives the same bytes; it has no Russian or
    Ukrainian, which the family speaks with the other voices."""
    clips = [
        render_clip(seed=SEED, index=5, kind="business_greeting", language="en", voices="piper")
        for _ in range(2)
    ]
    assert np.array_equal(clips[0].pcm, clips[1].pcm)
    assert "piper-joe" in clips[0].label.channel
    assert 1.5 < speech_span_s(clips[0].pcm, clips[0].label) <= 4.3
    rng = random.Random(3)
    assert {Voice.draw(rng, "uk", "piper").name for _ in range(5)} <= set(OTHER_VOICES["uk"])


def test_an_unknown_voice_family_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="voices must be one of espeak, other, mixed, piper"):
        generate_corpus(tmp_path, seed=1, count=1, voices="robots")


def test_a_phrase_bank_changes_the_words_not_the_scene() -> None:
    """`--phrases heldout` says other words in the same kind of call: the same seed
    gives the same bytes again, other audio than the training bank's, and a label
    of the same kind with the speech starting where the scene puts it."""
    train = render_clip(seed=SEED, index=3, kind="voicemail_beep", language="ru")
    held = [
        render_clip(seed=SEED, index=3, kind="voicemail_beep", language="ru", phrases="heldout")
        for _ in range(2)
    ]
    assert np.array_equal(held[0].pcm, held[1].pcm)
    assert not np.array_equal(held[0].pcm[: len(train.pcm)], train.pcm[: len(held[0].pcm)])
    assert held[0].label.kind == train.label.kind == "voicemail_beep"
    assert held[0].label.speech_start_ms == train.label.speech_start_ms  # same lead-in
    assert held[0].label.beep_ms is not None


def test_an_unknown_phrase_bank_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match="phrases must be one of train, wide, rich, varied, heldout"
    ):
        generate_corpus(tmp_path, seed=1, count=1, phrases="poems")
