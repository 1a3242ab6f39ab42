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
from opsux_pytest.facts import RUN_FACT_COLUMNS, facts_from_row
from opsux_pytest.messages import Bullet, RunFacts, run_violation


# One round trip, built once (building a statement costs more than running it on SQLite).
_RUNS_WITH_NOTIFICATIONS = (
    select(
        *RUN_FACT_COLUMNS,
        RunNotification.id.label("note_id"),
        RunNotification.recipient_id,
        RunNotification.kind,
    )
    .outerjoin(RunNotification, RunNotification.run_id == OperationRun.id)
    .order_by(OperationRun.id, RunNotification.id)
)


def notification_violations(
    connection: Connection,
    baseline: Baseline,
    prepared: Mapping[int, tuple[str, str]],
    origins: Mapping[int, str] | None = None,
) -> list[str]:
    """One message block per run that broke the conventions during the test, by run id.

    *origins* names, by notification id, the code that added it (see ``origins.py``).
    """
    origins = origins or {}
    runs: dict[int, RunFacts] = {}
    notes: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for row in connection.execute(_RUNS_WITH_NOTIFICATIONS):
        if row.id not in runs:
            runs[row.id] = facts_from_row(row)
        if row.note_id is not None:
            notes[row.id].append((row.note_id, row.recipient_id, row.kind))
    blocks: list[str] = []
    for run_id, facts in runs.items():
        run_notes = notes.get(run_id, [])
        before = prepared.get(run_id) or baseline.runs.get(run_id)
        touched = before != (facts.status, facts.outcome) or any(
            note_id not in baseline.notifications for note_id, _, _ in run_notes
        )
        if not touched:
            continue
        message = run_violation(
            facts, [Bullet(kind, recipient, origin=origins.get(note_id)) for note_id, recipient, kind in run_notes]
        )
        if message is not None:
            blocks.append(message)
    return blocks
