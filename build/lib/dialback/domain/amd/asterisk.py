"""Asterisk's ``app_amd`` answering-machine detection, rule for rule (issue 4, item 3).

The industry baseline Dialback is measured against (``--engine asterisk``). A
re-implementation of ``isAnsweringMachine()`` in ``apps/app_amd.c`` of
asterisk/asterisk (read at commits 012156de900841ad3c77255176baa8f17fed1da6 and
5bda46030049dd61f9dba7758814c1d8e8316c86), with the silence test of
``__ast_dsp_silence_noise()`` in ``main/dsp.c``. The variable names follow the C
code so the two can be read side by side.

Compiled defaults (FACTS, and ``dflt*`` in app_amd.c): initial silence 2500 ms,
greeting 1500, after-greeting silence 800, total analysis 5000, minimum word
length 100, between-words silence 50, maximum number of words 3, silence
threshold 256, maximum word length 5000.

Maximum number of words: the older source compiles ``dfltMaximumNumberOfWords =
3`` and tests ``iWordsCount >= maximumNumberOfWords``; current Asterisk compiles
2 and tests ``iWordsCount > maximumNumberOfWords``. Both call MACHINE on the
third word at their defaults (cause ``MAXWORDS-3-3`` here, ``MAXWORDS-3-2``
there); with 3 as the default, this follows the ``>=`` form.

Frames. Asterisk reads whatever the channel delivers -- usually 20 ms of signed
linear audio per voice frame -- adds ``ast_codec_samples_count(f) / 8`` ms to
``iTotalTime`` and asks the DSP whether the frame is silent. Our frames are the
same 20 ms of 8 kHz audio, so every duration below advances by exactly what
Asterisk's would for a 20 ms RTP stream, and a decision lands on the same frame.
Differences, none of which changes a decision on a continuous stream:

- ``FrameFeatures.energy`` is the frame's mean absolute sample value as a float;
  the DSP computes the same mean with integer division and calls the frame silent
  when it is ``< threshold``. For a non-negative mean ``floor(m) < 256`` exactly
  when ``m < 256``, so ``energy < silence_threshold`` is the same test.
- Asterisk also counts CNG/NULL frames and wall-clock waits (``ast_waitfor``
  timeouts, the newer ``amd_tvstart`` real-time limit, the ``NOAUDIODATA`` cause)
  as time. We are fed a gap-free stream of audio frames (the SIP adapter turns
  lost packets into frames), so those paths never fire; ``finish()`` stands in for
  "no more frames" and answers ``NOTSURE TOOLONG-<ms>`` like the C code's
  time-out branch.
- ``HANGUP`` (``ast_read`` returns NULL) is the caller's business: it stops
  pushing frames.
"""

from __future__ import annotations

from enum import Enum

from dialback.domain.amd.frames import FRAME_MS, Decision, FrameFeatures, Verdict


class _State(Enum):  # currentState in app_amd.c
    IN_WORD = 1  # STATE_IN_WORD
    IN_SILENCE = 2  # STATE_IN_SILENCE


