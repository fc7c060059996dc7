"""What Silero's VAD costs: µs per 20 ms frame of features, network and detector,
three ways.

    python scripts/amd_vad_cost.py DIR [--clips N]

Runs the first N clips of DIR, twice each way, in one process (CPU time, the best
of the two) and prints each cost and its ratio to WebRTC's VAD alone (README, "Cost
per frame"):

- WebRTC's VAD alone;
- Silero's beside it on every frame;
- as the product runs (``amd eval``, the SIP worker): Silero until a HUMAN or
  NOTSURE verdict, then only WebRTC's (only the beep detector listens on).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from dialback.adapters.amd import FeatureExtractor, read_audio
from dialback.bench.amd_eval import run_engine, stream_dialback


def _all_frames(silero: bool) -> Callable[[bytes], object]:
    return lambda pcm: run_engine("dialback", FeatureExtractor(silero=silero).push(pcm))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--clips", type=int, default=40)
    args = ap.parse_args(argv)
    pcms = [read_audio(f) for f in sorted(args.folder.glob("*.wav"))[: args.clips]]
    frames = sum(len(p) // 320 for p in pcms)
    if not frames:
        print(f"no audio in {args.folder}", file=sys.stderr)
        return 2
    ways: dict[str, Callable[[bytes], object]] = {
        "WebRTC's VAD alone": _all_frames(False),
        "Silero's beside it": _all_frames(True),
        "Silero until the verdict": stream_dialback,
    }
    best: dict[str, float] = {}
    for _ in range(2):
        for name, run in ways.items():
            start = time.process_time()
            for pcm in pcms:
                run(pcm)
            cost = (time.process_time() - start) / frames * 1e6
            best[name] = min(cost, best.get(name, cost))
    print(f"{frames} frames of {len(pcms)} clips")
    base = best["WebRTC's VAD alone"]
    for name, cost in best.items():
        print(f"{name + ':':26} {cost:6.0f} us per frame ({cost / base:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
