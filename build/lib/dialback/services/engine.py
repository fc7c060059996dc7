"""The scheduler loop: claims due attempts from the durable queue and runs them.

One loop per process. It sleeps until the next job is due (or until woken by
a new order, or ``poll_seconds`` for jobs added by other nodes), keeps the
leases of its running jobs alive, and recovers jobs whose owner died (X4).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from dialback.adapters.db import jobs
from dialback.ports import Clock
from dialback.services.attempts import CallbackWorker
from dialback.services.callbacks import CALLBACK_JOB

log = logging.getLogger(__name__)


class Engine:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        worker: CallbackWorker,
        clock: Clock,
        node_id: str,
        lease: timedelta = timedelta(seconds=60),
        poll_seconds: float | None = 1.0,
        max_concurrent: int = 50,
    ) -> None:
        self._sessions = sessions
        self._worker = worker
        self._clock = clock
        self.node_id = node_id
        # A new incarnation per process: jobs held by an older one of this node
        # were orphaned by a crash and can be recovered at once.
        self.owner = f"{node_id}/{uuid.uuid4().hex[:12]}"
        self._lease = lease
        self._poll = poll_seconds
        self._max = max_concurrent
        self._running: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._busy = asyncio.Event()  # set while attempts run (their leases need renewing)
        self._stop_when_idle = False
        self._stopping = False

    def wake(self) -> None:
        """Look at the queue now (a new job was added in this process)."""
        self._wake.set()

    def stop_when_idle(self) -> None:
        self._stop_when_idle = True
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    @property
    def running(self) -> int:
        return len(self._running)

    async def run(self) -> None:
        recovered = self._worker.recover(node=self.node_id, owner=self.owner)
        if recovered:
            log.warning("recovered %d attempts of a previous run", recovered)
        heartbeat = asyncio.ensure_future(self._heartbeat())
        try:
            await self._loop()
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            if self._running:
                for task in self._running:
                    task.cancel()
                await asyncio.gather(*self._running, return_exceptions=True)

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            now = self._clock.now()
            free = self._max - len(self._running)
            if free > 0:
                with self._sessions() as s:
                    claimed = jobs.claim_due(
                        s,
                        kind=CALLBACK_JOB,
                        owner=self.owner,
                        now=now,
                        lease=self._lease,
                        limit=free,
                    )
                for job in claimed:
                    task = asyncio.ensure_future(self._run_one(job.id))
                    self._running.add(task)
                    self._busy.set()
                    task.add_done_callback(self._done)
            with self._sessions() as s:
                due = jobs.next_due_at(s, kind=CALLBACK_JOB)
            if due is None and not self._running and self._stop_when_idle:
                return
            timeout: float | None = None
            if due is not None and len(self._running) < self._max:
                timeout = max(0.0, (due - self._clock.now()).total_seconds())
            if self._poll is not None:
                timeout = self._poll if timeout is None else min(timeout, self._poll)
            await self._sleep(timeout)

    async def _sleep(self, timeout: float | None) -> None:
        waiters: set[asyncio.Future[object]] = {asyncio.ensure_future(self._wake.wait())}
        try:
            await asyncio.wait(
                waiters | set(self._running),  # a finished attempt frees a slot
                timeout=timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for w in waiters:
                w.cancel()
            await asyncio.gather(*waiters, return_exceptions=True)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not self._running:
            self._busy.clear()
        self._wake.set()

    async def _run_one(self, job_id: int) -> None:
        try:
            await self._worker.run_job(job_id, owner=self.owner)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("attempt job %s failed; concluding it", job_id)
            try:
                self._worker.abandon(job_id)
            except Exception:
                # Left claimed: the next start of this node recovers it.
                log.exception("could not conclude job %s", job_id)

    async def _heartbeat(self) -> None:
        period = self._lease.total_seconds() / 3
        while True:
            if self._poll is None:
                # Alone on the database (virtual time, one process): only our own
                # running attempts need their leases renewed.
                await self._busy.wait()
            await asyncio.sleep(period)
            with self._sessions() as s:
                jobs.renew_leases(s, owner=self.owner, now=self._clock.now(), lease=self._lease)
            # Jobs of other nodes whose lease ran out (X4).
            self._worker.recover(node=self.node_id, owner=self.owner)
