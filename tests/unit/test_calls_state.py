from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialback.domain.calls import (
    ATTEMPT_TRANSITIONS,
    LEG_TRANSITIONS,
    REQUEST_TRANSITIONS,
    AttemptState,
    IllegalTransition,
    LegState,
    RequestState,
    transition,
)

AT = datetime(2026, 11, 23, 10, tzinfo=UTC)


def test_transition_returns_event_with_old_and_new() -> None:
    event = transition(
        LEG_TRANSITIONS, kind="leg", entity_id=7, old=LegState.DIALING, new=LegState.RINGING, at=AT
    )
    assert (event.kind, event.entity_id, event.old, event.new, event.at) == (
        "leg",
        7,
        "dialing",
        "ringing",
        AT,
    )


def test_ended_leg_cannot_be_answered() -> None:
    with pytest.raises(IllegalTransition, match="ended -> answered"):
        transition(
            LEG_TRANSITIONS,
            kind="leg",
            entity_id=1,
            old=LegState.ENDED,
            new=LegState.ANSWERED,
            at=AT,
        )


def test_client_is_never_dialed_before_a_manager_answered() -> None:
    # C2: manager-first. Dialing the client is only reachable from manager states.
    sources = {
        s for s, targets in ATTEMPT_TRANSITIONS.items() if AttemptState.CLIENT_DIALING in targets
    }
    assert sources == {AttemptState.MANAGER_DIALING, AttemptState.MANAGER_CONFIRMING}


def test_terminal_request_states_have_no_exits() -> None:
    for state in RequestState:
        if state.is_terminal:
            assert REQUEST_TRANSITIONS[state] == frozenset()
        else:
            assert REQUEST_TRANSITIONS[state]


def test_bridged_attempt_can_only_complete() -> None:
    assert ATTEMPT_TRANSITIONS[AttemptState.BRIDGED] == frozenset({AttemptState.COMPLETED})
