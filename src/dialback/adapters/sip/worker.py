"""A SIP worker process: one baresip runtime, commanded over stdin/stdout.

Why a process per worker: baresip allows one runtime per process, at most
255 calls per user agent and 256 calls with audio per process, and its
hang-ups block the SIP thread (about 20-25 call setups/s per process, FACTS).
The pool (``pool.py``) runs several workers, each with its own SIP port and
RTP port range, and keeps each below its limits.

Media stays here: a 20 ms pump relays audio between bridged legs, plays
prompts, writes recordings and measures what each leg receives.

Run: ``python -m dialback.adapters.sip.worker --sip-port 5070 --rtp-ports 20000-20999``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import math
import sys
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import baresip
import numpy as np
from baresip import Account, Config, Event, Runtime, StackEvent, UserAgent
from baresip.call import CallState
from baresip.errors import split_status

from dialback.adapters.amd.features import FeatureExtractor
from dialback.adapters.amd.model import shipped_weights
from dialback.adapters.amd.voice import preload as preload_vad
from dialback.adapters.sip.protocol import decode, encode
from dialback.domain.amd.detector import DialbackAmd
from dialback.domain.amd.frames import Decision, Verdict

log = logging.getLogger("dialback.sip.worker")

FRAME_BYTES = 320  # 20 ms of 8 kHz 16-bit mono
# A machine's leg is listened to this long from the answer for its beep (V3):
# the longest greetings run 20-30 s.
BEEP_WINDOW_MS = 30_000
TICK_S = 0.02


@dataclass
class _Recording:
    path: Path
    writer: wave.Wave_write
    manager: bytearray = field(default_factory=bytearray)
    client: bytearray = field(default_factory=bytearray)


@dataclass
class _Leg:
    id: str
    call: Any  # baresip.Call
    established: bool = False
    closed: bool = False
    hung_up: bool = False
    peer: str | None = None  # the leg this one is bridged with
    prompt: bytes = b""
    prompt_pos: int = 0
    prompt_name: str = ""
    rx_bytes: int = 0
    rx_sq: float = 0.0
    recording: _Recording | None = None
    record_side: str = ""
    # V1: every answered leg is listened to until the detector has decided and
    # its beep window is over; then the detector is dropped.
    features: FeatureExtractor | None = None
    amd: DialbackAmd | None = None
    amd_sent: bool = False


class Worker:
    def __init__(self, runtime: Runtime) -> None:
        self._rt = runtime
        self._agents: dict[tuple[Any, ...], UserAgent] = {}
        self._legs: dict[str, _Leg] = {}
        self._by_handle: dict[int, _Leg] = {}
        # Events of calls we do not know yet. A fast peer's 180/200 can be
        # dispatched in the same loop turn that completes ``dial()``, before
        # any Call object or listener exists (seen at 50 calls/s: answered
        # calls reported as never answered). We listen on the runtime and
        # replay what arrived early.
        self._early: dict[int, list[StackEvent]] = {}
        self._registrations: dict[str, UserAgent] = {}
        self._inbound_ids = itertools.count(1)
        runtime.subscribe(self._on_stack_event)

    async def listen(self, interface: str, port: int) -> None:
        """Accept calls addressed to this worker (issue 3: inbound, handed to the parent)."""
        agent = await UserAgent.create(
            self._rt,
            Account(user="dialback", domain=f"{interface}:{port}", password="", reg_interval=0),
        )
        agent.on_incoming(self._on_incoming)

    def _on_incoming(self, call: Any) -> None:
        leg = _Leg(f"in{next(self._inbound_ids)}", call)
        self._legs[leg.id] = leg
        self._by_handle[call.handle] = leg
        for event in self._early.pop(call.handle, []):
            self._on_call_event(leg, event)
        self.emit(
            ev="incoming",
            leg=leg.id,
            caller=(call.peer or "")[:200],
            call_id=(call.call_id or "")[:200],
        )

    def _on_stack_event(self, event: StackEvent) -> None:
        if not event.call:
            return
        leg = self._by_handle.get(event.call)
        if leg is not None:
            self._on_call_event(leg, event)
            return
        if len(self._early) > 4096:  # calls we never adopted (dial raised): forget
            self._early.clear()
        self._early.setdefault(event.call, []).append(event)

    # -- output ----------------------------------------------------------------

    def emit(self, **message: Any) -> None:
        sys.stdout.buffer.write(encode(message))
        sys.stdout.buffer.flush()

    # -- commands --------------------------------------------------------------

    async def handle(self, cmd: dict[str, Any]) -> None:
        op = cmd.get("op")
        try:
            if op == "dial":
                await self._dial(cmd)
            elif op == "answer":
                await self._legs[str(cmd["leg"])].call.answer()
            elif op == "reject":
                await self._legs[str(cmd["leg"])].call.reject()
            elif op == "hangup":
                await self._hangup(str(cmd["leg"]))
            elif op == "play":
                self._play(str(cmd["leg"]), Path(cmd["file"]))
            elif op == "bridge":
                self._bridge(str(cmd["a"]), str(cmd["b"]))
            elif op == "record":
                self._record(str(cmd["a"]), str(cmd["b"]), Path(cmd["path"]))
            elif op == "dtmf":
                await self._legs[str(cmd["leg"])].call.send_dtmf(str(cmd["digits"]))
            elif op == "transfer":
                asyncio.ensure_future(self._transfer(str(cmd["leg"]), str(cmd["uri"])))
            elif op == "register":
                asyncio.ensure_future(self._register(cmd))
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception as exc:  # a bad command never kills the worker
            log.warning("command %s failed: %s", op, exc)
            self.emit(ev="error", op=op, leg=cmd.get("leg"), message=str(exc)[:300])
            if op == "dial":
                self.emit(ev="failed", leg=cmd.get("leg"), code=0, reason=str(exc)[:200])

    async def _agent(self, account: dict[str, Any]) -> UserAgent:
        key = tuple(sorted(account.items()))
        agent = self._agents.get(key)
        if agent is None:
            agent = await UserAgent.create(self._rt, _account(account))
            self._agents[key] = agent
        return agent

    async def _dial(self, cmd: dict[str, Any]) -> None:
        leg_id = str(cmd["leg"])
        agent = await self._agent(cmd["account"])
        call = await agent.dial(str(cmd["uri"]), headers=cmd.get("headers") or None)
        leg = _Leg(leg_id, call)
        self._legs[leg_id] = leg
        self._by_handle[call.handle] = leg
        for event in self._early.pop(call.handle, []):
            self._on_call_event(leg, event)

    def _on_call_event(self, leg: _Leg, event: StackEvent) -> None:
        kind = event.event
        if kind is Event.CALL_RINGING and not leg.established:
            self.emit(ev="ringing", leg=leg.id, code=180)
        elif kind is Event.CALL_PROGRESS and not leg.established:
            self.emit(ev="ringing", leg=leg.id, code=183)
        elif kind is Event.CALL_ESTABLISHED and not leg.established:
            leg.established = True
            if leg.call.state is not CallState.ESTABLISHED:
                # The Call object missed the early event too (see __init__);
                # transfer() and friends check this state.
                leg.call._state = CallState.ESTABLISHED
            self.emit(ev="answered", leg=leg.id)
        elif kind is Event.CALL_DTMF_START and event.text:
            self.emit(ev="dtmf", leg=leg.id, digit=event.text[:1])
        elif kind is Event.CALL_CLOSED and not leg.closed:
            leg.closed = True
            self._closed(leg, event.text or "")

    def _closed(self, leg: _Leg, text: str) -> None:
        if leg.established and leg.amd is not None and not leg.amd_sent and not leg.hung_up:
            # The far end hung up before a verdict: a carrier announcement or a
            # greeting that ends before the turn gap that would decide it. What
            # was heard is settled now (DialbackAmd.finish), ahead of "ended".
            self._send_verdict(leg, leg.amd.finish(), after_hangup=True)
        if leg.established:
            rms = math.sqrt(leg.rx_sq / (leg.rx_bytes / 2)) if leg.rx_bytes else 0.0
            self.emit(
                ev="ended",
                leg=leg.id,
                reason=text[:200],
                by="us" if leg.hung_up else "remote",
                rx_rms=round(rms, 1),
                rx_seconds=round(leg.rx_bytes / 16000, 2),
            )
        else:
            status, reason = split_status(text)
            self.emit(ev="failed", leg=leg.id, code=status or 0, reason=(reason or text)[:200])
        self._unlink(leg)

    def _unlink(self, leg: _Leg) -> None:
        peer = self._legs.get(leg.peer) if leg.peer else None
        if peer is not None:
            peer.peer = None
        if leg.recording is not None:
            self._close_recording(leg.recording)
            if peer is not None:
                peer.recording = None
        self._legs.pop(leg.id, None)
        self._by_handle.pop(leg.call.handle, None)

    async def _hangup(self, leg_id: str) -> None:
        leg = self._legs.get(leg_id)
        if leg is None or leg.closed or leg.hung_up:
            return
        leg.hung_up = True
        try:
            await leg.call.hangup()
        except baresip.StaleHandleError:
            pass  # already gone; CALL_CLOSED reports it

    def _play(self, leg_id: str, path: Path) -> None:
        with wave.open(str(path), "rb") as w:
            if (w.getframerate(), w.getsampwidth(), w.getnchannels()) != (8000, 2, 1):
                raise ValueError(f"{path.name}: prompts must be 8 kHz 16-bit mono WAV")
            leg = self._legs[leg_id]
            leg.prompt = w.readframes(w.getnframes())
            leg.prompt_pos = 0
            leg.prompt_name = path.stem

    def _bridge(self, a_id: str, b_id: str) -> None:
        a, b = self._legs[a_id], self._legs[b_id]
        if not (a.established and b.established):
            raise ValueError("both legs must be answered to bridge them")
        a.peer, b.peer = b.id, a.id
        a.prompt = b.prompt = b""

    def _record(self, a_id: str, b_id: str, path: Path) -> None:
        a, b = self._legs[a_id], self._legs[b_id]
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = wave.open(str(path), "wb")
        writer.setnchannels(2)  # left: first leg (manager), right: second (client)
        writer.setsampwidth(2)
        writer.setframerate(8000)
        rec = _Recording(path, writer)
        a.recording, a.record_side = rec, "manager"
        b.recording, b.record_side = rec, "client"

    async def _transfer(self, leg_id: str, uri: str) -> None:
        leg = self._legs.get(leg_id)
        if leg is None:
            self.emit(ev="transfer", leg=leg_id, ok=False, reason="no such leg")
            return
        try:
            await leg.call.transfer(uri)
            self.emit(ev="transfer", leg=leg_id, ok=True, reason="")
        except baresip.BaresipError as exc:
            self.emit(ev="transfer", leg=leg_id, ok=False, reason=str(exc)[:200])

    async def _register(self, cmd: dict[str, Any]) -> None:
        account = cmd["account"]
        try:
            agent = await UserAgent.create(
                self._rt,
                _account(
                    account,
                    registrar=cmd.get("registrar"),
                    reg_interval=int(cmd.get("interval", 600)),
                ),
            )
            self._registrations[str(cmd["id"])] = agent
            await agent.register()
            self.emit(ev="registered", id=cmd["id"], ok=True, code=200, reason="OK")
        except baresip.RegistrationError as exc:
            self.emit(
                ev="registered", id=cmd["id"], ok=False, code=exc.status or 0, reason=exc.reason
            )

    # -- media -------------------------------------------------------------------

    async def pump(self) -> None:
        """Every 20 ms: read what each answered leg received, relay, play, record."""
        loop = asyncio.get_running_loop()
        next_tick = loop.time()
        while True:
            received: dict[str, bytes] = {}
            for leg in list(self._legs.values()):
                if not leg.established or leg.closed:
                    continue
                try:
                    pcm = leg.call.audio.read(3200)
                except (baresip.AudioNotActive, baresip.AudioRestarted):
                    continue
                if pcm:
                    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype=np.int16)
                    leg.rx_sq += float(np.dot(samples, samples.astype(np.float64)))
                    leg.rx_bytes += len(samples) * 2
                    self._listen(leg, pcm)
                received[leg.id] = pcm
            for leg in list(self._legs.values()):
                if leg.closed or not leg.established:
                    continue
                out = b""
                if leg.peer is not None:
                    out = received.get(leg.peer, b"")
                elif leg.prompt_pos < len(leg.prompt):
                    out = leg.prompt[leg.prompt_pos : leg.prompt_pos + FRAME_BYTES]
                    leg.prompt_pos += FRAME_BYTES
                    if leg.prompt_pos >= len(leg.prompt):
                        self.emit(ev="played", leg=leg.id, prompt=leg.prompt_name)
                if out:
                    try:
                        leg.call.audio.write(out)
                    except (baresip.AudioNotActive, baresip.AudioRestarted):
                        pass
                if leg.recording is not None:
                    side = getattr(leg.recording, leg.record_side)
                    side.extend(received.get(leg.id, b""))
            for rec in {
                id(x.recording): x.recording for x in self._legs.values() if x.recording
            }.values():
                self._flush_recording(rec)
            next_tick += TICK_S
            await asyncio.sleep(max(0.0, next_tick - loop.time()))

    def _listen(self, leg: _Leg, pcm: bytes) -> None:
        """Feed the answering-machine detector (V1) and report its verdict once."""
        if leg.features is None:
            if leg.amd_sent:
                return
            leg.features, leg.amd = FeatureExtractor(), DialbackAmd()
        assert leg.amd is not None
        for frame in leg.features.push(pcm):
            verdict = leg.amd.push(frame)
            if verdict is not None and not leg.amd_sent:
                self._send_verdict(leg, verdict)
            elif leg.amd_sent and leg.amd.beep_at_ms is not None:
                # The greeting's beep, after the verdict: the moment to leave a message (V3).
                self.emit(ev="beep", leg=leg.id, at_ms=leg.amd.beep_at_ms)
            elif leg.amd_sent and leg.amd.greeting_end_at_ms is not None:
                # ... or, where none comes, the silence after the greeting's last word.
                self.emit(ev="greeting_end", leg=leg.id, at_ms=leg.amd.greeting_end_at_ms)
            if not leg.amd.reads_speech:
                leg.features.stop_voice()  # only the beep detector listens on
            machine = leg.amd.verdict is not None and leg.amd.verdict.decision is Decision.MACHINE
            until_ms = BEEP_WINDOW_MS if machine else leg.amd.p.max_ms
            ended = leg.amd.beep_at_ms is not None or leg.amd.greeting_end_at_ms is not None
            if leg.amd_sent and (ended or frame.t_ms >= until_ms):
                leg.features = leg.amd = None  # done listening
                return

    def _send_verdict(self, leg: _Leg, verdict: Verdict, *, after_hangup: bool = False) -> None:
        leg.amd_sent = True
        self.emit(
            ev="amd",
            leg=leg.id,
            decision=str(verdict.decision),
            at_ms=verdict.decided_at_ms,
            reason=verdict.reason,
            beep_ms=verdict.beep_at_ms,
            after_hangup=after_hangup,
        )

    def _flush_recording(self, rec: _Recording, *, final: bool = False) -> None:
        n = min(len(rec.manager), len(rec.client))
        if final:
            n = max(len(rec.manager), len(rec.client))
            rec.manager.extend(bytes(n - len(rec.manager)))
            rec.client.extend(bytes(n - len(rec.client)))
        n -= n % 2
        if n == 0:
            return
        stereo = np.empty(n, dtype=np.int16)
        stereo[0::2] = np.frombuffer(bytes(rec.manager[:n]), dtype=np.int16)
        stereo[1::2] = np.frombuffer(bytes(rec.client[:n]), dtype=np.int16)
        rec.writer.writeframes(stereo.tobytes())
        del rec.manager[:n]
        del rec.client[:n]

    def _close_recording(self, rec: _Recording) -> None:
        try:
            self._flush_recording(rec, final=True)
        finally:
            rec.writer.close()

    async def close(self) -> None:
        """Hang up every call (no BYE is sent for calls never closed, FACTS)."""
        for leg in list(self._legs.values()):
            await self._hangup(leg.id)
        await asyncio.sleep(0.2)
        for leg in list(self._legs.values()):
            if leg.recording is not None:
                self._close_recording(leg.recording)
                leg.recording = None


def _account(
    account: dict[str, Any], *, registrar: str | None = None, reg_interval: int = 0
) -> Account:
    """A baresip Account from the protocol's account object (0 = never REGISTER)."""
    return Account(
        user=account["user"],
        domain=account["domain"],
        password=account.get("password") or "",
        auth_user=account.get("auth_user"),
        registrar=registrar,
        transport=account.get("transport", "udp"),
        reg_interval=reg_interval,
    )


