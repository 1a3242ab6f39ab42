"""Tenant-scoped reads: a run id from another tenant is not found, never returned."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from opsux_core import Initiator, OperationRunService, RunNotFound, get_run, list_runs

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


@pytest.mark.parametrize("limit", [0, 201])
def test_list_runs_bounds_the_page(session: Session, limit: int) -> None:
    with pytest.raises(ValueError, match="limit must be between 1 and 200"):
        list_runs(session, "acme", limit=limit)
