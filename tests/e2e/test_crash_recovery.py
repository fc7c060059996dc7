"""SIGKILL a running `dialback serve` and prove every pending attempt happens exactly once.

Real processes, real SQLite file, the simulated network in real time. The
network writes its own append-only call log (fsynced per line); that log,
not Dialback's database, is the witness of who was called.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from dialback.adapters.db.migrate import upgrade
from dialback.adapters.db.session import make_engine, make_session_factory
from dialback.adapters.db.tables import Attempt, CallbackRequest
from dialback.services.seeding import CompanySpec, DepartmentSpec, EmployeeSpec, create_company

pytestmark = pytest.mark.slow

ALL_DAY = {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
MANAGERS = [f"30{i}" for i in range(8)]
CLIENTS = [f"+1650253{1000 + i:04d}" for i in range(12)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, tmp: Path, port: int) -> None:
        self.tmp = tmp
        self.port = port
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {
            **os.environ,
            "DIALBACK_DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite'}",
            "DIALBACK_NODE_ID": "crash-test-node",
            "DIALBACK_SIM_POPULATION": str(tmp / "population.json"),
            "DIALBACK_SIM_CALL_LOG": str(tmp / "calls.jsonl"),
            "DIALBACK_RECORDINGS_DIR": str(tmp / "rec"),
            "DIALBACK_POLL_SECONDS": "0.2",
            "DIALBACK_LEASE_SECONDS": "30",
            "DIALBACK_LOG_LEVEL": "WARNING",
        }

    def start(self) -> None:
        with (self.tmp / "server.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "dialback.cli", "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, (self.tmp / "server.log").read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("dialback serve did not come up")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[Server]:
    # The hidden truth: the main trunk always fails (503), the backup works, and
    # everybody answers within 1-2 s and talks for 3 s. So attempt 1 of every
    # request fails on the main trunk and attempt 2 goes through the backup (C5).
    population = {
        "subscribers": [
            {"number": n, "answer_prob": 1.0, "answer_delay_s": [1.0, 2.0], "talk_s": [3.0, 3.0]}
            for n in MANAGERS + CLIENTS
        ],
        "trunks": {"main": {"failure_prob": 1.0}, "backup": {"failure_prob": 0.0}},
    }
    (tmp_path / "population.json").write_text(json.dumps(population))
    srv = Server(tmp_path, _free_port())
    yield srv
    srv.stop()


def _seed(db_url: str) -> tuple[str, dict[str, int]]:
    engine = make_engine(db_url)
    upgrade(engine)
    spec = CompanySpec(
        hours=ALL_DAY,
        trunks=("main", "backup"),
        departments=tuple(
            DepartmentSpec(name=f"D{n}", employees=(EmployeeSpec(f"M{n}", n),)) for n in MANAGERS
        ),
        recall={"attempts": 3, "intervals_s": [6, 2]},
        widget_key="wk_crash",
    )
    from datetime import UTC, datetime

    with make_session_factory(engine)() as s:
        seeded = create_company(s, spec, now=datetime.now(UTC))
    engine.dispose()
    return seeded.widget_key, seeded.departments


def _clients(i: int) -> str:
    return CLIENTS[i]


def _order(srv: Server, key: str, phone: str, department_id: int) -> int:
    r = httpx.post(
        f"http://127.0.0.1:{srv.port}/api/v1/callbacks",
        headers={"X-API-Key": key},
        json={"phone": phone, "department_id": department_id},
        timeout=10,
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _invites(log: Path) -> collections.Counter[tuple[int, int, str]]:
    """(request, attempt, role) -> how many INVITEs the network saw."""
    seen: collections.Counter[tuple[int, int, str]] = collections.Counter()
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        if entry["event"] == "invite":
            _, rid, _, attempt, role, _leg = entry["tag"].split(":")
            seen[(int(rid), int(attempt), role)] += 1
    return seen


def test_sigkill_with_pending_and_running_attempts_calls_nobody_twice(server: Server) -> None:
    db_url = server.env["DIALBACK_DATABASE_URL"]
    widget_key, departments = _seed(db_url)
    sessions = make_session_factory(make_engine(db_url))

    def states(ids: list[int]) -> list[tuple[str, int]]:
        with sessions() as s:
            rows = s.scalars(select(CallbackRequest).where(CallbackRequest.id.in_(ids)))
            return [(r.state, r.attempts_made) for r in rows]

    def attempt_states(ids: list[int], number: int) -> list[str]:
        with sessions() as s:
            return list(
                s.scalars(
                    select(Attempt.state).where(
                        Attempt.request_id.in_(ids), Attempt.number == number
                    )
                )
            )

    # Phase 1: six requests; kill once all their first attempts failed and the
    # retries are pending (due 6 s later).
    server.start()
    pending = [
        _order(server, widget_key, _clients(i), departments[f"D{MANAGERS[i]}"]) for i in range(6)
    ]
    _wait_for(lambda: states(pending) == [("scheduled", 1)] * 6, 20, "six pending retries")
    server.kill()

    # Phase 2: restart; the pending retries run. Then order two more and kill
    # while their second attempts are on the line (dialing or talking).
    server.start()
    _wait_for(
        lambda: all(state == "connected" for state, _ in states(pending)), 30, "retries to run"
    )
    busy = [
        _order(server, widget_key, _clients(10 + i), departments[f"D{MANAGERS[6 + i]}"])
        for i in range(2)
    ]
    on_the_line = ("manager_dialing", "client_dialing", "bridged")
    _wait_for(
        lambda: (
            sorted(attempt_states(busy, 2)) != []
            and len(attempt_states(busy, 2)) == 2
            and all(state in on_the_line for state in attempt_states(busy, 2))
        ),
        30,
        "second attempts in progress",
    )
    server.kill()

    # Phase 3: restart and let everything finish.
    server.start()
    everyone = pending + busy

    def finished() -> bool:
        with sessions() as s:
            rows = list(s.scalars(select(CallbackRequest).where(CallbackRequest.id.in_(everyone))))
            return all(r.finished_at is not None for r in rows)

    _wait_for(finished, 60, "all requests and their conversations to finish")
    invites = _invites(server.tmp / "calls.jsonl")

    # Every pending retry happened exactly once, through the backup trunk.
    for rid in pending:
        assert invites[(rid, 1, "manager")] == 1
        assert invites[(rid, 2, "manager")] == 1
        assert invites[(rid, 2, "client")] == 1
        assert invites[(rid, 3, "manager")] == 0
    assert states(pending) == [("connected", 2)] * 6
    # Nobody was called twice for the same attempt, whatever the kill interrupted.
    assert invites and max(invites.values()) == 1
    with sessions() as s:
        for rid in busy:
            attempts = list(
                s.scalars(select(Attempt).where(Attempt.request_id == rid).order_by(Attempt.number))
            )
            assert attempts[1].state in ("interrupted", "completed")
            if attempts[1].state == "interrupted":
                # The next attempt was planned by the policy and ran once.
                assert [a.number for a in attempts] == [1, 2, 3]
                assert attempts[2].state == "completed"
