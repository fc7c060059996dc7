"""SIPp scenario XML for the rig's scripted peers (sipp 3.6.1, Debian `sip-tester`).

One file per (behaviour, parameters): sipp does not substitute `-key` values inside
`rtp_stream` or `<pause milliseconds>` (FACTS), so durations and file names are written
into the XML. Waits inside a call are `<recv timeout=… ontimeout=…>` rather than
`<pause>`: a message that arrives during a pause is "unexpected" and aborts the call,
and a real peer sends re-INVITEs at any moment (FACTS: baresip re-INVITEs ~100 ms after
ACK). So every wait accepts a re-INVITE or UPDATE (answered 200 with SDP) and a BYE.

Each terminal point logs one line `CALL_NUMBER;EVENT;CODE` (sipp `<log>`, needs
`-trace_logs`), so the Python side can tell how every call ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from xml.sax.saxutils import quoteattr

DTMF_5_PCAP = Path("/usr/share/sip-tester/dtmf_2833_5.pcap")  # RFC 2833 event 5, PT 101

# Final codes a UAC scenario recognises; anything else is a sipp "unexpected message".
FINAL_CODES = (
    *(400, 401, 402, 403, 404, 405, 406, 407, 408, 410, 413, 414, 415, 416, 420, 421, 423),
    *(480, 481, 482, 483, 484, 485, 486, 487, 488, 491, 493),
    *(500, 501, 502, 503, 504, 505, 513, 580, 600, 603, 604, 606),
)
REASONS = {
    403: "Forbidden",
    404: "Not Found",
    480: "Temporarily Unavailable",
    484: "Address Incomplete",
    486: "Busy Here",
    487: "Request Terminated",
    503: "Service Unavailable",
    603: "Decline",
}


class UasBehaviour(StrEnum):
    ANSWER = "answer"
    ANSWER_ECHO = "answer_echo"  # answers and sends back what it hears (sipp -rtp_echo)
    ACCEPT_REFER = "accept_refer"  # answers; a REFER gets 202 and a NOTIFY "200 OK"
    ANSWER_THEN_BYE = "answer_then_bye"
    BUSY = "busy"
    NOT_FOUND = "not_found"
    ADDRESS_INCOMPLETE = "address_incomplete"
    UNAVAILABLE = "unavailable"
    SERVICE_UNAVAILABLE = "service_unavailable"
    DECLINED = "declined"
    FORBIDDEN = "forbidden"
    RING_NO_ANSWER = "ring_no_answer"
    RING_THEN_ANSWER = "ring_then_answer"
    ANSWER_DTMF5 = "answer_dtmf5"
    VOICEMAIL = "voicemail"
    EARLY_MEDIA_THEN_FAIL = "early_media_then_fail"


REJECT_CODES: dict[UasBehaviour, int] = {
    UasBehaviour.BUSY: 486,
    UasBehaviour.NOT_FOUND: 404,
    UasBehaviour.ADDRESS_INCOMPLETE: 484,
    UasBehaviour.UNAVAILABLE: 480,
    UasBehaviour.SERVICE_UNAVAILABLE: 503,
    UasBehaviour.DECLINED: 603,
    UasBehaviour.FORBIDDEN: 403,
}

_TAG = ";tag=[pid]SIPpTag01[call_number]"
_CONTACT = "Contact: <sip:[local_ip]:[local_port];transport=[transport]>"
# RFC 4733/2833 telephone-event next to PCMU: Dialback sends and expects DTMF "5" (C7).
_SDP = """v=0
o=sipp 1 1 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
"""


class Scenario:
    """A tiny builder: sipp elements in order, labels, and `next` jumps."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._parts: list[str] = []

    def recv(
        self,
        what: str | int,
        *,
        optional: bool = False,
        next: str | None = None,
        timeout_ms: int | None = None,
        ontimeout: str | None = None,
        rrs: bool = False,
        auth: bool = False,
        actions: tuple[str, ...] = (),
    ) -> None:
        attrs = {"response": str(what)} if isinstance(what, int) else {"request": what}
        if optional:
            attrs["optional"] = "true"
        if rrs:
            attrs["rrs"] = "true"
        if auth:  # keep the challenge for a later [authentication] keyword
            attrs["auth"] = "true"
        if next:
            attrs["next"] = next
        if timeout_ms is not None:
            attrs["timeout"] = str(max(1, timeout_ms))
            attrs["ontimeout"] = ontimeout or "done"
        self._element("recv", attrs, _actions(actions))

    def send(self, message: str, *, retrans: bool = False, next: str | None = None) -> None:
        attrs = {"retrans": "500"} if retrans else {}  # RFC 3261 17: T1 = 500 ms over UDP
        if next:
            attrs["next"] = next
        # Templates may leave optional headers empty: drop blank lines (a blank line ends
        # the header section), then put back the one that separates an SDP body.
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        if "v=0" in lines:
            lines.insert(lines.index("v=0"), "")
        # A message/sipfrag body (RFC 3420) is itself a status line.
        frag = [i for i, line in enumerate(lines) if i > 0 and line.startswith("SIP/2.0 ")]
        if frag:
            lines.insert(frag[0], "")
        self._element("send", attrs, "<![CDATA[\n\n" + "\n".join(lines) + "\n\n]]>")

    def nop(self, *actions: str, next: str | None = None) -> None:
        self._element("nop", {"next": next} if next else {}, _actions(actions))

    def label(self, name: str) -> None:
        self._parts.append(f'<label id="{name}"/>')

    def timewait(self, ms: int) -> None:
        self._parts.append(f'<timewait milliseconds="{ms}"/>')

    def save_header(self, header: str, var: str) -> str:
        """An action storing the value of a header of the received message (first one)."""
        # sipp hands over the value with its leading blank: start at the first non-blank.
        return f'<ereg regexp="[^ ].*" search_in="hdr" header="{header}:" assign_to="{var}"/>'

    def save_via_lines(self, var: str) -> str:
        """An action storing every `Via:` line of the received request, names included.

        A response must carry all the request's Vias (RFC 3261 8.2.6.2): a proxy removes
        its own and routes the rest. sipp's header search keeps only the first Via, so
        match the run of consecutive Via lines in the message ([[:cntrl:]] = CR LF).
        """
        regexp = "Via:[^[:cntrl:]]*([[:cntrl:]]+Via:[^[:cntrl:]]*)*"
        return f'<ereg regexp="{regexp}" search_in="msg" assign_to="{var}"/>'

    def render(self) -> str:
        body = "\n".join(self._parts)
        return (
            '<?xml version="1.0" encoding="ISO-8859-1" ?>\n'
            f"<scenario name={quoteattr(self.name)}>\n{body}\n</scenario>\n"
        )

    def _element(self, tag: str, attrs: dict[str, str], inner: str) -> None:
        rendered = "".join(f" {k}={quoteattr(v)}" for k, v in attrs.items())
        self._parts.append(f"<{tag}{rendered}>{inner}</{tag}>" if inner else f"<{tag}{rendered}/>")


