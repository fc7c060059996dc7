"""The SIP test rig itself: sipp UAS behaviours behind a real Kamailio, called by a sipp UAC.

No Dialback code is involved: these tests prove that the peers the SIP adapter's tests
rely on say and play what they claim (codes, CANCEL, registration, audio, DTMF), and
that they leave no process behind.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dialback.bench import audio
from dialback.bench.kamailio import Kamailio
from dialback.bench.rigproc import udp_bound, wait_until
from dialback.bench.sipp import SippRegister, SippUac, SippUas, UasBehaviour
from dialback.bench.sipp_scenarios import REJECT_CODES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path("/usr/bin/sipp").exists() and Path("/usr/sbin/kamailio").exists()),
        reason="needs Debian sip-tester and kamailio",
    ),
]

PASSWORD = "s3cret-pw"


@dataclass
class Rig:
    workdir: Path
    kamailio: Kamailio
    uas: dict[UasBehaviour, SippUas]

    def call(self, number: str, **kwargs: Any) -> SippUac:
        return SippUac(self.kamailio.address, workdir=self.workdir, number=number, **kwargs)


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    """One router/registrar with a UAS per behaviour, reached by number prefix."""
    workdir = tmp_path_factory.mktemp("rig")
    prefixes = {behaviour: str(code) for behaviour, code in REJECT_CODES.items()}
    prefixes |= {
        UasBehaviour.ANSWER: "200",
        UasBehaviour.RING_NO_ANSWER: "180",
        UasBehaviour.ANSWER_THEN_BYE: "900",
    }
    peers: dict[UasBehaviour, SippUas] = {}
    try:
        for behaviour in prefixes:
            peers[behaviour] = SippUas(behaviour, workdir=workdir, after_ms=500).start()
        routes = {prefix: peers[b].address for b, prefix in prefixes.items()}
        with Kamailio(workdir=workdir, routes=routes, users={"alice": PASSWORD}) as kamailio:
            yield Rig(workdir, kamailio, peers)
    finally:
        for peer in peers.values():
            peer.stop()


class RtpSink:
    """A UDP socket we advertise in the caller's SDP, recording what the callee streams."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = int(self.sock.getsockname()[1])
        self.packets: list[tuple[float, int, bytes]] = []  # (arrival, payload type, payload)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RtpSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sock.close()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(2048)
            except TimeoutError:
                continue
            if len(data) >= 12 and data[0] >> 6 == 2:  # RTP version 2 (RFC 3550 5.1)
                offset = 12 + 4 * (data[0] & 0x0F)
                self.packets.append((time.monotonic(), data[1] & 0x7F, data[offset:]))

    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def pcm(self) -> audio.Samples:
        return audio.ulaw_decode(b"".join(p for _, pt, p in self.packets if pt == 0))


# --- audio -------------------------------------------------------------------------


def test_ulaw_files_decode_the_same_in_sox_and_python(tmp_path: Path) -> None:
    signal = audio.concat(audio.tone(440, 0.3), audio.voice_like(1.0, seed=3))
    raw = audio.write_ulaw(tmp_path / "x.ul", signal)
    if shutil.which("sox"):
        subprocess.run(
            ["sox", "-t", "raw", "-r", "8000", "-e", "mu-law", "-b", "8", "-c", "1", str(raw),
             "-t", "raw", "-e", "signed", "-b", "16", "-L", str(tmp_path / "x.s16")],
            check=True,
        )  # fmt: skip
        assert (tmp_path / "x.s16").read_bytes() == audio.ulaw_decode(raw.read_bytes()).tobytes()
    decoded = audio.ulaw_decode(raw.read_bytes())
    # G.711 keeps ~13 bits: the error stays within 1/16 of the sample plus a step.
    assert all(abs(a - b) <= abs(a) / 16 + 16 for a, b in zip(signal, decoded, strict=True))
    assert audio.read_wav(audio.write_wav(tmp_path / "x.wav", signal)) == signal


def test_voice_like_signal_is_deterministic_talk_not_a_tone() -> None:
    voice = audio.voice_like(3.0, seed=11)
    assert voice == audio.voice_like(3.0, seed=11) != audio.voice_like(3.0, seed=12)
    frames = [voice[i : i + 160] for i in range(0, len(voice), 160)]
    loud = [f for f in frames if audio.rms(f) > 500]
    quiet = [f for f in frames if audio.rms(f) < 50]
    assert len(loud) > len(frames) / 3 and len(quiet) > len(frames) / 10  # syllables + pauses
    assert audio.tone_share(audio.tone(1000, 0.25), 1000) > 0.9
    assert max(audio.tone_share(voice[i : i + 2000], 1000) for i in range(0, 22000, 2000)) < 0.5


