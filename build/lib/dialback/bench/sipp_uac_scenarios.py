"""SIPp UAC scenarios for the rig's self-tests and load: a call, and a REGISTER.

The call: INVITE with SDP, any number of provisionals, one final response of
`FINAL_CODES` (logged as `N;final;CODE`), ACK, an optional re-INVITE, a hold, BYE.
Requests inside the dialog follow RFC 3261 12.2.1.1: Request-URI = the remote Contact
(`[next_url]`) and Route = the Record-Route set (`[routes]`, reversed by sipp for a UAC),
so that they work through a record-routing proxy as well as peer to peer.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialback.bench.sipp_scenarios import FINAL_CODES, Scenario, log

PROVISIONAL_CODES = (100, 180, 181, 182, 183)
_FROM = 'From: "dialback-rig" <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]'


@dataclass(frozen=True)
class UacPlan:
    hold_ms: int = 1000  # how long an answered call stays up before our BYE
    cancel_after_ms: int | None = None  # CANCEL when no final response came by then
    ring_timeout_ms: int = 30_000  # CANCEL anyway after this long without a final response
    credentials: tuple[str, str] | None = None  # answer a 401/407 once (RFC 3261 22.2, 22.3)
    reinvite: bool = False  # send one re-INVITE (same SDP) right after the ACK
    sdp_media: tuple[str, int] | None = None  # advertise this RTP address instead of sipp's


def _sdp(plan: UacPlan) -> str:
    ip, port = plan.sdp_media if plan.sdp_media else ("[media_ip]", "[media_port]")
    return f"""v=0
    o=sipp 1 1 IN IP4 [local_ip]
    s=-
    c=IN IP4 {ip}
    t=0 0
    m=audio {port} RTP/AVP 0 101
    a=rtpmap:0 PCMU/8000
    a=rtpmap:101 telephone-event/8000
    a=fmtp:101 0-16
    a=sendrecv
    """


def _invite(plan: UacPlan, *, uri: str, cseq: str, route: str, auth: bool) -> str:
    credentials = ""
    if auth and plan.credentials:
        user, password = plan.credentials
        credentials = f"[authentication username={user} password={password}]"
    return f"""
    INVITE {uri} SIP/2.0
    Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
    {route}
    {_FROM}
    To: <sip:[service]@[remote_ip]:[remote_port]>{"[peer_tag_param]" if route else ""}
    Call-ID: [call_id]
    CSeq: {cseq} INVITE
    Contact: <sip:sipp@[local_ip]:[local_port]>
    {credentials}
    Max-Forwards: 70
    Content-Type: application/sdp
    Content-Length: [len]

    {_sdp(plan)}"""


def _ack(*, in_dialog: bool) -> str:
    # RFC 3261 17.1.1.3: the ACK of a non-2xx reuses the INVITE's Request-URI and branch
    # (our Via comes back in the response); the ACK of a 2xx is a new in-dialog request.
    if in_dialog:
        first, via, route = (
            "ACK [next_url] SIP/2.0",
            "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
            "[routes]",
        )
    else:
        first, via, route = "ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "[last_Via:]", ""
    return f"""
    {first}
    {via}
    {route}
    {_FROM}
    To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
    Call-ID: [call_id]
    CSeq: [last_cseq_number] ACK
    Contact: <sip:sipp@[local_ip]:[local_port]>
    Max-Forwards: 70
    Content-Length: 0
    """


def _responses(s: Scenario, prefix: str, plan: UacPlan, *, auth: str | None) -> None:
    """Loop over provisionals; branch on the final response to the INVITE."""
    s.label(f"{prefix}_prov")
    timeout = plan.ring_timeout_ms
    if plan.cancel_after_ms is not None:
        timeout = min(timeout, plan.cancel_after_ms)
    for i, code in enumerate(PROVISIONAL_CODES):
        s.recv(
            code,
            optional=True,
            next=f"{prefix}_prov",
            timeout_ms=timeout if i == 0 else None,
            ontimeout="cancel" if i == 0 else None,
            actions=(log("provisional", code),) if code != 100 else (),
        )
    s.recv(200, optional=True, rrs=True, next="answered", actions=(log("final", 200),))
    # sipp wants the last <recv> before a <send> to be mandatory: the last code is.
    for code in FINAL_CODES:
        last = code == FINAL_CODES[-1]
        if auth and code in (401, 407):
            s.recv(code, optional=True, next=auth, auth=True)
        else:
            s.recv(code, optional=not last, next="rejected", actions=(log("final", code),))


def uac_call_scenario(plan: UacPlan) -> str:
    s = Scenario("dialback-uac-call")
    uri = "sip:[service]@[remote_ip]:[remote_port]"
    s.send(_invite(plan, uri=uri, cseq="1", route="", auth=False), retrans=True)
    _responses(s, "a", plan, auth="auth" if plan.credentials else None)

    if plan.credentials:
        s.label("auth")
        s.send(_ack(in_dialog=False))
        s.send(_invite(plan, uri=uri, cseq="2", route="", auth=True), retrans=True)
        _responses(s, "b", plan, auth=None)

    s.label("rejected")
    s.send(_ack(in_dialog=False), next="done")

    # RFC 3261 9.1: CANCEL copies the INVITE's Request-URI, top Via (branch) and CSeq number.
    s.label("cancel")
    s.send(
        f"""
        CANCEL {uri} SIP/2.0
        [last_Via:]
        {_FROM}
        To: <sip:[service]@[remote_ip]:[remote_port]>
        Call-ID: [call_id]
        CSeq: [last_cseq_number] CANCEL
        Max-Forwards: 70
        Content-Length: 0
        """,
        retrans=True,
    )
    s.recv(200, optional=True, next="cancel_wait")  # the CANCEL's own 200
    s.label("cancel_wait")
    for code in PROVISIONAL_CODES:
        s.recv(code, optional=True, next="cancel_wait")
    for code in FINAL_CODES:
        last = code == FINAL_CODES[-1]
        s.recv(code, optional=not last, next="rejected", actions=(log("final", code),))

    s.label("answered")
    s.send(_ack(in_dialog=True))
    if plan.reinvite:
        reinvite = _invite(
            plan, uri="[next_url]", cseq="[last_cseq_number+1]", route="[routes]", auth=False
        )
        s.send(reinvite, retrans=True)
        s.recv(100, optional=True)
        s.recv(200, actions=(log("reinvite", 200),))
        s.send(_ack(in_dialog=True))
    # Hold the call; the far end may hang up first (RFC 3261 15.1.2), or refresh the
    # session with a re-INVITE (baresip's answer() does, ~100 ms after the ACK).
    s.label("holding")
    s.recv("INVITE", optional=True, next="re_invited", timeout_ms=plan.hold_ms, ontimeout="hangup")
    s.recv("BYE", next="remote_bye")
    s.label("re_invited")
    s.send(
        f"""
        SIP/2.0 200 OK
        [last_Via:]
        [last_From:]
        [last_To:]
        [last_Call-ID:]
        [last_CSeq:]
        Contact: <sip:sipp@[local_ip]:[local_port]>
        Content-Type: application/sdp
        Content-Length: [len]

        {_sdp(plan)}""",
        retrans=True,
    )
    s.recv("ACK", next="holding")
    s.label("hangup")
    s.send(
        """
        BYE [next_url] SIP/2.0
        Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
        [routes]
        """
        + _FROM
        + """
        To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
        Call-ID: [call_id]
        CSeq: [last_cseq_number+1] BYE
        Max-Forwards: 70
        Content-Length: 0
        """,
        retrans=True,
    )
    for code in (408, 481, 200):  # the last <recv> of a run must be mandatory
        s.recv(code, optional=code != 200, next="hungup", actions=(log("bye_sent", code),))
    s.label("hungup")
    s.nop(next="done")
    s.label("remote_bye")
    s.send(
        """
        SIP/2.0 200 OK
        [last_Via:]
        [last_From:]
        [last_To:]
        [last_Call-ID:]
        [last_CSeq:]
        Content-Length: 0
        """
    )
    s.nop(log("bye_received"))
    s.label("done")
    s.timewait(200)
    return s.render()


def uac_register_scenario(
    user: str, password: str, *, contact: str | None = None, expires: int = 3600
) -> str:
    """REGISTER `user`, answering one digest challenge (RFC 3261 10.2, 22.4)."""
    for value in (user, password):
        if not value or any(c.isspace() or c in '[]"<>&' for c in value):
            raise ValueError(f"unusable in a sipp scenario: {value!r}")
    where = contact or "[local_ip]:[local_port]"
    s = Scenario("dialback-uac-register")

    def register(cseq: int, auth: bool) -> str:
        credentials = f"[authentication username={user} password={password}]" if auth else ""
        return f"""
        REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
        Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
        From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
        To: <sip:{user}@[remote_ip]:[remote_port]>
        Call-ID: [call_id]
        CSeq: {cseq} REGISTER
        Contact: <sip:{user}@{where}>
        Expires: {expires}
        {credentials}
        Max-Forwards: 70
        Content-Length: 0
        """

    for prefix, auth in (("a", False), ("b", True)):
        if auth:
            s.label("auth")
        s.send(register(1 + auth, auth), retrans=True)
        s.label(f"{prefix}_prov")
        s.recv(100, optional=True, next=f"{prefix}_prov")
        for code in (200, *FINAL_CODES):
            if not auth and code in (401, 407):
                s.recv(code, optional=True, next="auth", auth=True)
            else:
                last = code == FINAL_CODES[-1]
                s.recv(code, optional=not last, next="done", actions=(log("final", code),))
    s.label("done")
    s.nop(log("end"))
    return s.render()
