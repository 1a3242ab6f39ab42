"""``opsux_make_run``: runs in any state with sane defaults, validated like real writes."""

from __future__ import annotations

from plugin_harness import Project


def test_defaults_and_states(project: Project) -> None:
    project.tests(
        """
import pytest
from opsux_core import OperationRun, UnregisteredOperationType
from opsux_core.catalog import OperationCatalog

def test_defaults(opsux_make_run, opsux_session):
    run = opsux_make_run()
    assert (run.tenant_id, run.operation_type, run.initiator_id, run.initiator_name, run.status, run.outcome) == (
        "tenant-1", "inventory.sync", "user-1", "user-1", "queued", "pending"
    )
    assert opsux_session.get(OperationRun, run.id) is run

def test_the_issue_example(opsux_make_run):
    run = opsux_make_run(tenant_id="acme", operation_type="inventory.sync", initiator_id="user-3",
                         status="running", summary_counts={"total": 10})
    assert (run.status, run.outcome, run.summary_counts, run.started_at is not None) == ("running", "pending", {"total": 10}, True)

def test_terminal_and_system_runs(opsux_make_run):
    done = opsux_make_run(status="completed")
    failed = opsux_make_run(status="completed", outcome="failed", failure_code="sync.timeout", initiator_id=None)
    assert (done.outcome, done.completed_at is not None) == ("succeeded", True)
    assert (failed.initiator_id, failed.initiator_name, failed.failure_summary) == (None, "System", {"code": "sync.timeout", "message": ""})

def test_two_identical_active_runs_do_not_collide(opsux_make_run):
    assert opsux_make_run().id != opsux_make_run().id

def test_invalid_values(opsux_make_run):
    with pytest.raises(ValueError, match="^unknown status 'done'; use one of queued, running, completed$"):
        opsux_make_run(status="done")
    with pytest.raises(ValueError, match="^status 'running' cannot have outcome 'succeeded'"):
        opsux_make_run(status="running", outcome="succeeded")
    with pytest.raises(ValueError, match="rejected"):
        opsux_make_run(summary_counts={"bogus": 1})
    with pytest.raises(UnregisteredOperationType, match="did you mean 'inventory.sync'"):
        opsux_make_run(operation_type="inventry.sync")

def test_legacy_rows_on_request(opsux_make_run, opsux_policy):
    run = opsux_make_run(operation_type="legacy.thing", allow_unregistered=True, status="completed")
    assert opsux_policy.catalog.label(run.operation_type) == "Unknown operation"
"""
    )
    project.run().assert_outcomes(passed=6)
