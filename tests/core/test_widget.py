"""The progress widget: tenant-wide, active-only, at most 5 rows, determinate progress only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from opsux_core import Initiator, OperationRunService, Policy, UxStatus, Viewer, progress_widget
from opsux_core.models import OperationRun
from opsux_core.widget import MAX_ROWS, active_runs_statement, determinate_progress

MONITOR = Viewer(user_id="user-9", can_monitor=True)


class Clock:
    """Distinct, increasing created_at values so ordering is deterministic."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def clocked(session: Session, policy: Policy) -> OperationRunService:
    return OperationRunService(session, policy, clock=Clock())


def start(service: OperationRunService, tenant: str, n: int, initiator: str = "user-3") -> OperationRun:
    return service.start(tenant, "inventory.sync", initiator=Initiator(initiator, initiator), inputs={"n": n}).run


def test_hidden_for_viewers_who_may_not_monitor_and_no_query_is_made(session: Session, clocked: OperationRunService, policy: Policy, engine: Engine) -> None:
    start(clocked, "acme", 1)
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        widget = progress_widget(session, "acme", Viewer(user_id="user-3", can_monitor=False), policy)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert widget.visible is False and widget.rows == () and widget.poll_after_seconds is None
    assert statements == []


def test_shows_every_active_run_of_the_tenant_whoever_started_it(session: Session, clocked: OperationRunService, policy: Policy) -> None:
    mine = start(clocked, "acme", 1, initiator="user-9")
    theirs = start(clocked, "acme", 2, initiator="user-3")
    system = clocked.start("acme", "backup.schedule.execute").run
    widget = progress_widget(session, "acme", MONITOR, policy)
    assert [row.run_id for row in widget.rows] == [system.id, theirs.id, mine.id]
    assert [row.label for row in widget.rows] == ["Backup run", "Inventory sync", "Inventory sync"]
    assert all(row.status_label == "Queued" for row in widget.rows)
    assert widget.rows[0].url == f"/t/acme/operations/{system.id}"
    assert widget.poll_after_seconds == 2.0


def test_never_returns_another_tenants_run(session: Session, clocked: OperationRunService, policy: Policy) -> None:
    ours = start(clocked, "acme", 1)
    for n in range(7):
        start(clocked, "globex", n)
    # A tenant id that differs only by case or that would match as a pattern is still another tenant.
    start(clocked, "ACME", 1)
    start(clocked, "acme%", 1)
    widget = progress_widget(session, "acme", MONITOR, policy)
    assert [row.run_id for row in widget.rows] == [ours.id]
    assert widget.more_count == 0 and widget.more_url is None
    assert all(f"/t/acme/" in row.url for row in widget.rows)
    assert progress_widget(session, "initech", MONITOR, policy).rows == ()


def test_at_most_five_rows_then_plus_n_more(session: Session, clocked: OperationRunService, policy: Policy) -> None:
    runs = [start(clocked, "acme", n) for n in range(8)]
    widget = progress_widget(session, "acme", MONITOR, policy)
    assert [row.run_id for row in widget.rows] == [run.id for run in reversed(runs)][:5]
    assert (widget.more_count, widget.more_label, widget.more_url) == (3, "+3 more", "/t/acme/operations")
    assert widget.active_count == 8


def test_exactly_one_run_past_the_limit_is_plus_1_more(session: Session, clocked: OperationRunService, policy: Policy) -> None:
    runs = [start(clocked, "acme", n) for n in range(MAX_ROWS + 1)]
    widget = progress_widget(session, "acme", MONITOR, policy)
    assert [row.run_id for row in widget.rows] == [run.id for run in reversed(runs)][:MAX_ROWS]
    assert (widget.more_count, widget.more_label, widget.more_url) == (1, "+1 more", "/t/acme/operations")
    assert widget.active_count == MAX_ROWS + 1


def test_exactly_the_limit_shows_every_run_and_no_more_link(session: Session, clocked: OperationRunService, policy: Policy) -> None:
    runs = [start(clocked, "acme", n) for n in range(MAX_ROWS)]
    widget = progress_widget(session, "acme", MONITOR, policy)
    assert [row.run_id for row in widget.rows] == [run.id for run in reversed(runs)]
    assert (widget.more_count, widget.more_label, widget.more_url) == (0, None, None)
    assert widget.active_count == MAX_ROWS


