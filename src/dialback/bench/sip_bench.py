"""`dialback bench sip`: N real SIP calls at R calls/s through the SIP worker pool.

It starts its own sipp UAS (answers, streams voice-like audio), places the
calls with ``SipTelephony`` exactly as the callback flow does, keeps each call
up for ``hold_s`` seconds while the worker reads its far-end audio, then hangs
up. It reports setup times (INVITE sent -> 200 OK seen), failures, the peak
number of concurrent calls, and the CPU and memory of Dialback's processes
(the parent and its SIP workers; sipp, on the same cores, is not counted).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialback.adapters.sip.pool import PoolSettings, SipLeg, SipTelephony
from dialback.adapters.sip.trunks import TrunkConfig
from dialback.bench.rigproc import free_sip_port
from dialback.bench.sipp import SippUas
from dialback.bench.sipp_scenarios import UasBehaviour
from dialback.ports import DialRequest, LegEventKind

_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class _Tally:
    live: int = 0
    max_live: int = 0
    answered: int = 0
    failed: int = 0
    setup_ms: list[float] = field(default_factory=list)
    audio_s: list[float] = field(default_factory=list)
    codes: dict[str, int] = field(default_factory=dict)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def _one_call(tel: SipTelephony, tally: _Tally, *, hold_s: float, ring_s: float) -> None:
    started = time.monotonic()
    leg = await tel.originate(
        DialRequest(number="+74993223085", trunk="bench", caller_id=None, tag="bench")
    )
    tally.live += 1
    tally.max_live = max(tally.max_live, tally.live)
    try:
        while True:
            event = await leg.next_event(timeout=ring_s)
            if event is None:
                tally.failed += 1
                tally.codes["timeout"] = tally.codes.get("timeout", 0) + 1
                await leg.hangup()
                return
            if event.kind is LegEventKind.ANSWERED:
                break
            if event.kind in (LegEventKind.FAILED, LegEventKind.ENDED):
                tally.failed += 1
                key = str(event.code)
                tally.codes[key] = tally.codes.get(key, 0) + 1
                return
        tally.answered += 1
        tally.setup_ms.append((time.monotonic() - started) * 1000)
        ended = await leg.next_event(timeout=hold_s)
        if ended is None or ended.kind is not LegEventKind.ENDED:
            await leg.hangup()
            await leg.next_event(timeout=10)
        if isinstance(leg, SipLeg) and leg.rx_seconds is not None:
            tally.audio_s.append(leg.rx_seconds)
    finally:
        tally.live -= 1


async def run_sip_bench(
    *, calls: int, cps: float, workers: int = 4, hold_s: float = 3.0, first_port: int | None = None
) -> dict[str, Any]:
    if calls < 1 or cps <= 0:
        raise ValueError("calls must be >= 1 and cps > 0")
    work = Path(tempfile.mkdtemp(prefix="dialback-bench-"))
    uas = SippUas(UasBehaviour.ANSWER, workdir=work / "uas")
    uas.start()
    try:
        host, port = uas.address.rsplit(":", 1)
        trunk = TrunkConfig("bench", host, int(port))
        settings = PoolSettings(
            workers=workers,
            first_sip_port=first_port or free_sip_port(count=workers),
            rtp_ports=(30000, 30000 + 400 * workers * 2 - 1),
            prompts_dir=work / "prompts",
        )
        async with SipTelephony(settings=settings, trunks=lambda _name: trunk) as tel:
            pids = [os.getpid(), *tel.worker_pids()]
            cpu0, t0 = sum(map(_cpu_seconds, pids)), time.monotonic()
            tally = _Tally()
            peak_rss = 0.0

            async def sample() -> None:
                nonlocal peak_rss
                while True:
                    peak_rss = max(peak_rss, sum(map(_rss_mb, pids)))
                    await asyncio.sleep(0.5)

            sampler = asyncio.ensure_future(sample())
            tasks = []
            for i in range(calls):
                delay = t0 + i / cps - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.ensure_future(_one_call(tel, tally, hold_s=hold_s, ring_s=10)))
            placed_s = time.monotonic() - t0
            await asyncio.gather(*tasks)
            wall = time.monotonic() - t0
            cpu = sum(map(_cpu_seconds, pids)) - cpu0
            sampler.cancel()
    finally:
        uas.stop()
    return {
        "calls": calls,
        "cps_target": cps,
        "cps_achieved": round(calls / placed_s, 1) if placed_s > 0 else None,
        "workers": workers,
        "answered": tally.answered,
        "failed": tally.failed,
        "failure_codes": tally.codes,
        "max_concurrent": tally.max_live,
        "setup_ms_p50": _percentile(tally.setup_ms, 0.5),
        "setup_ms_p95": _percentile(tally.setup_ms, 0.95),
        "audio_seconds_p50": round(statistics.median(tally.audio_s), 2) if tally.audio_s else None,
        "cpu_percent": round(100 * cpu / wall, 1),
        "rss_mb": round(peak_rss, 1),
        "wall_seconds": round(wall, 1),
    }
