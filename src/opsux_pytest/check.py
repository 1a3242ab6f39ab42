"""The automatic end-of-test check, read from the database the test wrote to.

The database (through the test's own connection, so it sees everything the test did, committed to
a savepoint or merely flushed) is the ground truth: it catches notifications written by any code
path, ORM or raw SQL. A run is checked when the test created it, changed its status/outcome, or gave
it a notification; runs that were there when the test began (or that ``opsux_make_run`` set up as
test data) and stayed untouched are not the test's doing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy import Connection, select

from opsux_core import OperationRun, RunNotification
from opsux_pytest.database import Baseline, fetch_all
from opsux_pytest.facts import RUN_FACT_COLUMNS
from opsux_pytest.messages import Bullet, RunFacts, run_violation

# One round trip, built once and compiled once per connection (database.fetch_all): building and
# executing a statement through SQLAlchemy costs more than running it on SQLite.
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
    origins: Callable[[], Mapping[int, str]] | None = None,
) -> list[str]:
    """One message block per run that broke the conventions during the test, by run id.

    *origins* gives, by notification id, the code that added it (see ``origins.py``); it is asked
    only when a run broke them.
    """
    runs: dict[int, RunFacts] = {}
    notes: dict[int, list[tuple[int, str, str]]] = {}
    for run_id, operation_type, tenant_id, status, outcome, initiator_id, note_id, recipient_id, kind in fetch_all(
        connection, _RUNS_WITH_NOTIFICATIONS
    ):
        if run_id not in runs:
            runs[run_id] = RunFacts(run_id, operation_type, tenant_id, status, outcome, initiator_id)
            notes[run_id] = []
        if note_id is not None:
            notes[run_id].append((note_id, recipient_id, kind))
    blocks: list[str] = []
    for run_id, facts in runs.items():
        run_notes = notes[run_id]
        before = prepared.get(run_id) or baseline.runs.get(run_id)
        touched = before != (facts.status, facts.outcome) or any(
            note_id not in baseline.notifications for note_id, _, _ in run_notes
        )
        if not touched:
            continue
        message = run_violation(facts, [Bullet(kind, recipient) for _, recipient, kind in run_notes])
        if message is not None and origins is not None:
            where = origins()
            message = run_violation(
                facts, [Bullet(kind, recipient, origin=where.get(note_id)) for note_id, recipient, kind in run_notes]
            )
        if message is not None:
            blocks.append(message)
    return blocks