def test_the_row_limit_is_five() -> None:
    # The tests above are written against MAX_ROWS; this pins the number SPEC.md gives.
    assert MAX_ROWS == 5


def test_terminal_runs_never_appear(session: Session, clocked: OperationRunService, policy: Policy) -> None:
    done = start(clocked, "acme", 1)
    failed = start(clocked, "acme", 2)
    active = start(clocked, "acme", 3)
    clocked.complete(done, "succeeded")
    clocked.fail(failed, "sync.timeout", "late")
    widget = progress_widget(session, "acme", MONITOR, policy)
    assert [row.run_id for row in widget.rows] == [active.id]
    assert {row.status for row in widget.rows} <= {UxStatus.QUEUED, UxStatus.RUNNING}


def test_nothing_active_means_visible_but_empty_and_polling_stops(session: Session, policy: Policy) -> None:
    widget = progress_widget(session, "acme", MONITOR, policy)
    assert (widget.visible, widget.rows, widget.more_count, widget.poll_after_seconds) == (True, (), 0, None)


def test_polling_backs_off_and_pauses_while_hidden(session: Session, clocked: OperationRunService, policy: Policy) -> None:
    start(clocked, "acme", 1)
    assert progress_widget(session, "acme", MONITOR, policy, poll_number=6).poll_after_seconds == 4.5
    assert progress_widget(session, "acme", MONITOR, policy, page_hidden=True).poll_after_seconds is None


def test_percentage_only_when_determinate(session: Session, clocked: OperationRunService, policy: Policy) -> None:
    queued_with_counts = start(clocked, "acme", 1)
    clocked.set_counts(queued_with_counts, total=10, processed=5)
    running = start(clocked, "acme", 2)
    clocked.mark_running(running)
    clocked.set_counts(running, total=8, processed=3)
    no_total = start(clocked, "acme", 3)
    clocked.mark_running(no_total)
    clocked.increment(no_total, processed=3, succeeded=3)
    zero_total = start(clocked, "acme", 4)
    clocked.mark_running(zero_total)
    clocked.set_counts(zero_total, total=0, processed=0)
    only_outcomes = start(clocked, "acme", 5)
    clocked.mark_running(only_outcomes)
    clocked.set_counts(only_outcomes, total=10, succeeded=9, failed=1)
    rows = {row.run_id: row for row in progress_widget(session, "acme", MONITOR, policy).rows}
    assert rows[running.id].progress == 37
    assert rows[queued_with_counts.id].progress is None
    assert rows[no_total.id].progress is None
    assert rows[zero_total.id].progress is None
    assert rows[only_outcomes.id].progress is None


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"total": 4, "processed": 4}, 100),
        ({"total": 4, "processed": 9}, 100),
        ({"total": 3, "processed": 1}, 33),
        ({"total": 100, "processed": 99}, 99),
        # Nothing processed yet is 0 %, a determinate bar at its start, not an indeterminate one.
        ({"total": 10, "processed": 0}, 0),
        ({"total": 1, "processed": 0}, 0),
        ({"total": 1, "processed": 1}, 100),
    ],
)
def test_determinate_progress_bounds(counts: dict[str, int], expected: int) -> None:
    assert determinate_progress(UxStatus.RUNNING, counts) == expected


@pytest.mark.parametrize("status", [UxStatus.QUEUED, UxStatus.SUCCEEDED, UxStatus.FAILED])
def test_determinate_progress_only_while_running(status: UxStatus) -> None:
    assert determinate_progress(status, {"total": 4, "processed": 2}) is None
    assert determinate_progress(UxStatus.RUNNING, {"total": 4, "processed": 2}) == 50


def test_unknown_stored_type_renders_as_unknown_operation(session: Session, clocked: OperationRunService, policy: Policy) -> None:
    run = start(clocked, "acme", 1)
    # Legacy data: the type was renamed and the old code is still stored.
    session.execute(text("UPDATE operation_runs SET operation_type = 'inventory.sync_v0' WHERE id = :id"), {"id": run.id})
    session.commit()
    [row] = progress_widget(session, "acme", MONITOR, policy).rows
    assert row.label == "Unknown operation"


