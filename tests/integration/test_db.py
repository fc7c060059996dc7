"""The database layer on real SQLite: migrations, the job queue, the open-request guard."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from dialback.adapters.db import jobs
from dialback.adapters.db.migrate import upgrade
from dialback.adapters.db.session import make_engine, make_session_factory
from dialback.adapters.db.tables import Base, CallbackRequest, Company, Job

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


@pytest.fixture()
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    upgrade(engine)
    yield make_session_factory(engine)
    engine.dispose()


def test_migrations_build_exactly_the_declared_schema(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/m.db")
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert "jobs" in inspect(engine).get_table_names()
    upgrade(engine)  # idempotent: a second start changes nothing


def _request(company_id: int, phone: str, state: str) -> CallbackRequest:
    return CallbackRequest(
        company_id=company_id,
        phone=phone,
        phone_raw=phone,
        state=state,
        created_at=NOW,
        updated_at=NOW,
    )


def test_database_refuses_a_second_open_request_for_the_same_number(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as s:
        company = Company(name="c", created_at=NOW)
        s.add(company)
        s.flush()
        s.add(_request(company.id, "+16502530001", "connected"))
        s.add(_request(company.id, "+16502530001", "scheduled"))
        s.commit()  # one finished and one open: fine
        s.add(_request(company.id, "+16502530001", "in_progress"))
        with pytest.raises(IntegrityError):
            s.commit()


def test_a_due_job_is_claimed_by_exactly_one_owner(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        jobs.enqueue(s, kind="k", ref="1:1", due_at=NOW, now=NOW)
        jobs.enqueue(s, kind="k", ref="1:2", due_at=NOW + timedelta(hours=1), now=NOW)
        s.commit()
    lease = timedelta(seconds=60)
    with sessions() as a, sessions() as b:
        first = jobs.claim_due(a, kind="k", owner="node-a/1", now=NOW, lease=lease, limit=10)
        second = jobs.claim_due(b, kind="k", owner="node-b/1", now=NOW, lease=lease, limit=10)
    assert [j.ref for j in first] == ["1:1"]
    assert second == []  # already claimed; the later job is not due yet


def test_duplicate_job_for_the_same_attempt_is_impossible(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        jobs.enqueue(s, kind="k", ref="7:2", due_at=NOW, now=NOW)
        s.commit()
        jobs.enqueue(s, kind="k", ref="7:2", due_at=NOW, now=NOW)
        with pytest.raises(IntegrityError):
            s.commit()


def test_orphans_are_jobs_of_dead_incarnations_or_expired_leases(
    sessions: sessionmaker[Session],
) -> None:
    lease = timedelta(seconds=60)
    with sessions() as s:
        for ref in ("a", "b", "c"):
            jobs.enqueue(s, kind="k", ref=ref, due_at=NOW, now=NOW)
        s.commit()
        jobs.claim_due(s, kind="k", owner="n1/old", now=NOW, lease=lease, limit=1)
        jobs.claim_due(s, kind="k", owner="n2/x", now=NOW, lease=lease, limit=1)
        jobs.claim_due(s, kind="k", owner="n1/new", now=NOW, lease=lease, limit=1)
        # n1 restarted as "n1/new": its old incarnation's job is orphaned at once;
        # n2's job only once its lease ran out.
        soon = jobs.orphaned(s, kind="k", now=NOW, node="n1", incarnation_owner="n1/new")
        assert [j.owner for j in soon] == ["n1/old"]
        later = jobs.orphaned(
            s, kind="k", now=NOW + timedelta(minutes=2), node="n1", incarnation_owner="n1/new"
        )
        assert sorted(j.owner or "" for j in later) == ["n1/old", "n2/x"]
        assert s.query(Job).filter(Job.owner == "n1/new").count() == 1
