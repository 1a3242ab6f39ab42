"""The run service on SQLite and PostgreSQL: lifecycle, dedupe, notifications, counts."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opsux_core import (
    DispatchFailed,
    Initiator,
    InvalidSummaryCounts,
    InvalidTransition,
    OperationRun,
    OperationRunService,
    Policy,
    RunNotFound,
    RunNotification,
    UnregisteredOperationType,
)
from opsux_core.errors import InvalidIdentifier
from opsux_core.identity import InvalidRunInputs
from opsux_core.notifier import Delivery, Notifier

ADA = Initiator(id="user-3", name="Ada")
BO = Initiator(id="user-9", name="Bo")


def notifications(session: Session) -> list[RunNotification]:
    return list(session.scalars(select(RunNotification).order_by(RunNotification.id)))


def run_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OperationRun)) or 0


# ----------------------------------------------------------------------------- start & dedupe


def test_start_creates_a_queued_run_and_the_queued_toast(service: OperationRunService) -> None:
    result = service.start("acme", "inventory.sync", initiator=ADA, inputs={"scope": "all"})
    run = result.run
    assert result.created is True
    assert (result.toast.title, result.toast.body) == ("Inventory sync queued", "Running in the background.")
    assert (run.status, run.outcome) == ("queued", "pending")
    assert (run.tenant_id, run.operation_type, run.initiator_id, run.initiator_name) == ("acme", "inventory.sync", "user-3", "Ada")
    assert run.context == {"inputs": {"scope": "all"}}
    assert run.summary_counts == {}
    assert run.created_at.tzinfo is not None


def test_start_commits_before_anything_is_enqueued(engine: Engine, service: OperationRunService) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    with Session(engine) as worker:
        assert worker.get(OperationRun, run.id) is not None


def test_identical_start_reuses_the_active_run_and_keeps_the_initiator(service: OperationRunService, session: Session) -> None:
    first = service.start("acme", "inventory.sync", initiator=ADA, inputs={"scope": "all", "force": False})
    # Same inputs in another order: the canonical form makes it the same run.
    second = service.start("acme", "inventory.sync", initiator=BO, inputs={"force": False, "scope": "all"})
    assert second.created is False
    assert second.run.id == first.run.id
    assert second.run.initiator_id == "user-3"
    assert (second.toast.title, second.toast.body) == ("Inventory sync already queued", "Running in the background.")
    assert run_count(session) == 1


def test_dedupe_also_covers_running_runs(service: OperationRunService) -> None:
    first = service.start("acme", "inventory.sync", initiator=ADA).run
    service.mark_running(first)
    assert service.start("acme", "inventory.sync", initiator=BO).run.id == first.id


@pytest.mark.parametrize(
    ("tenant", "operation_type", "inputs"),
    [("globex", "inventory.sync", {"scope": "all"}), ("acme", "directory.import", {"scope": "all"}), ("acme", "inventory.sync", {"scope": "one"})],
)
def test_different_tenant_type_or_inputs_is_a_new_run(service: OperationRunService, tenant: str, operation_type: str, inputs: dict[str, str]) -> None:
    first = service.start("acme", "inventory.sync", initiator=ADA, inputs={"scope": "all"}).run
    other = service.start(tenant, operation_type, initiator=ADA, inputs=inputs)
    assert other.created and other.run.id != first.id


def test_a_completed_run_does_not_block_a_new_one(service: OperationRunService) -> None:
    first = service.start("acme", "inventory.sync", initiator=ADA).run
    service.complete(first, "succeeded")
    again = service.start("acme", "inventory.sync", initiator=ADA)
    assert again.created and again.run.id != first.id


def test_explicit_identity_opts_out_of_input_dedupe(service: OperationRunService) -> None:
    one = service.start("acme", "inventory.sync", initiator=ADA, identity="click-1")
    two = service.start("acme", "inventory.sync", initiator=ADA, identity="click-2")
    again = service.start("acme", "inventory.sync", initiator=BO, identity="click-1")
    assert one.created and two.created and one.run.id != two.run.id
    assert not again.created and again.run.id == one.run.id


def test_unregistered_type_is_refused_and_nothing_is_written(service: OperationRunService, session: Session) -> None:
    with pytest.raises(UnregisteredOperationType, match="did you mean 'inventory.sync'"):
        service.start("acme", "inventory.syncs", initiator=ADA)
    assert run_count(session) == 0


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"tenant_id": ""}, InvalidIdentifier, "tenant_id '' rejected: must not be empty or blank"),
        ({"inputs": {"when": datetime.now(timezone.utc)}}, InvalidRunInputs, "inputs must be JSON values"),
        ({"inputs": {"ratio": float("nan")}}, InvalidRunInputs, "inputs must be JSON values"),
        ({"inputs": ["scope"]}, InvalidRunInputs, "inputs must be a mapping"),
    ],
)
def test_bad_start_arguments(service: OperationRunService, session: Session, kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    args: dict[str, object] = {"tenant_id": "acme", "operation_type": "inventory.sync", "initiator": ADA} | kwargs
    with pytest.raises(error, match=message):
        service.start(**args)  # type: ignore[arg-type]
    assert run_count(session) == 0


def test_initiator_must_have_id_and_name() -> None:
    with pytest.raises(ValueError, match="Initiator.id"):
        Initiator(id="", name="Ada")
    with pytest.raises(ValueError, match="Initiator.name"):
        Initiator(id="u", name=" ")


def test_system_run_has_no_initiator(service: OperationRunService) -> None:
    run = service.start("acme", "backup.schedule.execute").run
    assert (run.initiator_id, run.initiator_name, run.is_system) == (None, "System", True)


# ----------------------------------------------------------------------------- dispatch


def test_dispatch_returns_what_enqueue_returns(service: OperationRunService) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    assert service.dispatch(run, lambda r: f"job-for-{r.id}") == f"job-for-{run.id}"
    assert run.status == "queued"


def test_failed_enqueue_completes_the_run_as_dispatch_failed(service: OperationRunService, session: Session) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run

    def broken(_: OperationRun) -> None:
        raise ConnectionError("broker down")

    with pytest.raises(DispatchFailed, match="queue.dispatch_failed") as info:
        service.dispatch(run, broken)
    assert isinstance(info.value.cause, ConnectionError)
    stored = session.get(OperationRun, run.id, populate_existing=True)
    assert stored is not None
    assert (stored.status, stored.outcome) == ("completed", "failed")
    assert stored.failure_summary == {"code": "queue.dispatch_failed", "message": "ConnectionError: broker down"}
    [note] = notifications(session)
    assert (note.recipient_id, note.title) == ("user-3", "Inventory sync failed")
    # No misleading queued run remains: a retry creates a fresh run.
    assert service.start("acme", "inventory.sync", initiator=ADA).created


# ----------------------------------------------------------------------------- lifecycle


def test_full_lifecycle_writes_one_terminal_notification(service: OperationRunService, session: Session) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.mark_running(run)
    assert run.status == "running" and run.started_at is not None
    service.increment(run, total=10, processed=4)
    service.increment(run, processed=6, succeeded=10)
    note = service.complete(run, "succeeded")
    assert note is not None
    assert (run.status, run.outcome) == ("completed", "succeeded")
    assert run.completed_at is not None
    assert run.summary_counts == {"total": 10, "processed": 10, "succeeded": 10}
    stored = notifications(session)
    assert [(n.recipient_id, n.kind, n.ux_status, n.title, n.body, n.url) for n in stored] == [
        ("user-3", "terminal", "succeeded", "Inventory sync completed", "Completed successfully.", f"/t/acme/operations/{run.id}")
    ]
    assert stored[0].summary == "Total: 10 · Processed: 10 · Succeeded: 10"


def test_queued_and_running_runs_have_no_notifications(service: OperationRunService, session: Session) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    assert notifications(session) == []
    service.mark_running(run)
    service.increment(run, processed=1)
    assert notifications(session) == []


def test_queued_run_may_complete_directly(service: OperationRunService) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    note = service.cancel(run)
    assert (run.status, run.outcome) == ("completed", "cancelled")
    assert note is not None and note.title == "Inventory sync cancelled"


def test_system_runs_get_no_notification(service: OperationRunService, session: Session) -> None:
    run = service.start("acme", "backup.schedule.execute").run
    assert service.complete(run, "succeeded") is None
    assert notifications(session) == []


def test_reused_run_notifies_only_the_original_initiator(service: OperationRunService, session: Session) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.start("acme", "inventory.sync", initiator=BO)
    service.complete(run, "succeeded")
    assert [n.recipient_id for n in notifications(session)] == ["user-3"]


def test_completing_twice_raises_and_writes_nothing(service: OperationRunService, session: Session) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.complete(run, "succeeded")
    before = (run.outcome, run.completed_at)
    with pytest.raises(InvalidTransition, match="nothing leaves completed"):
        service.complete(run, "failed")
    with pytest.raises(InvalidTransition):
        service.fail(run, "sync.timeout", "late")
    stored = session.get(OperationRun, run.id, populate_existing=True)
    assert stored is not None and (stored.outcome, stored.completed_at) == before and stored.failure_summary is None
    assert len(notifications(session)) == 1


@pytest.mark.parametrize("setup", ["running", "completed"])
def test_mark_running_only_from_queued(service: OperationRunService, setup: str) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.mark_running(run)
    if setup == "completed":
        service.complete(run, "succeeded")
    with pytest.raises(InvalidTransition) as info:
        service.mark_running(run)
    assert info.value.attempted == "running"


def test_increment_after_completion_is_an_invalid_transition(service: OperationRunService) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.complete(run, "succeeded")
    with pytest.raises(InvalidTransition):
        service.increment(run, processed=1)


@pytest.mark.parametrize(
    ("counts", "message"),
    [({"bogus": 1}, "not a whitelisted key"), ({"processed": -1}, "must not be negative"), ({"processed": "1"}, "must be integers"), ({}, "nothing to increment")],
)
def test_hostile_increments_are_rejected_and_nothing_is_stored(service: OperationRunService, session: Session, counts: dict[str, object], message: str) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.increment(run, processed=1)
    with pytest.raises(InvalidSummaryCounts, match=message):
        service.increment(run, **counts)  # type: ignore[arg-type]
    stored = session.get(OperationRun, run.id, populate_existing=True)
    assert stored is not None and stored.summary_counts == {"processed": 1}


def test_hostile_final_counts_are_rejected_and_the_run_stays_active(service: OperationRunService, session: Session) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    with pytest.raises(InvalidSummaryCounts, match="'nested'|counts must be integers"):
        service.complete(run, "succeeded", summary_counts={"total": {"nested": 1}})  # type: ignore[dict-item]
    stored = session.get(OperationRun, run.id, populate_existing=True)
    assert stored is not None and stored.status == "queued" and notifications(session) == []


def test_set_counts_overwrites_only_the_named_keys(service: OperationRunService) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.increment(run, processed=3)
    service.set_counts(run, total=50)
    service.set_counts(run, total=40)
    assert run.summary_counts == {"processed": 3, "total": 40}


@pytest.mark.parametrize(
    ("outcome", "message"),
    [("pending", "pending is not a terminal outcome"), ("done", "unknown outcome 'done'")],
)
def test_complete_needs_a_terminal_outcome(service: OperationRunService, outcome: str, message: str) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    with pytest.raises(ValueError, match=message):
        service.complete(run, outcome)


def test_fail_records_code_and_message(service: OperationRunService, session: Session) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    note = service.fail(run, "sync.timeout", "Timed out after 300 s")
    assert run.failure_summary == {"code": "sync.timeout", "message": "Timed out after 300 s"}
    assert note is not None and note.body == "The operation failed: Timed out after 300 s."
    with pytest.raises(ValueError, match="dotted lower-case code"):
        service.fail(service.start("acme", "directory.import", initiator=ADA).run, "Bad Code")


def test_unknown_run_id_is_run_not_found(service: OperationRunService) -> None:
    with pytest.raises(RunNotFound):
        service.mark_running(999_999)
    with pytest.raises(TypeError, match="expected an OperationRun, a StartResult or a run id"):
        service.mark_running("7")  # type: ignore[arg-type]


def test_service_methods_accept_run_ids_and_start_results(service: OperationRunService) -> None:
    started = service.start("acme", "inventory.sync", initiator=ADA)
    assert service.set_counts(started, total=2).summary_counts == {"total": 2}
    run_id = started.run.id
    assert service.mark_running(run_id).status == "running"
    assert service.increment(run_id, processed=2).summary_counts == {"total": 2, "processed": 2}
    assert service.complete(run_id, "succeeded") is not None


# ----------------------------------------------------------------------------- track()


@pytest.mark.parametrize(
    ("counts", "outcome", "title"),
    [
        ({"total": 3, "processed": 3, "succeeded": 3}, "succeeded", "Inventory sync completed"),
        ({"total": 3, "processed": 3, "succeeded": 2, "failed": 1}, "partially_succeeded", "Inventory sync completed with failures"),
        ({"total": 3, "processed": 3, "failed": 3}, "failed", "Inventory sync failed"),
        ({}, "succeeded", "Inventory sync completed"),
    ],
)
def test_track_completes_from_the_counts(service: OperationRunService, session: Session, counts: dict[str, int], outcome: str, title: str) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    with service.track(run) as job:
        assert job.run.status == "running"
        if counts:
            job.increment(**counts)
    stored = session.get(OperationRun, run.id, populate_existing=True)
    assert stored is not None and (stored.status, stored.outcome) == ("completed", outcome)
    assert [n.title for n in notifications(session)] == [title]


def test_track_fails_the_run_on_an_exception_and_reraises(service: OperationRunService, session: Session) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    with pytest.raises(KeyError):
        with service.track(run) as job:
            job.increment(processed=1)
            raise KeyError("device-17")
    stored = session.get(OperationRun, run.id, populate_existing=True)
    assert stored is not None and (stored.status, stored.outcome) == ("completed", "failed")
    assert stored.failure_summary == {"code": "job.exception", "message": "KeyError: 'device-17'"}
    assert stored.summary_counts == {"processed": 1}
    assert len(notifications(session)) == 1


def test_track_leaves_a_run_the_job_completed_itself(service: OperationRunService, session: Session) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    with service.track(run):
        service.fail(run, "sync.upstream_gone", "410 Gone")
    assert run.outcome == "failed" and len(notifications(session)) == 1


def test_track_cancel(service: OperationRunService) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    with service.track(run) as job:
        job.cancel()
    assert run.outcome == "cancelled"


def test_track_refuses_a_completed_run(service: OperationRunService) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.complete(run, "succeeded")
    with pytest.raises(InvalidTransition):
        with service.track(run):
            pytest.fail("the block must not run")


# ----------------------------------------------------------------------------- delivery & transactions


def test_channels_run_after_commit_and_a_broken_one_does_not_stop_the_rest(session: Session, policy: Policy, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[Delivery] = []

    def broken(_: Delivery) -> None:
        raise RuntimeError("smtp down")

    service = OperationRunService(session, policy, notifier=Notifier([broken, seen.append]))
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.complete(run, "succeeded")
    assert [(d.recipient_id, d.title, d.action_label) for d in seen] == [("user-3", "Inventory sync completed", "View run")]
    assert "delivery channel" in caplog.text and "smtp down" in caplog.text


def test_caller_owned_transaction_delivers_only_on_commit(session: Session, policy: Policy) -> None:
    seen: list[Delivery] = []
    service = OperationRunService(session, policy, notifier=Notifier([seen.append]), autocommit=False)
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.complete(run, "succeeded")
    assert seen == []
    session.commit()
    assert len(seen) == 1


def test_rolled_back_completion_delivers_nothing_and_leaves_the_run_active(session: Session, policy: Policy) -> None:
    seen: list[Delivery] = []
    service = OperationRunService(session, policy, notifier=Notifier([seen.append]), autocommit=False)
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    session.commit()
    service.complete(run, "succeeded")
    session.rollback()
    session.commit()
    assert seen == []
    stored = session.get(OperationRun, run.id, populate_existing=True)
    assert stored is not None and stored.status == "queued"
    assert notifications(session) == []


def test_rolled_back_savepoint_drops_its_delivery(session: Session, policy: Policy) -> None:
    seen: list[Delivery] = []
    service = OperationRunService(session, policy, notifier=Notifier([seen.append]), autocommit=False)
    kept = service.start("acme", "inventory.sync", initiator=ADA).run
    dropped = service.start("acme", "directory.import", initiator=ADA).run
    service.complete(kept, "succeeded")
    savepoint = session.begin_nested()
    service.complete(dropped, "succeeded")
    savepoint.rollback()
    session.commit()
    assert [d.run_id for d in seen] == [kept.id]


def test_closing_without_commit_drops_pending_deliveries(session: Session, policy: Policy) -> None:
    seen: list[Delivery] = []
    service = OperationRunService(session, policy, notifier=Notifier([seen.append]), autocommit=False)
    abandoned = service.start("acme", "inventory.sync", initiator=ADA).run
    service.complete(abandoned, "succeeded")
    session.close()
    # The same Session object, used again: only what it commits now may be delivered.
    kept = service.start("acme", "directory.import", initiator=ADA).run
    service.complete(kept, "succeeded")
    session.commit()
    assert [d.run_id for d in seen] == [kept.id]


# ----------------------------------------------------------------------------- schema guarantees


def test_schema_refuses_non_terminal_notifications(session: Session, service: OperationRunService) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    with pytest.raises(IntegrityError):
        session.execute(
            insert(RunNotification).values(
                run_id=run.id, tenant_id="acme", recipient_id="user-3", kind="queued",
                title="x", body="x", ux_status="queued", url="/x", created_at=datetime.now(timezone.utc),
            )
        )
    session.rollback()


def test_schema_refuses_a_second_terminal_notification(session: Session, service: OperationRunService) -> None:
    run = service.start("acme", "inventory.sync", initiator=ADA).run
    service.complete(run, "succeeded")
    with pytest.raises(IntegrityError):
        session.execute(
            insert(RunNotification).values(
                run_id=run.id, tenant_id="acme", recipient_id="user-3", kind="terminal",
                title="x", body="x", ux_status="succeeded", url="/x", created_at=datetime.now(timezone.utc),
            )
        )
    session.rollback()


@pytest.mark.parametrize(("status", "outcome"), [("finished", "succeeded"), ("completed", "pending"), ("running", "failed")])
def test_schema_refuses_inconsistent_status_and_outcome(session: Session, status: str, outcome: str) -> None:
    now = datetime.now(timezone.utc)
    with pytest.raises(IntegrityError):
        session.execute(
            insert(OperationRun).values(
                tenant_id="acme", operation_type="inventory.sync", status=status, outcome=outcome,
                initiator_name="System", identity_hash="x", summary_counts={}, context={}, created_at=now, updated_at=now,
            )
        )
    session.rollback()


def test_summary_counts_is_jsonb_on_postgresql(pg_engine: Engine) -> None:
    from sqlalchemy import inspect

    columns = {c["name"]: c["type"] for c in inspect(pg_engine).get_columns("operation_runs", schema="opsux_core_tests")}
    assert type(columns["summary_counts"]).__name__ == "JSONB"
