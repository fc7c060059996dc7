from __future__ import annotations

import pytest

from dialback.domain.outcomes import Outcome, outcome_from_sip


@pytest.mark.parametrize(
    ("code", "ringing", "expected"),
    [
        (200, True, Outcome.ANSWERED_HUMAN),
        (486, False, Outcome.BUSY),
        (600, False, Outcome.BUSY),
        (404, False, Outcome.INVALID_NUMBER),
        (484, False, Outcome.INVALID_NUMBER),
        (604, False, Outcome.INVALID_NUMBER),
        (603, True, Outcome.REJECTED),
        (403, False, Outcome.REJECTED),
        (480, False, Outcome.UNAVAILABLE),
        (487, True, Outcome.NO_ANSWER),
        (408, True, Outcome.NO_ANSWER),
        (408, False, Outcome.CARRIER_ERROR),
        (503, False, Outcome.CARRIER_ERROR),
        (500, True, Outcome.CARRIER_ERROR),
        (0, False, Outcome.CARRIER_ERROR),
        (488, False, Outcome.CARRIER_ERROR),
    ],
)
def test_sip_codes_map_to_spec_outcomes(code: int, ringing: bool, expected: Outcome) -> None:
    assert outcome_from_sip(code, ringing_seen=ringing) is expected


def test_user_choices_are_never_carrier_failures() -> None:
    # C5: 486/600/603 and 480 must never move a call to the backup trunk.
    for code in (486, 600, 603, 480):
        assert not outcome_from_sip(code).is_carrier_failure
    assert outcome_from_sip(503).is_carrier_failure


def test_local_408_without_ringing_is_unavailable_not_carrier() -> None:
    assert outcome_from_sip(408, from_trunk=False) is Outcome.UNAVAILABLE
