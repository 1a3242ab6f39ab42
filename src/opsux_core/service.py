"""The run service: the only writer of a run's status and outcome.

Every lifecycle change is one conditional UPDATE (``WHERE status IN (...)``), so concurrent callers
cannot both move a run: the loser sees zero rows and gets :class:`InvalidTransition`, having written
nothing. Dedupe is an ``INSERT ... ON CONFLICT DO NOTHING`` against the partial unique index.
The same pattern carries the worker's claim on a run (``lease_token``), the heartbeat the reaper
reads, and the counter overflow check.

By default each lifecycle call commits (``autocommit=True``): the run row must be visible to the
worker before the job is enqueued, and the widget must see progress as it happens. Pass
``autocommit=False`` to keep the caller's transaction; the service then only flushes.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from opsux_core.counters import counts_fit, counts_update
from opsux_core.errors import (
    CountOverflow,
    DispatchFailed,
    InvalidTransition,
    LeaseLost,
    RunAlreadyClaimed,
    RunNotFound,
    UnsupportedDatabase,
)
from opsux_core.identifiers import check_identifier, storable_text
from opsux_core.identity import canonical_inputs, run_identity
from opsux_core.models import (
    ACTIVE_WHERE,
    ID_LENGTH,
    NAME_LENGTH,
    OperationRun,
    RunNotification,
    UtcDateTime,
    utcnow,
)
from opsux_core.notifier import Notifier
from opsux_core.policy import Policy
from opsux_core.presenter import Presenter, Toast
from opsux_core.staleness import (
    STALE,
    StaleRun,
    stale_condition,
    stale_limit,
    stale_search,
)
from opsux_core.status import ACTIVE, RunOutcome, RunStatus
from opsux_core.summary import MAX_COUNT, SummaryKeys

T = TypeVar("T")

logger = logging.getLogger("opsux.service")

SYSTEM_INITIATOR_NAME = "System"
DISPATCH_FAILED = "queue.dispatch_failed"
JOB_EXCEPTION = "job.exception"
JOB_INTERRUPTED = "job.interrupted"
"""The failure code when a tracked job ends by KeyboardInterrupt, SystemExit or task cancellation."""
RUN_STALE = STALE

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
        check_identifier("Initiator.id", self.id, ID_LENGTH)
        check_identifier("Initiator.name", self.name, NAME_LENGTH)


@dataclass(frozen=True)
class StartResult:
    run: OperationRun
    created: bool
    """False when an identical active run was reused (dedupe)."""
    toast: Toast

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the run (``OperationRun.to_dict``), whether it was created, and the toast."""
        return {"run": self.run.to_dict(), "created": self.created, "toast": self.toast.to_dict()}


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
        check_identifier("tenant_id", tenant_id, ID_LENGTH)
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
            "last_heartbeat_at": now,
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
            .values(status=RunStatus.RUNNING.value, started_at=now, updated_at=now, last_heartbeat_at=now)
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

    def heartbeat(self, run: OperationRun | StartResult | int) -> None:
        """Record a sign of life, so the reaper does not take a long, quiet run for a crashed one."""
        run_id = run_id_of(run)
        self._write(lambda: self._touch(run_id, None))

    def _touch(self, run_id: int, lease: str | None) -> None:
        now = self.clock()
        stmt = (
            update(OperationRun)
            .where(OperationRun.id == run_id, OperationRun.status.in_(_ACTIVE_VALUES), *_leased(lease))
            .values(last_heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], self.session.execute(stmt)).rowcount != 1:
            self._explain_refusal(run_id, "heartbeat", lease)

    def _update_counts(
        self, run_id: int, values: Mapping[str, int], *, add: bool, lease: str | None = None
    ) -> OperationRun:
        dialect = self.session.get_bind().dialect.name
        now = self.clock()
        conditions = [*_leased(lease)]
        if add:
            conditions.append(counts_fit(dialect, values))
        stmt = (
            update(OperationRun)
            .where(OperationRun.id == run_id, OperationRun.status.in_(_ACTIVE_VALUES), *conditions)
            .values(
                summary_counts=counts_update(dialect, values, add=add), updated_at=now, last_heartbeat_at=now
            )
            .execution_options(synchronize_session=False)
        )

        def attempt() -> OperationRun:
            if cast(CursorResult[Any], self.session.execute(stmt)).rowcount != 1:
                current = self._explain_refusal(run_id, "update counts", lease)
                raise _overflow(current, values)
            return self._load(run_id)

        return self._write(attempt)

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
        return self._write(lambda: self._finish(run_id_of(run), final, counts=counts, failure=failure))

    def _finish(
        self,
        run_id: int,
        final: RunOutcome,
        *,
        counts: Mapping[str, int] | None = None,
        failure: Mapping[str, str] | None = None,
        lease: str | None = None,
        conditions: Sequence[ColumnElement[bool]] = (),
    ) -> RunNotification | None:
        """The terminal UPDATE (only if the run is active and *conditions* hold) and the notification."""
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
            .where(OperationRun.id == run_id, OperationRun.status.in_(_ACTIVE_VALUES), *_leased(lease), *conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], self.session.execute(stmt)).rowcount != 1:
            current = self._explain_refusal(run_id, f"completed/{final.value}", lease)
            raise InvalidTransition(run_id, f"{current.status}/{current.outcome}", f"completed/{final.value}")
        done = self._load(run_id)
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

    def fail(self, run: OperationRun | StartResult | int, code: str, message: str | None = None) -> RunNotification | None:
        """Complete as failed with a failure code such as ``sync.timeout``."""
        return self.complete(run, RunOutcome.FAILED, failure_code=code, failure_message=message or "")

    def cancel(self, run: OperationRun | StartResult | int) -> RunNotification | None:
        """Complete as cancelled (queued -> completed is allowed)."""
        return self.complete(run, RunOutcome.CANCELLED)

    # ----------------------------------------------------------------- worker helper

    @contextmanager
    def track(
        self,
        run: OperationRun | StartResult | int,
        *,
        failure_code: str = JOB_EXCEPTION,
        interrupted_code: str = JOB_INTERRUPTED,
    ) -> Iterator[RunTracker]:
        """Worker code: claims the run, marks it running, lets the job count, completes from what happened.

        One tracker works a run at a time: entering claims it with a lease token (a conditional
        UPDATE), and a second ``track`` of the same run raises :class:`RunAlreadyClaimed`. Every
        count and ``job.heartbeat()`` renews the claim; if the reaper failed the run meanwhile,
        they raise :class:`LeaseLost`.

        On a clean exit the outcome comes from the counts: failures and successes -> partially
        succeeded, only failures -> failed, otherwise succeeded. On an exception the run fails with
        *failure_code*; on KeyboardInterrupt, SystemExit or task cancellation with
        *interrupted_code*; the exception propagates either way. A job that completed the run
        itself is left alone.
        """
        _failure(failure_code, None)
        _failure(interrupted_code, None)
        run_id = run_id_of(run)
        lease = secrets.token_hex(16)
        tracker = RunTracker(self, self._write(lambda: self._claim(run_id, lease)), lease)
        try:
            yield tracker
        except BaseException as exc:
            code = failure_code if isinstance(exc, Exception) else interrupted_code
            self._fail_after_error(run_id, lease, code, exc)
            raise
        latest = self._load(run_id)
        if latest.is_active:
            final = tracker.outcome or _outcome_from_counts(self.summary_keys.normalize(latest.summary_counts))
            self._write(lambda: self._finish(run_id, final, lease=lease))

    def _claim(self, run_id: int, lease: str) -> OperationRun:
        now = self.clock()
        stmt = (
            update(OperationRun)
            .where(
                OperationRun.id == run_id,
                OperationRun.status.in_(_ACTIVE_VALUES),
                OperationRun.lease_token.is_(None),
            )
            .values(
                status=RunStatus.RUNNING.value,
                started_at=func.coalesce(OperationRun.started_at, literal(now, UtcDateTime())),
                lease_token=lease,
                last_heartbeat_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], self.session.execute(stmt)).rowcount != 1:
            current = self._current(run_id)
            if current.is_active:
                raise RunAlreadyClaimed(run_id)
            raise InvalidTransition(run_id, f"{current.status}/{current.outcome}", "running")
        return self._load(run_id)

    def _fail_after_error(self, run_id: int, lease: str, code: str, exc: BaseException) -> None:
        """Fail the tracked run after the job raised; never let this hide the job's own exception."""
        failure = _failure(code, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        try:
            if self.autocommit:
                self.session.rollback()
            self._write(lambda: self._finish(run_id, RunOutcome.FAILED, failure=failure, lease=lease))
        except InvalidTransition:
            pass  # the job completed the run itself, or the reaper already failed it
        except Exception:
            logger.exception("could not fail run %s after %s", run_id, type(exc).__name__)

    # ----------------------------------------------------------------- crashed workers

    def reap_stale(
        self,
        *,
        now: datetime | None = None,
        grace: timedelta = timedelta(0),
        dry_run: bool = False,
        limit: int = 1000,
    ) -> list[StaleRun]:
        """Fail (``run.stale``) the active runs whose last heartbeat is older than their type allows.

        The limit is the type's ``expected_duration_seconds`` x ``runs.stale_factor``, or
        ``runs.stale_after_seconds`` without an expected duration; *grace* is added to each. Queued
        runs that never started count from their creation. Each run is failed by one conditional
        UPDATE that re-checks the heartbeat, in its own transaction with the initiator's one
        notification, so several reapers at once fail each run once, and a run that sent a
        heartbeat meanwhile is spared. *dry_run* only reports. Returns the runs (at most *limit*).
        """
        now = now or self.clock()
        if grace < timedelta(0):
            raise ValueError("grace must not be negative")
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        search = stale_search(self.policy)
        values = search.values(now, grace, limit)
        rows = self.session.execute(search.statement, values).all()
        found = [
            StaleRun(
                run_id=row.id,
                tenant_id=row.tenant_id,
                operation_type=row.operation_type,
                status=row.status,
                last_heartbeat_at=row.last_heartbeat_at,
                silent_seconds=int((now - row.last_heartbeat_at).total_seconds()),
                limit_seconds=stale_limit(self.policy, row.operation_type),
            )
            for row in rows
        ]
        if dry_run:
            if self.autocommit:
                self.session.rollback()
            return found
        # Each conditional UPDATE re-checks the same cutoffs.
        stale = stale_condition(self.policy, now, grace)
        reaped: list[StaleRun] = []
        for candidate in found:
            failure = _failure(RUN_STALE, candidate.failure_message)
            try:
                # Bound now (partial, not a lambda over the loop's variables).
                self._write(partial(self._finish, candidate.run_id, RunOutcome.FAILED, failure=failure, conditions=[stale]))
            except InvalidTransition:
                continue  # another reaper failed it first, or a heartbeat or completion came in between
            reaped.append(candidate)
        return reaped

    # ----------------------------------------------------------------- plumbing

    def _current(self, run_id: int) -> OperationRun:
        current = self.session.get(OperationRun, run_id, populate_existing=True)
        if current is None:
            raise RunNotFound(run_id)
        return current

    def _explain_refusal(self, run_id: int, attempted: str, lease: str | None) -> OperationRun:
        """Why a conditional UPDATE matched no row: raise for a missing, completed or lost run.

        Returns the run when it is active and still ours (the caller's own condition failed).
        """
        current = self._current(run_id)
        if lease is not None and (not current.is_active or current.lease_token != lease):
            raise LeaseLost(run_id, f"{current.status}/{current.outcome}", attempted)
        if not current.is_active:
            raise InvalidTransition(run_id, f"{current.status}/{current.outcome}", attempted)
        return current

    def _load(self, run_id: int) -> OperationRun:
        run = self.session.get(OperationRun, run_id, populate_existing=True)
        if run is None:
            raise RunNotFound(run_id)
        return run

    def _transition(self, run_id: int, stmt: Any, attempted: str) -> OperationRun:
        result = cast(CursorResult[Any], self.session.execute(stmt))
        if result.rowcount != 1:
            current = self._current(run_id)
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

    def __init__(self, service: OperationRunService, run: OperationRun, lease: str) -> None:
        self._service = service
        self._lease = lease
        self.run = run
        self.outcome: RunOutcome | None = None

    def increment(self, **counts: int) -> None:
        """Add to the counts (atomic; renews the claim and the heartbeat)."""
        deltas = self._service.summary_keys.validate_increment(counts)
        service = self._service
        self.run = service._write(lambda: service._update_counts(self.run.id, deltas, add=True, lease=self._lease))

    def set_counts(self, **counts: int) -> None:
        """Set count keys (renews the claim and the heartbeat)."""
        values = self._service.summary_keys.validate(counts)
        service = self._service
        self.run = service._write(lambda: service._update_counts(self.run.id, values, add=False, lease=self._lease))

    def heartbeat(self) -> None:
        """A sign of life for long steps that count nothing; raises :class:`LeaseLost` if the run was reaped."""
        service = self._service
        service._write(lambda: service._touch(self.run.id, self._lease))

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
    # Messages come from exceptions: keep what any database can store rather than fail the failing.
    return {"code": code, "message": storable_text(message or "")}


def _leased(lease: str | None) -> list[ColumnElement[bool]]:
    return [] if lease is None else [OperationRun.lease_token == lease]


def _overflow(current: OperationRun, deltas: Mapping[str, int]) -> CountOverflow:
    stored = current.summary_counts or {}
    for key, delta in deltas.items():
        value = stored.get(key, 0)
        if isinstance(value, int) and value + delta > MAX_COUNT:
            return CountOverflow(key, value + delta, f"{value} + {delta} would exceed {MAX_COUNT}; nothing was written")
    key, delta = next(iter(deltas.items()))
    return CountOverflow(key, delta, f"the sum would exceed {MAX_COUNT}; nothing was written")


def _outcome_from_counts(counts: Mapping[str, int]) -> RunOutcome:
    failed = counts.get("failed", 0)
    succeeded = counts.get("succeeded", 0)
    if failed and succeeded:
        return RunOutcome.PARTIALLY_SUCCEEDED
    if failed:
        return RunOutcome.FAILED
    return RunOutcome.SUCCEEDED
