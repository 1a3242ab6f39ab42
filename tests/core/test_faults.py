"""A PostgreSQL connection killed mid-transaction (pg_terminate_backend) leaves nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from opsux_core import Initiator, OperationRun, OperationRunService, Policy, RunNotification

ADA = Initiator(id="user-3", name="Ada")


@pytest.fixture(autouse=True)
def clean(pg_engine: Engine) -> Iterator[None]:
    yield
    with pg_engine.begin() as conn:
        conn.execute(delete(RunNotification))
        conn.execute(delete(OperationRun))


def kill(engine: Engine, pid: int) -> None:
    with engine.connect() as admin:
        assert admin.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}) is True
        admin.commit()


def state(engine: Engine, run_id: int) -> tuple[str, str, int]:
    with Session(engine) as session:
        run = session.get(OperationRun, run_id)
        assert run is not None
        notes = session.scalar(select(func.count()).select_from(RunNotification).where(RunNotification.run_id == run_id))
        return run.status, run.outcome, notes or 0


def test_a_completion_killed_before_commit_leaves_the_run_active_and_completable(pg_engine: Engine, policy: Policy) -> None:
    with Session(pg_engine) as session:
        service = OperationRunService(session, policy)
        run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
        service.mark_running(run_id)
    with Session(pg_engine) as session:
        service = OperationRunService(session, policy, autocommit=False)
        pid = session.scalar(text("SELECT pg_backend_pid()"))
        service.complete(run_id, "succeeded")  # UPDATE and notification INSERT flushed, not committed
        kill(pg_engine, pid)
        with pytest.raises(DBAPIError):
            session.commit()
    assert state(pg_engine, run_id) == ("running", "pending", 0)
    with Session(pg_engine) as session:
        note = OperationRunService(session, policy).complete(run_id, "succeeded")
        assert note is not None
    assert state(pg_engine, run_id) == ("completed", "succeeded", 1)


def test_a_job_whose_connection_dies_fails_its_run_cleanly(pg_engine: Engine, policy: Policy) -> None:
    with Session(pg_engine) as session:
        run_id = OperationRunService(session, policy).start("acme", "inventory.sync", initiator=ADA).run.id
    with Session(pg_engine) as session:
        service = OperationRunService(session, policy)
        with pytest.raises(DBAPIError):
            with service.track(run_id) as job:
                job.increment(processed=1)
                kill(pg_engine, session.scalar(text("SELECT pg_backend_pid()")))
                job.increment(processed=1)  # the connection is gone: this raises
    # The run was failed on a fresh connection, with exactly one notification and the counts it had.
    with Session(pg_engine) as session:
        run = session.get(OperationRun, run_id)
        assert run is not None and (run.status, run.outcome) == ("completed", "failed")
        assert run.summary_counts == {"processed": 1}
        assert (run.failure_summary or {})["code"] == "job.exception"
    assert state(pg_engine, run_id)[2] == 1


def test_a_start_killed_before_commit_leaves_no_run(pg_engine: Engine, policy: Policy) -> None:
    with Session(pg_engine) as session:
        service = OperationRunService(session, policy, autocommit=False)
        pid = session.scalar(text("SELECT pg_backend_pid()"))
        service.start("acme", "inventory.sync", initiator=ADA, inputs={"scope": "x"})
        kill(pg_engine, pid)
        with pytest.raises(DBAPIError):
            session.commit()
    with Session(pg_engine) as session:
        assert session.scalar(select(func.count()).select_from(OperationRun)) == 0
        # The identity is free again: the next start creates the run.
        assert OperationRunService(session, policy).start("acme", "inventory.sync", initiator=ADA, inputs={"scope": "x"}).created
