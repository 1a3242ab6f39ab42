"""Crashed workers: heartbeats, the reaper (run.stale), and track() on BaseException."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from opsux_core import Initiator, OperationRun, OperationRunService, Policy, RunNotification, policy_from_mapping
from opsux_core.errors import LeaseLost
from opsux_core.staleness import StaleRun, stale_limit

ADA = Initiator(id="user-3", name="Ada")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, seconds: float) -> datetime:
        self.now = T0 + timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(session: Session, policy: Policy, clock: Clock) -> OperationRunService:
    return OperationRunService(session, policy, clock=clock)


def notes_of(session: Session, run_id: int) -> list[RunNotification]:
    return list(session.scalars(select(RunNotification).where(RunNotification.run_id == run_id)))


# inventory.sync: expected 120 s x the default factor 3 = 360 s.
def test_limits_come_from_the_type_the_factor_or_the_default(policy: Policy) -> None:
    assert stale_limit(policy, "inventory.sync") == 360
    assert stale_limit(policy, "directory.import") == 3600  # no expected duration: runs.stale_after_seconds
    assert stale_limit(policy, "legacy.unknown") == 3600
    custom = policy_from_mapping(
        {
            "operation_types": {
                "inventory.sync": {"label": "Inventory sync", "expected_duration_seconds": 120},
                "directory.import": {"label": "Directory import", "expected_duration_seconds": 11},
            },
            "runs": {"stale_factor": 1.5, "stale_after_seconds": 900},
        }
    )
    assert stale_limit(custom, "inventory.sync") == 180
    assert stale_limit(custom, "directory.import") == 17  # 16.5 rounded up: never reap early
    assert stale_limit(custom, "other.type") == 900


def test_a_queued_run_that_never_started_is_reaped_just_past_its_limit(
    service: OperationRunService, session: Session, clock: Clock
) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    assert service.reap_stale(now=clock.at(360)) == []  # exactly at the limit: not yet
    reaped = service.reap_stale(now=clock.at(361))
    assert [r.run_id for r in reaped] == [run_id]
    assert reaped[0].silent_seconds == 361 and reaped[0].limit_seconds == 360 and reaped[0].status == "queued"
    run = session.get(OperationRun, run_id, populate_existing=True)
    assert run is not None and (run.status, run.outcome) == ("completed", "failed")
    assert run.failure_summary == {
        "code": "run.stale",
        "message": "no heartbeat for 361 s (limit 360 s); the worker stopped or crashed",
    }
    [note] = notes_of(session, run_id)
    assert note.recipient_id == "user-3" and note.title == "Inventory sync failed"
    # Idempotent: nothing is left to reap, and no second notification.
    assert service.reap_stale(now=clock.at(5000)) == []
    assert len(notes_of(session, run_id)) == 1


def test_a_reaped_run_no_longer_blocks_a_new_start(service: OperationRunService, clock: Clock) -> None:
    first = service.start("acme", "inventory.sync", initiator=ADA, inputs={"scope": "all"})
    service.mark_running(first)
    clock.at(1000)
    assert not service.start("acme", "inventory.sync", initiator=ADA, inputs={"scope": "all"}).created
    service.reap_stale()
    again = service.start("acme", "inventory.sync", initiator=ADA, inputs={"scope": "all"})
    assert again.created and again.run.id != first.run.id


@pytest.mark.parametrize("touch", ["mark_running", "increment", "set_counts", "heartbeat"])
def test_every_sign_of_life_moves_the_heartbeat(
    service: OperationRunService, session: Session, clock: Clock, touch: str
) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    if touch != "mark_running":
        service.mark_running(run_id)
    clock.at(300)
    if touch == "increment":
        service.increment(run_id, processed=1)
    elif touch == "set_counts":
        service.set_counts(run_id, total=10)
    else:
        getattr(service, touch)(run_id)
    run = session.get(OperationRun, run_id, populate_existing=True)
    assert run is not None and run.last_heartbeat_at == T0 + timedelta(seconds=300)
    assert service.reap_stale(now=clock.at(660)) == []
    assert [r.run_id for r in service.reap_stale(now=clock.at(661))] == [run_id]


def test_types_get_their_own_limits_and_grace_adds_to_each(service: OperationRunService, clock: Clock) -> None:
    sync = service.start("acme", "inventory.sync", initiator=ADA).run.id  # 360 s
    imp = service.start("acme", "directory.import", initiator=ADA).run.id  # 3600 s
    assert [r.run_id for r in service.reap_stale(now=clock.at(400), dry_run=True)] == [sync]
    assert service.reap_stale(now=clock.at(400), grace=timedelta(seconds=40)) == []
    assert [r.run_id for r in service.reap_stale(now=clock.at(401), grace=timedelta(seconds=40))] == [sync]
    assert service.reap_stale(now=clock.at(3600)) == []
    assert [r.run_id for r in service.reap_stale(now=clock.at(3601))] == [imp]


def test_a_run_of_a_type_the_catalog_lost_is_reaped_after_the_default(
    service: OperationRunService, session: Session, clock: Clock
) -> None:
    run_id = service.start("acme", "inventory.sync").run.id
    session.execute(update(OperationRun).where(OperationRun.id == run_id).values(operation_type="legacy.gone"))
    session.commit()
    assert service.reap_stale(now=clock.at(3600)) == []
    assert [r.operation_type for r in service.reap_stale(now=clock.at(3601))] == ["legacy.gone"]


def test_dry_run_reports_and_writes_nothing(service: OperationRunService, session: Session, clock: Clock) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    [found] = service.reap_stale(now=clock.at(500), dry_run=True)
    assert isinstance(found, StaleRun) and found.run_id == run_id
    assert found.to_dict() == {
        "run_id": run_id,
        "tenant_id": "acme",
        "operation_type": "inventory.sync",
        "status": "queued",
        "last_heartbeat_at": "2026-01-05T09:00:00+00:00",
        "silent_seconds": 500,
        "limit_seconds": 360,
    }
    run = session.get(OperationRun, run_id, populate_existing=True)
    assert run is not None and run.status == "queued" and notes_of(session, run_id) == []


def test_a_stale_system_run_is_failed_without_a_notification(
    service: OperationRunService, session: Session, clock: Clock
) -> None:
    run_id = service.start("acme", "backup.schedule.execute").run.id
    assert [r.run_id for r in service.reap_stale(now=clock.at(3601))] == [run_id]
    assert notes_of(session, run_id) == []


def test_completed_runs_are_never_reaped(service: OperationRunService, clock: Clock) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    service.complete(run_id, "succeeded")
    assert service.reap_stale(now=clock.at(10**6)) == []


def test_reap_arguments_are_checked(service: OperationRunService) -> None:
    with pytest.raises(ValueError, match="grace must not be negative"):
        service.reap_stale(grace=timedelta(seconds=-1))
    with pytest.raises(ValueError, match="limit must be at least 1"):
        service.reap_stale(limit=0)


def test_limit_bounds_one_pass_oldest_first(service: OperationRunService, clock: Clock) -> None:
    ids = []
    for index in range(3):
        clock.at(index)
        ids.append(service.start("acme", "inventory.sync", identity=str(index)).run.id)
    assert [r.run_id for r in service.reap_stale(now=clock.at(1000), limit=2)] == ids[:2]
    assert [r.run_id for r in service.reap_stale(now=clock.at(1000), limit=2)] == ids[2:]


def test_several_reapers_at_once_fail_each_run_once(engine: Engine, policy: Policy) -> None:
    with Session(engine) as session:
        service = OperationRunService(session, policy, clock=lambda: T0)
        ids = [service.start("acme", "inventory.sync", initiator=ADA, identity=str(i)).run.id for i in range(12)]
    reapers = 4
    barrier = threading.Barrier(reapers)

    def reap(_: int) -> list[int]:
        with Session(engine) as session:
            service = OperationRunService(session, policy)
            barrier.wait(timeout=30)
            return [r.run_id for r in service.reap_stale(now=T0 + timedelta(hours=1))]

    with ThreadPoolExecutor(reapers) as pool:
        results = list(pool.map(reap, range(reapers)))
    reaped = [run_id for result in results for run_id in result]
    assert sorted(reaped) == ids  # every run reaped by exactly one reaper
    with Session(engine) as session:
        notes = session.scalars(select(RunNotification.run_id)).all()
        assert sorted(notes) == ids


def test_a_tracker_whose_run_was_reaped_loses_its_claim(
    service: OperationRunService, session: Session, clock: Clock
) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    with service.track(run_id) as job:
        job.increment(processed=1)
        service.reap_stale(now=clock.at(400))
        with pytest.raises(LeaseLost, match=f"Run {run_id} cannot update counts: this tracker's claim on it is gone"):
            job.increment(processed=1)
        with pytest.raises(LeaseLost, match="cannot heartbeat"):
            job.heartbeat()
    run = session.get(OperationRun, run_id, populate_existing=True)
    assert run is not None and run.outcome == "failed" and run.summary_counts == {"processed": 1}
    assert len(notes_of(session, run_id)) == 1


def test_job_heartbeat_keeps_a_quiet_run_alive(service: OperationRunService, clock: Clock) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    with service.track(run_id) as job:
        clock.at(350)
        job.heartbeat()
        assert service.reap_stale(now=clock.at(700)) == []
    assert service.reap_stale(now=clock.at(10_000)) == []  # completed on exit


# ----------------------------------------------------------------------------- track() on BaseException


@pytest.mark.parametrize("kind", [KeyboardInterrupt, SystemExit, asyncio.CancelledError, GeneratorExit])
def test_track_fails_the_run_on_base_exceptions_and_reraises(
    service: OperationRunService, session: Session, kind: type[BaseException]
) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    with pytest.raises(kind):
        with service.track(run_id) as job:
            job.increment(processed=3)
            raise kind()
    run = session.get(OperationRun, run_id, populate_existing=True)
    assert run is not None and (run.status, run.outcome) == ("completed", "failed")
    assert run.failure_summary == {"code": "job.interrupted", "message": kind.__name__}
    assert [n.recipient_id for n in notes_of(session, run_id)] == ["user-3"]


def test_track_interrupted_code_is_configurable_and_checked(service: OperationRunService, session: Session) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    with pytest.raises(ValueError, match="failure code 'Bad Code'"):
        with service.track(run_id, interrupted_code="Bad Code"):
            pass
    with pytest.raises(KeyboardInterrupt):
        with service.track(run_id, interrupted_code="worker.shutdown"):
            raise KeyboardInterrupt
    run = session.get(OperationRun, run_id, populate_existing=True)
    assert run is not None and run.failure_summary == {"code": "worker.shutdown", "message": "KeyboardInterrupt"}


def test_an_exception_message_the_database_cannot_store_is_cleaned(
    service: OperationRunService, session: Session
) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    with pytest.raises(RuntimeError):
        with service.track(run_id):
            raise RuntimeError("bad\x00byte \ud800")
    run = session.get(OperationRun, run_id, populate_existing=True)
    assert run is not None and run.failure_summary == {"code": "job.exception", "message": "RuntimeError: bad\ufffdbyte ?"}


def test_the_job_exception_survives_when_failing_the_run_fails(
    service: OperationRunService, session: Session, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id

    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("database went away")

    with pytest.raises(KeyboardInterrupt):
        with service.track(run_id):
            monkeypatch.setattr(service, "_finish", broken)
            raise KeyboardInterrupt
    assert "could not fail run" in caplog.text and "ConnectionError: database went away" in caplog.text


@pytest.mark.parametrize(
    ("runs", "error"),
    [
        ({"stale_factor": 1}, None),
        ({"stale_factor": 0.99}, "runs.stale_factor: must be a number from 1 to 1000, not 0.99"),
        ({"stale_factor": 1000}, None),
        ({"stale_factor": 1000.5}, "runs.stale_factor: must be a number from 1 to 1000"),
        ({"stale_factor": True}, "runs.stale_factor: must be a number"),
        ({"stale_after_seconds": 1}, None),
        ({"stale_after_seconds": 0}, "runs.stale_after_seconds: must be a positive integer, not 0"),
        ({"stale_after_seconds": 1.5}, "runs.stale_after_seconds: must be a positive integer"),
        ({"stale_afterwards": 3}, "runs.stale_afterwards: unknown key; did you mean"),
        ([], "runs: must be a mapping, not a list"),
    ],
)
def test_runs_settings_are_validated(runs: object, error: str | None) -> None:
    from opsux_core import ConfigError

    if error is None:
        policy = policy_from_mapping({"operation_types": {"a.b": "A"}, "runs": runs})
        assert policy.runs.stale_factor >= 1 and policy.runs.stale_after_seconds >= 1
    else:
        with pytest.raises(ConfigError, match=error.replace(".", r"\.").replace("?", r"\?")):
            policy_from_mapping({"operation_types": {"a.b": "A"}, "runs": runs})