def log(event: str, code: int | str = "") -> str:
    return f'<log message="[call_number];{event};{code}"/>'


def _actions(actions: tuple[str, ...]) -> str:
    return "<action>" + "".join(actions) + "</action>" if actions else ""


def rtp_stream(path: Path, *, loops: int = -1) -> str:
    return f"<exec rtp_stream={quoteattr(f'{_safe_path(path)},{loops},0')}/>"


def _safe_path(path: Path) -> str:
    text = str(path.resolve())
    if any(c in text for c in ',"<>&\n'):  # sipp splits the rtp_stream argument on commas
        raise ValueError(f"unusable path for sipp: {text!r}")
    return text


# --- UAS -------------------------------------------------------------------


@dataclass(frozen=True)
class UasPlan:
    """What a UAS scenario needs: the audio it streams and its one duration parameter."""

    audio: Path  # RAW μ-law, looped while the call is up
    after_ms: int = 1000  # ring time, talk time, DTMF delay or early-media time
    greeting: Path | None = None  # voicemail: greeting + beep, played once
    silence: Path | None = None  # voicemail: what follows the beep
    greeting_ms: int = 0


def _response(
    code: int, reason: str, *, tag: bool, sdp: bool = False, via: str = "", cseq: str = ""
) -> str:
    via_line = f"[${via}]" if via else "[last_Via:]"
    cseq_line = f"CSeq: [${cseq}]" if cseq else "[last_CSeq:]"
    # RFC 3261 12.1.1: a UAS copies Record-Route into dialog-creating responses (18x/2xx).
    rr = "[last_Record-Route:]" if tag and (code < 300) else ""
    head = [
        f"SIP/2.0 {code} {reason}",
        via_line,
        "[last_From:]",
        "[last_To:]" + (_TAG if tag else ""),
        "[last_Call-ID:]",
        cseq_line,
        *([rr] if rr else []),
        _CONTACT,
    ]
    if sdp:
        return "\n".join([*head, "Content-Type: application/sdp", "Content-Length: [len]", _SDP])
    return "\n".join([*head, "Content-Length: 0"])


