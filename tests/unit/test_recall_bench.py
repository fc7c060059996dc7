"""The recall benchmark (issue 5): a deterministic hidden world, common random numbers,
an oracle nobody beats, a policy module blind to the hidden traits, checked scenarios."""

from __future__ import annotations

import ast
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

import dialback.bench.recall.policies as policies_module
from dialback.bench.recall.oracle import oracle_connect_seconds
from dialback.bench.recall.policies import BASELINES, DIALBACK, ORACLE, make_policies
from dialback.bench.recall.report import build_report, parse_seeds, run_seeds
from dialback.bench.recall.runner import run_policy, run_seed
from dialback.bench.recall.scenario import (
    ScenarioError,
    load_scenario,
    scenario_from,
)
from dialback.bench.recall.stats import km_median
from dialback.bench.recall.world import CallResult, Client, World
from dialback.cli import main
from dialback.domain.recall import RetryPolicy

SMALL = scenario_from(
    {"arrivals": {"days": 2, "requests_per_hour": 6.0, "follow_hours": 48.0}}, source="small"
)


def _policies() -> dict[str, RetryPolicy]:
    b = SMALL.baselines
    return make_policies(
        seed_max_intervals_minutes=b.seed_max_intervals_minutes,
        six_a_day_interval_minutes=b.six_a_day_interval_minutes,
        per_outcome_max_attempts=b.per_outcome_max_attempts,
    )


def test_world_is_deterministic_per_seed() -> None:
    first, again, other = World(SMALL, 7), World(SMALL, 7), World(SMALL, 8)
    assert first.clients == again.clients
    assert first.managers == again.managers
    assert first.trunk_outages == again.trunk_outages
    assert len(first.clients) > 50
    assert first.clients != other.clients


def test_default_world_has_the_issue_traits() -> None:
    world = World(load_scenario(), 3)
    clients = world.clients
    invalid = sum(c.invalid for c in clients) / len(clients)
    voicemail = sum(c.voicemail for c in clients) / len(clients)
    assert 0.0 < invalid < 0.06  # ~2 %
    assert 0.4 < voicemail < 0.6  # ~50 %
    assert any(c.blocks_substituted_cid for c in clients)
    assert any(c.busy_starts for c in clients)
    assert len(world.managers) == 4


def test_arrivals_fall_inside_business_hours() -> None:
    world = World(SMALL, 2)
    for c in world.clients:
        assert SMALL.calendar.is_open(datetime.fromtimestamp(c.arrival, UTC))


def test_world_calling_hours_match_the_calendar() -> None:
    world = World(SMALL, 1)
    for k in range(0, 5 * 24 * 60, 7):
        t = world.start + 60.0 * k + 13.0
        assert world.is_open(t) == SMALL.calendar.is_open(datetime.fromtimestamp(t, UTC))


@dataclass(frozen=True)
class _Probe:
    client: int
    minute: int
    trunk: int
    substituted: bool


