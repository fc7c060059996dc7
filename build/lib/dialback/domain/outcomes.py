"""Outcome of a call leg, from SIP responses and audio verdicts (SPEC "Words").

Pure: standard library only.
"""

from __future__ import annotations

from enum import StrEnum


class Outcome(StrEnum):
    """What happened on one leg of a call."""

    ANSWERED_HUMAN = "answered_human"
    ANSWERED_MACHINE = "answered_machine"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    REJECTED = "rejected"
    UNAVAILABLE = "unavailable"
    INVALID_NUMBER = "invalid_number"
    CARRIER_ERROR = "carrier_error"
    NO_FREE_OPERATOR = "no_free_operator"
    BLOCKED = "blocked"
    # Not in the callee's hands: we stopped ringing because another leg of a
    # ring-all group answered first, or the attempt was abandoned.
    CANCELLED = "cancelled"

    @property
    def is_answer(self) -> bool:
        return self in (Outcome.ANSWERED_HUMAN, Outcome.ANSWERED_MACHINE)

    @property
    def is_carrier_failure(self) -> bool:
        # C5: only carrier-side errors move the next attempt to the backup trunk;
        # 486/600/603 (the callee's choice) and 480 never do.
        return self is Outcome.CARRIER_ERROR

    @property
    def is_final_for_number(self) -> bool:
        """Retrying this number cannot help (the number itself is wrong or barred)."""
        return self in (Outcome.INVALID_NUMBER, Outcome.BLOCKED)


def outcome_from_sip(code: int, *, ringing_seen: bool = False, from_trunk: bool = True) -> Outcome:
    """Map a final SIP response code of an outbound INVITE to an Outcome.

    ``ringing_seen`` tells whether a 180/183 arrived before the final response:
    a 408 after ringing means the far end rang out; a 408 before any ringing
    means nobody could be reached. ``from_trunk`` is False when the response was
    generated locally (our own timer), which is never a carrier fault.
    """
    if 200 <= code < 300:
        # Whether a human or a machine answered is decided from audio (V1);
        # until then an answer is taken as human.
        return Outcome.ANSWERED_HUMAN
    if code in (486, 600):
        return Outcome.BUSY
    if code in (404, 484, 604, 410, 485):
        return Outcome.INVALID_NUMBER
    if code in (603, 403):
        return Outcome.REJECTED
    if code == 480:
        return Outcome.UNAVAILABLE
    if code == 487:
        # Request terminated: we sent CANCEL after our ring timeout.
        return Outcome.NO_ANSWER
    if code == 408:
        if ringing_seen:
            return Outcome.NO_ANSWER
        return Outcome.CARRIER_ERROR if from_trunk else Outcome.UNAVAILABLE
    if 500 <= code < 600:
        return Outcome.CARRIER_ERROR
    if code == 0:
        # Transport failure: no response at all.
        return Outcome.CARRIER_ERROR
    if 400 <= code < 500:
        # Other client errors (401/407 we failed to satisfy, 488 codecs, ...) are
        # on our or the carrier's side, not the callee's.
        return Outcome.CARRIER_ERROR
    return Outcome.CARRIER_ERROR


class CustomerStatus(StrEnum):
    """The short statuses a customer sees on a callback request (seed 000)."""

    CONNECTED = "Connected"
    MANAGER_NO_ANSWER = "Manager did not answer"
    CLIENT_BUSY = "Client busy / unreachable"
    VOICEMAIL = "VOICEMAIL"
    NO_FREE_OPERATOR = "No free operators"
    INVALID_NUMBER = "Invalid number"
    SPAM = "Spam"