def _answer(s: Scenario, plan: UasPlan) -> None:
    """200 OK with SDP, retransmitted until the ACK (RFC 3261 13.3.1.4), then audio."""
    s.send(_response(200, "OK", tag=True, sdp=True), retrans=True)
    s.recv("ACK", actions=(rtp_stream(plan.audio),))


def _in_call(s: Scenario, prefix: str, *, timeout_ms: int | None = None, then: str = "") -> None:
    """Wait in an established call: BYE ends it, re-INVITE/UPDATE get 200 + SDP (RFC 3311).

    With `timeout_ms`, jump to `then` when nothing ends the call for that long (the clock
    restarts after a re-INVITE: good enough for a test peer).
    """
    s.label(f"{prefix}_wait")
    s.recv(
        "INVITE", optional=True, next=f"{prefix}_reinvite", timeout_ms=timeout_ms, ontimeout=then
    )
    s.recv("UPDATE", optional=True, next=f"{prefix}_update")
    s.recv("BYE", next="bye")
    s.label(f"{prefix}_reinvite")
    s.send(_response(200, "OK", tag=False, sdp=True), retrans=True)
    s.recv("ACK", next=f"{prefix}_wait")
    s.label(f"{prefix}_update")
    s.send(_response(200, "OK", tag=False, sdp=True), next=f"{prefix}_wait")


def _accept_refer(s: Scenario) -> None:
    """RFC 3515: 202 to the REFER, then a NOTIFY whose sipfrag says the new call worked.

    A test peer: it does not place the new call itself, it reports success at once.
    """
    s.label("r_wait")
    s.recv("INVITE", optional=True, next="r_reinvite")
    s.recv("REFER", next="refer")
    s.label("r_reinvite")
    s.send(_response(200, "OK", tag=False, sdp=True), retrans=True)
    s.recv("ACK", next="r_wait")
    s.label("refer")
    s.send(_response(202, "Accepted", tag=False))
    s.send(
        """
        NOTIFY [next_url] SIP/2.0
        Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
        [routes]
        From: [$inv_to];tag=[pid]SIPpTag01[call_number]
        To: [$inv_from]
        [last_Call-ID:]
        CSeq: 2 NOTIFY
        Max-Forwards: 70
        Event: refer
        Subscription-State: terminated;reason=noresource
        Contact: <sip:[local_ip]:[local_port];transport=[transport]>
        Content-Type: message/sipfrag;version=2.0
        Content-Length: [len]

        SIP/2.0 200 OK
        """,
        retrans=True,
    )
    s.recv(200)
    s.nop(log("refer_accepted"))


def _cancelled(s: Scenario) -> None:
    """RFC 3261 9.2: 200 to the CANCEL, then 487 to the INVITE (its own Via and CSeq)."""
    s.label("cancel")
    s.send(_response(200, "OK", tag=True))
    s.send(
        _response(487, REASONS[487], tag=True, via="inv_via", cseq="inv_cseq"),
        retrans=True,
    )
    s.recv("ACK")
    s.nop(log("cancelled", 487), next="done")


def _hang_up(s: Scenario) -> None:
    """UAS-side BYE inside the dialog: Request-URI = remote Contact, Route = Record-Route."""
    s.label("hangup")
    s.send(
        """
        BYE [next_url] SIP/2.0
        Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
        [routes]
        From: [$inv_to];tag=[pid]SIPpTag01[call_number]
        To: [$inv_from]
        [last_Call-ID:]
        CSeq: 1 BYE
        Max-Forwards: 70
        Content-Length: 0
        """,
        retrans=True,
    )
    for code in (408, 481, 200):  # the last <recv> of a run must be mandatory
        s.recv(code, optional=code != 200, next="hungup")
    s.label("hungup")
    s.nop(log("bye_sent"), next="done")


def _ending(s: Scenario) -> None:
    s.label("bye")
    s.send(_response(200, "OK", tag=False))
    s.nop(log("bye_received"))
    s.label("done")
    s.timewait(2000)  # absorb a retransmitted BYE/ACK (RFC 3261 17.2.2 Timer J analogue)


_CANCELLABLE = (
    UasBehaviour.RING_NO_ANSWER,
    UasBehaviour.RING_THEN_ANSWER,
    UasBehaviour.EARLY_MEDIA_THEN_FAIL,
)


