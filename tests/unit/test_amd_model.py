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


def _weights(hidden: int = 4, seed: int = 0, conv: int = 0, kernel: int = 3) -> GruWeights:
    rng = np.random.default_rng(seed)
    width = conv or INPUTS
    return GruWeights(
        mean=rng.normal(size=INPUTS),
        std=rng.uniform(0.5, 2.0, size=INPUTS),
        w_ih=rng.normal(scale=0.3, size=(3 * hidden, width)),
        w_hh=rng.normal(scale=0.3, size=(3 * hidden, hidden)),
        b_ih=rng.normal(scale=0.1, size=3 * hidden),
        b_hh=rng.normal(scale=0.1, size=3 * hidden),
        w_out=rng.normal(size=hidden),
        b_out=0.2,
        conv_w=rng.normal(scale=0.3, size=(conv, INPUTS, kernel)) if conv else None,
        conv_b=rng.normal(scale=0.1, size=conv) if conv else None,
    )


def _reference_conv(w: GruWeights, rows: list[np.ndarray]) -> list[np.ndarray]:
    """PyTorch's Conv1d over the normalised rows, left-padded with K-1 zero rows, ReLU."""
    assert w.conv_w is not None and w.conv_b is not None
    k = w.kernel
    x = [np.zeros(INPUTS)] * (k - 1) + [(row - w.mean) / w.std for row in rows]
    out = []
    for t in range(len(rows)):
        acc = w.conv_b.copy()
        for c in range(len(w.conv_b)):
            for j in range(k):  # tap j meets input row t + j of the padded sequence
                acc[c] += float(w.conv_w[c, :, j] @ x[t + j])
        out.append(np.maximum(acc, 0.0))
    return out


def _reference_gru(w: GruWeights, rows: list[np.ndarray]) -> list[float]:
    """PyTorch's GRU equations written out gate by gate."""
    h = np.zeros(w.hidden)
    out = []
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))  # noqa: E731
    n_h = w.hidden
    xs = _reference_conv(w, rows) if w.conv_w is not None else [(r - w.mean) / w.std for r in rows]
    for x in xs:
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


@pytest.mark.parametrize("conv", [0, 5], ids=["gru", "conv+gru"])
def test_streaming_scorer_computes_pytorchs_equations(conv: int) -> None:
    w = _weights(conv=conv)
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
    assert back.hidden == 3 and back.conv_w is None and back.kernel == 1
    assert np.array_equal(back.w_hh, w.w_hh) and back.b_out == w.b_out
    c = _weights(hidden=3, conv=4, kernel=5)
    assert c.conv_w is not None and c.conv_b is not None
    np.savez(path, **{k: np.asarray(v) for k, v in vars(c).items()})
    back = GruWeights.load(path)
    assert back.kernel == 5 and back.conv_b is not None
    assert np.array_equal(back.conv_w, c.conv_w) and np.array_equal(back.conv_b, c.conv_b)


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
    # recording the input rows too (training) neither changes the score nor the rows
    both = FeatureExtractor(model=_weights(), record_inputs=True)
    assert [f.machine_p for f in both.push(pcm)] == [f.machine_p for f in scored]
    alone = FeatureExtractor(model=False, record_inputs=True)
    alone.push(pcm)
    assert both.inputs is not None and alone.inputs is not None and len(both.inputs) == 50
    assert all(np.array_equal(a, b) for a, b in zip(both.inputs, alone.inputs, strict=True))


def test_shipped_weights_load_and_fit_the_inputs() -> None:
    w = shipped_weights()
    assert w is not None, "amd_model.npz ships with the package"
    assert w.conv_w is not None and w.conv_b is not None, "the shipped network has its conv"
    assert w.conv_w.shape[1] == INPUTS and w.kernel > 1
    assert w.w_ih.shape == (3 * w.hidden, w.conv_w.shape[0])
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


def test_a_sure_model_decides_once_enough_speech_was_heard_not_before() -> None:
    p = AmdParams()
    decision, at = _verdict(_frames([(0.3, False, 0.5), (4.0, True, 0.999)]), p)
    assert decision == Decision.MACHINE
    # model_min_talk_ms of speech is heard at 2/3 of the wall time (_frames' gaps)
    assert 300 + p.model_min_talk_ms * 1.5 - 240 <= at <= 300 + p.model_min_talk_ms * 1.5 + 240
    decision, at = _verdict(_frames([(0.3, False, 0.5), (4.0, True, 0.01)]), p)
    assert decision == Decision.HUMAN
    assert 300 + p.model_human_min_ms <= at <= 300 + p.model_human_min_ms * 1.5 + 240
    # a model that is not sure leaves a long talker to the timing rules
    frames = _frames([(0.3, False, 0.5), (6.0, True, 0.6)])
    assert _verdict(frames, p)[0] == Decision.MACHINE  # talk > machine_talk_ms


def test_a_turn_gap_is_a_persons_only_while_the_model_leans_that_way() -> None:
    # a greeting with a 1.5 s pause in it: timing alone calls the pause a turn gap
    def pattern(p: float | None) -> list[tuple[float, bool, float | None]]:
        return [(0.3, False, 0.5), (2.0, True, p), (1.5, False, p), (4.0, True, p)]

    unsure = AmdParams(model_machine_p=1.1, model_human_p=-1.0)  # only the gates act
    assert _verdict(_frames(pattern(0.5)), unsure)[0] == Decision.MACHINE
    assert _verdict(_frames(pattern(0.05)), unsure)[0] == Decision.HUMAN
    assert _verdict(_frames(pattern(None)), unsure)[0] == Decision.HUMAN  # timing only


