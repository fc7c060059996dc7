"""Dialback's streaming answering-machine detector (SPEC V1, V3).

It decides from the *turn-taking* of the first seconds after answer, not from
"how long is the first sound" alone (the rule that makes Asterisk hang up on
people who greet at length, and on people who pick up silently):

- A person says something and then **waits for an answer**: a silence of
  ``end_silence_ms`` after an utterance of at most ``human_max_talk_ms`` means
  HUMAN -- however long the silence before it, and even when the greeting was
  a full business sentence.
- A machine **keeps talking**: speech (with only short, in-sentence pauses)
  going on for more than ``machine_talk_ms`` means MACHINE; so does a beep at
  any time (the end of a greeting, V3).
- Nothing but silence for ``max_silence_ms``, or no decision by ``max_ms``,
  is NOTSURE -- the flow treats it as a person: hanging up on a human is the
  worse error (FACTS: a human wrongly hung up on counts as an abandoned call).

- Where the adapter runs the learned score (``FrameFeatures.machine_p``: what a
  small network hears in the words, the voice and the background), the score
  leads and the timing rules become its fallback. Once ``model_min_talk_ms`` of
  speech was heard, a score of ``model_machine_p`` or more is MACHINE; after a
  short word, one of ``model_human_p`` or less is HUMAN. In between, a turn gap is
  a person's only while the score leans that way (under ``model_veto_p``; under
  ``model_patient_p`` once the silence lasts ``model_patient_gap_ms``, so a voice
  unlike any it was trained on still gets an answer), long talk is a
  machine's only while it does not (``model_talk_gate_p``), and what is still
  open at ``max_ms`` is settled by ``model_final_p``, and at the end of the audio
  (the far end hung up) by the even odds of ``model_end_p``.
  The score never decides on silence: nothing heard is still NOTSURE. When the
  first word comes late (``model_late_start_ms`` or more after answer), the score
  needs ``model_late_min_talk_ms`` of speech to say MACHINE: a person who picks up
  silently and then says "hello?" sounds to it like a carrier's silence before a
  greeting, and the greeting goes on where the person stops to listen.

In-band ringback heard before the first word (a PBX or carrier that answers early
and rings on) means the far end has not picked up yet: the silence and the late
first word are counted from the end of the last ringback, not from the answer.
A "beep" whose tone began before anyone spoke is ringing too (Europe's 425 Hz
ringback, or 440+480 Hz on a narrow line that cuts the 440), not a greeting's end:
the beep detector starts again for the greeting's own beep.

Speech is judged against the line's own noise floor, so a TV or a street
behind the person does not read as endless talk. Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from dialback.domain.amd.beep import BeepDetector
from dialback.domain.amd.frames import FRAME_MS, Decision, FrameFeatures, Verdict


@dataclass(frozen=True)
class AmdParams:
    # Tuned on corpus seed 11 (200 clips), checked on seed 12 (300 clips); see README.
    end_silence_ms: int = 1000  # silence after an utterance that means "your turn"
    short_end_silence_ms: int = 600  # ... enough after a very short "hello?"
    short_talk_ms: int = 900  # what counts as a very short utterance
    # After a long turn, wait longer: a recorded greeting's beep comes within a
    # second of its end, and a beep settles it (V3).
    long_talk_ms: int = 1500
    long_end_silence_ms: int = 1300
    human_max_talk_ms: int = 4900  # longest greeting a person still makes
    machine_talk_ms: int = 5000  # talking past this without a turn gap: a machine
    min_word_ms: int = 80  # shorter bursts are clicks, not speech
    max_silence_ms: int = 6000  # nothing said by then: NOTSURE
    # A dual tone this long before the first word is in-band ringback: the times
    # "since the answer" (max_silence_ms, model_late_start_ms) start after it.
    ringback_min_ms: int = 100
    max_ms: int = 8000  # total analysis time
    cap_talk_ms: int = 3000  # ... still talking then, after this much: a machine
    floor_factor: float = 1.5  # speech must stand this far above the noise floor
    floor_min: float = 10.0  # ... and above this absolute mean level (16-bit scale)
    floor_window_frames: int = 150  # noise floor = 10th percentile over 3 s
    # Voice-activity detectors flag the first ~100 ms of any stream as speech
    # (measured with webrtcvad on noise): ignore it.
    ignore_first_ms: int = 100
    # The learned score (FrameFeatures.machine_p, adapters/amd/model.py), where the
    # adapter runs the model (tuned on mixed seeds 43 and 44; the first two re-tuned
    # for the 20-epoch network on the four tuning corpora, see README):
    # once this much speech was heard it decides when it is sure either way ...
    model_min_talk_ms: int = 200
    model_machine_p: float = 0.97
    # ... but after a silent start (a silent pick-up, or a carrier's silence before
    # a greeting) MACHINE needs more of it (chosen on the tuning corpora, README)
    model_late_start_ms: int = 2200
    model_late_min_talk_ms: int = 1000
    model_human_min_ms: int = 300
    model_human_p: float = 0.02
    # ... a turn gap is a person's only while it leans that way ...
    model_veto_p: float = 0.1
    # ... or, after a longer gap, while it is no surer of a machine than this ...
    model_patient_gap_ms: int = 1500
    model_patient_p: float = 0.5
    # ... long talk (over machine_talk_ms, or still going at max_ms) is a machine's
    # only while it does not say "person" ...
    model_talk_gate_p: float = 0.3
    # ... and at the end of the analysis it settles what was said.
    model_final_p: float = 0.9
    # When the far end has hung up, nobody is left to be hung up on: the even odds.
    # (A carrier announcement ends the call within a second or two of its last word,
    # before the turn gap that would decide it. Measured in the README.)
    model_end_p: float = 0.5
    # After a MACHINE verdict: a greeting that ends without a beep ends in this much
    # silence (a mailbox's beep comes within a second of the last word; V3).
    greeting_end_silence_ms: int = 2000


class DialbackAmd:
    """Feed 20 ms frames from the moment of answer; read ``verdict`` when set."""

    def __init__(self, params: AmdParams | None = None, *, detect_beep: bool = True) -> None:
        self.p = params or AmdParams()
        self.verdict: Verdict | None = None
        self._beep = BeepDetector() if detect_beep else None
        self._sit = SitTones()
        self.beep_at_ms: int | None = None
        self._recent: list[float] = []
        self._floor: float | None = None
        self._run = 0  # consecutive active frames
        self._silence_run = 0  # consecutive inactive frames
        self._talk_ms = 0  # speech of the current turn, pauses < end_silence included
        self._turn_started = False
        self._heard_anything = False
        self._last_t = 0
        self._speech_ms = 0  # all speech heard so far
        self._first_word_ms: int | None = None  # when the first word was heard
        self._answered_ms = 0  # the end of the last in-band ringback before it
        self._tone_run = 0  # consecutive dual-tone frames
        self._last_p: float | None = None
        # After a MACHINE verdict: when the greeting ended in silence without a beep.
        self.greeting_end_at_ms: int | None = None

    def push(self, f: FrameFeatures) -> Verdict | None:
        """Consume one frame; returns the verdict the first time one is reached."""
        self._last_t = f.t_ms + FRAME_MS
        self._last_p = f.machine_p
        if self._beep is not None and self.beep_at_ms is None:
            self.beep_at_ms = self._unless_ringing(self._beep.push(f))
            if self.beep_at_ms is not None and self.verdict is not None:
                # A beep after the decision: keep it for V3 (leave a message).
                self.verdict = _with_beep(self.verdict, self.beep_at_ms)
        if self.verdict is not None:
            self._after_verdict(f)
            return None
        if self.beep_at_ms is not None:
            return self._decide(Decision.MACHINE, "beep")
        if self._sit.push(f):
            return self._decide(Decision.MACHINE, "special information tone")
        if self._first_word_ms is None:
            self._follow_ringback(f)
        active = self._active(f) and f.t_ms >= self.p.ignore_first_ms
        if f.machine_p is not None:
            sure = self._model_sure(f.machine_p)
            if sure is not None:
                return sure
        if active:
            self._run += 1
            if self._run * FRAME_MS >= self.p.min_word_ms:
                if not self._turn_started:
                    self._turn_started = True
                    self._talk_ms = self._run * FRAME_MS
                else:
                    # pauses shorter than a turn gap belong to the same turn
                    self._talk_ms += FRAME_MS + self._silence_run * FRAME_MS
                self._heard_anything = True
                self._silence_run = 0
                # the word's first frames count once it is a word
                just_a_word = self._run * FRAME_MS - FRAME_MS < self.p.min_word_ms
                self._speech_ms += self._run * FRAME_MS if just_a_word else FRAME_MS
                if self._first_word_ms is None:
                    self._first_word_ms = f.t_ms
            if (
                self._turn_started
                and self._talk_ms > self.p.machine_talk_ms
                and (f.machine_p is None or f.machine_p >= self.p.model_talk_gate_p)
            ):
                return self._decide(Decision.MACHINE, f"talk>{self.p.machine_talk_ms}ms")
        else:
            self._silent_frame()
            silence_ms = self._silence_run * FRAME_MS
            if self._turn_started:
                if self._talk_ms <= self.p.short_talk_ms:
                    needed = self.p.short_end_silence_ms
                elif self._talk_ms >= self.p.long_talk_ms:
                    needed = self.p.long_end_silence_ms
                else:
                    needed = self.p.end_silence_ms
                if (
                    silence_ms >= needed
                    and self._talk_ms <= self.p.human_max_talk_ms
                    and not self._tone_pending()
                    and (
                        f.machine_p is None
                        or f.machine_p < self.p.model_veto_p
                        or (
                            silence_ms >= self.p.model_patient_gap_ms
                            and f.machine_p < self.p.model_patient_p
                        )
                    )
                ):
                    return self._decide(Decision.HUMAN, f"turn-gap after {self._talk_ms}ms")
            elif (
                not self._heard_anything
                and f.t_ms + FRAME_MS - self._answered_ms >= self.p.max_silence_ms
            ):
                return self._decide(Decision.NOTSURE, "silence")
        if f.t_ms + FRAME_MS >= self.p.max_ms:
            if (
                self._turn_started
                and self._silence_run == 0
                and self._talk_ms >= self.p.cap_talk_ms
                and (f.machine_p is None or f.machine_p >= self.p.model_talk_gate_p)
            ):
                # Still talking at the end of the analysis, after a long turn.
                return self._decide(Decision.MACHINE, f"talking at {self.p.max_ms}ms")
            if self._turn_started and f.machine_p is not None:
                return self._settle(f.machine_p, "at the end", self.p.model_final_p)
            return self._decide(Decision.NOTSURE, "undecided")
        return None

    @property
    def reads_speech(self) -> bool:
        """Whether frames' speech flags still matter: before the verdict, and after a
        MACHINE verdict until the greeting's end is found. After that only the beep
        detector listens (V3), and it reads the spectrum -- the adapter may stop its
        costlier voice-activity detector."""
        return self.verdict is None or (
            self.verdict.decision is Decision.MACHINE
            and self.beep_at_ms is None
            and self.greeting_end_at_ms is None
        )

    def _after_verdict(self, f: FrameFeatures) -> None:
        """Past a MACHINE verdict, listen on for the end of the greeting: the beep
        (above), or else a silence of ``greeting_end_silence_ms`` after speech."""
        if self.verdict is None or not self.reads_speech:
            return
        if self._active(f):
            self._run += 1
            if self._run * FRAME_MS >= self.p.min_word_ms:
                self._heard_anything = True
                self._silence_run = 0
            return
        self._silent_frame()
        if (
            self._heard_anything
            and not self._tone_pending()
            and self._silence_run * FRAME_MS >= self.p.greeting_end_silence_ms
        ):
            self.greeting_end_at_ms = f.t_ms + FRAME_MS

    def _silent_frame(self) -> None:
        if self._run * FRAME_MS < self.p.min_word_ms:
            self._silence_run += self._run  # a click inside a silence
        self._run = 0
        self._silence_run += 1

    def _unless_ringing(self, beep_ms: int | None) -> int | None:
        """A beep whose tone began before anyone spoke is ringing, not a greeting's
        end (V3): the beep detector starts again for the greeting's own beep."""
        first = self._first_word_ms
        if beep_ms is not None and (first is None or first >= beep_ms):
            self._beep = BeepDetector()
            return None
        return beep_ms

    def _follow_ringback(self, f: FrameFeatures) -> None:
        """Before the first word: move the far end's answer past in-band ringback."""
        if _dual_tone(f):
            self._tone_run += 1
            if self._tone_run * FRAME_MS >= self.p.ringback_min_ms:
                self._answered_ms = f.t_ms + FRAME_MS
        else:
            self._tone_run = 0

    def _tone_pending(self) -> bool:
        """A beep is being confirmed: it ends a greeting, not a turn."""
        return self._beep is not None and self._beep.candidate_ms is not None

    def _model_sure(self, p: float) -> Verdict | None:
        """The learned score decides alone once it is sure and speech was heard."""
        min_talk = self.p.model_min_talk_ms
        first = self._first_word_ms
        if first is not None and first - self._answered_ms >= self.p.model_late_start_ms:
            min_talk = max(min_talk, self.p.model_late_min_talk_ms)
        if self._speech_ms >= min_talk and p >= self.p.model_machine_p:
            return self._decide(Decision.MACHINE, f"model p={p:.2f}")
        if self._speech_ms >= self.p.model_human_min_ms and p <= self.p.model_human_p:
            return self._decide(Decision.HUMAN, f"model p={p:.2f}")
        return None

    def _settle(self, p: float, when: str, threshold: float) -> Verdict:
        """What is still open after a turn, at max_ms or when the audio ends."""
        decision = Decision.MACHINE if p >= threshold else Decision.HUMAN
        return self._decide(decision, f"model p={p:.2f} {when}")

    def finish(self) -> Verdict:
        """The verdict at the end of the audio (a short clip, a hang-up)."""
        if self._beep is not None and self.beep_at_ms is None:
            # A beep cut off by the end of the audio still counts (V3).
            self.beep_at_ms = self._unless_ringing(self._beep.finish())
            if self.beep_at_ms is not None and self.verdict is not None:
                self.verdict = _with_beep(self.verdict, self.beep_at_ms)
            elif self.beep_at_ms is not None:
                return self._decide(Decision.MACHINE, "beep")
        if self.verdict is not None:
            return self.verdict
        if self._turn_started and self._last_p is not None:
            return self._settle(self._last_p, "when the audio ended", self.p.model_end_p)
        if self._turn_started and self._talk_ms <= self.p.human_max_talk_ms:
            return self._decide(Decision.HUMAN, "ended after a short turn")
        return self._decide(Decision.NOTSURE, "ended undecided")

    def _active(self, f: FrameFeatures) -> bool:
        # Noise floor: the 10th percentile of the last 3 s of frame energies --
        # long enough that a long utterance (with its syllable gaps) does not
        # lift it, short enough to follow a TV switched on behind the caller.
        self._recent.append(f.energy)
        if len(self._recent) > self.p.floor_window_frames:
            del self._recent[0]
        ordered = sorted(self._recent)
        self._floor = ordered[len(ordered) // 10]
        threshold = max(self.p.floor_min, self._floor * self.p.floor_factor)
        return f.speech and f.energy >= threshold and not _dual_tone(f)

    def _decide(self, decision: Decision, reason: str) -> Verdict:
        self.verdict = Verdict(decision, self._last_t, reason, self.beep_at_ms)
        return self.verdict


# ANSI T1.401 / ITU-T E.180 special information tones that precede carrier
# announcements ("the number you have dialed..."): ~914, ~1371, ~1777 Hz.
_SIT_BANDS = ((880.0, 1000.0), (1320.0, 1420.0), (1720.0, 1830.0))


class SitTones:
    """Two consecutive SIT tones (in rising order) mean a network announcement."""

    def __init__(self) -> None:
        self._last_band: int | None = None

    def push(self, f: FrameFeatures) -> bool:
        if not f.peaks or f.peaks[0][1] < 0.8:
            return False
        hz = f.peaks[0][0]
        band = next((i for i, (lo, hi) in enumerate(_SIT_BANDS) if lo <= hz <= hi), None)
        if band is None:
            return False
        rising = self._last_band is not None and band == self._last_band + 1
        self._last_band = band
        return rising


def _dual_tone(f: FrameFeatures) -> bool:
    """Ringback (440+480 Hz) or a DTMF digit, not a voice: two strong, sharp peaks
    that hold nearly all the energy and are not one note's harmonics."""
    if len(f.peaks) < 2:
        return False
    (hz1, s1), (hz2, s2) = f.peaks[0], f.peaks[1]
    if min(s1, s2) < 0.25 or s1 + s2 < 0.9:
        return False
    ratio = max(hz1, hz2) / max(1.0, min(hz1, hz2))
    return abs(ratio - round(ratio)) > 0.05  # 2:1, 3:1 ... is a voice's harmonics


def _with_beep(verdict: Verdict, beep_at_ms: int) -> Verdict:
    return Verdict(verdict.decision, verdict.decided_at_ms, verdict.reason, beep_at_ms)


def classify(frames: Iterable[FrameFeatures], params: AmdParams | None = None) -> Verdict:
    """Run the detector over a whole sequence (a clip, a simulated answer)."""
    amd = DialbackAmd(params)
    for f in frames:
        amd.push(f)  # past the verdict too: a later beep is still reported (V3)
    return amd.finish()