def test_one_query_served_by_the_active_index_on_postgresql(pg_session: Session, policy: Policy) -> None:
    service = OperationRunService(pg_session, policy, clock=Clock())
    for n in range(3):
        start(service, "acme", n)
    engine = pg_session.get_bind()
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        widget = progress_widget(pg_session, "acme", MONITOR, policy)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(widget.rows) == 3 and len(statements) == 1

    # With three rows the planner would rightly pick a sequential scan; forbid it to see which
    # index it can use at all for this exact statement.
    pg_session.execute(text("SET LOCAL enable_seqscan = off"))
    sql = active_runs_statement("acme").compile(engine, compile_kwargs={"literal_binds": True})
    plan = "\n".join(pg_session.execute(text(f"EXPLAIN {sql}")).scalars())
    pg_session.rollback()
    # The rows come from the partial index that holds their order; the count may come from any
    # index over active runs only (the planner may prefer the dedupe index for an index-only count).
    scans = re.findall(r"(Seq Scan|Scan(?: Backward)? using \w+)", plan)
    assert len(scans) == 2, plan
    assert "Index Scan Backward using ix_operation_runs_tenant_active" in plan, plan
    assert all(scan.endswith(("ix_operation_runs_tenant_active", "uq_operation_runs_active_identity")) for scan in scans), plan


def test_a_busy_tenant_fetches_only_the_rows_shown_on_postgresql(pg_session: Session, policy: Policy) -> None:
    # A bulk operation can leave hundreds of runs active in one tenant; the widget must count
    # them without reading every one of them from the table.
    service = OperationRunService(pg_session, policy, clock=Clock())
    for n in range(40):
        start(service, "acme", n)
    widget = progress_widget(pg_session, "acme", MONITOR, policy)
    assert (len(widget.rows), widget.more_count) == (MAX_ROWS, 40 - MAX_ROWS)
    engine = pg_session.get_bind()
    pg_session.execute(text("SET LOCAL enable_seqscan = off"))
    sql = active_runs_statement("acme").compile(engine, compile_kwargs={"literal_binds": True})
    plan = pg_session.execute(text(f"EXPLAIN (ANALYZE, TIMING OFF, COSTS OFF, FORMAT JSON) {sql}")).scalar_one()
    pg_session.rollback()
    fetched = [node["Actual Rows"] for node in _plan_nodes(plan[0]["Plan"]) if node["Node Type"] == "Index Scan"]
    assert fetched == [MAX_ROWS], plan


def _plan_nodes(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", ()):
        yield from _plan_nodes(child)


def test_the_widget_loads_no_run_entities(session: Session, clocked: OperationRunService, policy: Policy) -> None:
    # It renders values: building mapped instances (identity map, instance state) for rows it
    # throws away was about half of its own CPU time per call.
    for n in range(3):
        start(clocked, "acme", n)
    loaded: list[OperationRun] = []
    listener = lambda target, _context: loaded.append(target)  # noqa: E731
    event.listen(OperationRun, "load", listener)
    try:
        assert len(progress_widget(session, "acme", MONITOR, policy).rows) == 3
    finally:
        event.remove(OperationRun, "load", listener)
    assert loaded == []


def test_a_run_this_session_has_not_flushed_yet_is_shown(session: Session, policy: Policy) -> None:
    now = datetime(2026, 1, 2, tzinfo=timezone.utc)
    session.add(
        OperationRun(
            tenant_id="acme", operation_type="inventory.sync", status="queued", outcome="pending",
            initiator_name="System", identity_hash="pending", summary_counts={}, context={},
            created_at=now, updated_at=now,
        )
    )
    [row] = progress_widget(session, "acme", MONITOR, policy).rows
    assert row.label == "Inventory sync"
    with session.no_autoflush:
        session.add(
            OperationRun(
                tenant_id="acme", operation_type="inventory.sync", status="queued", outcome="pending",
                initiator_name="System", identity_hash="held back", summary_counts={}, context={},
                created_at=now, updated_at=now,
            )
        )
        # no_autoflush is the caller's to choose, and the widget respects it.
        assert len(progress_widget(session, "acme", MONITOR, policy).rows) == 1
    session.rollback()