def test_long_talk_the_model_calls_a_person_is_not_hung_up_on() -> None:
    # a person talking over a TV for 6 s: timing alone says machine
    talk = [(0.3, False, None), (6.0, True, None), (2.0, False, None)]
    assert _verdict(_frames(talk))[0] == Decision.MACHINE
    person = [(s, sp, 0.1 if sp else 0.5) for s, sp, _ in talk]
    params = AmdParams(model_human_p=-1.0)  # not the sure-human rule: the gate
    assert _verdict(_frames(person), params)[0] != Decision.MACHINE
    # ... nor when still talking at the end of the analysis (timing alone: MACHINE)
    endless = [(0.3, False, None), (9.0, True, None)]
    assert _verdict(_frames(endless))[0] == Decision.MACHINE
    endless_person = [(s, sp, 0.1 if sp else 0.5) for s, sp, _ in endless]
    assert _verdict(_frames(endless_person), params) == (Decision.HUMAN, params.max_ms)


def test_a_model_never_decides_on_silence() -> None:
    assert _verdict(_frames([(8.0, False, 0.999)]))[0] == Decision.NOTSURE
    assert _verdict(_frames([(8.0, False, 0.001)]))[0] == Decision.NOTSURE


def test_at_the_end_the_model_settles_what_was_said() -> None:
    params = AmdParams(model_machine_p=1.1, model_human_p=-1.0, model_veto_p=-1.0)
    held = [(0.3, False, 0.5), (2.0, True, 0.95), (6.0, False, 0.95)]
    assert _verdict(_frames(held), params) == (Decision.MACHINE, params.max_ms)  # type: ignore[arg-type]
    unsure = [(0.3, False, 0.5), (2.0, True, 0.6), (6.0, False, 0.6)]
    assert _verdict(_frames(unsure), params) == (Decision.HUMAN, params.max_ms)  # type: ignore[arg-type]
    # a clip that ends first (the far end hung up: nobody left to hang up on) is
    # settled at the even odds: 0.6 is a person at max_ms but a machine here
    short = [(0.3, False, 0.5), (2.0, True, 0.95), (0.5, False, 0.95)]
    assert _verdict(_frames(short), params)[0] == Decision.MACHINE  # type: ignore[arg-type]
    hung_up = [(0.3, False, 0.5), (2.0, True, 0.6), (0.5, False, 0.6)]
    assert _verdict(_frames(hung_up), params)[0] == Decision.MACHINE  # type: ignore[arg-type]
    hung_up_person = [(0.3, False, 0.5), (2.0, True, 0.4), (0.5, False, 0.4)]
    assert _verdict(_frames(hung_up_person), params)[0] == Decision.HUMAN  # type: ignore[arg-type]


def test_after_a_silent_start_a_sure_model_waits_for_more_speech() -> None:
    p = AmdParams()

    # a silent pick-up, then "hello?" the model takes for a greeting's first word,
    # then the person listens (the score falls back to unsure)
    def hello(start_s: float) -> list[FrameFeatures]:
        return _frames([(start_s, False, 0.5), (0.5, True, 0.99), (3.0, False, 0.3)])

    assert _verdict(hello(2.5))[0] == Decision.HUMAN
    # the same word early in the call: the sure score decides, as before
    decision, at = _verdict(hello(1.0))
    assert decision == Decision.MACHINE and at < 1000 + p.model_late_min_talk_ms
    # a carrier's silence, then a greeting that goes on: MACHINE, once the longer
    # stretch of speech was heard (2/3 of the wall time is speech in _frames)
    decision, at = _verdict(_frames([(2.5, False, 0.5), (4.0, True, 0.99)]))
    assert decision == Decision.MACHINE
    assert 2500 + p.model_late_min_talk_ms <= at <= 2500 + p.model_late_min_talk_ms * 1.5 + 240


def test_the_late_word_gate_counts_from_the_end_of_in_band_ringback() -> None:
    """Ringback heard after the answer: the far end picks up after it, so a greeting
    1 s after the ringback is not late (a sure score decides after 0.2 s of speech),
    and a person silent for 3 s after it still is (the score waits for 1 s of speech)."""
    p = AmdParams()

    def after_ringback(
        ring_s: float, pattern: list[tuple[float, bool, float]]
    ) -> list[FrameFeatures]:
        ring = [
            FrameFeatures(k, 2000.0, True, ((440.0, 0.62), (480.0, 0.35)), 0.5)
            for k in range(round(ring_s * 50))
        ]
        rest = _frames(pattern)
        return ring + [
            FrameFeatures(len(ring) + f.index, f.energy, f.speech, f.peaks, f.machine_p)
            for f in rest
        ]

    decision, at = _verdict(after_ringback(1.5, [(1.0, False, 0.5), (4.0, True, 0.99)]))
    assert decision == Decision.MACHINE and at < 2500 + p.model_late_min_talk_ms
    decision, _ = _verdict(
        after_ringback(1.0, [(3.0, False, 0.5), (0.5, True, 0.99), (3.0, False, 0.3)])
    )
    assert decision == Decision.HUMAN