# --- router ------------------------------------------------------------------------


@pytest.mark.parametrize(("behaviour", "code"), list(REJECT_CODES.items()))
def test_rejecting_callee_code_reaches_the_caller_through_the_router(
    rig: Rig, behaviour: UasBehaviour, code: int
) -> None:
    callee = rig.uas[behaviour]
    before = callee.outcomes()["rejected"]
    result = rig.call(f"{code}0042").run()
    assert result.codes == [code]
    assert callee.wait_calls(before + 1)["rejected"] == before + 1


def test_answered_call_streams_audio_and_accepts_a_reinvite(rig: Rig) -> None:
    callee = rig.uas[UasBehaviour.ANSWER]
    before = callee.outcomes()["bye_received"]
    with RtpSink() as rtp:
        result = rig.call("2001", hold_ms=1000, reinvite=True, sdp_media=rtp.address()).run()
    assert result.codes == [200]
    assert [e.event for e in result.events] == ["final", "reinvite", "bye_sent"]
    assert callee.wait_calls(before + 1)["bye_received"] == before + 1
    pcm = rtp.pcm()
    assert len(pcm) >= 0.8 * audio.RATE  # ~50 packets a second while the call is up
    assert audio.rms(pcm) > 500 and audio.tone_share(pcm[:4000], 1000) < 0.5


def test_one_uas_serves_many_calls_at_once(rig: Rig) -> None:
    callee = rig.uas[UasBehaviour.ANSWER]
    before = callee.outcomes()["bye_received"]
    result = rig.call("2002", calls=20, rate=20, limit=20, hold_ms=1000).run()
    assert result.answered == 20 and result.failed == 0
    assert callee.wait_calls(before + 20)["bye_received"] == before + 20


def test_caller_cancel_after_two_seconds_of_ringing_gets_487(rig: Rig) -> None:
    callee = rig.uas[UasBehaviour.RING_NO_ANSWER]
    before = callee.outcomes()["cancelled"]
    result = rig.call("1801", cancel_after_ms=2000).run()
    assert result.provisionals[180] == 1
    assert result.codes == [487]
    assert result.elapsed_s >= 2.0
    assert callee.wait_calls(before + 1)["cancelled"] == before + 1


# --- registrar ---------------------------------------------------------------------


def test_registration_needs_the_right_password_and_routes_calls_to_the_contact(
    rig: Rig, tmp_path: Path
) -> None:
    target = rig.kamailio.address
    wrong = SippRegister(target, "alice", "not-it", workdir=tmp_path).run()
    assert wrong.codes == [403]
    with SippUas(UasBehaviour.ANSWER, workdir=tmp_path) as alice:
        right = SippRegister(target, "alice", PASSWORD, workdir=tmp_path, contact=alice.address)
        assert right.run().codes == [200]
        assert rig.call("alice", hold_ms=200).run().codes == [200]
        assert alice.wait_calls(1)["bye_received"] == 1


def test_invites_need_proxy_credentials_when_asked(tmp_path: Path) -> None:
    with (
        SippUas(UasBehaviour.ANSWER, workdir=tmp_path) as callee,
        Kamailio(
            workdir=tmp_path, routes={"*": callee.address}, users={"bob": "pw"}, auth_invites=True
        ) as proxy,
    ):
        anonymous = SippUac(proxy.address, workdir=tmp_path, number="77", hold_ms=200).run()
        assert anonymous.codes == [407]
        with_credentials = SippUac(
            proxy.address, workdir=tmp_path, number="77", hold_ms=200, credentials=("bob", "pw")
        ).run()
        assert with_credentials.codes == [200]


def test_failing_trunk_answers_every_invite_503(tmp_path: Path) -> None:
    with Kamailio(workdir=tmp_path, reply_all=503) as trunk:
        result = SippUac(trunk.address, workdir=tmp_path, number="15551234", calls=3).run()
    assert result.codes == [503, 503, 503]


# --- the other behaviours, peer to peer --------------------------------------------


