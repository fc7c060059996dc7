"""A durable job queue in the database (C4 retries, X4 scale-out).

A job is claimed by one owner with an atomic conditional UPDATE and a lease.
The owner renews the lease while it works; a job whose owner died (its lease
ran out, or the same node restarted with a new incarnation) is recovered.
Portable SQL: on PostgreSQL the candidate SELECT can add FOR UPDATE SKIP
LOCKED so several nodes do not contend for the same rows; the conditional
UPDATE alone already guarantees that only one of them wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from dialback.adapters.db.tables import Job

PENDING = "pending"
CLAIMED = "claimed"
DONE = "done"
CANCELLED = "cancelled"


def enqueue(
    session: Session,
    *,
    kind: str,
    ref: str,
    due_at: datetime,
    now: datetime,
    request_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> Job:
    """Add a job; the (kind, ref) unique key makes a duplicate impossible."""
    job = Job(
        kind=kind,
        ref=ref,
        request_id=request_id,
        payload=payload or {},
        due_at=due_at,
        state=PENDING,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    return job


def next_due_at(session: Session, *, kind: str) -> datetime | None:
    """When the earliest pending job of ``kind`` is due (None when none)."""
    result: datetime | None = session.scalar(
        select(func.min(Job.due_at)).where(Job.kind == kind, Job.state == PENDING)
    )
    return result


def claim_due(
    session: Session,
    *,
    kind: str,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
) -> list[Job]:
    """Atomically take up to ``limit`` due jobs for ``owner``; commits."""
    candidates = list(
        session.scalars(
            select(Job.id)
            .where(Job.kind == kind, Job.state == PENDING, Job.due_at <= now)
            .order_by(Job.due_at, Job.id)
            .limit(limit)
        )
    )
    claimed: list[int] = []
    for job_id in candidates:
        result = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == PENDING)
            .values(
                state=CLAIMED,
                owner=owner,
                lease_until=now + lease,
                runs=Job.runs + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) == 1:
            claimed.append(job_id)
    session.commit()
    if not claimed:
        return []
    return list(session.scalars(select(Job).where(Job.id.in_(claimed)).order_by(Job.due_at)))


def renew_leases(session: Session, *, owner: str, now: datetime, lease: timedelta) -> int:
    """Extend the lease of every job ``owner`` holds; commits."""
    result = session.execute(
        update(Job)
        .where(Job.owner == owner, Job.state == CLAIMED)
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return _rowcount(result)


def orphaned(
    session: Session, *, kind: str, now: datetime, node: str, incarnation_owner: str
) -> Sequence[Job]:
    """Claimed jobs whose owner is gone.

    Gone means: the lease ran out, or the owner is an earlier incarnation of
    this very node (a restart after a crash: nobody else can hold its name).
    """
    return list(
        session.scalars(
            select(Job).where(
                Job.kind == kind,
                Job.state == CLAIMED,
                Job.owner != incarnation_owner,
                or_(Job.lease_until < now, Job.owner.like(f"{node}/%")),
            )
        )
    )


def finish(session: Session, job: Job, *, now: datetime, state: str = DONE) -> None:
    """Mark ``job`` finished within the caller's transaction."""
    job.state = state
    job.lease_until = None
    job.updated_at = now


def release(session: Session, job: Job, *, now: datetime) -> None:
    """Give a claimed job back to the queue (nothing of it happened yet)."""
    job.state = PENDING
    job.owner = None
    job.lease_until = None
    job.updated_at = now


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