async def _serve(args: argparse.Namespace) -> None:
    runtime = Runtime()
    await runtime.start(
        Config(
            net_interface=args.interface,
            native_log_level=args.native_log_level,
            max_concurrent_calls=args.max_calls,
            rtp_timeout=args.rtp_timeout,
            extra_config_text=(
                f"sip_listen {args.interface}:{args.sip_port}\nrtp_ports {args.rtp_ports}\n"
            ),
        )
    )
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    worker = Worker(runtime)
    # the detector's model and VAD are loaded now, not in the first call's audio
    shipped_weights()
    preload_vad()
    await worker.listen(args.interface, args.sip_port)
    pump = asyncio.ensure_future(worker.pump())
    worker.emit(ev="ready", port=args.sip_port)
    try:
        while line := await reader.readline():
            try:
                cmd = decode(line)
            except ValueError as exc:
                worker.emit(ev="error", op=None, leg=None, message=f"bad command line: {exc}")
                continue
            if cmd.get("op") == "stop":
                break
            await worker.handle(cmd)
        # stdin closed or "stop": the parent is gone or done with us.
    finally:
        pump.cancel()
        await worker.close()
        await runtime.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="dialback-sip-worker")
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--sip-port", type=int, required=True)
    parser.add_argument("--rtp-ports", required=True, help="FIRST-LAST")
    parser.add_argument("--max-calls", type=int, default=250)
    parser.add_argument("--rtp-timeout", type=int, default=30)
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--native-log-level", default="error")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
