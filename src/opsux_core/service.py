"""The run service: the only writer of a run's status and outcome.

Every lifecycle change is one conditional UPDATE (``WHERE status IN (...)``), so concurrent callers
cannot both move a run: the loser sees zero rows and gets :class:`InvalidTransition`, having written
nothing. Dedupe is an ``INSERT ... ON CONFLICT DO NOTHING`` against the partial unique index.

By default each lifecycle call commits (``autocommit=True``): the run row must be visible to the
worker before the job is enqueued, and the widget must see progress as it happens. Pass
``autocommit=False`` to keep the caller's transaction; the service then only flushes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from opsux_core.counters import counts_update
from opsux_core.errors import DispatchFailed, InvalidTransition, RunNotFound, UnsupportedDatabase
from opsux_core.identity import canonical_inputs, run_identity
from opsux_core.models import ACTIVE_WHERE, OperationRun, RunNotification, utcnow
from opsux_core.notifier import Notifier
from opsux_core.policy import Policy
from opsux_core.presenter import Presenter, Toast
from opsux_core.status import ACTIVE, RunOutcome, RunStatus
from opsux_core.summary import SummaryKeys

T = TypeVar("T")

SYSTEM_INITIATOR_NAME = "System"
DISPATCH_FAILED = "queue.dispatch_failed"
JOB_EXCEPTION = "job.exception"

_FAILURE_CODE_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")
_ACTIVE_VALUES = tuple(status.value for status in ACTIVE)
# Dedupe retries: a conflicting run can complete between our INSERT and our SELECT; then we insert
# again. Three rounds means three completions inside one start call, which is not a real workload.
_START_ATTEMPTS = 3


@dataclass(frozen=True)
class Initiator:
    """The person who starts a run. ``initiator=None`` makes a system run."""

    id: str
    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("Initiator.id must be a non-empty string")
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError("Initiator.name must be a non-empty string")


@dataclass(frozen=True)
class StartResult:
    run: OperationRun
    created: bool
    """False when an identical active run was reused (dedupe)."""
    toast: Toast


class OperationRunService:
    """Owns the lifecycle of operation runs: start, dispatch, progress, one terminal transition."""

    def __init__(
        self,
        session: Session,
        policy: Policy,
        *,
        notifier: Notifier | None = None,
        autocommit: bool = True,
        clock: Callable[[], datetime] = utcnow,
        monitor_toast: bool = False,
    ) -> None:
        self.session = session
        self.policy = policy
        self.catalog = policy.catalog
        self.summary_keys = SummaryKeys(policy.summary_keys)
        self.presenter = Presenter.from_policy(policy)
        self.notifier = notifier or Notifier()
        self.autocommit = autocommit
        self.clock = clock
        self.monitor_toast = monitor_toast

    # ----------------------------------------------------------------- start

    def start(
        self,
        tenant_id: str,
        operation_type: str,
        *,
        initiator: Initiator | None = None,
        inputs: Mapping[str, Any] | None = None,
        identity: str | None = None,
    ) -> StartResult:
        """Create the run queued, or reuse the active run with the same identity.

        The identity is tenant + type + canonical *inputs*, or tenant + type + *identity* when given.
        Reuse never replaces the original initiator. Raises ``UnregisteredOperationType``.
        """
        self.catalog.require(operation_type)
        if not isinstance(tenant_id, str) or not tenant_id:
            raise ValueError("tenant_id must be a non-empty string")
        clean_inputs = canonical_inputs(inputs)
        identity_hash = run_identity(tenant_id, operation_type, clean_inputs, identity)
        now = self.clock()
        values = {
            "tenant_id": tenant_id,
            "operation_type": operation_type,
            "status": RunStatus.QUEUED.value,
            "outcome": RunOutcome.PENDING.value,
            "initiator_id": initiator.id if initiator else None,
            "initiator_name": initiator.name if initiator else SYSTEM_INITIATOR_NAME,
            "identity_hash": identity_hash,
            "summary_counts": {},
            "context": {"inputs": clean_inputs},
            "created_at": now,
            "updated_at": now,
        }
        insert = self._insert_ignoring_active_duplicate(values)

        def attempt() -> tuple[OperationRun, bool]:
            for _ in range(_START_ATTEMPTS):
                new_id = self.session.execute(insert).scalar_one_or_none()
                if new_id is not None:
                    return self._load(new_id), True
                existing = self.session.scalars(
                    select(OperationRun)
                    .where(
                        OperationRun.tenant_id == tenant_id,
                        OperationRun.identity_hash == identity_hash,
                        OperationRun.status.in_(_ACTIVE_VALUES),
                    )
                    .execution_options(populate_existing=True)
                ).one_or_none()
                if existing is not None:
                    return existing, False
            raise RuntimeError(
                f"could not start or reuse a {operation_type} run for tenant {tenant_id}: "
                "the identical run kept completing between insert and read"
            )

        run, created = self._write(attempt)
        if created:
            toast = self.presenter.queued_toast(operation_type, monitor_body=self.monitor_toast)
        else:
            toast = self.presenter.already_queued_toast(operation_type, monitor_body=self.monitor_toast)
        return StartResult(run=run, created=created, toast=toast)

    def _insert_ignoring_active_duplicate(self, values: dict[str, Any]) -> Any:
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            stmt: Any = postgresql.insert(OperationRun)
        elif dialect == "sqlite":
            stmt = sqlite.insert(OperationRun)
        else:
            raise UnsupportedDatabase(dialect)
        return (
            stmt.values(**values)
            .on_conflict_do_nothing(index_elements=["tenant_id", "identity_hash"], index_where=ACTIVE_WHERE)
            .returning(OperationRun.id)
        )

    # ----------------------------------------------------------------- dispatch

    def dispatch(self, run: OperationRun | StartResult | int, enqueue: Callable[[OperationRun], T]) -> T:
        """Call ``enqueue(run)``; if it raises, complete the run as failed and raise DispatchFailed.

        The run row exists before this is called (``start`` commits), so a worker never picks up a
        job whose run it cannot read; and a failed enqueue leaves no misleading queued run behind.
        """
        loaded = self._load(run_id_of(run))
        try:
            return enqueue(loaded)
        except Exception as exc:
            if self.autocommit:
                self.session.rollback()
            self.fail(loaded, DISPATCH_FAILED, f"{type(exc).__name__}: {exc}")
            raise DispatchFailed(loaded.id, exc) from exc

    # ----------------------------------------------------------------- progress

    def mark_running(self, run: OperationRun | StartResult | int) -> OperationRun:
        """queued -> running. Anything else raises :class:`InvalidTransition` and writes nothing."""
        run_id = run_id_of(run)
        now = self.clock()
        stmt = (
            update(OperationRun)
            .where(OperationRun.id == run_id, OperationRun.status == RunStatus.QUEUED.value)
            .values(status=RunStatus.RUNNING.value, started_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return self._write(lambda: self._transition(run_id, stmt, "running"))

    def increment(self, run: OperationRun | StartResult | int, **counts: int) -> OperationRun:
        """Add to summary_counts atomically in the database (concurrent increments lose nothing)."""
        deltas = self.summary_keys.validate_increment(counts)
        return self._update_counts(run_id_of(run), deltas, add=True)

    def set_counts(self, run: OperationRun | StartResult | int, **counts: int) -> OperationRun:
        """Set summary_counts keys (e.g. ``total`` once it is known); other keys stay."""
        values = self.summary_keys.validate(counts)
        return self._update_counts(run_id_of(run), values, add=False)

    def _update_counts(self, run_id: int, values: Mapping[str, int], *, add: bool) -> OperationRun:
        dialect = self.session.get_bind().dialect.name
        stmt = (
            update(OperationRun)
            .where(OperationRun.id == run_id, OperationRun.status.in_(_ACTIVE_VALUES))
            .values(summary_counts=counts_update(dialect, values, add=add), updated_at=self.clock())
            .execution_options(synchronize_session=False)
        )
        return self._write(lambda: self._transition(run_id, stmt, "update counts"))

    # ----------------------------------------------------------------- terminal

    def complete(
        self,
        run: OperationRun | StartResult | int,
        outcome: RunOutcome | str,
        *,
        summary_counts: Mapping[str, int] | None = None,
        failure_code: str | None = None,
        failure_message: str | None = None,
    ) -> RunNotification | None:
        """The one terminal transition; writes the initiator's notification in the same transaction.

        Returns the notification, or None for a system run. A run that is already completed raises
        :class:`InvalidTransition` and nothing is written.
        """
        final = _terminal_outcome(outcome)
        counts = self.summary_keys.validate(summary_counts) if summary_counts else None
        failure = _failure(failure_code, failure_message) if failure_code else None
        if failure is None and failure_message is not None:
            raise ValueError("failure_message needs a failure_code")
        run_id = run_id_of(run)
        dialect = self.session.get_bind().dialect.name
        now = self.clock()
        values: dict[str, Any] = {
            "status": RunStatus.COMPLETED.value,
            "outcome": final.value,
            "completed_at": now,
            "updated_at": now,
        }
        if counts:
            values["summary_counts"] = counts_update(dialect, counts, add=False)
        if failure is not None:
            values["failure_summary"] = failure
        stmt = (
            update(OperationRun)
            .where(OperationRun.id == run_id, OperationRun.status.in_(_ACTIVE_VALUES))
            .values(**values)
            .execution_options(synchronize_session=False)
        )

        def attempt() -> RunNotification | None:
            done = self._transition(run_id, stmt, f"completed/{final.value}")
            content = self.presenter.terminal(
                run_id=done.id,
                tenant_id=done.tenant_id,
                operation_type=done.operation_type,
                status=done.status,
                outcome=done.outcome,
                summary_counts=done.summary_counts,
                failure_message=(done.failure_summary or {}).get("message"),
            )
            return self.notifier.notify_terminal(self.session, done, content)

        return self._write(attempt)

    def fail(self, run: OperationRun | StartResult | int, code: str, message: str | None = None) -> RunNotification | None:
        """Complete as failed with a failure code such as ``sync.timeout``."""
        return self.complete(run, RunOutcome.FAILED, failure_code=code, failure_message=message or "")

    def cancel(self, run: OperationRun | StartResult | int) -> RunNotification | None:
        """Complete as cancelled (queued -> completed is allowed)."""
        return self.complete(run, RunOutcome.CANCELLED)

    # ----------------------------------------------------------------- worker helper

    @contextmanager
    def track(self, run: OperationRun | StartResult | int, *, failure_code: str = JOB_EXCEPTION) -> Iterator[RunTracker]:
        """Worker code: marks running, lets the job count, completes from what happened.

        On a clean exit the outcome comes from the counts: failures and successes -> partially
        succeeded, only failures -> failed, otherwise succeeded. On an exception the run fails with
        *failure_code* and the exception propagates. A job that completed the run itself is left alone.
        """
        current = self._load(run_id_of(run))
        if current.status == RunStatus.QUEUED.value:
            current = self.mark_running(current)
        elif current.status != RunStatus.RUNNING.value:
            raise InvalidTransition(current.id, current.status, "running")
        tracker = RunTracker(self, current)
        try:
            yield tracker
        except Exception as exc:
            if self.autocommit:
                self.session.rollback()
            if self._load(current.id).is_active:
                self.fail(current, failure_code, f"{type(exc).__name__}: {exc}")
            raise
        latest = self._load(current.id)
        if latest.is_active:
            self.complete(latest, tracker.outcome or _outcome_from_counts(self.summary_keys.normalize(latest.summary_counts)))

    # ----------------------------------------------------------------- plumbing

    def _load(self, run_id: int) -> OperationRun:
        run = self.session.get(OperationRun, run_id, populate_existing=True)
        if run is None:
            raise RunNotFound(run_id)
        return run

    def _transition(self, run_id: int, stmt: Any, attempted: str) -> OperationRun:
        result = cast(CursorResult[Any], self.session.execute(stmt))
        if result.rowcount != 1:
            current = self.session.get(OperationRun, run_id, populate_existing=True)
            if current is None:
                raise RunNotFound(run_id)
            raise InvalidTransition(run_id, f"{current.status}/{current.outcome}", attempted)
        return self._load(run_id)

    def _write(self, work: Callable[[], T]) -> T:
        """Run *work* as one unit: commit it (autocommit), or flush into the caller's transaction."""
        if not self.autocommit:
            result = work()
            self.session.flush()
            return result
        try:
            result = work()
            self.session.commit()
        except BaseException:
            self.session.rollback()
            raise
        return result


