"""Same answers on SQLite and PostgreSQL: one tracker per run, identifiers, counter limits."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from opsux_core import (
    Initiator,
    InvalidTransition,
    OperationRun,
    OperationRunService,
    Policy,
    RunNotification,
    Viewer,
    get_run,
    list_runs,
    progress_widget,
)
from opsux_core.errors import CountOverflow, InvalidIdentifier, InvalidSummaryCounts, RunAlreadyClaimed
from opsux_core.identity import InvalidRunInputs
from opsux_core.summary import MAX_COUNT

ADA = Initiator(id="user-3", name="Ada")


def reload(session: Session, run_id: int) -> OperationRun:
    run = session.get(OperationRun, run_id, populate_existing=True)
    assert run is not None
    return run


# ----------------------------------------------------------------------------- one tracker per run


def test_a_second_tracker_gets_a_clear_error_and_counts_do_not_double(engine: Engine, policy: Policy) -> None:
    with Session(engine) as first_session, Session(engine) as second_session:
        first = OperationRunService(first_session, policy)
        second = OperationRunService(second_session, policy)
        run_id = first.start("acme", "inventory.sync", initiator=ADA).run.id
        with first.track(run_id) as job:
            job.set_counts(total=10)
            with pytest.raises(RunAlreadyClaimed, match=f"Run {run_id} is already being worked by another tracker"):
                with second.track(run_id) as intruder:
                    intruder.increment(processed=10)  # never reached
            job.increment(processed=10, succeeded=10)
        run = reload(first_session, run_id)
        assert run.summary_counts == {"total": 10, "processed": 10, "succeeded": 10}
        assert (run.status, run.outcome) == ("completed", "succeeded")


def test_trackers_racing_for_one_run_let_exactly_one_in(engine: Engine, policy: Policy) -> None:
    with Session(engine) as session:
        run_id = OperationRunService(session, policy).start("acme", "inventory.sync", initiator=ADA).run.id
    workers = 6
    barrier = threading.Barrier(workers)

    def work(_: int) -> str:
        with Session(engine) as session:
            service = OperationRunService(session, policy)
            barrier.wait(timeout=30)
            try:
                with service.track(run_id) as job:
                    job.set_counts(total=10)
                    job.increment(processed=10, succeeded=10)
                return "worked"
            except RunAlreadyClaimed:
                return "refused"
            except InvalidTransition:
                return "already completed"

    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(work, range(workers)))
    assert results.count("worked") == 1, results
    with Session(engine) as session:
        assert reload(session, run_id).summary_counts == {"total": 10, "processed": 10, "succeeded": 10}
        assert len(session.scalars(select(RunNotification)).all()) == 1


def test_a_tracker_may_take_a_run_marked_running_elsewhere(service: OperationRunService, session: Session) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    started = service.mark_running(run_id).started_at
    with service.track(run_id) as job:
        job.increment(processed=1)
    run = reload(session, run_id)
    assert run.started_at == started and run.outcome == "succeeded"


def test_plain_service_calls_still_count_on_a_tracked_run(service: OperationRunService, session: Session) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    with service.track(run_id) as job:
        service.increment(run_id, processed=2)  # e.g. a sub-task reporting through the service
        job.increment(processed=1)
    assert reload(session, run_id).summary_counts == {"processed": 3}


# ----------------------------------------------------------------------------- identifiers


@pytest.mark.parametrize("length", [128, 129])
def test_tenant_id_length_limit_is_the_same_on_both_databases(service: OperationRunService, length: int) -> None:
    tenant = "t" * length
    if length == 128:
        assert service.start(tenant, "inventory.sync", initiator=ADA).run.tenant_id == tenant
    else:
        with pytest.raises(InvalidIdentifier, match=r"tenant_id 't{40}'\.\.\. rejected: is 129 characters long; at most 128 fit"):
            service.start(tenant, "inventory.sync", initiator=ADA)


@pytest.mark.parametrize(
    ("tenant", "reason"),
    [
        ("ac\x00me", "contains a NUL character"),
        ("ac\ud800me", "is not valid UTF-8 text"),
        ("   ", "must not be empty or blank"),
        (42, "must be a string, not int"),
    ],
)
def test_tenant_ids_no_database_can_store_are_refused_before_sql(
    service: OperationRunService, session: Session, tenant: object, reason: str
) -> None:
    with pytest.raises(InvalidIdentifier, match=reason):
        service.start(tenant, "inventory.sync", initiator=ADA)  # type: ignore[arg-type]
    assert session.scalars(select(OperationRun)).all() == []


def test_reads_refuse_the_same_tenant_ids(session: Session, policy: Policy) -> None:
    viewer = Viewer(user_id="user-3", can_monitor=True)
    for read in (
        lambda: progress_widget(session, "a\x00b", viewer, policy),
        lambda: get_run(session, "a\x00b", 1),
        lambda: list_runs(session, "a" * 129),
    ):
        with pytest.raises(InvalidIdentifier):
            read()


@pytest.mark.parametrize(
    ("kwargs", "ok"),
    [
        ({"id": "u" * 128, "name": "Ada"}, True),
        ({"id": "u" * 129, "name": "Ada"}, False),
        ({"id": "user-3", "name": "n" * 255}, True),
        ({"id": "user-3", "name": "n" * 256}, False),
        ({"id": "user\x003", "name": "Ada"}, False),
        ({"id": "user-3", "name": "A\x00da"}, False),
    ],
)
def test_initiator_limits_on_both_sides(service: OperationRunService, kwargs: dict[str, str], ok: bool) -> None:
    if ok:
        run = service.start("acme", "inventory.sync", initiator=Initiator(**kwargs)).run
        assert (run.initiator_id, run.initiator_name) == (kwargs["id"], kwargs["name"])
    else:
        with pytest.raises(InvalidIdentifier, match=r"Initiator\.(id|name) .* rejected"):
            Initiator(**kwargs)


@pytest.mark.parametrize("inputs", [{"scope": "a\x00b"}, {"a\x00b": 1}, {"nested": ["ok", {"x": "\ud800"}]}])
def test_inputs_no_database_can_store_are_refused(service: OperationRunService, inputs: dict[str, object]) -> None:
    with pytest.raises(InvalidRunInputs, match="inputs"):
        service.start("acme", "inventory.sync", initiator=ADA, inputs=inputs)


# ----------------------------------------------------------------------------- counter limits


def test_increments_stop_at_the_largest_exact_count(service: OperationRunService, session: Session) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    service.mark_running(run_id)
    service.increment(run_id, failed=MAX_COUNT - 1)
    service.increment(run_id, failed=1)  # exactly 2^53-1: allowed
    assert reload(session, run_id).summary_counts == {"failed": MAX_COUNT}
    with pytest.raises(CountOverflow, match=rf"summary_counts\['failed'\] = {MAX_COUNT + 1} rejected: {MAX_COUNT} \+ 1 would exceed"):
        service.increment(run_id, failed=1, processed=1)
    assert reload(session, run_id).summary_counts == {"failed": MAX_COUNT}  # nothing of the refused call


def test_two_huge_increments_leave_an_all_failed_run_failed(service: OperationRunService, session: Session) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    with pytest.raises(CountOverflow):
        with service.track(run_id) as job:
            job.increment(failed=MAX_COUNT)
            job.increment(failed=MAX_COUNT)
    run = reload(session, run_id)
    assert run.summary_counts == {"failed": MAX_COUNT}
    assert isinstance(CountOverflow("k", 1, "r"), InvalidSummaryCounts)
    [note] = session.scalars(select(RunNotification)).all()
    assert note.ux_status == "failed" and "successfully" not in note.body


def test_a_clean_exit_after_huge_failures_is_failed_not_succeeded(service: OperationRunService, session: Session) -> None:
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    with service.track(run_id) as job:
        job.increment(failed=MAX_COUNT)
    [note] = session.scalars(select(RunNotification)).all()
    assert note.ux_status == "failed" and note.body == "The operation failed."
