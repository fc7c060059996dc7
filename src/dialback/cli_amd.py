"""`dialback amd classify | eval | corpus` (issue 4)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from dialback.bench.amd_eval import ENGINES, Truth, classify_folder, score


def run_amd(args: argparse.Namespace) -> int:
    try:
        if args.what == "classify":
            return _classify(args)
        if args.what == "eval":
            return _eval(args)
        return _corpus(args)
    except (NotADirectoryError, FileNotFoundError, ValueError) as exc:
        print(f"dialback amd {args.what}: {exc}", file=sys.stderr)
        return 2


def _classify(args: argparse.Namespace) -> int:
    failed = 0
    for result in classify_folder(args.dir, args.engine):
        if result.error is not None:
            failed += 1
            print(f"{result.file}: {result.error}", file=sys.stderr)
        if args.jsonl or result.error is None:
            line = result.as_json()
            print(json.dumps(line) if args.jsonl else _plain(line))
    return 0


def _plain(line: dict[str, Any]) -> str:
    if "error" in line:
        return f"{line['file']}\tERROR\t{line['error']}"
    beep = line["beep_at_ms"]
    return f"{line['file']}\t{line['decision']}\t{line['decided_at_ms']} ms" + (
        f"\tbeep {beep} ms" if beep is not None else ""
    )


def _eval(args: argparse.Namespace) -> int:
    from dialback.bench.amd_corpus import read_labels

    truth = {c.file: Truth(c.label, c.beep_ms) for c in read_labels(args.labels)}
    report = {engine: score(list(classify_folder(args.dir, engine)), truth) for engine in ENGINES}
    if args.json:
        print(json.dumps(report))
        return 0
    rows = [
        ("clips", "clips"),
        ("accuracy", "accuracy"),
        ("humans called MACHINE", "humans_called_machine"),
        ("machine recall", "machine_recall"),
        ("NOTSURE", "notsure"),
        ("human decision median ms", ("human_decision", "median_ms")),
        ("human decision p95 ms", ("human_decision", "p95_ms")),
        ("machine decision median ms", ("machine_decision", "median_ms")),
        ("machine decision p95 ms", ("machine_decision", "p95_ms")),
        ("beeps found within 150 ms", "beep_hit_rate_150ms"),
        ("false beeps", "false_beep_rate"),
        ("us per frame", "us_per_frame"),
        ("unreadable files", "errors"),
    ]
    print(f"{'':32}{'dialback':>12}{'asterisk':>12}")
    for title, key in rows:
        cells = []
        for engine in ENGINES:
            value: Any = report[engine]
            for part in key if isinstance(key, tuple) else (key,):
                value = value[part]
            cells.append("-" if value is None else f"{value}")
        print(f"{title:32}{cells[0]:>12}{cells[1]:>12}")
    return 0


def _corpus(args: argparse.Namespace) -> int:
    from dialback.bench.amd_corpus import generate_corpus

    if args.count < 1:
        raise ValueError("--count must be at least 1")
    labels = generate_corpus(
        args.out, seed=args.seed, count=args.count, voices=args.voices, phrases=args.phrases
    )
    machines = sum(1 for c in labels if c.label == "MACHINE")
    print(f"{len(labels)} clips ({machines} machines) and labels.csv written to {args.out}")
    return 0
