"""Silero's VAD, streamed over 20 ms frames (adapters/amd/voice.py), on a real voice.

espeak-ng speaks the words (as the corpus generator does); Silero's model runs for real.
"""

from __future__ import annotations

import shutil
from functools import cache

import numpy as np
import pytest

from dialback.adapters.amd import FeatureExtractor
from dialback.adapters.amd.voice import SileroStream, pooled, preload
from dialback.bench.amd_channel import Voice, db, pcm16, silence, synthesize

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("sox") is None,
    reason="needs Debian espeak-ng and sox",
)

FRAME = 160


@cache
def spoken() -> np.ndarray:
    """Half a second of silence, then a person's words at about -24 dBFS."""
    words = synthesize("hello, who is calling please?", Voice("en-us", 160, 50, "en"))
    return np.concatenate((silence(0.5), words * 2000.0, silence(1.0)))


def scores(x: np.ndarray) -> list[float]:
    stream = SileroStream()
    try:
        return [stream.push(x[i : i + FRAME]) for i in range(0, len(x) - FRAME + 1, FRAME)]
    finally:
        stream.close()


def test_a_spoken_phrase_is_speech_and_the_silence_around_it_is_not() -> None:
    p = scores(spoken())
    assert max(p[:20]) < 0.5  # the first 0.4 s: nothing said yet
    assert sum(s >= 0.5 for s in p) >= 20  # over 0.4 s of the phrase
    assert p[-1] < 0.5  # a second after it ended


def test_noise_and_a_steady_tone_are_not_speech() -> None:
    rng = np.random.default_rng(5)
    assert max(scores(rng.normal(0, 600, 8000 * 3))) < 0.5
    tone = 4000 * np.sin(2 * np.pi * 1000 * np.arange(8000 * 2) / 8000)
    assert max(scores(tone)) < 0.5


def test_each_frame_gets_the_score_of_the_last_whole_window_only() -> None:
    # 256-sample windows: the first is complete inside the second 20 ms frame.
    x = spoken()
    stream = SileroStream()
    first = stream.push(x[:FRAME])
    assert first == 0.0  # no window read yet: nothing is read ahead
    stream.push(x[FRAME : 2 * FRAME])
    after_one_window = stream.p
    stream.close()
    reference = SileroStream()
    assert reference.push(x[:256]) == after_one_window
    reference.close()


def test_a_stream_after_another_starts_afresh() -> None:
    # Models are pooled; one given back is reset, so a call never hears the last one's state.
    x = spoken()
    first = scores(x)
    again = scores(x)
    assert again == first


def test_a_quiet_voice_is_heard_by_silero_where_webrtc_loses_it() -> None:
    x = spoken() * db(-24)
    pcm = pcm16(x)
    both = sum(f.speech for f in FeatureExtractor(model=False).push(pcm))
    webrtc_only = sum(f.speech for f in FeatureExtractor(model=False, silero=False).push(pcm))
    loud = sum(f.speech for f in FeatureExtractor(model=False).push(pcm16(spoken())))
    assert both > webrtc_only
    assert both >= 0.8 * loud


def test_preloaded_models_wait_in_the_pool_for_the_first_calls() -> None:
    preload(2)
    assert pooled() >= 2
    before = pooled()
    stream = SileroStream()
    assert pooled() == before - 1  # taken from the pool, not loaded
    stream.close()
    assert pooled() == before
    preload(1)  # enough wait already: nothing more is loaded
    assert pooled() == before


def test_stopping_silero_leaves_webrtcs_speech_flag_and_frees_its_model() -> None:
    pcm = pcm16(np.concatenate((spoken(), spoken() * db(-24))))
    half = len(pcm) // 2 - (len(pcm) // 2) % 320
    both, webrtc = FeatureExtractor(model=False), FeatureExtractor(model=False, silero=False)
    both.push(pcm[:half])
    free = pooled()
    both.stop_voice()
    assert pooled() == free + 1  # its model is back in the pool
    after = both.push(pcm[half:])
    alone = webrtc.push(pcm)[half // 320 :]
    assert [f.speech for f in after] == [f.speech for f in alone]
    both.stop_voice()  # again: nothing to stop
    assert pooled() == free + 1
