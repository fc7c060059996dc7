"""Beep detection (SPEC V3): the tone that ends a greeting is found, look-alikes are not.

Two layers: the pure ``BeepDetector`` on hand-made frame features, and the whole
path (numpy signal -> telephone channel -> ``FeatureExtractor`` -> ``BeepDetector``)
on synthetic audio: sines plus white noise at 10-30 dB SNR through G.711 μ-law.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pytest

from dialback.adapters.amd.features import FeatureExtractor
from dialback.bench.audio import ulaw_decode, ulaw_encode, voice_like
from dialback.domain.amd.beep import BeepDetector
from dialback.domain.amd.frames import FRAME_MS, FrameFeatures

RATE = 8000
Signal = np.ndarray  # float64 samples on the 16-bit scale


# --- the pure detector on frame features ---


def tone_frames(
    n: int, hz: float = 1000.0, *, start: int = 0, share: float = 0.95, second: float = 0.01
) -> list[FrameFeatures]:
    return [
        FrameFeatures(
            index=start + i,
            energy=2000.0,
            speech=False,
            peaks=((hz, share), (hz * 1.7, second)),
        )
        for i in range(n)
    ]


def quiet_frames(n: int, *, start: int) -> list[FrameFeatures]:
    return [FrameFeatures(index=start + i, energy=20.0, speech=False) for i in range(n)]


def peak_frames(
    n: int,
    peaks: tuple[tuple[float, float], ...],
    *,
    start: int,
    energy: float = 2000.0,
    speech: bool = False,
) -> list[FrameFeatures]:
    """``n`` frames with the same spectral peaks."""
    return [
        FrameFeatures(index=start + i, energy=energy, speech=speech, peaks=peaks) for i in range(n)
    ]


def detect_frames(seq: Sequence[FrameFeatures]) -> int | None:
    detector = BeepDetector()
    found = [r for r in (detector.push(f) for f in seq) if r is not None]
    last = detector.finish()
    if last is not None:
        found.append(last)
    assert len(found) <= 1, "a beep is reported once"
    return found[0] if found else None


def test_four_steady_tone_frames_then_quiet_is_a_beep_at_the_tone_start() -> None:
    assert (
        detect_frames(
            quiet_frames(10, start=0) + tone_frames(4, start=10) + quiet_frames(10, start=14)
        )
        == 10 * FRAME_MS
    )


def test_three_tone_frames_are_too_short_for_a_beep() -> None:
    seq = quiet_frames(10, start=0) + tone_frames(3, start=10) + quiet_frames(10, start=13)
    assert detect_frames(seq) is None


def test_beep_is_confirmed_once_the_tone_ends_and_no_other_tone_follows() -> None:
    detector = BeepDetector()
    results = [detector.push(f) for f in tone_frames(6, start=0)]
    assert results == [None] * 6  # not yet: it could be the first note of a SIT
    results = [detector.push(f) for f in quiet_frames(10, start=6)]
    assert results.count(0) == 1 and results.count(None) == 9
    assert detector.beep_at_ms == 0


def test_a_long_tone_is_confirmed_without_waiting_for_its_end() -> None:
    detector = BeepDetector()
    results = [detector.push(f) for f in tone_frames(40, start=5)]
    confirmed_at = next(i for i, r in enumerate(results) if r is not None)
    assert results[confirmed_at] == 5 * FRAME_MS
    assert (confirmed_at + 1) * FRAME_MS <= 440


def test_two_strong_peaks_are_not_a_beep() -> None:
    assert detect_frames(tone_frames(20, 440.0, share=0.66, second=0.32)) is None


def test_harmonic_second_peak_makes_a_note_not_a_beep() -> None:
    note = [
        FrameFeatures(index=i, energy=2000.0, speech=False, peaks=((500.0, 0.96), (1000.0, 0.03)))
        for i in range(15)
    ]
    assert detect_frames(note) is None


def test_a_beep_whose_noise_peaks_land_on_a_harmonic_now_and_then_is_still_a_beep() -> None:
    # A 595 Hz beep over 10 dB white noise: each frame's second peak is the noise's,
    # -21 to -24 dB, somewhere new each time; twice in ten frames it lands near 5x.
    beep: list[FrameFeatures] = []
    for i, second in enumerate((2881.6, 2243.2, 2098.1, 2912.2, 1501.5, 2635.9) * 2):
        beep += peak_frames(1, ((595.0, 0.9), (second, 0.009)), start=10 + i, energy=1100.0)
    seq = quiet_frames(10, start=0) + beep[:10] + quiet_frames(20, start=20)
    assert detect_frames(seq) == 10 * FRAME_MS


def test_one_weak_harmonic_right_on_the_multiple_makes_a_vowel_not_a_beep() -> None:
    # A held 1 kHz vowel, out of a pause as a beep would be, whose 2nd harmonic shows
    # once at -20 dB, at 2.00x: where a harmonic is, not where noise happens to land.
    vowel = tone_frames(3, 1000.0, start=10)
    vowel += peak_frames(1, ((1000.0, 0.95), (2001.0, 0.01)), start=13)
    vowel += tone_frames(6, 1000.0, start=14)
    assert detect_frames(quiet_frames(10, start=0) + vowel + quiet_frames(20, start=20)) is None


def test_a_weak_harmonic_that_holds_makes_a_note_not_a_beep() -> None:
    # A flute-like note: its octave only -20 dB and measured 2 % off (2.04x, where a
    # noise peak could land), but in every frame.
    note = peak_frames(12, ((523.0, 0.95), (1067.0, 0.01)), start=10)
    assert detect_frames(quiet_frames(10, start=0) + note + quiet_frames(20, start=22)) is None


def test_a_weak_harmonic_in_half_the_frames_makes_a_note_not_a_beep() -> None:
    frames = [
        peak_frames(1, ((523.0, 0.95), ((1067.0 if i % 2 else 1500.0), 0.01)), start=10 + i)[0]
        for i in range(12)
    ]
    assert detect_frames(quiet_frames(10, start=0) + frames + quiet_frames(20, start=22)) is None


def loud_frames(n: int, *, start: int, energy: float = 1500.0) -> list[FrameFeatures]:
    """Speech: loud, no dominant peak."""
    return [
        FrameFeatures(index=start + i, energy=energy, speech=True, peaks=((700.0, 0.2),))
        for i in range(n)
    ]


def test_a_short_low_tone_glued_to_speech_is_a_held_vowel_not_a_beep() -> None:
    seq = loud_frames(20, start=0) + tone_frames(8, 450.0, start=20) + quiet_frames(20, start=28)
    assert detect_frames(seq) is None


def test_the_same_tone_out_of_a_pause_is_a_beep() -> None:
    seq = (
        loud_frames(20, start=0)
        + quiet_frames(10, start=20)
        + tone_frames(8, 450.0, start=30)
        + quiet_frames(20, start=38)
    )
    assert detect_frames(seq) == 30 * FRAME_MS


@pytest.mark.parametrize(("hz", "frames"), [(1500.0, 6), (450.0, 20)])
def test_a_high_or_long_tone_glued_to_speech_is_still_a_beep(hz: float, frames: int) -> None:
    seq = loud_frames(20, start=0) + tone_frames(frames, hz, start=20) + quiet_frames(20, start=40)
    assert detect_frames(seq) == 20 * FRAME_MS


def test_second_peaks_at_three_halves_mean_a_voice_not_a_beep() -> None:
    # 400 and 600 Hz: the 2nd and 3rd harmonics of a 200 Hz voice whose fundamental
    # the telephone band removed
    voice = peak_frames(10, ((400.0, 0.95), (600.0, 0.01)), start=10, speech=True)
    assert detect_frames(quiet_frames(10, start=0) + voice + quiet_frames(20, start=20)) is None


def test_a_codec_smeared_skirt_next_to_the_tone_is_still_a_beep() -> None:
    # GSM-coded 1900 Hz beep: a weak second peak 60 Hz away (ringback's holds ~0.3)
    seq = quiet_frames(10, start=0) + tone_frames(8, 1900.0, start=10, second=0.0)
    smeared = [
        FrameFeatures(
            index=f.index, energy=f.energy, speech=False, peaks=((1900.0, 0.85), (1840.0, 0.07))
        )
        for f in seq[10:]
    ]
    assert detect_frames(seq[:10] + smeared + quiet_frames(20, start=18)) == 10 * FRAME_MS


def test_a_gsm_smeared_beep_with_a_fading_last_frame_is_still_a_beep() -> None:
    # Measured through GSM (a 1770 Hz beep): the skirt 55 Hz away holds up to 0.24 in
    # some frames, and the fading last frame 0.13 -- neither is a second tone.
    skirts = (0.09, 0.14, 0.04, 0.24, 0.12, 0.2, 0.08)
    beep = [
        FrameFeatures(
            index=10 + i, energy=800.0, speech=False, peaks=((1770.0, 0.8), (1825.0, share))
        )
        for i, share in enumerate(skirts)
    ]
    fading = FrameFeatures(
        index=17, energy=190.0, speech=False, peaks=((1775.0, 0.8), (1730.0, 0.13))
    )
    seq = quiet_frames(10, start=0) + beep + [fading] + quiet_frames(20, start=18)
    assert detect_frames(seq) == 10 * FRAME_MS


def test_faint_noise_peaks_far_from_a_beep_are_not_a_voice() -> None:
    # A 624 Hz beep over 14 dB white noise: the second peak is noise, -26 dB, landing
    # anywhere -- 2899 Hz is 14:3 of the tone, which a voice's harmonics could be too.
    beep = peak_frames(8, ((624.0, 0.95), (2899.0, 0.0025)), start=10, energy=1900.0)
    seq = quiet_frames(10, start=0) + beep + quiet_frames(20, start=18)
    assert detect_frames(seq) == 10 * FRAME_MS


def test_a_strong_partial_at_seven_thirds_still_means_a_voice() -> None:
    # 600 and 1400 Hz: the 3rd and 7th harmonics of a 200 Hz voice, the 7th at -17 dB
    voice = peak_frames(10, ((600.0, 0.93), (1400.0, 0.02)), start=10, speech=True)
    assert detect_frames(quiet_frames(10, start=0) + voice + quiet_frames(20, start=20)) is None


def test_a_run_that_starts_with_a_harmonic_frame_is_a_vowel_not_a_beep() -> None:
    # A held synthetic vowel: two frames with their 2nd harmonic, then one harmonic
    # alone for six frames -- out of a pause, as a beep would be.
    onset = peak_frames(2, ((465.0, 0.82), (930.0, 0.06)), start=10, speech=True)
    held = tone_frames(6, 465.0, start=12)
    seq = quiet_frames(10, start=0) + onset + held + quiet_frames(20, start=18)
    assert detect_frames(seq) is None


def test_gliding_frequency_is_not_a_beep() -> None:
    chirp = [
        FrameFeatures(
            index=i, energy=2000.0, speech=False, peaks=((800.0 * 1.04**i, 0.95), (300.0, 0.01))
        )
        for i in range(15)
    ]
    assert detect_frames(chirp) is None


@pytest.mark.parametrize("hz", [300.0, 2500.0])
def test_tones_outside_400_to_2000_hz_are_not_beeps(hz: float) -> None:
    assert detect_frames(tone_frames(15, hz)) is None


def test_quiet_tone_is_not_a_beep() -> None:
    faint = [
        FrameFeatures(index=i, energy=30.0, speech=False, peaks=((1000.0, 0.99), (1500.0, 0.0)))
        for i in range(15)
    ]
    assert detect_frames(faint) is None


def test_different_tones_back_to_back_are_a_sequence_not_a_beep() -> None:
    # SIT: 913.8, 1370.6, 1776.7 Hz, 274-380 ms each, no gaps.
    seq = (
        tone_frames(14, 913.8, start=0)
        + tone_frames(14, 1370.6, start=14)
        + tone_frames(19, 1776.7, start=28)
        + quiet_frames(20, start=47)
    )
    assert detect_frames(seq) is None


def test_a_tone_after_a_pause_is_a_beep_again() -> None:
    seq = (
        tone_frames(14, 600.0, start=0)
        + quiet_frames(10, start=14)  # 200 ms: more than the sequence gap
        + tone_frames(10, 1000.0, start=24)
    )
    assert detect_frames(seq) == 0


def test_a_lost_frame_inside_the_beep_does_not_move_its_start() -> None:
    seq = (
        quiet_frames(5, start=0)
        + tone_frames(3, start=5)
        + quiet_frames(1, start=8)
        + tone_frames(5, start=9)
        + quiet_frames(10, start=14)
    )
    assert detect_frames(seq) == 5 * FRAME_MS


def test_finish_reports_a_beep_cut_off_by_the_end_of_the_stream() -> None:
    detector = BeepDetector()
    for f in tone_frames(8, start=3):
        assert detector.push(f) is None
    assert detector.finish() == 3 * FRAME_MS
    assert detector.push(tone_frames(1, start=11)[0]) is None


# --- the whole path on synthetic telephone audio ---


def sine(
    freqs: Sequence[float],
    seconds: float,
    rng: np.random.Generator,
    amps: Sequence[float] | None = None,
    ramp_s: float = 0.005,
) -> Signal:
    n = round(seconds * RATE)
    t = np.arange(n) / RATE
    weights = amps if amps is not None else [1.0] * len(freqs)
    x = sum(
        a * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi))
        for f, a in zip(freqs, weights, strict=True)
    )
    x = np.asarray(x, dtype=np.float64)
    ramp = min(round(ramp_s * RATE), n // 2)
    if ramp:
        x[:ramp] *= np.linspace(0.0, 1.0, ramp)
        x[-ramp:] *= np.linspace(1.0, 0.0, ramp)
    return x


def at_dbfs(x: Signal, dbfs: float) -> Signal:
    rms = float(np.sqrt(np.mean(x**2))) or 1.0
    return x * (10 ** (dbfs / 20) * 32768 / rms)


def rms_of(x: Signal) -> float:
    active = x[np.abs(x) > 0]
    return float(np.sqrt(np.mean(active**2)))


def telephone(x: Signal, snr_db: float, signal_rms: float, rng: np.random.Generator) -> bytes:
    """White noise at ``snr_db`` below ``signal_rms``, then a G.711 μ-law round trip."""
    noisy = x + rng.normal(0.0, signal_rms / 10 ** (snr_db / 20), len(x))
    pcm = np.clip(np.rint(noisy), -32768, 32767).astype(np.int16)
    return ulaw_decode(ulaw_encode(pcm.tolist())).tobytes()


@lru_cache(maxsize=8)
def speech(seconds: float, seed: int) -> Signal:
    return np.array(voice_like(seconds, seed=seed), dtype=np.float64)


def detect(pcm: bytes) -> int | None:
    extractor, detector = FeatureExtractor(), BeepDetector()
    for pos in range(0, len(pcm), 320):  # as a call delivers it: 20 ms at a time
        for f in extractor.push(pcm[pos : pos + 320]):
            found = detector.push(f)
            if found is not None:
                return found
    return detector.finish()


def test_beeps_400_to_2000_hz_80_to_600_ms_are_found_within_150_ms() -> None:
    rng = np.random.default_rng(2024)
    misses: list[str] = []
    cases = [(hz, ms) for hz in range(400, 2001, 200) for ms in (80, 150, 300, 600)]
    for i, (hz, ms) in enumerate(cases):
        level = rng.uniform(-28, -10)
        snr = rng.uniform(10, 30)
        greeting = at_dbfs(speech(1.5, i % 4)[: round(rng.uniform(0.8, 1.5) * RATE)], level)
        pause = np.zeros(
            round(rng.choice([0.0, rng.uniform(0.05, 0.8)]) * RATE) + int(rng.integers(0, 160))
        )  # anywhere inside a frame
        beep = at_dbfs(sine([hz], ms / 1000, rng), level)
        if len(pause) < 0.1 * RATE and hz <= 1000 and ms < 300:
            # glued to the last word, a short low beep is a held vowel (see the
            # detector's note and test_a_short_low_tone_glued_to_speech_...)
            pause = np.concatenate([pause, np.zeros(round(0.1 * RATE))])
        x = np.concatenate([greeting, pause, beep, np.zeros(RATE)])
        true_ms = (len(greeting) + len(pause)) * 1000 / RATE
        found = detect(telephone(x, snr, rms_of(beep), rng))
        if found is None or abs(found - true_ms) > 150:
            misses.append(f"{hz} Hz {ms} ms at {true_ms:.0f} ms, SNR {snr:.0f} dB: {found}")
    assert misses == [], f"{len(misses)}/{len(cases)} beeps missed"


@pytest.mark.parametrize("snr", [10.0, 20.0, 30.0])
def test_us_ringback_440_480_is_not_a_beep(snr: float) -> None:
    rng = np.random.default_rng(int(snr))
    on = at_dbfs(sine([440, 480], 2.0, rng), -18)
    x = np.concatenate([np.zeros(RATE // 5), on, np.zeros(4 * RATE), on])
    assert detect(telephone(x, snr, rms_of(on), rng)) is None


def test_uk_ringback_400_450_is_not_a_beep() -> None:
    rng = np.random.default_rng(7)
    on = at_dbfs(sine([400, 450], 0.4, rng), -18)
    gap = np.zeros(round(0.2 * RATE))
    x = np.concatenate([gap, on, gap, on, np.zeros(2 * RATE), on, gap, on])
    assert detect(telephone(x, 15, rms_of(on), rng)) is None


DTMF = {
    "1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "A": (697, 1633),
    "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "B": (770, 1633),
    "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "C": (852, 1633),
    "*": (941, 1209), "0": (941, 1336), "#": (941, 1477), "D": (941, 1633),
}  # fmt: skip


def test_dtmf_digits_are_not_beeps() -> None:
    rng = np.random.default_rng(11)
    parts: list[Signal] = [np.zeros(RATE // 5)]
    for low, high in DTMF.values():
        twist = 10 ** (rng.uniform(-4, 4) / 20)  # high group up to 4 dB off the low
        parts.append(at_dbfs(sine([low, high], rng.uniform(0.08, 0.5), rng, [1.0, twist]), -15))
        parts.append(np.zeros(round(rng.uniform(0.06, 0.3) * RATE)))
    x = np.concatenate(parts)
    assert detect(telephone(x, rng.uniform(10, 30), rms_of(x), rng)) is None


def music_bed(seconds: float, rng: np.random.Generator) -> Signal:
    """Notes of 200-400 ms with harmonics (sometimes triads), decaying, back to back."""
    notes: list[Signal] = []
    total = 0.0
    while total < seconds:
        length = rng.uniform(0.2, 0.4)
        total += length
        root = 196.0 * 2 ** (int(rng.integers(0, 24)) / 12)
        chord = [root] if rng.random() < 0.5 else [root, root * 2 ** (4 / 12), root * 2 ** (7 / 12)]
        harmonics = int(rng.integers(3, 7))
        amps = [1.0] + [rng.uniform(0.2, 0.8) / (h + 1) for h in range(1, harmonics)]
        note = sum(
            sine([f * (h + 1)], length, rng, ramp_s=0.01) * amps[h]
            for f in chord
            for h in range(harmonics)
            if f * (h + 1) < 3800
        )
        note = np.asarray(note, dtype=np.float64)
        notes.append(note * np.exp(-np.arange(len(note)) / (RATE * rng.uniform(0.2, 1.0))))
    return at_dbfs(np.concatenate(notes), -20)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_a_music_bed_is_not_a_beep(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.concatenate([np.zeros(RATE // 5), music_bed(8.0, rng)])
    assert detect(telephone(x, rng.uniform(10, 30), rms_of(x), rng)) is None


def test_a_melody_of_pure_tones_is_not_a_beep() -> None:
    # Every note is a perfect "beep", but each follows another without a pause.
    rng = np.random.default_rng(5)
    semitones = [0, 4, 7, 12, 7, 4, 9, 5, 2, 11, 14, 7, 0, 5, 9, 12, 16, 19, 12, 3]
    notes = [
        sine([261.6 * 2 ** (s / 12)], rng.uniform(0.2, 0.4), rng, ramp_s=0.01) for s in semitones
    ]
    x = np.concatenate([np.zeros(RATE // 5), at_dbfs(np.concatenate(notes), -18)])
    assert detect(telephone(x, 20, rms_of(x), rng)) is None


def test_special_information_tone_before_an_announcement_is_not_a_beep() -> None:
    rng = np.random.default_rng(6)
    sit = np.concatenate(
        [sine([913.8], 0.274, rng), sine([1370.6], 0.274, rng), sine([1776.7], 0.380, rng)]
    )
    x = np.concatenate(
        [np.zeros(RATE // 5), at_dbfs(sit, -18), np.zeros(RATE // 10), at_dbfs(speech(3.0, 9), -20)]
    )
    assert detect(telephone(x, 20, rms_of(x), rng)) is None


@pytest.mark.parametrize(("seed", "level"), [(21, -12.0), (22, -18.0), (23, -24.0), (24, -30.0)])
def test_speech_is_not_a_beep(seed: int, level: float) -> None:
    rng = np.random.default_rng(seed)
    x = at_dbfs(speech(8.0, seed), level)
    assert detect(telephone(x, rng.uniform(10, 30), rms_of(x), rng)) is None


def test_line_noise_and_silence_are_not_beeps() -> None:
    rng = np.random.default_rng(8)
    x = np.concatenate([np.zeros(2 * RATE), rng.normal(0, 300, 3 * RATE)])
    assert detect(telephone(x, 30, 300.0, rng)) is None


def test_candidate_is_visible_before_confirmation() -> None:
    detector = BeepDetector()
    for f in tone_frames(3, start=2):
        detector.push(f)
    assert detector.candidate_ms is None
    detector.push(tone_frames(1, start=5)[0])
    assert detector.candidate_ms == 2 * FRAME_MS and detector.beep_at_ms is None
