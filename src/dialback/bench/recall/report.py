"""`dialback bench recall`: run the seeds in worker processes, then report (issue 5)."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable
from typing import Any, TextIO

from dialback.bench.recall.policies import DIALBACK, ORACLE, POLICY_NAMES
from dialback.bench.recall.runner import SeedRun, run_seed
from dialback.bench.recall.scenario import Scenario
from dialback.bench.recall.stats import (
    WINDOWS_S,
    PolicyStats,
    best_baseline,
    bootstrap_difference,
    policy_stats,
)

REPORT_ORDER = (*POLICY_NAMES, ORACLE)


def parse_seeds(text: str) -> list[int]:
    """``"7"`` or ``"1-20"`` (inclusive)."""
    head, sep, tail = text.strip().partition("-")
    try:
        first = int(head)
        last = int(tail) if sep else first
    except ValueError as exc:
        raise ValueError(f"--seeds must be N or A-B, got {text!r}") from exc
    if first < 0 or last < first:
        raise ValueError(f"--seeds A-B needs 0 <= A <= B, got {text!r}")
    if last - first >= 10_000:
        raise ValueError("--seeds covers at most 10000 seeds")
    return list(range(first, last + 1))


def _run_one(args: tuple[Scenario, int]) -> SeedRun:
    scenario, seed = args
    return run_seed(scenario, seed)


def run_seeds(
    scenario: Scenario,
    seeds: list[int],
    *,
    agents: int,
    progress: Callable[[int, int], None] | None = None,
) -> list[SeedRun]:
    """Every seed, ``agents`` worker processes at a time; results in seed order."""
    done: list[SeedRun] = []
    jobs = [(scenario, s) for s in seeds]
    if agents <= 1 or len(seeds) == 1:
        for job in jobs:
            done.append(_run_one(job))
            if progress:
                progress(len(done), len(seeds))
    else:
        ctx = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ctx.Pool(min(agents, len(seeds))) as pool:
            for run in pool.imap_unordered(_run_one, jobs):
                done.append(run)
                if progress:
                    progress(len(done), len(seeds))
    return sorted(done, key=lambda r: r.seed)


def progress_bar(stream: TextIO) -> Callable[[int, int], None]:
    started = time.perf_counter()

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // total
        elapsed = time.perf_counter() - started
        stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} seeds {elapsed:5.1f}s"
        )
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def _policy_json(stats: PolicyStats, *, oracle: bool) -> dict[str, Any]:
    out: dict[str, Any] = {f"connected_{w}": round(stats.share(w), 4) for w in WINDOWS_S}
    median = stats.km_median_s
    out["km_median_seconds"] = None if median is None else round(median, 1)
    out["attempts_per_request"] = (
        None if oracle else round(stats.attempts / stats.requests, 3) if stats.requests else 0.0
    )
    out["calls_outside_hours"] = stats.outside_hours
    return out


def build_report(seeds: list[SeedRun], *, scenario: Scenario, label: str) -> dict[str, Any]:
    stats = {name: policy_stats(seeds, name) for name in REPORT_ORDER}
    best = best_baseline(stats)
    diff, lo, hi = bootstrap_difference(seeds, best)
    return {
        "seeds": label,
        "scenario": scenario.source,
        "requests": stats[DIALBACK].requests,
        "valid_requests": stats[DIALBACK].valid,
        "policies": {
            name: _policy_json(stats[name], oracle=name == ORACLE) for name in REPORT_ORDER
        },
        "dialback_minus_best_baseline": {
            "baseline": best,
            "window": "24h",
            "difference": round(diff, 4),
            "ci95": [round(lo, 4), round(hi, 4)],
            "bootstrap": "seeds resampled" if len(seeds) > 1 else "requests resampled",
        },
        "oracle_minus_dialback_24h": round(
            stats[ORACLE].share("24h") - stats[DIALBACK].share("24h"), 4
        ),
    }


def _fmt_share(v: float) -> str:
    return f"{100 * v:5.1f}%"


def _fmt_seconds(v: float | None) -> str:
    if v is None:
        return "never"
    if v < 120:
        return f"{v:.0f} s"
    if v < 7200:
        return f"{v / 60:.1f} min"
    return f"{v / 3600:.1f} h"


def format_table(report: dict[str, Any]) -> str:
    head = ("policy", "1 h", "4 h", "24 h", "KM median", "attempts/req", "outside hours")
    rows = [head]
    for name, p in report["policies"].items():
        attempts = p["attempts_per_request"]
        rows.append(
            (
                name,
                _fmt_share(p["connected_1h"]),
                _fmt_share(p["connected_4h"]),
                _fmt_share(p["connected_24h"]),
                _fmt_seconds(p["km_median_seconds"]),
                "-" if attempts is None else f"{attempts:.2f}",
                str(p["calls_outside_hours"]),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    d = report["dialback_minus_best_baseline"]
    lo, hi = d["ci95"]
    lines.append("")
    lines.append(
        f"seeds {report['seeds']}, scenario {report['scenario']}: "
        f"{report['valid_requests']} valid of {report['requests']} requests"
    )
    lines.append(
        f"dialback - best baseline ({d['baseline']}), connected within 24 h: "
        f"{100 * d['difference']:+.1f} pp (95% CI {100 * lo:+.1f} .. {100 * hi:+.1f})"
    )
    lines.append(f"oracle - dialback, 24 h: {100 * report['oracle_minus_dialback_24h']:.1f} pp")
    return "\n".join(lines)


def default_agents() -> int:
    return max(1, min(os.cpu_count() or 1, 8))
