"""Load scripted subscribers and trunks for the simulated network from JSON.

Format::

    {"subscribers": [
        {"number": "+15550001", "answer_prob": 0.9, "dtmf_confirm": true,
         "script": [{"kind": "busy"}, {"kind": "answer", "delay_s": 3}]}],
     "trunks": {"main": {"failure_prob": 0.05}, "backup": {}}}

Unknown keys are errors, so a typo in a test scenario fails loudly.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from dialback.adapters.simnet.population import Reaction, ReactionKind, Subscriber, TrunkBehaviour


class ScenarioError(ValueError):
    pass


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _check_keys(where: str, data: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}")


def subscriber_from(data: dict[str, Any]) -> Subscriber:
    where = f"subscriber {data.get('number', '?')}"
    _check_keys(where, data, _fields(Subscriber))
    values = dict(data)
    script = []
    for i, item in enumerate(values.pop("script", [])):
        _check_keys(f"{where} script[{i}]", item, _fields(Reaction))
        try:
            script.append(Reaction(**{**item, "kind": ReactionKind(item["kind"])}))
        except (KeyError, ValueError, TypeError) as exc:
            raise ScenarioError(f"{where} script[{i}]: {exc}") from exc
    for key in ("hour_curve", "answer_delay_s", "busy_spell_s", "talk_s"):
        if key in values:
            values[key] = tuple(values[key])
    try:
        return Subscriber(**values, script=tuple(script))
    except (ValueError, TypeError) as exc:
        raise ScenarioError(f"{where}: {exc}") from exc


def load_population_file(path: Path) -> tuple[dict[str, Subscriber], dict[str, TrunkBehaviour]]:
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
    _check_keys(str(path), raw, {"subscribers", "trunks"})
    subscribers = {s.number: s for s in map(subscriber_from, raw.get("subscribers", []))}
    trunks: dict[str, TrunkBehaviour] = {}
    for name, t in raw.get("trunks", {}).items():
        _check_keys(f"trunk {name}", t, {"failure_prob", "failure_code"})
        trunks[name] = TrunkBehaviour(name=name, **t)
    return subscribers, trunks