class RunTracker:
    """Handed to the job by :meth:`OperationRunService.track`."""

    def __init__(self, service: OperationRunService, run: OperationRun) -> None:
        self._service = service
        self.run = run
        self.outcome: RunOutcome | None = None

    def increment(self, **counts: int) -> None:
        self.run = self._service.increment(self.run, **counts)

    def set_counts(self, **counts: int) -> None:
        self.run = self._service.set_counts(self.run, **counts)

    def cancel(self) -> None:
        """Finish as cancelled when the block exits normally."""
        self.outcome = RunOutcome.CANCELLED


def run_id_of(run: OperationRun | StartResult | int) -> int:
    """The id of a run given as the model, the result of ``start``, or the id itself."""
    if isinstance(run, StartResult):
        run = run.run
    if isinstance(run, OperationRun):
        return run.id
    if isinstance(run, int) and not isinstance(run, bool):
        return run
    raise TypeError(f"expected an OperationRun, a StartResult or a run id, not {type(run).__name__}")


def _terminal_outcome(outcome: RunOutcome | str) -> RunOutcome:
    try:
        final = RunOutcome(outcome)
    except ValueError:
        allowed = ", ".join(o.value for o in RunOutcome if o is not RunOutcome.PENDING)
        raise ValueError(f"unknown outcome {outcome!r}; use one of {allowed}") from None
    if final is RunOutcome.PENDING:
        raise ValueError("pending is not a terminal outcome")
    return final


def _failure(code: str, message: str | None) -> dict[str, str]:
    if not isinstance(code, str) or not _FAILURE_CODE_RE.fullmatch(code):
        raise ValueError(f"failure code {code!r} must be a dotted lower-case code like 'sync.timeout'")
    return {"code": code, "message": message or ""}


def _outcome_from_counts(counts: Mapping[str, int]) -> RunOutcome:
    failed = counts.get("failed", 0)
    succeeded = counts.get("succeeded", 0)
    if failed and succeeded:
        return RunOutcome.PARTIALLY_SUCCEEDED
    if failed:
        return RunOutcome.FAILED
    return RunOutcome.SUCCEEDED