def uas_scenario(behaviour: UasBehaviour, plan: UasPlan) -> str:
    s = Scenario(f"dialback-uas-{behaviour}")
    # sipp rejects a variable that is set but never used: save only what this flow reads.
    saved: tuple[str, ...] = ()
    if behaviour in _CANCELLABLE:  # the 487 after a CANCEL answers the INVITE
        saved = (s.save_via_lines("inv_via"), s.save_header("CSeq", "inv_cseq"))
    elif behaviour in (UasBehaviour.ANSWER_THEN_BYE, UasBehaviour.ACCEPT_REFER):
        # our own requests in the dialog (BYE, NOTIFY) swap From and To
        saved = (s.save_header("From", "inv_from"), s.save_header("To", "inv_to"))
    s.recv("INVITE", rrs=True, actions=saved)

    if behaviour in REJECT_CODES:
        code = REJECT_CODES[behaviour]
        s.send(_response(code, REASONS[code], tag=True), retrans=True)  # RFC 3261 17.2.1
        s.recv("ACK")
        s.nop(log("rejected", code), next="done")
    elif behaviour is UasBehaviour.ANSWER:
        _answer(s, plan)
        _in_call(s, "a")
    elif behaviour is UasBehaviour.ACCEPT_REFER:
        _answer(s, plan)
        _accept_refer(s)
        _in_call(s, "t")  # the transferor hangs up once told the transfer worked
    elif behaviour is UasBehaviour.ANSWER_ECHO:
        # No stream of its own: the only audio it sends is the echo of ours, so
        # a caller hears it only if audio reached this side.
        s.send(_response(200, "OK", tag=True, sdp=True), retrans=True)
        s.recv("ACK")
        _in_call(s, "a")
    elif behaviour is UasBehaviour.ANSWER_THEN_BYE:
        _answer(s, plan)
        _in_call(s, "a", timeout_ms=plan.after_ms, then="hangup")
        _hang_up(s)
    elif behaviour is UasBehaviour.RING_NO_ANSWER:
        s.send(_response(180, "Ringing", tag=True))
        s.recv("CANCEL", next="cancel")
        _cancelled(s)
    elif behaviour is UasBehaviour.RING_THEN_ANSWER:
        s.send(_response(180, "Ringing", tag=True))
        s.recv("CANCEL", next="cancel", timeout_ms=plan.after_ms, ontimeout="answer")
        s.label("answer")
        _answer(s, plan)
        _in_call(s, "a")
        _cancelled(s)
    elif behaviour is UasBehaviour.ANSWER_DTMF5:
        _answer(s, plan)
        _in_call(s, "a", timeout_ms=plan.after_ms, then="dtmf")
        # Pause our own stream while the pcap plays: two SSRCs interleaved on one port
        # can silence a receiver (FACTS: "a stray second RTP stream ... silences").
        s.label("dtmf")
        s.nop('<exec rtp_stream="pause"/>', f'<exec play_pcap_audio="{DTMF_5_PCAP}"/>')
        _in_call(s, "d", timeout_ms=400, then="resume")  # the pcap lasts ~150 ms
        s.label("resume")
        s.nop('<exec rtp_stream="resume"/>', log("dtmf_sent", 5))
        _in_call(s, "b")
    elif behaviour is UasBehaviour.VOICEMAIL:
        if plan.greeting is None or plan.silence is None:
            raise ValueError("voicemail needs a greeting and a silence file")
        s.send(_response(200, "OK", tag=True, sdp=True), retrans=True)
        s.recv("ACK", actions=(rtp_stream(plan.greeting, loops=1),))
        _in_call(s, "g", timeout_ms=plan.greeting_ms, then="recording")
        s.label("recording")
        s.nop(rtp_stream(plan.silence), log("beep_played"))
        _in_call(s, "r")
    elif behaviour is UasBehaviour.EARLY_MEDIA_THEN_FAIL:
        s.send(_response(183, "Session Progress", tag=True, sdp=True))
        s.nop(rtp_stream(plan.audio))  # RFC 3960 early media: the INVITE's SDP is the offer
        s.recv("CANCEL", next="cancel", timeout_ms=plan.after_ms, ontimeout="fail")
        s.label("fail")
        s.send(_response(480, REASONS[480], tag=True, via="inv_via", cseq="inv_cseq"), retrans=True)
        s.recv("ACK")
        s.nop(log("rejected", 480), next="done")
        _cancelled(s)
    else:  # pragma: no cover - exhaustive over UasBehaviour
        raise ValueError(behaviour)
    _ending(s)
    return s.render()
