"""What sipp tells us after (or during) a run: its counters and the scenarios' call log."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class CallEvent:
    call: int  # sipp's call number, from 1
    event: str  # final / provisional / rejected / cancelled / bye_received / bye_sent / ...
    code: int | None


@dataclass(frozen=True)
class SippStats:
    """sipp's own cumulative counters (`-trace_stat`, refreshed every second)."""

    created: int = 0
    current: int = 0
    successful: int = 0  # ran to the end of the scenario
    failed: int = 0  # aborted: unexpected message, retransmission or receive timeout
    failed_unexpected: int = 0
    failed_max_retrans: int = 0
    failed_timeout: int = 0
    retransmissions: int = 0


def read_stats(path: Path) -> SippStats:
    try:
        with path.open(newline="") as f:
            rows = list(csv.reader(f, delimiter=";"))
    except OSError:
        return SippStats()
    if len(rows) < 2:
        return SippStats()
    row = dict(zip(rows[0], rows[-1], strict=False))

    def num(key: str) -> int:
        try:
            return int(row.get(key, "0") or 0)
        except ValueError:
            return 0

    return SippStats(
        created=num("TotalCallCreated"),
        current=num("CurrentCall"),
        successful=num("SuccessfulCall(C)"),
        failed=num("FailedCall(C)"),
        failed_unexpected=num("FailedUnexpectedMessage(C)"),
        failed_max_retrans=num("FailedMaxUDPRetrans(C)"),
        failed_timeout=num("FailedTimeoutOnRecv(C)"),
        retransmissions=num("Retransmissions(C)"),
    )


def read_events(path: Path) -> list[CallEvent]:
    """Lines `CALL;EVENT;CODE` written by the scenarios' `<log>` actions."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    events = []
    for line in text.splitlines():
        parts = line.strip().split(";")
        if len(parts) == 3 and parts[0].isdigit():
            code = int(parts[2]) if parts[2].isdigit() else None
            events.append(CallEvent(int(parts[0]), parts[1], code))
    return events


@dataclass(frozen=True)
class UacResult:
    calls: int  # calls asked for
    finals: Counter[int]  # final response code to the INVITE (or REGISTER) -> count
    provisionals: Counter[int]
    events: list[CallEvent] = field(repr=False)
    returncode: int | None
    stats: SippStats
    elapsed_s: float

    @property
    def answered(self) -> int:
        return self.finals[200]

    @property
    def failed(self) -> int:
        """Calls without a 200: rejected, cancelled, or with no final response at all."""
        return self.calls - self.answered

    @property
    def codes(self) -> list[int]:
        return sorted(self.finals.elements())
