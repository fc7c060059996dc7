"""The manager-first callback flow with ReCall, end to end on the simulated network.

Real SQLite, the real engine and flow, scripted subscribers, virtual time.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from dialback.adapters.clock import run_virtual
from dialback.adapters.db.tables import CallbackRequest
from dialback.adapters.simnet import Reaction, ReactionKind, Subscriber, TrunkBehaviour
from dialback.services.callbacks import block_visitor
from dialback.services.seeding import CompanySpec
from dialback.services.voicemail_stats import VoicemailStats, voicemail_stats
from world import ALICE, BOB, CAROL, MONDAY_10, SALES, World, client_number

R = ReactionKind


def sub(number: str, *kinds: ReactionKind | Reaction, **traits: object) -> Subscriber:
    script = tuple(k if isinstance(k, Reaction) else Reaction(k) for k in kinds)
    return Subscriber(number=number, script=script, **traits)  # type: ignore[arg-type]


def answer(delay: float = 3.0, talk: float = 60.0, dtmf: str = "") -> Reaction:
    return Reaction(R.ANSWER, delay_s=delay, talk_s=talk, dtmf=dtmf)


def legs_by_role(req: CallbackRequest, attempt: int, role: str) -> list:
    return [leg for leg in req.attempts[attempt - 1].legs if leg.role == role]


def test_manager_answers_first_then_client_is_dialed_and_bridged() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        w = World(loop, subscribers=[sub(ALICE, answer(4)), sub(client_number(), answer(5))])
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid)

    req = run_virtual(main)
    assert req.state == "connected"
    assert req.customer_status == "Connected"
    assert len(req.attempts) == 1
    (manager,) = legs_by_role(req, 1, "manager")
    (client,) = legs_by_role(req, 1, "client")
    # C2: the visitor is dialed only after a human manager is on the line.
    assert manager.answered_at is not None and client.dialed_at >= manager.answered_at
    assert (manager.sip_code, client.sip_code) == (200, 200)
    assert req.attempts[0].state == "completed"
    assert req.connected_at is not None and req.connected_at - MONDAY_10 < timedelta(seconds=15)


def test_busy_employee_falls_back_to_whole_department_ring_all() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[CallbackRequest, World]:
        w = World(
            loop,
            subscribers=[
                sub(ALICE, R.BUSY),
                sub(BOB, Reaction(R.NO_ANSWER)),
                sub(CAROL, answer(6)),
                sub(client_number(), answer(2)),
            ],
        )
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid), w

    req, w = run_virtual(main)
    assert req.state == "connected"
    managers = {leg.number: leg for leg in legs_by_role(req, 1, "manager")}
    assert managers[ALICE].outcome == "busy" and managers[ALICE].sip_code == 486
    assert managers[CAROL].outcome == "answered_human"
    # Bob was ringing when Carol answered: we cancelled him.
    assert managers[BOB].outcome == "cancelled" and managers[BOB].hangup_by == "us"
    # Bob and Carol rang together (ring all), after Alice's busy.
    assert managers[BOB].dialed_at == managers[CAROL].dialed_at >= managers[ALICE].ended_at
    assert req.attempts[0].manager_employee_id == w.seeded.employees["Carol"]


def test_unanswered_managers_get_second_attempt_after_one_minute_then_give_up() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        nobody = [sub(n, R.NO_ANSWER, R.NO_ANSWER) for n in (ALICE, BOB, CAROL)]
        w = World(loop, subscribers=[*nobody, sub(client_number(), answer())])
        rid = w.order(client_number())
        await w.run_until_idle()
        return w.request(rid)

    req = run_virtual(main)
    assert req.state == "failed"
    assert req.customer_status == "Manager did not answer"
    first, second = req.attempts
    assert first.ended_at is not None
    assert second.started_at - first.ended_at == timedelta(minutes=1)
    # The visitor was never called: no manager answered.
    assert all(leg.role == "manager" for a in req.attempts for leg in a.legs)
    assert all(
        leg.outcome == "no_answer" and leg.sip_code == 487 for a in req.attempts for leg in a.legs
    )


def test_failure_definition_manager_only_stops_after_client_no_answer() -> None:
    def run(failure: str) -> CallbackRequest:
        async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
            spec = CompanySpec(departments=(SALES,), recall={"failure": failure})
            w = World(
                loop,
                spec=spec,
                subscribers=[
                    sub(ALICE, answer(), answer()),
                    sub(client_number(), R.NO_ANSWER, answer()),
                ],
            )
            rid = w.order(client_number(), employee="Alice")
            await w.run_until_idle()
            return w.request(rid)

        return run_virtual(main)

    manager_only = run("manager")
    assert len(manager_only.attempts) == 1
    assert manager_only.state == "failed"
    assert manager_only.customer_status == "Client busy / unreachable"
    both = run("manager_or_client")
    assert len(both.attempts) == 2
    assert both.state == "connected"


def test_carrier_error_moves_next_attempt_to_backup_trunk() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        w = World(
            loop,
            subscribers=[
                sub(ALICE, answer(), answer()),
                sub(client_number(), R.CARRIER_ERROR, answer()),
            ],
        )
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid)

    req = run_virtual(main)
    assert [a.trunk for a in req.attempts] == ["main", "backup"]
    assert legs_by_role(req, 1, "client")[0].sip_code == 503
    assert req.attempts[0].client_outcome == "carrier_error"
    assert req.state == "connected"


def test_trunk_outage_on_main_recovers_through_backup() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        trunks = {
            "main": TrunkBehaviour("main", failure_prob=1.0),
            "backup": TrunkBehaviour("backup"),
        }
        w = World(
            loop,
            trunks=trunks,
            subscribers=[
                sub(ALICE, answer_prob=1.0, answer_delay_s=(2.0, 3.0)),
                sub(client_number(), answer_prob=1.0, answer_delay_s=(2.0, 3.0)),
            ],
        )
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid)

    req = run_virtual(main)
    assert req.attempts[0].manager_outcome == "carrier_error"
    assert [a.trunk for a in req.attempts] == ["main", "backup"]
    assert req.state == "connected"


def test_busy_or_rejecting_client_never_triggers_backup_trunk() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        spec = CompanySpec(
            departments=(SALES,),
            recall={"attempts": 3, "intervals_s": [60, 60]},
        )
        w = World(
            loop,
            spec=spec,
            subscribers=[
                sub(ALICE, answer(), answer(), answer()),
                sub(client_number(), R.BUSY, R.REJECT, R.UNAVAILABLE),
            ],
        )
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid)

    req = run_virtual(main)
    assert [a.client_outcome for a in req.attempts] == ["busy", "rejected", "unavailable"]
    assert [a.trunk for a in req.attempts] == ["main", "main", "main"]
    assert req.state == "failed"
    assert req.customer_status == "Client busy / unreachable"


def test_caller_id_substitution_dropped_after_client_carrier_blocks_it() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        w = World(
            loop,
            subscribers=[
                sub(ALICE, answer(), answer()),
                sub(client_number(), answer(), answer(), blocks_substituted_cid=True),
            ],
        )
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid)

    req = run_virtual(main)
    first, second = req.attempts
    assert first.caller_id_substituted and first.caller_id == "+16502530000"
    assert first.caller_id_blocked
    assert legs_by_role(req, 1, "client")[0].sip_code == 403
    assert not second.caller_id_substituted and second.caller_id is None
    assert legs_by_role(req, 2, "client")[0].caller_id is None
    assert req.state == "connected"


def test_ivr_option_waits_for_dtmf_5_before_dialing_client() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        spec = CompanySpec(departments=(SALES,), ivr_confirm=True)
        w = World(
            loop,
            spec=spec,
            subscribers=[
                sub(ALICE, answer(dtmf="5")),
                sub(client_number(), answer()),
            ],
        )
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid)

    req = run_virtual(main)
    (alice,) = legs_by_role(req, 1, "manager")
    assert alice.dtmf == "5"
    assert req.state == "connected"


def test_ivr_that_never_presses_5_is_not_a_manager_answer() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        spec = CompanySpec(departments=(SALES,), ivr_confirm=True)
        w = World(
            loop,
            spec=spec,
            subscribers=[
                sub(ALICE, R.IVR, R.IVR),
                sub(BOB, R.NO_ANSWER, R.NO_ANSWER),
                sub(CAROL, R.IVR, R.IVR),
                sub(client_number(), answer()),
            ],
        )
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid)

    req = run_virtual(main)
    # Answered by machines that never confirmed: no client leg, ever.
    assert all(leg.role == "manager" for a in req.attempts for leg in a.legs)
    alice = [leg for leg in legs_by_role(req, 1, "manager") if leg.number == ALICE][0]
    assert alice.outcome == "answered_machine"
    assert alice.sip_reason == "not confirmed by DTMF 5"
    assert req.state == "failed" and len(req.attempts) == 2


def test_invalid_client_number_is_not_retried() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        w = World(loop, subscribers=[sub(ALICE, answer()), sub(client_number(), R.INVALID)])
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid)

    req = run_virtual(main)
    assert req.state == "invalid"
    assert req.customer_status == "Invalid number"
    assert len(req.attempts) == 1


def test_order_outside_business_hours_waits_for_opening() -> None:
    friday_evening = MONDAY_10 + timedelta(days=4, hours=9)  # Fri 27 Nov 19:00 UTC

    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        w = World(
            loop,
            epoch=friday_evening,
            spec=CompanySpec(departments=(SALES,), holidays=("2026-11-30",)),
            subscribers=[sub(ALICE, answer()), sub(client_number(), answer())],
        )
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid)

    req = run_virtual(main)
    # Weekend, then Monday 30 Nov is a holiday: Tuesday 09:00.
    assert req.attempts[0].started_at == MONDAY_10 + timedelta(days=8, hours=-1)
    assert req.state == "connected"


def test_every_leg_is_logged_with_code_and_timing() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> tuple[CallbackRequest, list[object]]:
        w = World(loop, subscribers=[sub(ALICE, answer(4)), sub(client_number(), answer(5))])
        rid = w.order(client_number(), employee="Alice")
        await w.run_until_idle()
        return w.request(rid), w.events

    req, events = run_virtual(main)
    for leg in req.attempts[0].legs:
        assert leg.sip_code == 200
        assert leg.dialed_at <= leg.ringing_at <= leg.answered_at <= leg.ended_at  # type: ignore[operator]
    kinds = [(e.kind, e.new) for e in events if hasattr(e, "kind")]  # C9: live progress
    assert ("leg", "ringing") in kinds and ("attempt", "bridged") in kinds
    assert ("request", "connected") in kinds


def test_visitor_blocked_while_manager_rings_is_never_called() -> None:
    async def main(loop: asyncio.AbstractEventLoop) -> CallbackRequest:
        w = World(loop, subscribers=[sub(ALICE, answer(10)), sub(client_number(), answer())])
        rid = w.order(client_number(), employee="Alice")

        async def block_after_5s() -> None:
            await asyncio.sleep(5)
            with w.sessions() as s:
                req = s.get(CallbackRequest, rid)
                assert req is not None and req.state == "in_progress"
                block_visitor(s, request=req, now=w.clock.now(), reason="prank caller")

        await asyncio.gather(block_after_5s(), w.run_until_idle())
        return w.request(rid)

    req = run_virtual(main)
    assert req.state == "blocked" and req.customer_status == "Spam"
    assert len(req.attempts) == 1
    assert all(leg.role == "manager" for leg in req.attempts[0].legs)
    assert req.attempts[0].note == "request closed during the call"


def test_voicemail_answers_are_never_bridged_and_lead_to_the_next_attempt() -> None:
    clients = [client_number(10 + i) for i in range(12)]
    stats: list[VoicemailStats] = []

    async def main(loop: asyncio.AbstractEventLoop) -> list[CallbackRequest]:
        spec = CompanySpec(
            departments=(SALES,),
            recall={"attempts": 3, "intervals_s": [60, 60]},
            limits={"per_phone_per_hour": 100},
        )
        subscribers = [sub(ALICE, *[answer(2)] * 40)]
        # Voicemail twice, then the person.
        subscribers += [sub(c, R.VOICEMAIL, R.VOICEMAIL, answer(3)) for c in clients]
        w = World(loop, spec=spec, subscribers=subscribers)
        ids = [w.order(c, employee="Alice") for c in clients]
        await w.run_until_idle()
        with w.sessions() as s:
            stats.append(voicemail_stats(s, w.seeded.company_id))
        return [w.request(i) for i in ids]

    requests = run_virtual(main)
    machine_verdicts = 0
    for req in requests:
        for attempt in req.attempts:
            client = [leg for leg in attempt.legs if leg.role == "client"]
            if not client or client[0].amd_decision != "MACHINE":
                continue
            machine_verdicts += 1
            # V2: tagged VOICEMAIL (answered_machine), never bridged, retried.
            assert client[0].outcome == "answered_machine"
            assert attempt.state == "failed" and attempt.client_outcome == "answered_machine"
            assert all(leg.state != "bridged" for leg in attempt.legs)
            assert attempt.number < len(req.attempts)  # a next attempt followed
    # The detector hears most greetings as machines; a short greeting without a
    # beep can pass for a person (its error rates are measured by `dialback amd
    # eval` on audio). Every machine verdict led to another attempt.
    assert machine_verdicts >= 10
    assert all(r.state == "connected" for r in requests)
    # V4: the statistics count the same calls and requests.
    answered = [
        leg
        for r in requests
        for a in r.attempts
        for leg in a.legs
        if leg.role == "client" and leg.answered_at is not None
    ]
    hit = {r.id for r in requests for a in r.attempts if a.client_outcome == "answered_machine"}
    (v4,) = stats
    assert v4.requests == len(clients) and v4.answered_client_calls == len(answered)
    assert v4.voicemail_calls == machine_verdicts and v4.requests_hit_voicemail == len(hit) >= 5
    assert v4.rescued == len(hit) and v4.rescued_share == 1.0  # the person answered at last
    assert v4.voicemail_share == round(machine_verdicts / len(answered), 4)
    assert v4.messages_left == 0  # not allowed for this widget


def test_a_machine_that_hangs_up_before_the_verdict_is_still_voicemail() -> None:
    """V1/V2: a greeting or carrier announcement that ends before the detector's
    turn gap is settled from what was heard; a person who hangs up is not."""
    machines = [client_number(40 + i) for i in range(8)]
    person = client_number(60)

    async def main(loop: asyncio.AbstractEventLoop) -> list[CallbackRequest]:
        spec = CompanySpec(
            departments=(SALES,),
            recall={"attempts": 2, "intervals_s": [60]},
            limits={"per_phone_per_hour": 100},
        )
        subscribers = [sub(ALICE, *[answer(2)] * 40)]
        # Each machine holds the line 1 s, far short of any verdict.
        subscribers += [sub(c, Reaction(R.VOICEMAIL, talk_s=1.0), answer(3)) for c in machines]
        subscribers += [sub(person, Reaction(R.ANSWER, delay_s=3, patience_s=0.5), answer(3))]
        w = World(loop, spec=spec, subscribers=subscribers)
        ids = [w.order(c, employee="Alice") for c in [*machines, person]]
        await w.run_until_idle()
        return [w.request(i) for i in ids]

    *machine_requests, person_request = run_virtual(main)
    voicemail = 0
    for req in machine_requests:
        (client,) = legs_by_role(req, 1, "client")
        assert client.hangup_by == "remote" and client.state == "ended"
        if client.amd_decision == "MACHINE":
            voicemail += 1
            assert client.outcome == "answered_machine"
            assert req.attempts[0].client_outcome == "answered_machine"
        else:
            assert req.attempts[0].client_outcome == "rejected"
        assert all(leg.state != "bridged" for leg in req.attempts[0].legs)
        assert req.state == "connected" and len(req.attempts) == 2  # the next attempt
    assert voicemail >= 6
    (client,) = legs_by_role(person_request, 1, "client")
    assert client.amd_decision is None  # a person's hang-up is not a machine
    assert person_request.attempts[0].client_outcome == "rejected"


def _voicemail_requests(leave_message: bool) -> tuple[list[CallbackRequest], VoicemailStats]:
    clients = [client_number(70 + i) for i in range(16)]

    async def main(
        loop: asyncio.AbstractEventLoop,
    ) -> tuple[list[CallbackRequest], VoicemailStats]:
        spec = CompanySpec(
            departments=(SALES,),
            recall={"attempts": 1, "intervals_s": []},
            limits={"per_phone_per_hour": 100},
            leave_message=leave_message,
        )
        subscribers = [sub(ALICE, *[answer(2)] * 40)]
        subscribers += [sub(c, Reaction(R.VOICEMAIL, talk_s=40.0)) for c in clients]
        w = World(loop, spec=spec, subscribers=subscribers)
        ids = [w.order(c, employee="Alice") for c in clients]
        await w.run_until_idle()
        with w.sessions() as s:
            stats = voicemail_stats(s, w.seeded.company_id)
        return [w.request(i) for i in ids], stats

    return run_virtual(main)


def test_voicemail_gets_the_prepared_message_after_its_greeting_where_allowed() -> None:
    after_beep = after_silence = 0
    requests, stats = _voicemail_requests(leave_message=True)
    for req in requests:
        (manager,) = legs_by_role(req, 1, "manager")
        (client,) = legs_by_role(req, 1, "client")
        if client.amd_decision != "MACHINE":
            assert client.message_left_at is None
            continue
        assert req.attempts[0].state == "failed"  # never bridged
        assert req.attempts[0].client_outcome == "answered_machine"
        assert client.message_left_at is not None and client.answered_at is not None
        assert client.amd_at_ms is not None
        assert client.hangup_by == "us" and client.ended_at >= client.message_left_at
        if client.beep_at_ms is None:
            # V3: no beep -- the greeting's end is 2 s of silence after its last word,
            # and the message (1.25 s) is played whole after that.
            after_silence += 1
            verdict = client.answered_at + timedelta(milliseconds=client.amd_at_ms)
            assert client.message_left_at >= verdict + timedelta(seconds=1.2)
            continue
        after_beep += 1
        # V3: after the beep, and played whole (1.25 s) before our BYE ...
        beep = client.answered_at + timedelta(milliseconds=client.beep_at_ms)
        assert client.message_left_at >= beep + timedelta(seconds=1.2)
        # ... while the manager, told at once, was let go before it.
        assert manager.ended_at is not None and manager.ended_at <= beep + timedelta(seconds=2)
    assert after_beep >= 4 and after_silence >= 1
    assert stats.messages_left == after_beep + after_silence  # V4


def test_no_message_is_left_where_it_is_not_allowed() -> None:
    requests, stats = _voicemail_requests(leave_message=False)
    assert stats.messages_left == 0
    machines = [
        leg
        for req in requests
        for leg in legs_by_role(req, 1, "client")
        if leg.amd_decision == "MACHINE"
    ]
    assert len(machines) >= 8
    assert all(leg.message_left_at is None for leg in machines)
    assert sum(leg.beep_at_ms is not None for leg in machines) >= 4  # beeps there were
