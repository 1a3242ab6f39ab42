"""The ``opsux`` pytest plugin: fixtures for operation runs and the end-of-test convention check.

Registered through the ``pytest11`` entry point; ``-p no:opsux`` disables it. A test is an opsux
test when it uses any ``opsux_*`` fixture; only those get the automatic check and the strict
catalog, so suites that bring their own database harness are left alone.

pytest loads this module in every run of every project opsux is installed in, so it imports
pytest and the standard library only (issue 16). SQLAlchemy, opsux_core's runtime and the rest of
the plugin (``testrun``, ``database``, ``recorder``, ...) are imported when the first opsux test
starts; the project's config, when it has one, is read at start-up so that a typo in it stops the
run at once.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

import pytest

from opsux_pytest.markers import MARKER_HELP, resolve, validate_all
from opsux_pytest.settings import WORKER_SERVER_ERROR, WORKER_SERVER_URL, OpsuxSettings, add_options, read_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from opsux_core import OperationRunService, Policy
    from opsux_pytest.database import TestTransaction
    from opsux_pytest.factory import RunFactory
    from opsux_pytest.origins import NotificationOrigins
    from opsux_pytest.recorder import NotificationRecorder
    from opsux_pytest.testrun import TestState

SETTINGS = pytest.StashKey[OpsuxSettings]()
STATE = pytest.StashKey["TestState"]()
ORIGINS = pytest.StashKey["NotificationOrigins"]()
REPORT_SECTION = "opsux conventions"


# ---------------------------------------------------------------------------- configuration


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    settings = read_settings(config)
    config.stash[SETTINGS] = settings
    if settings.db_url.is_throwaway and _worker_id(config) is None and config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(SharedThrowawayCluster(config), "opsux-throwaway-cluster")


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[SETTINGS].header()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    validate_all(items)


def _uses_opsux(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return any(name.startswith(("opsux_", "_opsux_")) for name in names)


def _worker_id(config: pytest.Config) -> str | None:
    workerinput = getattr(config, "workerinput", None)
    return workerinput.get("workerid") if isinstance(workerinput, dict) else None


class SharedThrowawayCluster:
    """Under pytest-xdist: one throwaway cluster, started by the controller, for all workers.

    Each worker still gets its own database in it (``postgres_opsux_test_gw0``, ...).
    """

    def __init__(self, config: pytest.Config) -> None:
        self._stack = ExitStack()
        self._url: str | None = None
        self._error: str | None = None
        config.add_cleanup(self._stack.close)

    def pytest_configure_node(self, node: Any) -> None:
        if self._url is None and self._error is None:
            from opsux_pytest.throwaway import ThrowawayUnavailable, throwaway_cluster

            try:
                self._url = self._stack.enter_context(throwaway_cluster())
            except ThrowawayUnavailable as exc:
                self._error = str(exc)
        if self._url is not None:
            node.workerinput[WORKER_SERVER_URL] = self._url
        else:
            node.workerinput[WORKER_SERVER_ERROR] = self._error


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
    from opsux_pytest.testrun import begin

    state = begin(resolve(item, item.config.stash[SETTINGS]), record=record, origins=lambda: _origins(item.config))
    item.stash[STATE] = state
    return state


def _origins(config: pytest.Config) -> NotificationOrigins:
    # One listener for the session, installed by the first test that checks (see origins.py).
    origins = config.stash.get(ORIGINS, None)
    if origins is None:
        from opsux_pytest.origins import NotificationOrigins

        origins = config.stash[ORIGINS] = NotificationOrigins()
        config.add_cleanup(origins.install())
    return origins


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    # The state is looked up after the body: a test may request opsux fixtures at run time.
    try:
        result = yield
    except (pytest.skip.Exception, pytest.exit.Exception, KeyboardInterrupt):
        raise
    except BaseException as exc:
        state = item.stash.get(STATE, None)
        if state is not None:
            from opsux_pytest.testrun import convention_report

            text = convention_report(state, raised=exc)
            if text:
                item.add_report_section("call", REPORT_SECTION, text)
        raise
    state = item.stash.get(STATE, None)
    if state is not None:
        from opsux_pytest.testrun import convention_report

        text = convention_report(state, raised=None)
        if text:
            pytest.fail(text, pytrace=False)
    return result


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
def opsux_shared_engine(pytestconfig: pytest.Config) -> Iterator[Engine]:
    """The test database itself (one per xdist worker): what it commits stays for the whole session.

    For seed data that session-scoped fixtures set up once; tests get ``opsux_engine`` instead.
    """
    from opsux_pytest.provisioning import provisioned

    with provisioned(pytestconfig, pytestconfig.stash[SETTINGS], _worker_id(pytestconfig)) as engine:
        yield engine


@pytest.fixture
def _opsux_transaction(request: pytest.FixtureRequest, opsux_shared_engine: Engine) -> Iterator[TestTransaction]:
    from opsux_pytest.database import TestTransaction

    state = _state(request)
    tx = TestTransaction(opsux_shared_engine, baseline=state.options.verify)
    state.transaction = tx
    try:
        yield tx
    finally:
        state.transaction = None
        tx.close()


@pytest.fixture
def opsux_engine(_opsux_transaction: TestTransaction) -> Engine:
    """An ``Engine`` on the test's transaction: its commits are savepoints, all rolled back after the test."""
    return _opsux_transaction.engine


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
    from opsux_core import OperationRunService

    return OperationRunService(opsux_session, opsux_policy)


@pytest.fixture
def opsux_make_run(request: pytest.FixtureRequest, opsux_session: Session, opsux_policy: Policy) -> RunFactory:
    """``opsux_make_run(tenant_id=..., operation_type=..., initiator_id=..., status=..., ...)``."""
    from opsux_pytest.factory import RunFactory
    from opsux_pytest.origins import NotificationOrigins

    return RunFactory(opsux_session, opsux_policy, _state(request).prepared)


@pytest.fixture
def opsux_notifications(request: pytest.FixtureRequest) -> NotificationRecorder:
    """Every terminal notification committed during the test, with assertions."""
    # Requested at run time, it listens from then on, until the test's clean-up.
    return _state(request).listen()
