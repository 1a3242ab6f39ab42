"""The ``opsux`` pytest plugin: fixtures for operation runs and the end-of-test convention check.

Registered through the ``pytest11`` entry point; ``-p no:opsux`` disables it. A test is an opsux
test when it uses any ``opsux_*`` fixture; only those get the automatic check and the strict
catalog, so suites that bring their own database harness are left alone.

The check runs inside ``pytest_runtest_call`` (after the body, before fixture teardown, while the
test's transaction is still open) so that a violation fails the test itself rather than showing up
as "passed" plus an error at teardown. If the body already failed, its failure stays the reported
one and the convention report is attached to it as a report section.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from opsux_core import OperationRun, OperationRunService, Policy
from opsux_pytest.check import notification_violations
from opsux_pytest.database import TestTransaction, provisioned_engine, worker_url
from opsux_pytest.facts import RUN_FACT_COLUMNS, facts_from_row
from opsux_pytest.factory import RunFactory
from opsux_pytest.markers import MARKER_HELP, TestOptions, resolve, validate_all
from opsux_pytest.messages import STRICT_CATALOG_OPT_OUT, VERIFY_OPT_OUT, RunFacts, report
from opsux_pytest.recorder import NotificationRecorder
from opsux_pytest.settings import OpsuxSettings, add_options, read_settings
from opsux_pytest.strict_catalog import UnregisteredStart, recording_unregistered_starts, unregistered_report

SETTINGS = pytest.StashKey[OpsuxSettings]()
STATE = pytest.StashKey["TestState"]()
REPORT_SECTION = "opsux conventions"


@dataclass
class TestState:
    """What one opsux test accumulates; lives in ``item.stash`` and is dropped in ``finally``."""

    __test__ = False

    options: TestOptions
    transaction: TestTransaction | None = None
    prepared: dict[int, tuple[str, str]] = field(default_factory=dict)
    unregistered: list[UnregisteredStart] = field(default_factory=list)
    recorder: NotificationRecorder | None = None
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


# ---------------------------------------------------------------------------- configuration


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    config.stash[SETTINGS] = read_settings(config)


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[SETTINGS].header()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    validate_all(items)


def _uses_opsux(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return any(name.startswith(("opsux_", "_opsux_")) for name in names)


# ---------------------------------------------------------------------------- per-test lifecycle


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    if _uses_opsux(item):
        # Listening from before set-up, so runs the test's own fixtures complete count too.
        _begin(item, record="opsux_notifications" in getattr(item, "fixturenames", ()))
    try:
        return (yield)
    finally:
        state = item.stash.get(STATE, None)
        if state is not None:
            del item.stash[STATE]
            state.cleanup.close()


def _begin(item: pytest.Item, *, record: bool) -> TestState:
    state = TestState(options=resolve(item, item.config.stash[SETTINGS]))
    item.stash[STATE] = state
    if state.options.strict_catalog:
        state.cleanup.enter_context(recording_unregistered_starts(state.unregistered))
    if record:
        state.recorder = state.cleanup.enter_context(NotificationRecorder(state.lookup).listening())
    return state


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    # The state is looked up after the body: a test may request opsux fixtures at run time.
    try:
        result = yield
    except (pytest.skip.Exception, pytest.exit.Exception, KeyboardInterrupt):
        raise
    except BaseException as exc:
        state = item.stash.get(STATE, None)
        text = _convention_report(state, raised=exc) if state is not None else None
        if text:
            item.add_report_section("call", REPORT_SECTION, text)
        raise
    state = item.stash.get(STATE, None)
    text = _convention_report(state, raised=None) if state is not None else None
    if text:
        pytest.fail(text, pytrace=False)
    return result


def _convention_report(state: TestState, raised: BaseException | None) -> str | None:
    blocks: list[str] = []
    opt_outs: list[str] = []
    tx = state.transaction
    if state.options.verify and tx is not None and tx.baseline is not None:
        try:
            found = notification_violations(tx.connection, tx.baseline, state.prepared)
        except SQLAlchemyError as exc:
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


def _state(request: pytest.FixtureRequest) -> TestState:
    node: pytest.Item = request.node
    state = node.stash.get(STATE, None)
    if state is None:
        # Requested through request.getfixturevalue(): the protocol hook could not see it coming.
        state = _begin(node, record=False)
    return state


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def opsux_policy(pytestconfig: pytest.Config) -> Policy:
    """The project's policy (catalog, summary keys, links), from ini ``opsux_config`` or discovered."""
    settings = pytestconfig.stash[SETTINGS]
    if settings.policy is None:
        pytest.fail(
            f"opsux: no opsux.yaml and no pyproject.toml with [tool.opsux] in {pytestconfig.rootpath} "
            "or any parent; write one, or point ini opsux_config at it",
            pytrace=False,
        )
    return settings.policy


@pytest.fixture(scope="session")
def opsux_engine(pytestconfig: pytest.Config) -> Iterator[Engine]:
    """The test database with the opsux schema; one database per xdist worker."""
    settings = pytestconfig.stash[SETTINGS]
    workerinput = getattr(pytestconfig, "workerinput", None)
    worker = workerinput.get("workerid") if isinstance(workerinput, dict) else None
    url = worker_url(settings.db_url, worker)
    with ExitStack() as stack:
        try:
            engine = stack.enter_context(provisioned_engine(url, own_database=worker is not None))
        except SQLAlchemyError as exc:
            pytest.fail(
                f"opsux: cannot prepare the test database {url.render_as_string(hide_password=True)} "
                f"({settings.db_url_source}): {type(exc).__name__}: {exc}",
                pytrace=False,
            )
        yield engine


@pytest.fixture
def _opsux_transaction(request: pytest.FixtureRequest, opsux_engine: Engine) -> Iterator[TestTransaction]:
    state = _state(request)
    tx = TestTransaction(opsux_engine, baseline=state.options.verify)
    state.transaction = tx
    try:
        yield tx
    finally:
        state.transaction = None
        tx.close()


@pytest.fixture
def opsux_sessionmaker(_opsux_transaction: TestTransaction) -> sessionmaker[Session]:
    """Makes sessions that join the test's transaction: for app code that opens its own sessions."""
    return _opsux_transaction.sessionmaker


@pytest.fixture
def opsux_session(_opsux_transaction: TestTransaction) -> Session:
    """A session whose commits land in a savepoint; everything is rolled back after the test."""
    return _opsux_transaction.session()


@pytest.fixture
def opsux_service(opsux_session: Session, opsux_policy: Policy) -> OperationRunService:
    """An ``OperationRunService`` on ``opsux_session`` and the project's policy."""
    return OperationRunService(opsux_session, opsux_policy)


@pytest.fixture
def opsux_make_run(request: pytest.FixtureRequest, opsux_session: Session, opsux_policy: Policy) -> RunFactory:
    """``opsux_make_run(tenant_id=..., operation_type=..., initiator_id=..., status=..., ...)``."""
    return RunFactory(opsux_session, opsux_policy, _state(request).prepared)


@pytest.fixture
def opsux_notifications(request: pytest.FixtureRequest) -> NotificationRecorder:
    """Every terminal notification committed during the test, with assertions."""
    state = _state(request)
    if state.recorder is None:
        # Requested at run time: listen from now on, until the test's clean-up.
        state.recorder = state.cleanup.enter_context(NotificationRecorder(state.lookup).listening())
    return state.recorder
