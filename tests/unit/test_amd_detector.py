"""Dialback's turn-taking detector on synthetic frame sequences (V1, V3)."""

from __future__ import annotations

from dialback.domain.amd.detector import DialbackAmd, classify
from dialback.domain.amd.frames import Decision, FrameFeatures

FLOOR = 15.0


class Clip:
    def __init__(self) -> None:
        self.frames: list[FrameFeatures] = []

    def _add(
        self, energy: float, speech: bool, peaks: tuple[tuple[float, float], ...] = ()
    ) -> None:
        self.frames.append(FrameFeatures(len(self.frames), energy, speech, peaks))

    def silence(self, s: float, energy: float = FLOOR) -> Clip:
        for _ in range(round(s * 50)):
            self._add(energy, False)
        return self

    def talk(self, s: float, *, pause_every: int = 12, pause: int = 6) -> Clip:
        """Words of ``pause_every`` frames separated by ``pause``-frame gaps."""
        end = len(self.frames) + round(s * 50)
        while len(self.frames) < end:
            for _ in range(pause_every):
                self._add(1500.0, True)
            for _ in range(pause):
                self._add(FLOOR, False)
        return self

    def tone(self, s: float, hz: float = 1000.0) -> Clip:
        for _ in range(round(s * 50)):
            self._add(2500.0, True, ((hz, 0.97), (hz * 1.37, 0.004)))
        return self

    def ringback(self, s: float) -> Clip:
        for _ in range(round(s * 50)):
            self._add(2000.0, True, ((440.0, 0.62), (480.0, 0.35)))
        return self


def test_hello_then_waiting_is_a_person_within_two_seconds() -> None:
    v = classify(Clip().silence(0.4).talk(0.5).silence(4).frames)
    assert v.decision is Decision.HUMAN
    assert v.decided_at_ms <= 1600


def test_long_business_greeting_then_waiting_is_a_person() -> None:
    # The rule "any speech longer than 1.5 s is a machine" hangs up on these.
    v = classify(Clip().silence(0.3).talk(3.5).silence(4).frames)
    assert v.decision is Decision.HUMAN


def test_silent_pick_up_then_hello_is_a_person() -> None:
    v = classify(Clip().silence(3.5).talk(0.6).silence(3).frames)
    assert v.decision is Decision.HUMAN


def test_carrier_silence_then_long_greeting_is_a_machine() -> None:
    v = classify(Clip().silence(2.0).talk(6.5).silence(2).frames)
    assert v.decision is Decision.MACHINE
    assert v.reason.startswith("talk>")


def test_short_greeting_then_beep_is_a_machine_and_reports_the_beep() -> None:
    clip = Clip().silence(0.3).talk(1.2).silence(0.4)
    beep_ms = len(clip.frames) * 20
    clip.tone(0.4).silence(2)
    v = classify(clip.frames)
    assert v.decision is Decision.MACHINE and v.reason == "beep"
    assert v.beep_at_ms is not None and abs(v.beep_at_ms - beep_ms) <= 150


def test_ringback_before_the_greeting_is_not_taken_for_speech() -> None:
    v = classify(Clip().ringback(1.0).silence(0.4).talk(0.6).silence(3).frames)
    assert v.decision is Decision.HUMAN
    assert "after" in v.reason and int(v.reason.split()[-1].removesuffix("ms")) <= 900


def test_a_tv_behind_the_person_does_not_read_as_endless_talk() -> None:
    loud_floor = 220.0
    clip = Clip().silence(0.6, energy=loud_floor)
    # The TV: VAD says "speech", but it stays at the room's level.
    for _ in range(25):
        clip._add(loud_floor * 1.2, True)
    clip.talk(0.6)
    clip.silence(3, energy=loud_floor)
    assert classify(clip.frames).decision is Decision.HUMAN


def test_nothing_said_is_not_sure_and_never_a_machine() -> None:
    v = classify(Clip().silence(8).frames)
    assert v.decision is Decision.NOTSURE


def test_streaming_returns_the_verdict_once_and_keeps_listening_for_the_beep() -> None:
    amd = DialbackAmd()
    verdicts = [amd.push(f) for f in Clip().silence(0.3).talk(0.5).silence(3).tone(0.4).frames]
    decided = [v for v in verdicts if v is not None]
    assert len(decided) == 1 and decided[0].decision is Decision.HUMAN
    assert not amd.reads_speech  # only the beep detector listens on
    assert amd.finish().beep_at_ms is not None  # V3: a late beep is still reported