class AsteriskAmd:
    """Streaming ``app_amd``: push 20 ms frames from the moment of answer.

    ``push`` returns the ``Verdict`` on the frame that decides it (``reason`` is
    Asterisk's ``AMDCAUSE``, e.g. ``"INITIALSILENCE-2500-2500"``) and ``None`` on
    every other call, including every call after the decision; ``verdict`` keeps it.
    """

    def __init__(
        self,
        *,
        initial_silence: int = 2500,
        greeting: int = 1500,
        after_greeting_silence: int = 800,
        total_analysis_time: int = 5000,
        minimum_word_length: int = 100,
        between_words_silence: int = 50,
        maximum_number_of_words: int = 3,
        silence_threshold: int = 256,
        maximum_word_length: int = 5000,
    ) -> None:
        self.initial_silence = initial_silence
        self.greeting = greeting
        self.after_greeting_silence = after_greeting_silence
        self.total_analysis_time = total_analysis_time
        self.minimum_word_length = minimum_word_length
        self.between_words_silence = between_words_silence
        self.maximum_number_of_words = maximum_number_of_words
        self.silence_threshold = silence_threshold
        self.maximum_word_length = maximum_word_length
        self.verdict: Verdict | None = None
        # isAnsweringMachine()'s locals, same initial values
        self.in_initial_silence = True
        self.in_greeting = False
        self.voice_duration = 0
        self.silence_duration = 0
        self.total_time = 0  # iTotalTime
        self.words_count = 0  # iWordsCount
        self.current_state = _State.IN_WORD  # sic: Asterisk starts "in a word"
        self.consecutive_voice_duration = 0
        self._dsp_total_silence = 0  # struct ast_dsp.totalsilence
        self._end_ms = 0

    def push(self, f: FrameFeatures) -> Verdict | None:
        if self.verdict is not None:
            return None
        framelength = FRAME_MS  # ast_codec_samples_count(f) / DEFAULT_SAMPLES_PER_MS
        self._end_ms = f.t_ms + framelength

        self.total_time += framelength
        if self.total_time >= self.total_analysis_time:
            return self._decide(Decision.NOTSURE, f"TOOLONG-{self.total_time}")

        dspsilence = self._dsp_silence(f)
        if dspsilence > 0:
            self.silence_duration = dspsilence
            if self.silence_duration >= self.between_words_silence:
                # (a voice run shorter than minimumWordLength ends here uncounted:
                # the C code only logs "Short Word Duration")
                self.current_state = _State.IN_SILENCE
                self.consecutive_voice_duration = 0
            if self.in_initial_silence and self.silence_duration >= self.initial_silence:
                return self._decide(
                    Decision.MACHINE,
                    f"INITIALSILENCE-{self.silence_duration}-{self.initial_silence}",
                )
            if self.silence_duration >= self.after_greeting_silence and self.in_greeting:
                return self._decide(
                    Decision.HUMAN,
                    f"HUMAN-{self.silence_duration}-{self.after_greeting_silence}",
                )
            return None

        self.consecutive_voice_duration += framelength
        self.voice_duration += framelength
        # Enough consecutive voice after a silence: a new word.
        if (
            self.consecutive_voice_duration >= self.minimum_word_length
            and self.current_state is _State.IN_SILENCE
        ):
            self.words_count += 1
            self.current_state = _State.IN_WORD
        if self.consecutive_voice_duration >= self.maximum_word_length:
            return self._decide(
                Decision.MACHINE, f"MAXWORDLENGTH-{self.consecutive_voice_duration}"
            )
        if self.words_count >= self.maximum_number_of_words:
            return self._decide(
                Decision.MACHINE,
                f"MAXWORDS-{self.words_count}-{self.maximum_number_of_words}",
            )
        if self.in_greeting and self.voice_duration >= self.greeting:
            return self._decide(
                Decision.MACHINE, f"LONGGREETING-{self.voice_duration}-{self.greeting}"
            )
        if self.voice_duration >= self.minimum_word_length:
            self.silence_duration = 0
        if self.consecutive_voice_duration >= self.minimum_word_length and not self.in_greeting:
            # the first word: from now on silence means "after the greeting"
            self.in_initial_silence = False
            self.in_greeting = True
        return None

    def finish(self) -> Verdict:
        """The verdict when the frames stop undecided: app_amd's time-out answer."""
        return self.verdict or self._decide(Decision.NOTSURE, f"TOOLONG-{self.total_time}")

    def _dsp_silence(self, f: FrameFeatures) -> int:
        """``ast_dsp_silence()``: the length in ms of the silence this frame is part
        of, or 0 when the frame is not silent (app_amd zeroes ``dspsilence`` first)."""
        if f.energy < self.silence_threshold:
            self._dsp_total_silence += FRAME_MS  # len / (sample_rate / 1000)
            return self._dsp_total_silence
        self._dsp_total_silence = 0
        return 0

    def _decide(self, decision: Decision, reason: str) -> Verdict:
        self.verdict = Verdict(decision=decision, decided_at_ms=self._end_ms, reason=reason)
        return self.verdict
