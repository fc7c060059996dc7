"""The learned machine score: its inputs, its GRU arithmetic, and how the detector uses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dialback.adapters.amd.features import FeatureExtractor
from dialback.adapters.amd.model import (
    INPUTS,
    MEL_BANDS,
    GruScorer,
    GruWeights,
    ModelInputs,
    mel_filterbank,
    shipped_weights,
)
from dialback.domain.amd.detector import AmdParams, DialbackAmd
from dialback.domain.amd.frames import Decision, FrameFeatures


def _weights(hidden: int = 4, seed: int = 0) -> GruWeights:
    rng = np.random.default_rng(seed)
    return GruWeights(
        mean=rng.normal(size=INPUTS),
        std=rng.uniform(0.5, 2.0, size=INPUTS),
        w_ih=rng.normal(scale=0.3, size=(3 * hidden, INPUTS)),
        w_hh=rng.normal(scale=0.3, size=(3 * hidden, hidden)),
        b_ih=rng.normal(scale=0.1, size=3 * hidden),
        b_hh=rng.normal(scale=0.1, size=3 * hidden),
        w_out=rng.normal(size=hidden),
        b_out=0.2,
    )


def _reference_gru(w: GruWeights, rows: list[np.ndarray]) -> list[float]:
    """PyTorch's GRU equations written out gate by gate."""
    h = np.zeros(w.hidden)
    out = []
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    n_h = w.hidden
    for row in rows:
        x = (row - w.mean) / w.std
        wir, wiz, win = np.split(w.w_ih, 3)
        whr, whz, whn = np.split(w.w_hh, 3)
        bir, biz, bin_ = np.split(w.b_ih, 3)
        bhr, bhz, bhn = np.split(w.b_hh, 3)
        r = sig(wir @ x + bir + whr @ h + bhr)
        z = sig(wiz @ x + biz + whz @ h + bhz)
        n = np.tanh(win @ x + bin_ + r * (whn @ h + bhn))
        h = (1 - z) * n + z * h
        assert h.shape == (n_h,)
        out.append(float(sig(w.w_out @ h + w.b_out)))
    return out


def test_mel_filters_cover_the_telephone_band_in_order() -> None:
    bank = mel_filterbank()
    assert bank.shape == (257, MEL_BANDS)
    centres = bank.argmax(axis=0) * 8000 / 512
    assert list(centres) == sorted(centres)
    assert 150 < centres[0] < 300 and 3300 < centres[-1] < 3700
    assert bank[: int(150 / 15.625), :].sum() == 0.0  # nothing below 150 Hz


def test_inputs_separate_spectral_shape_from_level() -> None:
    rng = np.random.default_rng(1)
    power = rng.uniform(1e6, 1e9, size=257)
    quiet, loud = ModelInputs(), ModelInputs()
    a = quiet.push(power, 100.0, True)
    b = loud.push(power * 100.0, 1000.0, True)
    assert a.shape == (INPUTS,)
    # 20 dB louder: the shape bands barely move, the level goes up by ~2 (log10)
    assert np.allclose(a[:MEL_BANDS], b[:MEL_BANDS], atol=0.01)
    assert b[MEL_BANDS] - a[MEL_BANDS] == pytest.approx(2.0, abs=0.01)
    assert a[-1] == 1.0 and quiet.push(None, 0.0, False)[-1] == 0.0


def test_level_over_floor_rises_when_talk_starts_over_a_quiet_line() -> None:
    inputs = ModelInputs()
    for _ in range(100):
        quiet = inputs.push(None, 20.0, False)
    talk = inputs.push(None, 2000.0, True)
    assert quiet[MEL_BANDS + 1] == pytest.approx(0.0)
    assert talk[MEL_BANDS + 1] == pytest.approx(np.log10(2001 / 21), abs=1e-6)


def test_streaming_scorer_computes_pytorchs_gru_equations() -> None:
    w = _weights()
    rng = np.random.default_rng(2)
    powers = [rng.uniform(1e5, 1e10, size=257) for _ in range(30)]
    energies = [float(e) for e in rng.uniform(10, 3000, size=30)]
    inputs = ModelInputs()
    rows = [inputs.push(p, e, e > 500) for p, e in zip(powers, energies, strict=True)]
    scorer = GruScorer(w)
    got = [scorer.push(p, e, e > 500) for p, e in zip(powers, energies, strict=True)]
    assert got == pytest.approx(_reference_gru(w, rows), rel=1e-9)