def test_special_information_tones_mean_a_carrier_announcement() -> None:
    clip = Clip().silence(0.3).tone(0.3, hz=914.0).tone(0.3, hz=1371.0).tone(0.3, hz=1777.0)
    clip.talk(2.0).silence(3)
    v = classify(clip.frames)
    assert v.decision is Decision.MACHINE and v.reason == "special information tone"
    assert v.decided_at_ms <= 700


def test_a_single_tone_in_a_sit_band_is_not_enough() -> None:
    v = classify(Clip().silence(0.3).tone(0.3, hz=914.0).silence(0.5).talk(0.5).silence(3).frames)
    assert v.decision is not Decision.MACHINE or v.reason == "beep"


def _stream(frames: list[FrameFeatures]) -> DialbackAmd:
    amd = DialbackAmd()
    for f in frames:
        amd.push(f)
    return amd


def test_a_greeting_without_a_beep_ends_in_two_seconds_of_silence() -> None:
    """V3: where no beep comes, the message may start once the greeting has ended;
    a pause between its sentences is not its end."""
    clip = Clip().silence(0.3).talk(6.5).silence(1.2).talk(2.0)
    spoken_ms = len(clip.frames) * 20
    amd = _stream(clip.silence(4).frames)
    assert amd.verdict is not None and amd.verdict.decision is Decision.MACHINE
    assert amd.verdict.decided_at_ms < spoken_ms - 3000  # decided during the greeting
    assert amd.greeting_end_at_ms is not None
    assert spoken_ms + 1800 <= amd.greeting_end_at_ms <= spoken_ms + 2200  # talk() ends in a pause
    assert amd.beep_at_ms is None


def test_a_beep_ends_the_greeting_before_its_silence_does() -> None:
    clip = Clip().silence(0.3).talk(6.5).silence(0.8).tone(0.4).silence(4)
    before = _stream(clip.frames[:360])  # 7.2 s: MACHINE, before the greeting ends
    assert before.verdict is not None and before.verdict.decision is Decision.MACHINE
    assert before.reads_speech  # its end is listened for
    amd = _stream(clip.frames)
    assert amd.beep_at_ms is not None
    assert amd.greeting_end_at_ms is None
    assert not amd.reads_speech  # the beep ended it


def test_a_person_has_no_greeting_to_end() -> None:
    amd = _stream(Clip().silence(0.4).talk(0.5).silence(5).frames)
    assert amd.verdict is not None and amd.verdict.decision is Decision.HUMAN
    assert amd.greeting_end_at_ms is None


def test_in_band_ringback_is_not_counted_as_the_silence_of_a_pick_up() -> None:
    """A PBX that answers early and rings on: the far end picks up after the ringback,
    so a person silent for 4.5 s after it still gets to say "hello?"."""
    after_ringback = Clip().ringback(1.5).silence(4.5).talk(0.6).silence(3)
    v = classify(after_ringback.frames)
    assert v.decision is Decision.HUMAN and v.decided_at_ms > 6500
    # the same 6 s with no ringback in them: nothing said after the answer is NOTSURE
    v = classify(Clip().silence(6.0).talk(0.6).silence(3).frames)
    assert v.decision is Decision.NOTSURE and v.decided_at_ms == 6000


def test_a_single_tone_before_anyone_speaks_is_ringing_not_a_beep() -> None:
    """Europe's ringback is one 425 Hz tone, and a narrow line can leave one of
    440+480 Hz: heard before the first word it is ringing, not a greeting's end."""
    v = classify(Clip().tone(1.0, hz=425.0).silence(1.0).talk(0.6).silence(3).frames)
    assert v.decision is Decision.HUMAN and v.beep_at_ms is None
    # a greeting after the ringing still ends in its own beep, which is found
    clip = Clip().tone(1.0, hz=425.0).silence(1.0).talk(3.0).silence(0.3)
    beep_ms = len(clip.frames) * 20
    v = classify(clip.tone(0.4).silence(2).frames)
    assert v.decision is Decision.MACHINE and v.beep_at_ms == beep_ms


def test_a_call_that_only_rings_and_ends_is_not_a_machine() -> None:
    """A 425 Hz ringing tone cut off by the end of the audio is not a beep either."""
    v = classify(Clip().silence(0.3).tone(0.3, hz=425.0).frames)
    assert v.decision is not Decision.MACHINE and v.beep_at_ms is None
