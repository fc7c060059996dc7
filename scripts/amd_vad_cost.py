"""What Silero's VAD costs the feature extractor: µs per 20 ms frame with and without it.

    python scripts/amd_vad_cost.py DIR [--clips N]

Runs ``FeatureExtractor`` (with the network) over the first N clips of DIR twice each
way, in one process, and prints both costs and their ratio (README, "Cost per frame").
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dialback.adapters.amd import FeatureExtractor, read_audio


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
    best: dict[bool, float] = {}
    for _ in range(2):
        for silero in (False, True):
            start = time.process_time()
            for pcm in pcms:
                FeatureExtractor(silero=silero).push(pcm)
            cost = (time.process_time() - start) / frames * 1e6
            best[silero] = min(cost, best.get(silero, cost))
    print(f"{frames} frames of {len(pcms)} clips")
    print(f"WebRTC's VAD alone:   {best[False]:6.0f} us per frame")
    print(f"with Silero's beside: {best[True]:6.0f} us per frame ({best[True] / best[False]:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
