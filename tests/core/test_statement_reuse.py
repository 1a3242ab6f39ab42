"""The hot reads execute one statement object, built once, with the values as parameters.

Building a select and its cache key on every call cost more client CPU than the indexed query
(README, "Under load and at scale"); the same object keeps its memoized cache key, hits
SQLAlchemy's compiled cache, and sends the same SQL text, which psycopg prepares once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session

from opsux_core import (
    Initiator,
    OperationRunService,
    Policy,
    RunNotFound,
    Viewer,
    get_run,
    list_runs,
    progress_widget,
)

ADA = Initiator(id="user-3", name="Ada")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


@contextmanager
def recorded(engine: Engine) -> Iterator[tuple[list[object], list[tuple[str, Any]]]]:
    executed: list[object] = []
    sent: list[tuple[str, Any]] = []

    def execute(conn: Any, clauseelement: object, *args: Any) -> None:
        executed.append(clauseelement)

    def cursor_execute(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_execute", execute)
    event.listen(engine, "before_cursor_execute", cursor_execute)
    try:
        yield executed, sent
    finally:
        event.remove(engine, "before_execute", execute)
        event.remove(engine, "before_cursor_execute", cursor_execute)


def one_statement(engine: Engine, action: Callable[[], object]) -> tuple[str, str, object]:
    """The one statement *action* executes: its SQL, its parameters as text, and the statement object."""
    with recorded(engine) as (executed, sent):
        action()
    assert len(sent) == 1 and len(executed) == 1, sent
    return sent[0][0], repr(sent[0][1]), executed[0]


def test_the_widget_executes_one_statement_for_every_tenant(engine: Engine, session: Session, policy: Policy) -> None:
    service = OperationRunService(session, policy)
    service.start("tenant-acme", "inventory.sync", initiator=ADA)
    service.start("tenant-globex", "directory.import", initiator=ADA)
    viewer = Viewer("user-3", True)
    acme_sql, acme_values, acme = one_statement(engine, lambda: progress_widget(session, "tenant-acme", viewer, policy))
    globex_sql, globex_values, globex = one_statement(engine, lambda: progress_widget(session, "tenant-globex", viewer, policy))
    assert acme is globex
    assert acme_sql == globex_sql
    assert "tenant-" not in acme_sql
    assert "tenant-acme" in acme_values and "tenant-globex" in globex_values


@pytest.mark.parametrize("before_id", [None, 10**6])
@pytest.mark.parametrize("active_only", [False, True])
def test_each_runs_page_shape_is_one_statement(
    engine: Engine, session: Session, before_id: int | None, active_only: bool
) -> None:
    first_sql, first_values, first = one_statement(
        engine, lambda: list_runs(session, "tenant-acme", limit=50, before_id=before_id, active_only=active_only)
    )
    other_sql, other_values, other = one_statement(
        engine,
        lambda: list_runs(
            session, "tenant-globex", limit=7, before_id=None if before_id is None else before_id - 1, active_only=active_only
        ),
    )
    assert first is other
    assert first_sql == other_sql
    assert "tenant-" not in first_sql and "50" not in first_sql
    assert "tenant-acme" in first_values and "tenant-globex" in other_values


def test_get_run_is_one_statement(engine: Engine, session: Session, policy: Policy) -> None:
    run_id = OperationRunService(session, policy).start("tenant-acme", "inventory.sync", initiator=ADA).run.id
    first_sql, _, first = one_statement(engine, lambda: get_run(session, "tenant-acme", run_id))
    other_sql, _, other = one_statement(engine, lambda: pytest.raises(RunNotFound, get_run, session, "tenant-globex", run_id))
    assert first is other
    assert first_sql == other_sql
    assert "tenant-" not in first_sql


def test_the_reaper_executes_one_statement_whatever_the_time(engine: Engine, session: Session, policy: Policy) -> None:
    service = OperationRunService(session, policy, clock=lambda: T0)
    service.start("tenant-acme", "inventory.sync", initiator=ADA)
    service.start("tenant-acme", "directory.import", initiator=ADA)
    early_sql, _, early = one_statement(engine, lambda: service.reap_stale(now=T0, dry_run=True))
    late_sql, _, late = one_statement(engine, lambda: service.reap_stale(now=T0 + timedelta(days=1), dry_run=True, limit=7))
    # Another service (as each request or worker builds) with another policy of the same limits: the same search.
    other_service = OperationRunService(session, replace(policy, fingerprint="another"), clock=lambda: T0)
    _, _, other = one_statement(engine, lambda: other_service.reap_stale(now=T0, dry_run=True))
    assert early is late is other
    assert early_sql == late_sql
    assert "2026" not in early_sql and "inventory.sync" not in early_sql
    # Both runs are found a day later: the bound cutoffs, not the statement, changed.
    assert len(service.reap_stale(now=T0 + timedelta(days=1), dry_run=True)) == 2


def test_psycopg_keeps_the_widget_prepared_across_requests_that_end_with_commit(pg_engine: Engine, policy: Policy) -> None:
    """What README's scale section tells apps: psycopg prepares a statement after five executions
    and discards every prepared statement at a ROLLBACK of an open transaction, so the widget's
    query is parsed and planned again in each request that ends with ROLLBACK, and runs prepared
    in requests that end their read-only transaction with COMMIT."""
    # One connection, so every request runs on the connection the statements are prepared on.
    with pg_engine.connect() as conn:
        schema = conn.scalar(text("SELECT current_schema()"))
    engine = create_engine(pg_engine.url, connect_args={"options": f"-csearch_path={schema}"}, pool_size=1, max_overflow=0)
    prepared = text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%active_total%'")
    viewer = Viewer("user-3", True)
    try:
        with Session(engine) as session:
            for _ in range(8):
                progress_widget(session, "tenant-acme", viewer, policy)
                session.commit()
            assert session.scalar(prepared) == 1
            session.commit()
            for _ in range(8):
                progress_widget(session, "tenant-acme", viewer, policy)
                session.rollback()
            assert session.scalar(prepared) == 0
            session.rollback()
    finally:
        engine.dispose()
