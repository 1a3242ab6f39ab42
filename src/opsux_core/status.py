"""Run status and outcome, and the one mapping to what people see.

Stored ``status`` moves forward only: queued -> running -> completed (queued -> completed when a run
is cancelled or fails before it starts). ``outcome`` is ``pending`` while the run is active.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"


class RunOutcome(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    PARTIALLY_SUCCEEDED = "partially_succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class UxStatus(StrEnum):
    """The normalized status every surface shows."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        return self not in (UxStatus.QUEUED, UxStatus.RUNNING)


ACTIVE: frozenset[RunStatus] = frozenset({RunStatus.QUEUED, RunStatus.RUNNING})
TERMINAL: frozenset[RunStatus] = frozenset({RunStatus.COMPLETED})
TERMINAL_OUTCOMES: frozenset[RunOutcome] = frozenset(set(RunOutcome) - {RunOutcome.PENDING})

# Values seen in older schemas and other frameworks, folded onto the canonical ones. Anything not
# listed still maps to something sane below; this table only makes the common ones exact.
_STATUS_ALIASES: dict[str, RunStatus] = {
    "queued": RunStatus.QUEUED,
    "pending": RunStatus.QUEUED,
    "waiting": RunStatus.QUEUED,
    "scheduled": RunStatus.QUEUED,
    "running": RunStatus.RUNNING,
    "processing": RunStatus.RUNNING,
    "in_progress": RunStatus.RUNNING,
    "started": RunStatus.RUNNING,
    "completed": RunStatus.COMPLETED,
    "complete": RunStatus.COMPLETED,
    "done": RunStatus.COMPLETED,
    "finished": RunStatus.COMPLETED,
}
_OUTCOME_ALIASES: dict[str, UxStatus] = {
    "succeeded": UxStatus.SUCCEEDED,
    "success": UxStatus.SUCCEEDED,
    "successful": UxStatus.SUCCEEDED,
    "ok": UxStatus.SUCCEEDED,
    "partially_succeeded": UxStatus.PARTIAL,
    "partial": UxStatus.PARTIAL,
    "partially_failed": UxStatus.PARTIAL,
    "failed": UxStatus.FAILED,
    "failure": UxStatus.FAILED,
    "error": UxStatus.FAILED,
    "errored": UxStatus.FAILED,
    "cancelled": UxStatus.CANCELLED,
    "canceled": UxStatus.CANCELLED,
    "aborted": UxStatus.CANCELLED,
}


# The pairs the run service writes, looked up before any folding: every hot surface (the widget,
# the runs list, notifications) maps these, and folding both strings cost more than the lookup.
_CANONICAL: dict[tuple[str, str], UxStatus] = {
    (RunStatus.QUEUED.value, RunOutcome.PENDING.value): UxStatus.QUEUED,
    (RunStatus.RUNNING.value, RunOutcome.PENDING.value): UxStatus.RUNNING,
    (RunStatus.COMPLETED.value, RunOutcome.SUCCEEDED.value): UxStatus.SUCCEEDED,
    (RunStatus.COMPLETED.value, RunOutcome.PARTIALLY_SUCCEEDED.value): UxStatus.PARTIAL,
    (RunStatus.COMPLETED.value, RunOutcome.FAILED.value): UxStatus.FAILED,
    (RunStatus.COMPLETED.value, RunOutcome.CANCELLED.value): UxStatus.CANCELLED,
}


def _fold(value: object) -> str:
    return str(value).strip().lower().replace("-", "_").replace(" ", "_") if value is not None else ""


def ux_status(status: object, outcome: object) -> UxStatus:
    """Map a stored (status, outcome) pair to what people see. Total: never raises.

    - A terminal outcome wins whatever the status says (``outcome=failed`` is ``failed`` even if a
      legacy row still says ``running``).
    - Otherwise an active status shows as itself.
    - A completed run with no recognizable outcome shows as ``failed``: it ended without reporting
      success, and telling someone it succeeded would be the worse lie.
    - An unknown status with no outcome shows as ``queued``: it has not visibly started.
    """
    if isinstance(status, str) and isinstance(outcome, str):
        canonical = _CANONICAL.get((status, outcome))
        if canonical is not None:
            return canonical
    by_outcome = _OUTCOME_ALIASES.get(_fold(outcome))
    if by_outcome is not None:
        return by_outcome
    stored = _STATUS_ALIASES.get(_fold(status))
    if stored is RunStatus.RUNNING:
        return UxStatus.RUNNING
    if stored is RunStatus.COMPLETED:
        return UxStatus.FAILED
    return UxStatus.QUEUED
