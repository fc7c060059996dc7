"""Scripted SIP peers: sipp 3.6.1 as a UAS ("a manager", "a client", "a voicemail") and as a
UAC (rig self-tests, load).

    with SippUas(UasBehaviour.BUSY, workdir=tmp) as busy:
        ...  # route a number to busy.address; later: busy.outcomes()["rejected"]

One UAS process serves many calls, in a row and at once (sipp's default, no `-m`).
sipp runs as a child of this process, never with `-bg`, its output in the work dir,
and is stopped by PID (TERM, then KILL after a timeout) even when a test fails.
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from pathlib import Path

from dialback.bench import audio
from dialback.bench.rigproc import (
    HOST,
    ChildProcess,
    RigProcess,
    free_port_pair,
    free_udp_port,
    udp_bound,
    wait_until,
)
from dialback.bench.sipp_results import (
    CallEvent,
    SippStats,
    UacResult,
    read_events,
    read_stats,
)
from dialback.bench.sipp_scenarios import UasBehaviour, UasPlan, uas_scenario
from dialback.bench.sipp_uac_scenarios import UacPlan, uac_call_scenario, uac_register_scenario

__all__ = [
    "CallEvent",
    "SippRegister",
    "SippStats",
    "SippUac",
    "SippUas",
    "UacResult",
    "UasBehaviour",
    "free_port_pair",
    "free_udp_port",
]

SIPP = "/usr/bin/sipp"
# Events that end a call in the UAS scenarios' logs (see sipp_scenarios).
UAS_ENDINGS = frozenset({"rejected", "cancelled", "bye_received", "bye_sent"})


class _Sipp(RigProcess):
    """What the UAS and UAC share: files in a private directory, the child, the logs."""

    kind = "sipp"

    def __init__(self, *, workdir: Path, port: int | None, media_port: int | None) -> None:
        if shutil.which(SIPP) is None:
            raise RuntimeError(f"{SIPP} not found: install Debian package sip-tester")
        self.port = port or free_udp_port()
        self.media_port = media_port or free_port_pair()
        self.dir = workdir / f"{self.kind}-{self.port}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.scenario_path = self.dir / "scenario.xml"
        self.events_path = self.dir / "calls.log"
        self.stats_path = self.dir / "stats.csv"
        self.errors_path = self.dir / "errors.log"
        self._child: ChildProcess | None = None

    def events(self) -> list[CallEvent]:
        return read_events(self.events_path)

    def stats(self) -> SippStats:
        return read_stats(self.stats_path)

    def _argv(self, extra: list[str]) -> list[str]:
        return [
            SIPP,
            *extra,
            "-sf", str(self.scenario_path),
            "-i", HOST, "-p", str(self.port), "-bind_local",
            "-mi", HOST, "-mp", str(self.media_port),
            "-cp", str(free_udp_port()), "-ci", HOST,  # control socket: never the default 8888
            "-nostdin",
            "-trace_logs", "-log_file", str(self.events_path),
            "-trace_err", "-error_file", str(self.errors_path),
            "-trace_stat", "-stf", str(self.stats_path), "-fd", "1",
        ]  # fmt: skip

    def _launch(self, argv: list[str]) -> ChildProcess:
        child = ChildProcess(argv, cwd=self.dir, log_path=self.dir / "sipp.out")
        self._child = child
        child.start()
        return child

    def stop(self) -> None:
        if self._child is not None:
            self._child.stop(timeout_s=3.0)

    def log_tail(self) -> str:
        tail = self._child.log_tail() if self._child else ""
        try:
            errors = self.errors_path.read_text(errors="replace")[-2000:]
        except OSError:
            errors = ""
        return f"{tail}\n--- {self.errors_path.name} ---\n{errors}"


class SippUas(_Sipp):
    """A sipp UAS playing one `UasBehaviour` for every call it receives.

    `audio`: what it streams once answered (RAW μ-law, or a WAV converted here); a
    voice-like signal is generated when omitted. `after_ms` is the one timing knob:
    ring time of ring_then_answer, talk time of answer_then_bye, delay before the DTMF of
    answer_dtmf5, early-media time of early_media_then_fail. `greeting` (voicemail) is
    followed by a 1 kHz beep (none with ``beep=False``: a mailbox that starts recording
    at the greeting's end), then silence until the caller hangs up.
    """

    kind = "uas"

    def __init__(
        self,
        behaviour: UasBehaviour | str,
        *,
        workdir: Path,
        port: int | None = None,
        media_port: int | None = None,
        audio: Path | None = None,
        after_ms: int = 1000,
        greeting: Path | None = None,
        beep: bool = True,
        start_timeout_s: float = 10.0,
    ) -> None:
        self.behaviour = UasBehaviour(behaviour)
        self.kind = f"uas-{self.behaviour}"
        super().__init__(workdir=workdir, port=port, media_port=media_port)
        self.after_ms = after_ms
        self.start_timeout_s = start_timeout_s
        self.audio = _ulaw_file(audio, self.dir / "voice.ul", seed=self.port)
        self.greeting = greeting
        self.beep = beep

    def _plan(self) -> UasPlan:
        if self.behaviour is not UasBehaviour.VOICEMAIL:
            return UasPlan(audio=self.audio, after_ms=self.after_ms)
        greeting = _ulaw_file(self.greeting, self.dir / "greeting.ul", seed=7, seconds=2.5)
        beep = audio.concat(
            audio.silence(0.2), audio.tone(1000, 0.5) if self.beep else audio.silence(0.5)
        )
        beep = audio.concat(beep, audio.silence(0.3))
        combined = self.dir / "greeting-beep.ul"
        combined.write_bytes(greeting.read_bytes() + audio.ulaw_encode(beep))
        silence = audio.write_ulaw(self.dir / "silence.ul", audio.silence(1.0))
        return UasPlan(
            audio=self.audio,
            after_ms=self.after_ms,
            greeting=combined,
            silence=silence,
            greeting_ms=round(audio.ulaw_seconds(combined) * 1000),
        )

    def start(self) -> SippUas:
        self.scenario_path.write_text(uas_scenario(self.behaviour, self._plan()))
        # -aa: 200 to in-call INFO/NOTIFY/OPTIONS; no -m, so calls are not counted down;
        # -l: sipp's default concurrency cap depends on the call rate, meaningless here
        # (5000 keeps sipp under its open-files limit, far above a SIP worker's 256 calls).
        extra = ["-aa", "-l", "5000"]
        if self.behaviour is UasBehaviour.ANSWER_ECHO:
            extra.append("-rtp_echo")
        child = self._launch(self._argv(extra))
        if (
            not wait_until(
                lambda: udp_bound(self.port) or not child.running, timeout_s=self.start_timeout_s
            )
            or not child.running
        ):
            self.stop()
            raise RuntimeError(f"sipp UAS did not start on {self.address}:\n{self.log_tail()}")
        return self

    def outcomes(self) -> Counter[str]:
        """How many calls ended each way: rejected, cancelled, bye_received, bye_sent."""
        return Counter(e.event for e in self.events() if e.event in UAS_ENDINGS)

    def wait_calls(self, ended: int, *, timeout_s: float = 10.0) -> Counter[str]:
        """Poll until `ended` calls have ended (or the deadline); return the outcomes."""
        wait_until(lambda: sum(self.outcomes().values()) >= ended, timeout_s=timeout_s)
        return self.outcomes()


def _ulaw_file(given: Path | None, default: Path, *, seed: int, seconds: float = 4.0) -> Path:
    if given is None:
        return audio.write_ulaw(default, audio.voice_like(seconds, seed=seed))
    if given.suffix.lower() == ".wav":
        return audio.write_ulaw(default, audio.read_wav(given))
    return given


class SippUac(_Sipp):
    """sipp as a caller: `calls` INVITEs to `number` at `target`, `rate` per second, at
    most `limit` at once. Answered calls are held `hold_ms`, then hung up."""

    kind = "uac"

    def __init__(
        self,
        target: str,
        *,
        workdir: Path,
        number: str = "100",
        calls: int = 1,
        rate: float = 10.0,
        limit: int | None = None,
        hold_ms: int = 1000,
        cancel_after_ms: int | None = None,
        ring_timeout_ms: int = 30_000,
        credentials: tuple[str, str] | None = None,
        reinvite: bool = False,
        sdp_media: tuple[str, int] | None = None,
        port: int | None = None,
        media_port: int | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        super().__init__(workdir=workdir, port=port, media_port=media_port)
        self.target = target
        self.number = number
        self.calls = calls
        self.rate = rate
        self.limit = limit or max(1, calls)
        self.timeout_s = timeout_s
        self.plan = UacPlan(
            hold_ms=hold_ms,
            cancel_after_ms=cancel_after_ms,
            ring_timeout_ms=ring_timeout_ms,
            credentials=credentials,
            reinvite=reinvite,
            sdp_media=sdp_media,
        )
        self._started = 0.0

    def _scenario(self) -> str:
        return uac_call_scenario(self.plan)

    def start(self) -> SippUac:
        self.scenario_path.write_text(self._scenario())
        rate_args = ["-r", f"{self.rate * 1000:.0f}", "-rp", "1000000"]  # calls per 1000 s
        self._started = time.monotonic()
        self._launch(
            self._argv(
                [
                    self.target,
                    *("-s", self.number, "-m", str(self.calls), "-l", str(self.limit)),
                    *rate_args,
                    *("-timeout", f"{self.timeout_s:.0f}s"),  # sipp's own safety net
                ]
            )
        )
        return self

    def wait(self, timeout_s: float | None = None) -> UacResult:
        """Wait for sipp to place every call and exit (stop it at the deadline)."""
        child = self._child
        if child is None:
            raise RuntimeError("not started")
        if child.wait(timeout_s if timeout_s is not None else self.timeout_s + 5) is None:
            self.stop()
        events = self.events()
        return UacResult(
            calls=self.calls,
            finals=Counter(e.code for e in events if e.event == "final" and e.code),
            provisionals=Counter(e.code for e in events if e.event == "provisional" and e.code),
            events=events,
            returncode=child.returncode,
            stats=self.stats(),
            elapsed_s=time.monotonic() - self._started,
        )

    def run(self) -> UacResult:
        try:
            return self.start().wait()
        finally:
            self.stop()


class SippRegister(SippUac):
    """One REGISTER of `user` at `target`, answering a digest challenge with `password`.
    `contact` ("host:port") is the binding to register, e.g. a `SippUas.address`."""

    kind = "reg"

    def __init__(
        self,
        target: str,
        user: str,
        password: str,
        *,
        workdir: Path,
        contact: str | None = None,
        expires: int = 3600,
        timeout_s: float = 20.0,
    ) -> None:
        super().__init__(target, workdir=workdir, number=user, timeout_s=timeout_s)
        self.user, self.password = user, password
        self.contact, self.expires = contact, expires

    def _scenario(self) -> str:
        return uac_register_scenario(
            self.user, self.password, contact=self.contact, expires=self.expires
        )
