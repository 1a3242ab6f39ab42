"""The automatic end-of-test check, read from the database the test wrote to.

The database (through the test's own connection, so it sees everything the test did, committed to
a savepoint or merely flushed) is the ground truth: it catches notifications written by any code
path, ORM or raw SQL. A run is checked when the test created it, changed its status/outcome, or gave
it a notification; runs that were there when the test began (or that ``opsux_make_run`` set up as
test data) and stayed untouched are not the test's doing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from sqlalchemy import Connection, select

from opsux_core import OperationRun, RunNotification
from opsux_pytest.database import Baseline
from opsux_pytest.messages import Bullet, RunFacts, run_violation


def notification_violations(
    connection: Connection, baseline: Baseline, prepared: Mapping[int, tuple[str, str]]
) -> list[str]:
    """One message block per run that broke the conventions during the test, by run id."""
    notes: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for note_id, run_id, recipient_id, kind in connection.execute(
        select(RunNotification.id, RunNotification.run_id, RunNotification.recipient_id, RunNotification.kind)
        .order_by(RunNotification.id)
    ):
        notes[run_id].append((note_id, recipient_id, kind))
    blocks: list[str] = []
    for row in connection.execute(
        select(
            OperationRun.id,
            OperationRun.operation_type,
            OperationRun.tenant_id,
            OperationRun.status,
            OperationRun.outcome,
            OperationRun.initiator_id,
        ).order_by(OperationRun.id)
    ):
        run_notes = notes.get(row.id, [])
        before = prepared.get(row.id) or baseline.runs.get(row.id)
        touched = (
            before != (row.status, row.outcome)
            or any(note_id not in baseline.notifications for note_id, _, _ in run_notes)
        )
        if not touched:
            continue
        facts = RunFacts(row.id, row.operation_type, row.tenant_id, row.status, row.outcome, row.initiator_id)
        message = run_violation(facts, [Bullet(kind, recipient) for _, recipient, kind in run_notes])
        if message is not None:
            blocks.append(message)
    return blocks