def test_weights_round_trip_through_npz(tmp_path: Path) -> None:
    w = _weights(hidden=3)
    path = tmp_path / "m.npz"
    np.savez(
        path,
        mean=w.mean,
        std=w.std,
        w_ih=w.w_ih,
        w_hh=w.w_hh,
        b_ih=w.b_ih,
        b_hh=w.b_hh,
        w_out=w.w_out,
        b_out=np.array([w.b_out]),
    )
    back = GruWeights.load(path)
    assert back.hidden == 3
    assert np.array_equal(back.w_hh, w.w_hh) and back.b_out == w.b_out


def test_extractor_attaches_a_score_per_frame_only_when_a_model_runs() -> None:
    pcm = (np.sin(np.arange(8000) * 0.3) * 3000).astype("<i2").tobytes()
    scored = FeatureExtractor(model=_weights()).push(pcm)
    plain = FeatureExtractor(model=False).push(pcm)
    assert len(scored) == len(plain) == 50
    assert all(f.machine_p is not None and 0.0 < f.machine_p < 1.0 for f in scored)
    assert all(f.machine_p is None for f in plain)
    # the score does not change what the rules see
    assert [(f.energy, f.speech, f.peaks) for f in scored] == [
        (f.energy, f.speech, f.peaks) for f in plain
    ]


def test_shipped_weights_load_and_fit_the_inputs() -> None:
    w = shipped_weights()
    assert w is not None, "amd_model.npz ships with the package"
    assert w.w_ih.shape == (3 * w.hidden, INPUTS)
    assert w.mean.shape == w.std.shape == (INPUTS,)


# --- how the turn-taking detector uses the score (pure, synthetic frames) ---


def _frames(pattern: list[tuple[float, bool, float | None]]) -> list[FrameFeatures]:
    """(seconds, speech?, machine_p) runs -> frames; speech has 120 ms gaps every 240 ms."""
    frames: list[FrameFeatures] = []
    for seconds, speech, p in pattern:
        for k in range(round(seconds * 50)):
            talking = speech and k % 18 < 12
            frames.append(FrameFeatures(len(frames), 1500.0 if talking else 15.0, talking, (), p))
    return frames


def _verdict(frames: list[FrameFeatures], params: AmdParams | None = None) -> tuple[str, int]:
    amd = DialbackAmd(params)
    for f in frames:
        if amd.push(f) is not None:
            break
    v = amd.finish()
    return v.decision, v.decided_at_ms


def test_a_sure_model_calls_a_machine_once_the_turn_is_long_enough_not_before() -> None:
    p = AmdParams()
    decision, at = _verdict(_frames([(0.3, False, 0.5), (4.0, True, 0.999)]), p)
    assert decision == Decision.MACHINE
    assert 300 + p.model_min_talk_ms <= at < 300 + p.model_min_talk_ms + 1000
    # a sure model over a shorter turn is left to the timing rules: a person
    # after a 2 s greeting and a pause
    frames = _frames([(0.3, False, 0.5), (2.0, True, 0.999), (2.0, False, 0.5)])
    assert _verdict(frames, p)[0] == Decision.HUMAN
    # and so is a long turn the model is unsure of
    frames = _frames([(0.3, False, 0.5), (4.0, True, 0.6), (2.0, False, 0.6)])
    assert _verdict(frames, p)[0] == Decision.HUMAN


def test_a_sure_model_holds_back_a_turn_gap_until_the_recording_goes_on() -> None:
    # a greeting with a 1.5 s pause in it: timing alone calls the pause a turn gap
    pattern: list[tuple[float, bool, float | None]] = [
        (0.3, False, 0.5),
        (2.0, True, 0.98),
        (1.5, False, 0.98),
        (4.0, True, 0.98),
    ]
    params = AmdParams(model_machine_p=1.1)  # only the veto acts
    assert _verdict(_frames(pattern), params)[0] == Decision.MACHINE
    timing_only: list[tuple[float, bool, float | None]] = [(s, sp, None) for s, sp, _ in pattern]
    assert _verdict(_frames(timing_only), params)[0] == Decision.HUMAN


def test_a_model_never_hangs_up_on_silence() -> None:
    assert _verdict(_frames([(8.0, False, 0.999)]))[0] == Decision.NOTSURE


def test_at_the_end_of_the_analysis_only_a_very_sure_model_calls_a_machine() -> None:
    held = [(0.3, False, 0.5), (2.0, True, 0.995), (6.0, False, 0.995)]
    decision, at = _verdict(_frames(held))  # type: ignore[arg-type]
    assert (decision, at) == (Decision.MACHINE, AmdParams().max_ms)
    unsure = [(0.3, False, 0.5), (2.0, True, 0.98), (6.0, False, 0.98)]
    assert _verdict(_frames(unsure))[0] == Decision.NOTSURE  # type: ignore[arg-type]
