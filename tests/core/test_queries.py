"""Tenant-scoped reads: a run id from another tenant is not found, never returned."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from opsux_core import (
    Initiator,
    OperationRunService,
    Policy,
    RunNotFound,
    get_run,
    list_runs,
)
from opsux_core.models import Base
from opsux_core.queries import list_runs_statement

ADA = Initiator(id="user-3", name="Ada")


def test_get_run_is_scoped_to_the_tenant(session: Session, service: OperationRunService) -> None:
    ours = service.start("acme", "inventory.sync", initiator=ADA).run
    theirs = service.start("globex", "inventory.sync", initiator=ADA).run
    assert get_run(session, "acme", ours.id).id == ours.id
    with pytest.raises(RunNotFound):
        get_run(session, "acme", theirs.id)
    with pytest.raises(RunNotFound):
        get_run(session, "acme", 10**9)


def test_list_runs_pages_through_one_tenant_only(session: Session, service: OperationRunService) -> None:
    ours = [service.start("acme", "inventory.sync", initiator=ADA, identity=str(n)).run.id for n in range(5)]
    for n in range(5):
        service.start("globex", "inventory.sync", initiator=ADA, identity=str(n))
    first = list_runs(session, "acme", limit=3)
    second = list_runs(session, "acme", limit=3, before_id=first[-1].id)
    assert [r.id for r in first] + [r.id for r in second] == sorted(ours, reverse=True)
    assert {r.tenant_id for r in [*first, *second]} == {"acme"}


def test_list_runs_active_only_pages_through_the_tenants_active_runs(session: Session, service: OperationRunService) -> None:
    active = [service.start("acme", "inventory.sync", identity=str(n)).run.id for n in range(5)]
    service.complete(service.start("acme", "inventory.sync", identity="done").run, "succeeded")
    service.start("globex", "inventory.sync", identity="theirs")
    first = list_runs(session, "acme", limit=3, active_only=True)
    second = list_runs(session, "acme", limit=3, before_id=first[-1].id, active_only=True)
    assert [r.id for r in [*first, *second]] == sorted(active, reverse=True)
    assert {(r.tenant_id, r.status) for r in [*first, *second]} <= {("acme", "queued"), ("acme", "running")}


@pytest.mark.parametrize("limit", [0, 201])
def test_list_runs_bounds_the_page(session: Session, limit: int) -> None:
    with pytest.raises(ValueError, match="limit must be between 1 and 200"):
        list_runs(session, "acme", limit=limit)


def test_a_later_page_is_read_from_the_tenant_id_index_without_sorting_on_postgresql(
    pg_session: Session, policy: Policy
) -> None:
    service = OperationRunService(pg_session, policy)
    ids = [service.start("acme", "inventory.sync", identity=str(n)).run.id for n in range(3)]
    engine = pg_session.get_bind()
    # Sorting and sequential scans priced out: a plan without a Sort node exists only if an
    # index returns the tenant's runs in id order, which is what keeps a page's cost flat.
    pg_session.execute(text("SET LOCAL enable_seqscan = off"))
    pg_session.execute(text("SET LOCAL enable_sort = off"))
    sql = list_runs_statement("acme", 50, before_id=ids[-1]).compile(engine, compile_kwargs={"literal_binds": True})
    plan = "\n".join(pg_session.execute(text(f"EXPLAIN {sql}")).scalars())
    pg_session.rollback()
    assert "Index Scan Backward using ix_operation_runs_tenant_newest" in plan, plan
    assert "Sort" not in plan, plan


def test_a_later_page_is_read_from_the_tenant_id_index_without_sorting_on_sqlite(tmp_path: Path, policy: Policy) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'plan.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        ids = [OperationRunService(session, policy).start("acme", "inventory.sync", identity=str(n)).run.id for n in range(3)]
        sql = list_runs_statement("acme", 50, before_id=ids[-1]).compile(engine, compile_kwargs={"literal_binds": True})
        plan = " | ".join(str(row[-1]) for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    engine.dispose()
    assert "USING INDEX ix_operation_runs_tenant_newest (tenant_id=? AND id<?)" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