class _RecordingWorld(World):
    """Records every attempt placed while no manager was held by the policy's own calls."""

    def __init__(self, seed: int) -> None:
        super().__init__(SMALL, seed)
        self.seen: dict[_Probe, list[tuple[object, ...]]] = {}

    def call(
        self,
        client: Client,
        at: float,
        *,
        trunk: int,
        substitute_caller_id: bool,
        on_our_calls: list[float],
    ) -> CallResult:
        result = super().call(
            client,
            at,
            trunk=trunk,
            substitute_caller_id=substitute_caller_id,
            on_our_calls=on_our_calls,
        )
        if all(until <= at for until in on_our_calls):
            probe = _Probe(client.index, int(at // 60), trunk, substitute_caller_id)
            self.seen.setdefault(probe, []).append(
                (result.manager_outcome, result.client_outcome, result.connected_at is not None)
            )
        return result


def test_all_policies_face_identical_hidden_outcomes() -> None:
    world = _RecordingWorld(seed=11)
    for name, policy in _policies().items():
        run_policy(world, policy, name)
    shared = [outcomes for outcomes in world.seen.values() if len(outcomes) > 1]
    assert len(shared) > 100  # many (client, minute) pairs were called by several policies
    for outcomes in shared:
        assert len(set(outcomes)) == 1, outcomes


def test_running_policies_leaves_the_truth_unchanged() -> None:
    used, fresh = World(SMALL, 4), World(SMALL, 4)
    for name, policy in _policies().items():
        run_policy(used, policy, name)
    for c_used, c_fresh in zip(used.clients, fresh.clients, strict=True):
        assert oracle_connect_seconds(used, c_used) == oracle_connect_seconds(fresh, c_fresh)


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_oracle_is_never_beaten(seed: int) -> None:
    run = run_seed(SMALL, seed)
    oracle = run.runs[ORACLE].connect_s
    for name in (*BASELINES, DIALBACK):
        for valid, mine, best in zip(run.valid, run.runs[name].connect_s, oracle, strict=True):
            if mine is None:
                continue
            assert valid, f"{name} connected an invalid number"
            assert best is not None and best <= mine, (name, mine, best)


def test_no_policy_calls_outside_calling_hours() -> None:
    lunch = scenario_from(
        {
            "calendar": {"hours": {"mon": ["09:00-12:00", "13:00-17:30"], "tue": ["10:00-16:00"]}},
            "arrivals": {"days": 2, "requests_per_hour": 8.0, "follow_hours": 48.0},
        }
    )
    run = run_seed(lunch, 6)
    for name, policy_run in run.runs.items():
        assert policy_run.outside_hours == 0, name
        assert sum(policy_run.attempts) > 0 or name == ORACLE


def test_dialback_beats_the_baselines_on_a_small_world() -> None:
    report = build_report(run_seeds(SMALL, [21, 22], agents=1), scenario=SMALL, label="21-22")
    p = report["policies"]
    best = max(p[b]["connected_24h"] for b in BASELINES)
    assert p[DIALBACK]["connected_24h"] >= best
    assert p[ORACLE]["connected_24h"] >= p[DIALBACK]["connected_24h"]


POLICIES_FILE = Path(policies_module.__file__)
_HIDDEN = ("world", "oracle", "scenario", "crn", "runner", "report", "stats")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative imports would hide what is imported"
            names.add(node.module or "")
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_policies_cannot_import_the_hidden_truth() -> None:
    offenders = []
    for name in _imported_modules(POLICIES_FILE):
        top = name.split(".")[0]
        if top == "__future__" or top in sys.stdlib_module_names:
            continue
        if name.startswith("dialback.domain"):
            continue  # pure: outcomes, calendar, recall policies
        offenders.append(name)
    assert offenders == []
    assert not any(h in name for name in _imported_modules(POLICIES_FILE) for h in _HIDDEN)


def test_the_boundary_check_would_catch_a_peek(tmp_path: Path) -> None:
    sneaky = tmp_path / "policies.py"
    sneaky.write_text("from dialback.bench.recall.world import World\n")
    assert "dialback.bench.recall.world.World" in _imported_modules(sneaky)


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        (
            "[clients]\nvoicemail_share = 1.5\n",
            "clients.voicemail_share: must be within [0, 1], got 1.5",
        ),
        ("[clients]\nhour_curve = [1.0, 1.0]\n", "clients.hour_curve: needs exactly 24 numbers"),
        ('[managers]\ncount = "four"\n', "managers.count: must be a whole number"),
        ("[managers]\nanswer_prob = [0.9, 0.5]\n", "managers.answer_prob: [low, high]"),
        ("[clients]\nvoicemail = 0.5\n", "clients.voicemail: unknown key"),
        ("[weather]\nrain = true\n", "weather: unknown section"),
        ('[calendar]\ntimezone = "Mars/Olympus"\n', "calendar.timezone: unknown time zone"),
        ('[calendar]\nhours = { mon = ["18:00-09:00"] }\n', "calendar.hours: mon: opening"),
        ("[arrivals]\nrequests_per_hour = 0\n", "arrivals.requests_per_hour: must be within (0"),
        ("[trunks]\nfailure_prob = [0.1]\n", "trunks.outages_per_week: needs one value per trunk"),
    ],
)
def test_bad_scenario_value_is_rejected_naming_key_and_reason(
    tmp_path: Path, toml: str, words: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert words in str(err.value)


def test_cli_refuses_a_bad_scenario_with_the_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[clients]\ninvalid_share = -0.1\n")
    assert main(["bench", "recall", "--seeds", "1", "--scenario", str(path)]) == 2
    assert "clients.invalid_share: must be within [0, 1], got -0.1" in capsys.readouterr().err


def test_cli_prints_one_json_object_with_every_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "small.toml"
    path.write_text("[arrivals]\ndays = 1\nrequests_per_hour = 4.0\nfollow_hours = 48.0\n")
    code = main(["bench", "recall", "--seeds", "3-4", "--scenario", str(path), "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["policies"]) == [*BASELINES, DIALBACK, ORACLE]
    for p in report["policies"].values():
        assert set(p) == {
            "connected_1h",
            "connected_4h",
            "connected_24h",
            "km_median_seconds",
            "attempts_per_request",
            "calls_outside_hours",
        }
        assert p["calls_outside_hours"] == 0
    diff = report["dialback_minus_best_baseline"]
    assert diff["ci95"][0] <= diff["difference"] <= diff["ci95"][1]


def test_seed_ranges() -> None:
    assert parse_seeds("7") == [7]
    assert parse_seeds("10000-10003") == [10000, 10001, 10002, 10003]
    for bad in ("x", "5-3", "-1", "1-"):
        with pytest.raises(ValueError):
            parse_seeds(bad)


def test_kaplan_meier_median_counts_the_censored_as_at_risk() -> None:
    assert km_median([1, 2, 3, 4], [True, True, True, True]) == 2
    # Two censored early: the remaining two decide, and S drops to 0.5 at 4.
    assert km_median([1, 1, 3, 4], [False, False, True, True]) == 3
    assert km_median([5, 9, 9], [True, False, False]) is None


@pytest.mark.parametrize(
    "path", sorted((Path(policies_module.__file__).parent / "examples").glob("*.toml")), ids=str
)
def test_example_scenarios_load(path: Path) -> None:
    assert load_scenario(path).source == str(path)
