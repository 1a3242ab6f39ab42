"""Exceptions raised by opsux_core, each named for what went wrong.

Kept free of SQLAlchemy so that the policy and catalog modules (which the linter imports) stay light.
"""

from __future__ import annotations

from pathlib import Path


class OpsuxError(Exception):
    """Base class of every error opsux raises on purpose."""


class ConfigError(OpsuxError):
    """The project's opsux config is malformed.

    Carries the file, the dotted key and (for YAML) the 1-based line, so a person can go straight
    to the mistake. ``str()`` renders ``file:line: key: problem``.
    """

    def __init__(
        self,
        problem: str,
        *,
        path: Path | str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.problem = problem
        self.path = Path(path) if path is not None else None
        self.key = key
        self.line = line
        super().__init__(self._render())

    def _render(self) -> str:
        where = str(self.path) if self.path is not None else "<config>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        if self.key:
            return f"{where}: {self.key}: {self.problem}"
        return f"{where}: {self.problem}"


class ConfigNotFound(ConfigError):
    """No ``opsux.yaml`` and no ``pyproject.toml`` with ``[tool.opsux]`` was found."""


class UnregisteredOperationType(OpsuxError, LookupError):
    """Code tried to produce an operation type that the catalog does not register."""

    def __init__(self, code: str, suggestion: str | None = None) -> None:
        self.code = code
        self.suggestion = suggestion
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        super().__init__(f"Operation type {code!r} is not registered in the catalog{hint}")


class InvalidSummaryCounts(OpsuxError, ValueError):
    """summary_counts (or an increment of them) that must not be written."""

    def __init__(self, key: str, value: object, reason: str) -> None:
        self.key = key
        self.value = value
        self.reason = reason
        super().__init__(f"summary_counts[{key!r}] = {value!r} rejected: {reason}")


class InvalidTransition(OpsuxError):
    """A lifecycle change that the run model does not allow (nothing was written)."""

    def __init__(self, run_id: object, current: str, attempted: str) -> None:
        self.run_id = run_id
        self.current = current
        self.attempted = attempted
        super().__init__(
            f"Run {run_id} cannot go {attempted}: it is {current}; "
            "only forward transitions exist and nothing leaves completed"
        )


class RunNotFound(OpsuxError, LookupError):
    """The run does not exist (or not in the tenant asked for)."""

    def __init__(self, run_id: object) -> None:
        self.run_id = run_id
        super().__init__(f"Run {run_id} does not exist")


class DispatchFailed(OpsuxError):
    """Enqueueing the job failed; the run was completed as failed (``queue.dispatch_failed``)."""

    def __init__(self, run_id: object, cause: BaseException) -> None:
        self.run_id = run_id
        self.cause = cause
        super().__init__(
            f"Run {run_id} could not be enqueued ({type(cause).__name__}: {cause}); "
            "it was completed as failed with code queue.dispatch_failed"
        )


class UnsupportedDatabase(OpsuxError):
    """The engine's dialect is not one opsux supports (SQLite, PostgreSQL)."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        super().__init__(
            f"Database dialect {dialect!r} is not supported; use SQLite or PostgreSQL"
        )


class InvalidIdentifier(OpsuxError, ValueError):
    """A tenant id, initiator or other identifier that cannot be stored the same way on every database."""

    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        shown = repr(value) if not isinstance(value, str) or len(value) <= 40 else repr(value[:40]) + "..."
        super().__init__(f"{field} {shown} rejected: {reason}")


class RunAlreadyClaimed(OpsuxError):
    """Another tracker is working the run; a run is worked by one tracker at a time."""

    def __init__(self, run_id: object) -> None:
        self.run_id = run_id
        super().__init__(
            f"Run {run_id} is already being worked by another tracker; a run is worked by one "
            "tracker at a time (if that worker crashed, the reaper fails the run as run.stale)"
        )


class LeaseLost(InvalidTransition):
    """The tracker's claim on a run is gone: the run was completed elsewhere or reaped as stale."""

    def __init__(self, run_id: object, current: str, attempted: str) -> None:
        OpsuxError.__init__(
            self,
            f"Run {run_id} cannot {attempted}: this tracker's claim on it is gone (it is {current}); "
            "stop working it: it was completed elsewhere or reaped as stale",
        )
        self.run_id = run_id
        self.current = current
        self.attempted = attempted


class CountOverflow(InvalidSummaryCounts):
    """An increment whose sum would pass the largest count JSON carries exactly (2^53-1)."""


class DatabaseUnavailable(OpsuxError):
    """The database URL is unusable: unsupported, its driver missing, unreachable, or refusing."""
