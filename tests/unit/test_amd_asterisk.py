"""The Asterisk app_amd re-implementation reproduces its documented rules (issue 4, item 3).

Frame sequences are built directly: 20 ms frames whose ``energy`` (mean absolute
sample) is above or below app_amd's silence threshold of 256.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from dialback.domain.amd.asterisk import AsteriskAmd
from dialback.domain.amd.frames import FRAME_MS, Decision, FrameFeatures, Verdict

LOUD = 1000.0
QUIET = 30.0


def frames(*segments: tuple[str, int]) -> list[FrameFeatures]:
    """("voice" | "silence", milliseconds) segments as consecutive 20 ms frames."""
    out: list[FrameFeatures] = []
    for kind, ms in segments:
        assert ms % FRAME_MS == 0
        energy = LOUD if kind == "voice" else QUIET
        for _ in range(ms // FRAME_MS):
            out.append(FrameFeatures(index=len(out), energy=energy, speech=kind == "voice"))
    return out


def voice(ms: int) -> tuple[str, int]:
    return ("voice", ms)


def silence(ms: int) -> tuple[str, int]:
    return ("silence", ms)


def run(seq: Iterable[FrameFeatures], amd: AsteriskAmd | None = None) -> Verdict | None:
    amd = amd or AsteriskAmd()
    for f in seq:
        verdict = amd.push(f)
        if verdict is not None:
            return verdict
    return None


def test_defaults_are_asterisks_compiled_defaults() -> None:
    amd = AsteriskAmd()
    assert (
        amd.initial_silence,
        amd.greeting,
        amd.after_greeting_silence,
        amd.total_analysis_time,
        amd.minimum_word_length,
        amd.between_words_silence,
        amd.maximum_number_of_words,
        amd.silence_threshold,
        amd.maximum_word_length,
    ) == (2500, 1500, 800, 5000, 100, 50, 3, 256, 5000)


def test_two_and_a_half_seconds_of_silence_is_machine_initialsilence() -> None:
    verdict = run(frames(silence(3000)))
    assert verdict == Verdict(Decision.MACHINE, 2500, "INITIALSILENCE-2500-2500")


def test_short_word_then_after_greeting_silence_is_human() -> None:
    verdict = run(frames(silence(500), voice(300), silence(1000)))
    assert verdict == Verdict(Decision.HUMAN, 500 + 300 + 800, "HUMAN-800-800")


def test_silence_shorter_than_after_greeting_silence_decides_nothing() -> None:
    assert run(frames(silence(500), voice(300), silence(780))) is None


def test_greeting_longer_than_1500_ms_is_machine_longgreeting() -> None:
    verdict = run(frames(silence(400), voice(2000)))
    assert verdict == Verdict(Decision.MACHINE, 400 + 1500, "LONGGREETING-1500-1500")


def test_pauses_under_50_ms_do_not_split_a_word_and_voice_adds_up_for_longgreeting() -> None:
    # 40 ms gaps are shorter than betweenWordsSilence: one long word, never MAXWORDS.
    segments = [silence(200)] + [voice(300), silence(40)] * 5 + [voice(300)]
    amd = AsteriskAmd()
    verdict = run(frames(*segments), amd)
    assert verdict is not None
    assert verdict.reason == "LONGGREETING-1500-1500"
    assert amd.words_count == 1
    assert verdict.decided_at_ms == 200 + 4 * 340 + 300  # the 1500th ms of voice


def test_third_word_after_silence_is_machine_maxwords() -> None:
    # Words: >= 100 ms of voice after >= 50 ms of silence; counted when they reach 100 ms.
    seq = frames(silence(200), voice(200), silence(100), voice(200), silence(100), voice(200))
    verdict = run(seq)
    assert verdict == Verdict(Decision.MACHINE, 200 + 200 + 100 + 200 + 100 + 100, "MAXWORDS-3-3")


def test_voice_from_the_first_frame_is_not_a_counted_word_so_maxwords_needs_a_fourth() -> None:
    # app_amd starts in STATE_IN_WORD: an utterance at the very start is not counted
    # (only a silence of betweenWordsSilence puts it in STATE_IN_SILENCE), so the
    # fourth utterance is the third counted word.
    amd = AsteriskAmd()
    assert run(frames(voice(200), silence(100), voice(200), silence(100), voice(200)), amd) is None
    assert amd.words_count == 2
    verdict = run(frames(silence(100), voice(200)), amd)
    assert verdict is not None and verdict.reason == "MAXWORDS-3-3"


def test_words_shorter_than_minimum_word_length_are_not_words() -> None:
    amd = AsteriskAmd()
    seq = frames(silence(200), *[voice(80), silence(100)] * 10)
    assert run(seq, amd) is None
    assert amd.words_count == 0
    assert not amd.in_greeting  # no word yet: still in the initial silence state


def test_a_blip_restarts_the_initial_silence_count() -> None:
    # 80 ms of voice is not a word, but it is not silence either: 4.8 s with no
    # 2.5 s stretch of silence is no INITIALSILENCE.
    assert run(frames(silence(2400), voice(80), silence(2400))) is None


def test_undecided_after_total_analysis_time_is_notsure_toolong() -> None:
    verdict = run(frames(silence(2400), voice(80), silence(2400), voice(80), silence(2400)))
    assert verdict == Verdict(Decision.NOTSURE, 5000, "TOOLONG-5000")


def test_toolong_counts_frames_not_only_silence() -> None:
    # A person who says one short word and keeps making short noises never crosses
    # a threshold: short blips keep the silence under 800 ms, voice under 1500 ms.
    seq = frames(silence(300), voice(300), *[silence(700), voice(40)] * 7, silence(200))
    verdict = run(seq)
    assert verdict == Verdict(Decision.NOTSURE, 5000, "TOOLONG-5000")


def test_word_longer_than_maximum_word_length_is_machine_maxwordlength() -> None:
    amd = AsteriskAmd(maximum_word_length=1000)  # below greeting, so it can fire first
    verdict = run(frames(voice(1200)), amd)
    assert verdict == Verdict(Decision.MACHINE, 1000, "MAXWORDLENGTH-1000")


def test_default_maximum_word_length_is_preempted_by_longgreeting_and_total_time() -> None:
    # app_amd.c: "Setting this to a large default so it is not used unless specify it".
    verdict = run(frames(voice(6000)))
    assert verdict is not None and verdict.reason == "LONGGREETING-1500-1500"
    verdict = run(frames(voice(6000)), AsteriskAmd(greeting=10_000))
    assert verdict == Verdict(Decision.NOTSURE, 5000, "TOOLONG-5000")


def test_silence_threshold_is_mean_absolute_amplitude_below_256() -> None:
    just_silent = [FrameFeatures(index=i, energy=255.9, speech=False) for i in range(125)]
    assert run(just_silent) == Verdict(Decision.MACHINE, 2500, "INITIALSILENCE-2500-2500")
    not_silent = [FrameFeatures(index=i, energy=256.0, speech=False) for i in range(125)]
    verdict = run(not_silent)
    assert verdict is not None and verdict.reason == "LONGGREETING-1500-1500"


def test_speech_flag_is_ignored_only_energy_counts() -> None:
    # app_amd has no voice-activity detector: loud noise is "voice" to it.
    seq = [FrameFeatures(index=i, energy=LOUD, speech=False) for i in range(100)]
    verdict = run(seq)
    assert verdict is not None and verdict.decision is Decision.MACHINE


def test_verdict_is_returned_once_and_kept() -> None:
    amd = AsteriskAmd()
    seq = frames(silence(2600))
    results = [amd.push(f) for f in seq]
    decided = [r for r in results if r is not None]
    assert len(decided) == 1
    assert amd.verdict == decided[0]
    assert amd.finish() == decided[0]


def test_finish_undecided_is_notsure_toolong_with_time_so_far() -> None:
    amd = AsteriskAmd()
    for f in frames(silence(500), voice(300), silence(200)):
        assert amd.push(f) is None
    assert amd.finish() == Verdict(Decision.NOTSURE, 1000, "TOOLONG-1000")


@pytest.mark.parametrize("start_index", [0, 50])
def test_decision_time_is_the_end_of_the_deciding_frame(start_index: int) -> None:
    seq = [FrameFeatures(index=start_index + i, energy=QUIET, speech=False) for i in range(130)]
    verdict = run(seq)
    assert verdict is not None
    assert verdict.decided_at_ms == (start_index + 125) * FRAME_MS
