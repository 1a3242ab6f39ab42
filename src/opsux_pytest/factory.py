"""``opsux_make_run``: runs in any state, as test data.

The factory writes rows directly (it is test set-up, not feature code, so lifecycle ownership does
not apply) and tells the automatic check the state it created: a run made ``completed`` here is
history, not something the test did, and only what the test changes afterwards is checked.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from opsux_core import OperationRun, Policy, RunOutcome, RunStatus, SummaryKeys
from opsux_core.identity import canonical_inputs, run_identity
from opsux_core.models import utcnow

_DEFAULT = object()
DEFAULT_TENANT = "tenant-1"
DEFAULT_INITIATOR = "user-1"


class RunFactory:
    """Call it to create a run; every argument is optional."""

    def __init__(self, session: Session, policy: Policy, prepared: dict[int, tuple[str, str]]) -> None:
        self._session = session
        self._policy = policy
        self._prepared = prepared
        self._nonce = itertools.count(1)

    def __call__(
        self,
        *,
        tenant_id: str = DEFAULT_TENANT,
        operation_type: str | None = None,
        initiator_id: Any = _DEFAULT,
        initiator_name: str | None = None,
        status: RunStatus | str = RunStatus.QUEUED,
        outcome: RunOutcome | str | None = None,
        summary_counts: Mapping[str, int] | None = None,
        inputs: Mapping[str, Any] | None = None,
        failure_code: str | None = None,
        failure_message: str | None = None,
        created_at: datetime | None = None,
        allow_unregistered: bool = False,
    ) -> OperationRun:
        """Create and commit a run. ``initiator_id=None`` makes a system run (default ``user-1``).

        ``allow_unregistered=True`` stores an unknown operation type, for tests of how legacy or
        dirty rows render ("Unknown operation").
        """
        code = operation_type if operation_type is not None else self._default_type()
        if not allow_unregistered:
            self._policy.catalog.require(code)
        state = _status(status)
        final = _outcome(state, outcome)
        initiator = DEFAULT_INITIATOR if initiator_id is _DEFAULT else initiator_id
        if initiator is not None and (not isinstance(initiator, str) or not initiator):
            raise ValueError(f"initiator_id must be a non-empty string or None, not {initiator!r}")
        counts = SummaryKeys(self._policy.summary_keys).validate(dict(summary_counts or {}))
        clean_inputs = canonical_inputs(inputs)
        created = created_at or utcnow()
        # A per-call nonce keeps factory runs apart in the active-run dedupe index.
        identity = run_identity(tenant_id, code, clean_inputs, f"opsux_make_run:{id(self)}:{next(self._nonce)}")
        run = OperationRun(
            tenant_id=tenant_id,
            operation_type=code,
            status=state.value,
            outcome=final.value,
            initiator_id=initiator,
            initiator_name=initiator_name or (initiator if initiator is not None else "System"),
            identity_hash=identity,
            summary_counts=counts,
            failure_summary={"code": failure_code, "message": failure_message or ""} if failure_code else None,
            context={"inputs": clean_inputs},
            created_at=created,
            updated_at=created,
            started_at=created + timedelta(seconds=1) if state is not RunStatus.QUEUED else None,
            completed_at=created + timedelta(seconds=2) if state is RunStatus.COMPLETED else None,
        )
        self._session.add(run)
        self._session.commit()
        self._prepared[run.id] = (run.status, run.outcome)
        return run

    def _default_type(self) -> str:
        for entry in self._policy.catalog:
            return entry.code
        raise ValueError("opsux_make_run needs operation_type=...: the catalog registers no operation types")


def _status(value: RunStatus | str) -> RunStatus:
    try:
        return RunStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in RunStatus)
        raise ValueError(f"unknown status {value!r}; use one of {allowed}") from None


def _outcome(status: RunStatus, value: RunOutcome | str | None) -> RunOutcome:
    if value is None:
        return RunOutcome.SUCCEEDED if status is RunStatus.COMPLETED else RunOutcome.PENDING
    try:
        outcome = RunOutcome(value)
    except ValueError:
        allowed = ", ".join(o.value for o in RunOutcome)
        raise ValueError(f"unknown outcome {value!r}; use one of {allowed}") from None
    if (status is RunStatus.COMPLETED) == (outcome is RunOutcome.PENDING):
        raise ValueError(
            f"status {status.value!r} cannot have outcome {outcome.value!r}: "
            "outcome is pending exactly while a run is queued or running"
        )
    return outcome
