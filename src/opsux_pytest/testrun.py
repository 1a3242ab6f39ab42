"""What the plugin does around one opsux test: listen, check, report, clean up.

Imported by the plugin when the first test that uses an ``opsux_*`` fixture starts, never at
pytest start-up: this is where SQLAlchemy and opsux_core come in (issue 16).

The check runs after the body, before fixture teardown, while the test's transaction is still
open, so that a violation fails the test itself rather than showing up as "passed" plus an error
at teardown. If the body already failed, its failure stays the reported one and the convention
report is attached to it as a report section.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from opsux_core import OperationRun
from opsux_pytest.check import notification_violations
from opsux_pytest.database import TestTransaction
from opsux_pytest.facts import RUN_FACT_COLUMNS, facts_from_row
from opsux_pytest.markers import TestOptions
from opsux_pytest.messages import (
    STRICT_CATALOG_OPT_OUT,
    VERIFY_OPT_OUT,
    RunFacts,
    report,
)
from opsux_pytest.origins import NotificationOrigins
from opsux_pytest.recorder import NotificationRecorder
from opsux_pytest.strict_catalog import (
    UnregisteredStart,
    recording_unregistered_starts,
    unregistered_report,
)


@dataclass
class TestState:
    """What one opsux test accumulates; lives in ``item.stash`` and is dropped in ``finally``."""

    __test__ = False

    options: TestOptions
    transaction: TestTransaction | None = None
    prepared: dict[int, tuple[str, str]] = field(default_factory=dict)
    unregistered: list[UnregisteredStart] = field(default_factory=list)
    recorder: NotificationRecorder | None = None
    origins: NotificationOrigins | None = None
    cleanup: ExitStack = field(default_factory=ExitStack)
    """Undoes what the test installed (the start() wrapper, the recorder's listeners)."""

    def lookup(self, run_id: int) -> RunFacts | None:
        if self.transaction is None:
            return None
        row = self.transaction.connection.execute(
            select(*RUN_FACT_COLUMNS).where(OperationRun.id == run_id)
        ).one_or_none()
        if row is None:
            return None
        return facts_from_row(row)

    def listen(self) -> NotificationRecorder:
        """The recorder, listening from now until the test's clean-up."""
        if self.recorder is None:
            self.recorder = self.cleanup.enter_context(NotificationRecorder(self.lookup).listening())
        return self.recorder


def begin(options: TestOptions, *, record: bool, origins: Callable[[], NotificationOrigins]) -> TestState:
    """A test's state; *origins* gives the session's listener for where notifications were added."""
    state = TestState(options=options)
    if options.strict_catalog:
        state.cleanup.enter_context(recording_unregistered_starts(state.unregistered))
    if options.verify:
        state.origins = state.cleanup.enter_context(origins().recording())
    if record:
        state.listen()
    return state


def convention_report(state: TestState, raised: BaseException | None) -> str | None:
    blocks: list[str] = []
    opt_outs: list[str] = []
    tx = state.transaction
    if state.options.verify and tx is not None and tx.baseline is not None and not tx.changed_nothing():
        try:
            origins = state.origins.by_id if state.origins is not None else None
            found = notification_violations(tx.connection, tx.baseline, state.prepared, origins)
        except (SQLAlchemyError, tx.connection.dialect.loaded_dbapi.Error) as exc:
            # After a failed body the transaction may be unusable (PostgreSQL aborts it); the body's
            # own failure is the story then. After a passing body it is a failure to verify.
            found = [] if raised is not None else [
                f"opsux could not read the test's runs to check them: {type(exc).__name__}: {exc}"
            ]
        if found:
            blocks.extend(found)
            opt_outs.append(VERIFY_OPT_OUT)
    if state.options.strict_catalog:
        found = unregistered_report(state.unregistered, raised)
        if found:
            blocks.extend(found)
            opt_outs.append(STRICT_CATALOG_OPT_OUT)
    return report(blocks, opt_outs) if blocks else None


def fail_unprepared_database(description: str, source: str, exc: Exception) -> None:
    pytest.fail(
        f"opsux: cannot prepare the test database {description} ({source}): {type(exc).__name__}: {exc}",
        pytrace=False,
    )
