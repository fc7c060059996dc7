"""Streaming beep detector: the tone that ends a voicemail greeting (SPEC V3).

A beep is one steady tone, 400-2000 Hz, lasting at least 80 ms. Frame by frame
(``FrameFeatures.peaks``: a 64 ms spectrum per 20 ms frame) a *clean* frame is one
whose energy is above a floor, whose strongest peak holds most of the energy while
the second strongest is weak, and whose two peaks are not a fundamental and its
harmonic. Four clean frames in a row at the same frequency (within 2.5 %), in the
band, make a candidate beep.

What must not count, and what stops it:

- ringback (440+480 Hz, 400+450 Hz) and DTMF: two strong peaks, so the
  strongest holds at most ~0.7 of the energy and the second ~0.3 or more;
- speech: where one harmonic dominates a frame, its neighbours are still there
  (second peak >= ~0.07), and the pitch glides. Monotone synthetic voices (flite,
  espeak-ng) can hold one harmonic at 0.9+ of a frame's energy for 200 ms; such a
  vowel still drifts by more than the 1 % a beep keeps, it comes straight out of
  the sound before it where a beep comes out of a pause, and its second peak sits
  at 3:2, 4:3, 5:3 ... of the first (two harmonics of a fundamental the telephone
  band removed);
- music: notes have harmonics (second peak at an integer multiple), and where a
  note is nearly pure, a melody goes from note to note without a pause;
- a Special Information Tone (the three rising 274/380 ms tones in front of a
  carrier's "the number you have dialled..." announcement): a tone sequence too.

So a candidate is confirmed only once it is known not to be part of a sequence of
different tones -- when it ends and no other tone follows within 80 ms, or when it
has lasted 440 ms (longer than any SIT segment) -- and the time returned is the
candidate's start, so the confirmation delay (typically 0.3-0.5 s after the start)
does not move the reported beep time. ``candidate_ms`` shows a candidate early.

What cannot be told apart from a beep at its start: any single pure tone of
80 ms or more in the band that no other tone touches (a 425 Hz European ringback
burst, one isolated flute-like note); the detector (``detector.py``) takes one heard
before anyone spoke for ringing. What is given up: a beep under 1000 Hz and
shorter than 300 ms glued to the greeting's last word with no pause reads as a
held vowel.

Pure: standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialback.domain.amd.frames import FRAME_MS, FrameFeatures


@dataclass(frozen=True)
class BeepParams:
    min_hz: float = 390.0  # 400-2000 Hz, with room for the estimate's error
    max_hz: float = 2060.0
    min_energy: float = 64.0  # mean |sample| on the 16-bit scale (~ -54 dBFS)
    # A clean (beep-like) frame: one peak with most of the energy, the next one weak
    # and not its harmonic. Measured on the 64 ms spectrum: a pure tone holds 0.90
    # at 10 dB SNR (0.61 at 3 dB) with a second peak <= 0.035; speech-like sounds
    # whose top peak holds >= 0.6 have a second one >= 0.066; ringback, DTMF >= 0.25.
    min_share: float = 0.6
    max_second_share: float = 0.05
    harmonic_share: float = 0.008  # a second peak this strong (-21 dB) at n*f or f/n ...
    harmonic_tolerance: float = 0.03  # ... within 3 %: a musical note
    # A weak harmonic (under -17 dB) marks a note at once only where it sits right on
    # the multiple, as a note's or a voice's does (measured within 0.03: 4.99, 2.00,
    # 2.03 ...); off it by more (still within the 3 % tolerance), it marks a note only
    # where half or more of the run's frames carry one -- the line's noise puts a peak
    # of -21 to -24 dB somewhere new in every frame at 10-12 dB SNR, and near 5x the
    # tolerance covers 0.3 of all ratios. Over 8000 clips (14 espeak training corpora,
    # six evaluation and two tuning corpora): beeps found 1767 -> 1776 of 1814, false
    # beeps 17 -> 20 of 6186, all three on machines; 0.015 found 2 more beeps but gave
    # a person's vowel over a TV a beep.
    weak_harmonic_share: float = 0.02
    exact_harmonic: float = 0.03
    # Second peaks at 3:2, 4:3, 5:3 ... (within 1.5 %, at least -27 dB) in half or
    # more of a run's frames: a voice's harmonics, not a beep (see _partials).
    fraction_tolerance: float = 0.015
    partial_share: float = 0.002
    # Beyond an octave (7:3, 14:3 ...) a partial must be a little stronger (-25 dB):
    # at a 1.5 % tolerance the n/3 grid covers over a third of all ratios above 4,
    # and the line's noise puts a peak of that level somewhere beside any tone -- a
    # clean beep over 11-14 dB of noise read as "a voice". (Measured over 7400 clips,
    # espeak training corpora and the eval corpora: -22 dB found 5 more beeps but
    # let 4 voices through, one a person's; ignoring wide ratios let through more.)
    partial_max_ratio: float = 2.0
    wide_partial_share: float = 0.003
    # A tonal frame (for "was there another tone just before/after?"): a clean frame,
    # or any frame whose top peak holds this much (a note with harmonics).
    tonal_share: float = 0.8
    # The frequency stays within 1 % of the run's mean: measured over 80 ms, a beep's
    # spread is <= 0.6 % at p99 (1.2 % at worst, 10 dB SNR) while a held synthetic
    # vowel glides 3-5 % (flite and espeak voices whose one harmonic dominates).
    freq_tolerance: float = 0.01
    # A beep starts out of a pause: the median energy of the 100 ms before it (ending
    # 20 ms before its start, the onset ramp) is at most this share of the tone's.
    # Measured: <= 0.37 before every beep of the tuning corpora, >= 0.28 before 3 in
    # 4 speech vowels that otherwise pass as one.
    max_lead_in: float = 0.5
    lead_in_frames: int = 5
    # ... asked only of tones a vowel could be: where a voice's strongest harmonic
    # lies (<= 1000 Hz) and shorter than 300 ms (no held vowel measured lasts 240).
    # A short low beep glued to the last word is the price (see the module note).
    vowel_max_hz: float = 1000.0
    vowel_max_frames: int = 15
    # Codecs (GSM) smear a pure tone: a second peak this close (within 6 %) and no
    # stronger than this is the tone's own skirt, not a second tone. Measured through
    # GSM: up to 0.24 beside a 1770 Hz beep, and 0.13 in a beep's last, fading frame.
    # Ringback's 480 Hz next to its 440 Hz (9 % away, outside the distance) holds ~0.3.
    skirt_share: float = 0.25
    skirt_distance: float = 0.06
    min_frames: int = 4  # 80 ms
    sequence_gap_frames: int = 4  # another tone within 80 ms: a tone sequence, not a beep
    confirm_frames: int = 22  # 440 ms: longer than any SIT segment, confirm without waiting


class BeepDetector:
    """``push`` each frame; returns the beep's start (ms from the start of the
    stream) once, when the beep is confirmed, and ``None`` otherwise."""

    def __init__(self, params: BeepParams | None = None) -> None:
        self.p = params or BeepParams()
        self.beep_at_ms: int | None = None
        # the current (or, within the sequence gap, the last) run of tonal frames
        self._start = 0  # t_ms of its first frame
        self._frames = 0  # its tonal frames
        self._clean = 0  # ... of which clean
        # A note's frame anywhere in the run (a harmonic second peak) -- not only after
        # its clean frames -- or a tonal, unclean frame after them: not a beep. (A flite
        # vowel opened with two harmonic frames, then held one harmonic for four.)
        self._tainted = False
        self._hz = 0.0  # its mean frequency; 0 once the sequence gap has passed
        self._after_tone = False  # it started right after another tone
        self._in_sequence = False  # ... and is a tone itself: never a beep
        self._gap = 0  # frames since the last tonal frame
        self._pending: int | None = None  # start of a candidate awaiting confirmation
        self._energy: list[float] = []  # the last frames' energies, newest last
        self._run_energy: list[float] = []  # the current run's energies
        self._lead_in = 0.0  # median energy just before the current run
        self._partial_frames = 0  # frames of the current run with a voice's partials
        self._weak_notes = 0  # frames of the current run with a weak harmonic

    def push(self, f: FrameFeatures) -> int | None:
        if self.beep_at_ms is not None:
            return None
        self._energy.append(f.energy)
        if len(self._energy) > self.p.lead_in_frames + 2:
            del self._energy[0]
        tone = self._classify(f)
        if tone is None:
            return self._no_tone()
        hz, clean, note, weak = tone
        p = self.p
        if self._hz and self._same(hz, self._hz):
            # the run goes on (across a dropout shorter than the sequence gap,
            # a lost packet say; dropped frames do not count towards its length)
            self._frames += 1
            self._hz += (hz - self._hz) / self._frames
            self._run_energy.append(f.energy)
            self._partial_frames += self._partials(f)
            self._weak_notes += weak
            if clean:
                self._clean += 1
            elif self._clean or note:
                self._tainted = True
        else:
            # A new tone. It follows a tone when the run just before it (within the
            # sequence gap, possibly through stray tonal frames) was one.
            self._after_tone = self._hz > 0.0 and (self._frames >= p.min_frames or self._after_tone)
            self._start, self._frames, self._hz = f.t_ms, 1, hz
            self._clean, self._tainted, self._in_sequence = int(clean), note, False
            self._weak_notes = int(weak)
            self._run_energy = [f.energy]
            self._partial_frames = int(self._partials(f))
            # the frames before this one's onset frame (the newest is this frame)
            before = self._energy[:-2][-self.p.lead_in_frames :]
            self._lead_in = _median(before) if before else 0.0
        self._gap = 0
        if self._frames == p.min_frames and self._after_tone:
            # Two different tones back to back: SIT or a melody, neither is a beep.
            self._in_sequence = True
            self._pending = None
        if self._pending == self._start and (
            self._tainted or self._voice_like() or self._note_like()
        ):
            # it grew harmonics (a note) or a voice's partials: not a beep
            self._tainted = True
            self._pending = None
        candidate = (
            self._clean >= p.min_frames
            and not self._tainted
            and self._out_of_pause()
            and not self._voice_like()
            and not self._note_like()
            and not self._in_sequence
            and p.min_hz <= self._hz <= p.max_hz
        )
        if candidate:
            if self._pending is None:
                self._pending = self._start
            if f.t_ms - self._start >= (p.confirm_frames - 1) * FRAME_MS:
                return self._confirm()
        return None

    @property
    def candidate_ms(self) -> int | None:
        """Start of a beep-like tone seen but not yet confirmed (or the beep)."""
        return self.beep_at_ms if self.beep_at_ms is not None else self._pending

    def finish(self) -> int | None:
        """At the end of the stream: a candidate still awaiting confirmation counts."""
        if self.beep_at_ms is None and self._pending is not None:
            return self._confirm()
        return None

    def _no_tone(self) -> int | None:
        self._gap += 1
        if self._gap > self.p.sequence_gap_frames:
            self._hz = 0.0  # the last run is over for good
            if self._pending is not None:
                return self._confirm()
        return None

    def _confirm(self) -> int | None:
        self.beep_at_ms = self._pending
        self._pending = None
        return self.beep_at_ms

    def _out_of_pause(self) -> bool:
        """Did the tone start out of a pause? Asked only where a vowel could pass for
        a beep: at or under ``vowel_max_hz`` and for less than ``vowel_max_frames``."""
        p = self.p
        if self._hz > p.vowel_max_hz or self._frames >= p.vowel_max_frames:
            return True
        return self._lead_in <= p.max_lead_in * _median(self._run_energy)

    def _same(self, a: float, b: float) -> bool:
        return abs(a - b) <= self.p.freq_tolerance * b

    def _classify(self, f: FrameFeatures) -> tuple[float, bool, bool, bool] | None:
        """(frequency, clean, note, weak) of a tonal frame -- at any frequency: a note
        below the beep band still makes the next one part of a melody -- else None.
        ``note``: its second peak is a harmonic of the first (a note's or a vowel's
        frame); ``weak``: a weak one, which may be the line's noise (the run decides)."""
        p = self.p
        if f.energy < p.min_energy or not f.peaks:
            return None
        hz, share = f.peaks[0]
        clean = share >= p.min_share
        note = weak = False
        if clean and len(f.peaks) > 1:
            hz2, share2 = f.peaks[1]
            skirt = share2 <= p.skirt_share and abs(hz2 - hz) <= p.skirt_distance * hz
            ratio = _ratio(hz, hz2)
            harmonic = share2 >= p.harmonic_share and self._harmonic(ratio)
            weak = harmonic and share2 < p.weak_harmonic_share and not self._exact(ratio)
            note = harmonic and not weak
            clean = (share2 <= p.max_second_share or skirt) and not note
        if clean or share >= p.tonal_share:
            return hz, clean, note, weak
        return None

    def _harmonic(self, ratio: float) -> bool:
        """Is the two peaks' ratio (the higher over the lower) near an integer, as a
        note's partials are? Small fractions (3:2 ...) are `_partials`, per run."""
        n = round(ratio)
        return n >= 2 and abs(ratio - n) <= self.p.harmonic_tolerance * n

    def _exact(self, ratio: float) -> bool:
        """Is the two peaks' ratio right on an integer, where a real harmonic sits?"""
        return abs(ratio - round(ratio)) <= self.p.exact_harmonic

    def _voice_like(self) -> bool:
        """Half or more of the run's frames carry a voice's partials."""
        return 2 * self._partial_frames >= self._frames

    def _note_like(self) -> bool:
        """Half or more of the run's frames (two at least) carry a weak harmonic."""
        return self._weak_notes >= 2 and 2 * self._weak_notes >= self._frames

    def _partials(self, f: FrameFeatures) -> bool:
        """Is the second peak at a small fraction of the first (3:2, 4:3, 5:3 ...)?
        Two harmonics of a lower fundamental, which the telephone band cut: a voice
        (flite's steady vowels hold one such harmonic at 0.9 of the energy)."""
        if len(f.peaks) < 2 or f.peaks[1][1] < self.p.partial_share:
            return False
        ratio = _ratio(f.peaks[0][0], f.peaks[1][0])
        if ratio >= self.p.partial_max_ratio and f.peaks[1][1] < self.p.wide_partial_share:
            return False
        for m in (2, 3):
            n = round(ratio * m)
            if n > m and n % m and abs(ratio - n / m) <= self.p.fraction_tolerance * ratio:
                return True
        return False


def _ratio(hz: float, hz2: float) -> float:
    """The higher of two frequencies over the lower (>= 1)."""
    return max(hz, hz2) / min(hz, hz2)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]
