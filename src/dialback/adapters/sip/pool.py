"""`SipTelephony`: the Telephony port over a pool of SIP worker processes.

How calls are spread (issue 3): each worker is a process with its own SIP
port and RTP port range (``worker.py``). A new leg goes to the least loaded
live worker that is below ``admit_calls``; a leg dialed to be bridged with
another (``DialRequest.near``) goes to that leg's worker, since audio is
relayed inside a process, up to the hard ``max_calls`` (below baresip's 255
calls per user agent and 256 calls with audio per process, so a call is never
answered and then dropped). When every worker is full, the leg fails at once
with code 503 "capacity" -- a carrier-side error that retries later, never a
half-placed call. A worker that dies fails its legs (code 0, ENDED) and is
restarted. A worker that exits before it is ready (its ports taken) fails the
pool's start at once, and the workers already started are stopped with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dialback.adapters.sip.prompts import prompt_file
from dialback.adapters.sip.protocol import decode, encode
from dialback.adapters.sip.trunks import TrunkConfig
from dialback.domain.amd.frames import Decision, Verdict
from dialback.ports import DialRequest, Leg, LegEvent, LegEventKind

log = logging.getLogger(__name__)

TAG_HEADER = "X-Dialback-Ref"


@dataclass(frozen=True)
class PoolSettings:
    workers: int = 2
    interface: str = "127.0.0.1"
    first_sip_port: int = 5070  # worker i listens on first_sip_port + i
    rtp_ports: tuple[int, int] = (20000, 29999)  # split evenly between workers
    admit_calls: int = 200  # new, unpaired legs per worker
    max_calls: int = 250  # hard cap per worker (bridged partners included)
    prompts_dir: Path = Path("prompts")
    start_timeout_s: float = 15.0
    # A peer that vanishes without BYE is detected by its silence on RTP.
    rtp_timeout_s: int = 30


class SipLeg:
    def __init__(self, leg_id: str, worker: _Worker) -> None:
        self._id = leg_id
        self.worker = worker
        self.events: asyncio.Queue[LegEvent] = asyncio.Queue()
        self.done = False  # no more calls of this leg exist in the worker
        self.rx_rms: float | None = None
        self.rx_seconds: float | None = None

    @property
    def id(self) -> str:
        return self._id

    async def next_event(self, timeout: float | None = None) -> LegEvent | None:
        try:
            return await asyncio.wait_for(self.events.get(), timeout)
        except TimeoutError:
            return None

    async def play(self, prompt: str) -> None:
        self.worker.send(
            op="play", leg=self._id, file=str(prompt_file(self.worker.prompts, prompt))
        )

    async def hangup(self) -> None:
        if not self.done:
            self.worker.send(op="hangup", leg=self._id)

    async def answer(self) -> None:
        """Answer an incoming leg (200 OK); ANSWERED follows as an event."""
        self.worker.send(op="answer", leg=self._id)

    async def reject(self) -> None:
        self.worker.send(op="reject", leg=self._id)

    async def send_dtmf(self, digits: str) -> None:
        self.worker.send(op="dtmf", leg=self._id, digits=digits)

    async def transfer(self, uri: str, *, timeout: float = 30.0) -> tuple[bool, str]:
        """Blind transfer by REFER (D3); returns (ok, reason)."""
        result: asyncio.Future[tuple[bool, str]] = asyncio.get_running_loop().create_future()
        self.worker.transfers[self._id] = result
        self.worker.send(op="transfer", leg=self._id, uri=uri)
        try:
            return await asyncio.wait_for(result, timeout)
        except TimeoutError:
            return False, "no transfer outcome in time"
        finally:
            self.worker.transfers.pop(self._id, None)


@dataclass
class _Worker:
    index: int
    sip_port: int
    rtp_ports: tuple[int, int]
    prompts: Path
    proc: asyncio.subprocess.Process | None = None
    legs: dict[str, SipLeg] = field(default_factory=dict)
    registrations: dict[str, asyncio.Future[tuple[bool, int, str]]] = field(default_factory=dict)
    # A successful transfer ends the call before its outcome is reported, so
    # outcomes are matched here, not through the (already removed) leg.
    transfers: dict[str, asyncio.Future[tuple[bool, str]]] = field(default_factory=dict)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    started: bool = False  # was ready once: only such a worker is restarted when it dies
    alive: bool = False
    reader: asyncio.Task[None] | None = None

    def send(self, **message: Any) -> None:
        if self.proc is None or self.proc.stdin is None or not self.alive:
            raise ConnectionError(f"SIP worker {self.index} is not running")
        self.proc.stdin.write(encode(message))

    @property
    def load(self) -> int:
        return sum(1 for leg in self.legs.values() if not leg.done)


InboundHandler = Callable[[SipLeg, str], Awaitable[None]]


class SipTelephony:
    """Telephony over real SIP. Use ``async with`` or start()/close().

    Calls addressed to a worker (``sip:dialback@interface:port``) are handed to
    ``on_incoming(leg, caller)``; without a handler they are refused (486).
    """

    def __init__(
        self,
        *,
        settings: PoolSettings,
        trunks: Callable[[str], TrunkConfig],
        on_incoming: InboundHandler | None = None,
    ) -> None:
        self._settings = settings
        self._trunks = trunks
        self.on_incoming = on_incoming
        self._inbound: set[asyncio.Task[None]] = set()
        self._workers: list[_Worker] = []
        self._ids = itertools.count(1)
        self._closing = False
        self._restarts: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> SipTelephony:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- lifecycle ----------------------------------------------------------------

    async def start(self) -> None:
        s = self._settings
        first, last = s.rtp_ports
        span = (last - first + 1) // s.workers
        if span < 40:
            raise ValueError("the RTP port range is too small for the workers")
        for i in range(s.workers):
            rtp = (first + i * span, first + (i + 1) * span - 1)
            self._workers.append(_Worker(i, s.first_sip_port + i, rtp, s.prompts_dir))
        results = await asyncio.gather(
            *(self._spawn(w) for w in self._workers), return_exceptions=True
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            await self.close()  # the workers that did start: none is left behind
            raise failures[0]

    async def _spawn(self, w: _Worker) -> None:
        s = self._settings
        w.ready = asyncio.Event()
        w.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "dialback.adapters.sip.worker",
            "--interface",
            s.interface,
            "--sip-port",
            str(w.sip_port),
            "--rtp-ports",
            f"{w.rtp_ports[0]}-{w.rtp_ports[1]}",
            "--max-calls",
            str(s.max_calls),
            "--rtp-timeout",
            str(s.rtp_timeout_s),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        w.alive = True
        w.reader = asyncio.ensure_future(self._read(w))
        ready = asyncio.ensure_future(w.ready.wait())
        await asyncio.wait(
            {ready, w.reader}, timeout=s.start_timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
        if w.ready.is_set():
            w.started = True
            return
        ready.cancel()
        if w.reader.done():  # it exited: its reason is on stderr (the worker's traceback)
            code = await w.proc.wait()
            raise RuntimeError(
                f"SIP worker {w.index} exited with code {code} before it was ready "
                f"(are UDP/TCP port {w.sip_port} and TCP port {w.sip_port + 1} free?)"
            )
        w.proc.kill()
        await w.proc.wait()
        raise RuntimeError(f"SIP worker {w.index} did not start in {s.start_timeout_s:g} s")

    async def close(self) -> None:
        self._closing = True
        for restart in list(self._restarts):
            restart.cancel()
        await asyncio.gather(*self._restarts, return_exceptions=True)
        for w in self._workers:
            if w.alive:
                with contextlib.suppress(ConnectionError):
                    w.send(op="stop")
        for w in self._workers:
            if w.proc is None:
                continue
            try:
                await asyncio.wait_for(w.proc.wait(), 10)
            except TimeoutError:
                w.proc.kill()
                await w.proc.wait()
            if w.reader is not None:
                await asyncio.gather(w.reader, return_exceptions=True)

    def worker_ports(self) -> list[int]:
        return [w.sip_port for w in self._workers]

    def worker_pids(self) -> list[int]:
        return [w.proc.pid for w in self._workers if w.proc is not None and w.alive]

    # -- events from a worker -------------------------------------------------------

    async def _read(self, w: _Worker) -> None:
        assert w.proc is not None and w.proc.stdout is not None
        while line := await w.proc.stdout.readline():
            try:
                self._dispatch(w, decode(line))
            except (ValueError, KeyError) as exc:
                log.warning("SIP worker %s sent a bad line %r: %s", w.index, line[:200], exc)
        w.alive = False
        for leg in w.legs.values():
            if not leg.done:
                leg.done = True
                leg.events.put_nowait(LegEvent(LegEventKind.FAILED, 0, "SIP worker stopped"))
        w.legs.clear()
        if not self._closing and w.started:
            log.error("SIP worker %s died; restarting it", w.index)
            restart = asyncio.ensure_future(self._restart(w))
            self._restarts.add(restart)
            restart.add_done_callback(self._restarts.discard)

    async def _restart(self, w: _Worker) -> None:
        try:
            await self._spawn(w)
        except RuntimeError as exc:  # its port was taken meanwhile: the others go on
            log.error("%s; it stays down", exc)

    def _dispatch(self, w: _Worker, msg: dict[str, Any]) -> None:
        ev = msg["ev"]
        if ev == "ready":
            w.ready.set()
            return
        if ev == "registered":
            fut = w.registrations.pop(str(msg["id"]), None)
            if fut is not None and not fut.done():
                fut.set_result((bool(msg["ok"]), int(msg["code"]), str(msg["reason"])))
            return
        if ev == "incoming":
            inbound = SipLeg(str(msg["leg"]), w)
            w.legs[inbound.id] = inbound
            self._incoming(inbound, str(msg.get("caller", "")))
            return
        if ev == "transfer":
            outcome = w.transfers.get(str(msg["leg"]))
            if outcome is not None and not outcome.done():
                outcome.set_result((bool(msg["ok"]), str(msg["reason"])))
            return
        if ev == "error":
            log.warning("SIP worker %s: %s failed: %s", w.index, msg.get("op"), msg["message"])
            return
        leg = w.legs.get(str(msg.get("leg")))
        if leg is None:
            return
        if ev == "ringing":
            leg.events.put_nowait(LegEvent(LegEventKind.RINGING, int(msg["code"])))
        elif ev == "answered":
            leg.events.put_nowait(LegEvent(LegEventKind.ANSWERED, 200))
        elif ev == "amd":
            verdict = Verdict(
                Decision(str(msg["decision"])),
                int(msg["at_ms"]),
                str(msg.get("reason", "")),
                None if msg.get("beep_ms") is None else int(msg["beep_ms"]),
            )
            leg.events.put_nowait(
                LegEvent(
                    LegEventKind.AMD, verdict=verdict, after_hangup=bool(msg.get("after_hangup"))
                )
            )
        elif ev == "beep":
            leg.events.put_nowait(LegEvent(LegEventKind.BEEP, at_ms=int(msg["at_ms"])))
        elif ev == "greeting_end":
            leg.events.put_nowait(LegEvent(LegEventKind.GREETING_END, at_ms=int(msg["at_ms"])))
        elif ev == "played":
            leg.events.put_nowait(LegEvent(LegEventKind.PLAYED, prompt=str(msg["prompt"])))
        elif ev == "dtmf":
            leg.events.put_nowait(LegEvent(LegEventKind.DTMF, digit=str(msg["digit"])))
        elif ev == "failed":
            leg.done = True
            leg.events.put_nowait(
                LegEvent(LegEventKind.FAILED, int(msg["code"]), str(msg["reason"]))
            )
            w.legs.pop(leg.id, None)
        elif ev == "ended":
            leg.done = True
            leg.rx_rms = float(msg["rx_rms"])
            leg.rx_seconds = float(msg["rx_seconds"])
            leg.events.put_nowait(LegEvent(LegEventKind.ENDED, reason=str(msg["reason"])))
            w.legs.pop(leg.id, None)

    def _incoming(self, leg: SipLeg, caller: str) -> None:
        if self.on_incoming is None or self._closing:
            leg.worker.send(op="reject", leg=leg.id)
            return
        task = asyncio.ensure_future(self._run_inbound(self.on_incoming, leg, caller))
        self._inbound.add(task)
        task.add_done_callback(self._inbound.discard)

    async def _run_inbound(self, handler: InboundHandler, leg: SipLeg, caller: str) -> None:
        try:
            await handler(leg, caller)
        except Exception:
            log.exception("inbound call handler failed for %s", leg.id)
        finally:
            await leg.hangup()  # never leave an inbound call hanging

    # -- Telephony ------------------------------------------------------------------

    def _pick(self, near: str | None) -> _Worker | None:
        if near is not None:
            for w in self._workers:
                if near in w.legs and w.alive and w.load < self._settings.max_calls:
                    return w
        live = [w for w in self._workers if w.alive and w.load < self._settings.admit_calls]
        return min(live, key=lambda w: w.load) if live else None

    async def originate(self, request: DialRequest) -> SipLeg:
        trunk = self._trunks(request.trunk)
        worker = self._pick(request.near)
        leg_id = f"L{next(self._ids)}"
        if worker is None:
            # Admission control: refuse before any INVITE, as a carrier-side error.
            leg = SipLeg(leg_id, _Worker(-1, 0, (0, 0), self._settings.prompts_dir))
            leg.done = True
            leg.events.put_nowait(LegEvent(LegEventKind.FAILED, 503, "dialback: SIP capacity"))
            return leg
        leg = SipLeg(leg_id, worker)
        worker.legs[leg_id] = leg
        worker.send(
            op="dial",
            leg=leg_id,
            uri=trunk.request_uri(request.number),
            account=trunk.account(request.caller_id),
            headers={TAG_HEADER: request.tag},
        )
        return leg

    async def bridge(self, a: Leg, b: Leg) -> None:
        if not (isinstance(a, SipLeg) and isinstance(b, SipLeg)):
            raise TypeError("SipTelephony bridges only its own legs")
        if a.worker is not b.worker:
            raise ValueError("legs to bridge must live in the same SIP worker (use near=)")
        a.worker.send(op="bridge", a=a.id, b=b.id)

    async def start_recording(self, a: Leg, b: Leg, path: str) -> None:
        if not (isinstance(a, SipLeg) and isinstance(b, SipLeg)):
            raise TypeError("SipTelephony records only its own legs")
        a.worker.send(op="record", a=a.id, b=b.id, path=path)

    async def register(self, trunk: TrunkConfig, *, timeout: float = 15.0) -> tuple[bool, int, str]:
        """REGISTER ``trunk`` with digest auth (refreshed by the stack); (ok, code, reason)."""
        worker = self._workers[0]
        fut: asyncio.Future[tuple[bool, int, str]] = asyncio.get_running_loop().create_future()
        reg_id = f"R{next(self._ids)}"
        worker.registrations[reg_id] = fut
        worker.send(
            op="register",
            id=reg_id,
            account={**trunk.account(None), "user": trunk.user},
            registrar=None,
            interval=trunk.reg_interval,
        )
        try:
            return await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            return False, 408, "no answer to REGISTER"
