"""`dialback simulate recall`: the real flow in virtual time; counts add up and repeat."""

from __future__ import annotations

import json

import pytest

from dialback.bench.simulate import simulate_recall
from dialback.cli import main


def test_counts_add_up_and_the_run_is_deterministic() -> None:
    first = simulate_recall(seed=3, requests=60).as_json()
    assert first["connected"] + first["failed"] + first["invalid"] == first["requests"] == 60
    assert 0 < first["connected"] < 60
    assert first["attempts_per_request"] >= 1
    assert simulate_recall(seed=3, requests=60).as_json() == first
    assert simulate_recall(seed=4, requests=60).as_json() != first


def test_more_attempts_connect_at_least_as_many_requests() -> None:
    # Same people (common random numbers per number and call), more persistence.
    one = simulate_recall(seed=5, requests=80, policy="no_retry").as_json()
    seven = simulate_recall(seed=5, requests=80, policy="seed_max").as_json()
    assert one["attempts_per_request"] == 1
    assert seven["connected"] >= one["connected"]
    assert seven["attempts_per_request"] > 1
    # V4: one call cannot rescue its own voicemail; retries rescue some.
    assert one["requests_hit_voicemail"] > 0 and one["rescued_after_voicemail"] == 0
    assert seven["voicemail_calls"] >= seven["requests_hit_voicemail"]
    assert 0 < seven["rescued_after_voicemail"] <= seven["requests_hit_voicemail"]


def test_cli_prints_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "recall", "--seed", "1", "--requests", "20", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    for key in (
        "requests",
        "invalid",
        "connected",
        "connected_share",
        "median_seconds_to_connect",
        "attempts_per_request",
        "voicemail_counted_as_connected",
        "voicemail_share",
        "rescued_after_voicemail",
    ):
        assert key in report
    assert report["requests"] == 20


def test_cli_rejects_unknown_policy(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "recall", "--requests", "5", "--policy", "nope"]) == 2
    assert "unknown policy 'nope'" in capsys.readouterr().err