def test_ring_then_answer_rings_first(tmp_path: Path) -> None:
    with SippUas(UasBehaviour.RING_THEN_ANSWER, workdir=tmp_path, after_ms=600) as callee:
        result = SippUac(callee.address, workdir=tmp_path, hold_ms=200).run()
    assert result.provisionals[180] == 1 and result.codes == [200]
    assert result.elapsed_s >= 0.8


def test_early_media_is_heard_before_the_480(tmp_path: Path) -> None:
    with (
        SippUas(UasBehaviour.EARLY_MEDIA_THEN_FAIL, workdir=tmp_path, after_ms=800) as callee,
        RtpSink() as rtp,
    ):
        result = SippUac(callee.address, workdir=tmp_path, sdp_media=rtp.address()).run()
    assert result.provisionals[183] == 1 and result.codes == [480]
    assert len(rtp.pcm()) >= 0.5 * audio.RATE and audio.rms(rtp.pcm()) > 500


def test_answer_dtmf5_sends_rfc4733_event_five(tmp_path: Path) -> None:
    with (
        SippUas(UasBehaviour.ANSWER_DTMF5, workdir=tmp_path, after_ms=500) as callee,
        RtpSink() as rtp,
    ):
        result = SippUac(
            callee.address, workdir=tmp_path, hold_ms=1500, sdp_media=rtp.address()
        ).run()
        outcomes = callee.wait_calls(1)
    assert result.codes == [200] and outcomes["bye_received"] == 1
    events = [p for _, pt, p in rtp.packets if pt == 101]
    assert events and {p[0] for p in events} == {5}  # RFC 4733 2.3: event code 5
    assert any(p[1] & 0x80 for p in events)  # the End bit closes the event
    first_event = next(t for t, pt, _ in rtp.packets if pt == 101)
    # Audio first: sipp's `after_ms` timer starts at the 200 OK, its stream a round
    # trip later, so the wall time between them varies (0.39 s measured once); the
    # packets sent before the digit do not.
    audio_before = sum(1 for t, pt, _ in rtp.packets if pt == 0 and t < first_event)
    assert audio_before >= 10  # >= 200 ms of 20 ms packets, not a digit at answer
    assert any(pt == 0 and t > first_event for t, pt, _ in rtp.packets)  # audio resumes


def test_voicemail_plays_a_greeting_then_a_1khz_beep(tmp_path: Path) -> None:
    with SippUas(UasBehaviour.VOICEMAIL, workdir=tmp_path) as callee, RtpSink() as rtp:
        result = SippUac(
            callee.address, workdir=tmp_path, hold_ms=3600, sdp_media=rtp.address()
        ).run()
    assert result.codes == [200]
    pcm = rtp.pcm()
    windows = [pcm[i : i + 800] for i in range(0, len(pcm) - 800, 800)]  # 100 ms each
    beep = [i for i, w in enumerate(windows) if audio.tone_share(w, 1000) > 0.8]
    assert beep, "no 1 kHz beep heard"
    assert 20 <= beep[0] <= 30  # the default greeting lasts 2.5 s
    assert audio.rms(pcm[: beep[0] * 800]) > 500  # someone talked before it


def test_answer_then_bye_hangs_up_by_itself_through_the_proxy(rig: Rig) -> None:
    callee = rig.uas[UasBehaviour.ANSWER_THEN_BYE]
    before = callee.outcomes()["bye_sent"]
    result = rig.call("9001", hold_ms=5000).run()
    assert callee.wait_calls(before + 1)["bye_sent"] == before + 1
    assert result.codes == [200]
    assert [e.event for e in result.events][-1] == "bye_received"  # routed via Record-Route
    assert result.elapsed_s < 3


# --- cleanup -----------------------------------------------------------------------


def test_rig_processes_are_gone_after_an_exception_in_the_with_block(tmp_path: Path) -> None:
    uas = SippUas(UasBehaviour.ANSWER, workdir=tmp_path)
    proxy: Kamailio | None = None
    with pytest.raises(RuntimeError, match="test failed"):
        with uas, Kamailio(workdir=tmp_path, routes={"*": uas.address}) as proxy:
            assert uas.processes_alive() and proxy.processes_alive()
            raise RuntimeError("test failed")
    assert proxy is not None
    assert not uas.processes_alive() and not uas.running
    assert not proxy.processes_alive() and not proxy.running
    assert wait_until(lambda: not udp_bound(uas.port) and not udp_bound(proxy.port), timeout_s=2.0)
