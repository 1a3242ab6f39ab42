"""The ``opsux`` pytest plugin: fixtures for operation runs and the end-of-test convention check.

Registered through the ``pytest11`` entry point; ``-p no:opsux`` disables it. A test is an opsux
test when it uses any ``opsux_*`` fixture; only those get the automatic check and the strict
catalog, so suites that bring their own database harness are left alone.

pytest loads this module in every run of every project opsux is installed in, and where nothing
uses opsux that must cost nothing (issue 16). So this is the only module of the plugin loaded at
start-up, and it imports pytest and what pytest has already imported, nothing more: it declares the
options, finds out whether anything configures opsux, and hooks in. Everything else comes later:
the settings (and their validation) in ``pytest_configure`` when something configures opsux;
SQLAlchemy, opsux_core and the rest of the plugin when the first opsux test starts. A test holds
this to the exact set of modules (tests/pytest_plugin/test_startup_cost.py).

PYTEST_DONT_REWRITE: this module has no assert statement to rewrite, and where bytecode is not
cached (PYTHONDONTWRITEBYTECODE, read-only installs) pytest would re-parse it in every run.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from opsux_core import OperationRunService, Policy
    from opsux_pytest.database import TestTransaction
    from opsux_pytest.factory import RunFactory
    from opsux_pytest.origins import NotificationOrigins
    from opsux_pytest.recorder import NotificationRecorder
    from opsux_pytest.settings import OpsuxSettings
    from opsux_pytest.testrun import TestState

DB_URL_OPTION = "--opsux-db-url"
REUSE_DB_OPTION = "--opsux-reuse-db"
CREATE_DB_OPTION = "--opsux-create-db"
DB_URL_INI = "opsux_db_url"
DB_URL_ENV = "OPSUX_DB_URL"
CONFIG_INI = "opsux_config"
METADATA_INI = "opsux_metadata"
VERIFY_INI = "opsux_verify"
STRICT_CATALOG_INI = "opsux_strict_catalog"
INI_NAMES = (DB_URL_INI, CONFIG_INI, METADATA_INI, VERIFY_INI, STRICT_CATALOG_INI)
THROWAWAY = "postgresql-proc"
CONFIG_FILENAME = "opsux.yaml"
PYPROJECT_FILENAME = "pyproject.toml"

MARKER = "opsux"
MARKER_HELP = (
    "opsux(verify=True, strict_catalog=True): switch the end-of-test notification check "
    "(verify) or the unregistered-operation-type check (strict_catalog) for a test, class or module"
)

# What settings.read_settings() makes of a project where nothing is configured; a test keeps the two
# equal. Printing it needs no settings code, so an unconfigured run never loads that code.
UNCONFIGURED_HEADER = (
    "opsux: db=sqlite:// (from sqlite://, default), tables=opsux, config=none found (not configured), "
    "verify=on (default), strict_catalog=on (default)"
)

SETTINGS = pytest.StashKey["OpsuxSettings"]()
STATE = pytest.StashKey["TestState"]()
ORIGINS = pytest.StashKey["NotificationOrigins"]()
CURRENT_ITEM = pytest.StashKey[pytest.Item]()
"""The test being run in this process: the fixtures find its state through the config, without
``request`` (which pytest builds a fixture definition for, signature and all, at every use)."""
REPORT_SECTION = "opsux conventions"


# ---------------------------------------------------------------------------- configuration


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("opsux", "opsux: operation-run conventions")
    group.addoption(
        DB_URL_OPTION,
        dest="opsux_db_url",
        default=None,
        metavar="URL",
        help=f"database server for the opsux fixtures (SQLAlchemy URL, or {THROWAWAY} for a throwaway "
        f"PostgreSQL cluster; overrides ${DB_URL_ENV} and ini {DB_URL_INI}; default: SQLite in memory). "
        "The tests use their own database <name>_opsux_test, never the one the URL names",
    )
    group.addoption(
        REUSE_DB_OPTION,
        dest="opsux_reuse_db",
        action="store_true",
        default=False,
        help="keep the test database at the end and reuse it in the next run (faster start-up)",
    )
    group.addoption(
        CREATE_DB_OPTION,
        dest="opsux_create_db",
        action="store_true",
        default=False,
        help="recreate the test database even with --opsux-reuse-db (after a schema change)",
    )
    parser.addini(DB_URL_INI, f"database URL for the opsux fixtures, or {THROWAWAY} (default: SQLite in memory)", default="")
    parser.addini(CONFIG_INI, "path to the opsux config (default: discovered from the rootdir)", default="")
    parser.addini(
        METADATA_INI,
        "the app's SQLAlchemy MetaData to create in the test database, one module:attribute per line "
        "(e.g. myapp.models:Base.metadata)",
        type="linelist",
        default=[],
    )
    # default=None: the header tells an unset switch (the default) from one set to the same value.
    parser.addini(VERIFY_INI, "run the end-of-test notification check (default true)", type="bool", default=None)
    parser.addini(
        STRICT_CATALOG_INI,
        "fail tests that start a run with an unregistered operation type (default true)",
        type="bool",
        default=None,
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    if not configures_opsux(config):
        # Every setting is its default: nothing to check now, and what the fixtures need is read
        # the first time one is used (_settings).
        return
    # Read and checked now, so that a typo stops the run before any test.
    settings = _settings(config)
    if settings.db_url.is_throwaway and _worker_id(config) is None and config.pluginmanager.hasplugin("xdist"):
        from opsux_pytest.throwaway import SharedThrowawayCluster

        config.pluginmanager.register(SharedThrowawayCluster(config), "opsux-throwaway-cluster")


def configures_opsux(config: pytest.Config) -> bool:
    """Whether anything sets an opsux option: a command-line option, the environment, an ini value
    or an opsux config file. Where nothing does, every setting has its default value."""
    if (
        config.getoption("opsux_db_url") is not None
        or config.getoption("opsux_reuse_db")
        or config.getoption("opsux_create_db")
        or os.environ.get(DB_URL_ENV, "").strip()
    ):
        return True
    for name in INI_NAMES:
        try:
            value = config.getini(name)
        except (ValueError, pytest.UsageError):
            # A value pytest cannot parse: settings.read_settings() says what is wrong with it.
            return True
        if value not in (None, "", []):
            return True
    return find_config(config.rootpath) is not None


def _settings(config: pytest.Config) -> OpsuxSettings:
    settings = config.stash.get(SETTINGS, None)
    if settings is None:
        from opsux_pytest.settings import read_settings

        settings = config.stash[SETTINGS] = read_settings(config)
    return settings


def find_config(start: Path) -> Path | None:
    """``opsux_core.policy.find_config`` with the standard library only (tests keep the two in step).

    Importing opsux_core at all loads its config code and PyYAML, which a project that merely has
    opsux installed should not pay for at every pytest start-up.
    """
    here = start.resolve()
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_FILENAME
        if candidate.is_file():
            return candidate
        pyproject = directory / PYPROJECT_FILENAME
        if pyproject.is_file() and _pyproject_has_opsux(pyproject):
            return pyproject
    return None


def _pyproject_has_opsux(path: Path) -> bool:
    import tomllib  # only where a pyproject.toml is found

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        # Unknowable, so it is the config: searching on would test against a parent's catalog.
        return True
    tool = data.get("tool")
    return isinstance(tool, dict) and "opsux" in tool


def pytest_report_header(config: pytest.Config) -> str:
    settings = config.stash.get(SETTINGS, None)
    return UNCONFIGURED_HEADER if settings is None else settings.header()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A typo such as verfy=False must stop the run, not leave the check silently on.
    for item in items:
        for mark in item.iter_markers(MARKER):
            from opsux_pytest.markers import validate

            validate(item, mark)


def _uses_opsux(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return any(name.startswith(("opsux_", "_opsux_")) for name in names)


def _worker_id(config: pytest.Config) -> str | None:
    workerinput = getattr(config, "workerinput", None)
    return workerinput.get("workerid") if isinstance(workerinput, dict) else None


# ---------------------------------------------------------------------------- per-test lifecycle


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    item.config.stash[CURRENT_ITEM] = item
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
    from opsux_pytest.markers import resolve
    from opsux_pytest.testrun import begin

    state = begin(resolve(item, _settings(item.config)), record=record, origins=lambda: _origins(item.config))
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


def _state(config: pytest.Config) -> TestState:
    item = config.stash[CURRENT_ITEM]
    state = item.stash.get(STATE, None)
    if state is None:
        # Requested through request.getfixturevalue(): the protocol hook could not see it coming.
        state = _begin(item, record=False)
    return state


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="session")
def opsux_policy(pytestconfig: pytest.Config) -> Policy:
    """The project's policy (catalog, summary keys, links), from ini ``opsux_config`` or discovered."""
    settings = _settings(pytestconfig)
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

    with provisioned(pytestconfig, _settings(pytestconfig), _worker_id(pytestconfig)) as engine:
        yield engine


# The per-test fixtures are as few levels deep as they can be: pytest's fixture machinery costs
# more per fixture and test than most of what they do (opsux_service is built on the transaction
# directly, sharing its session with opsux_session), and none takes ``request``.


@pytest.fixture
def _opsux_transaction(pytestconfig: pytest.Config, opsux_shared_engine: Engine) -> Iterator[TestTransaction]:
    from opsux_pytest.database import TestTransaction

    state = _state(pytestconfig)
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
    return _opsux_transaction.test_session


@pytest.fixture
def opsux_service(opsux_session: Session, opsux_policy: Policy) -> OperationRunService:
    """An ``OperationRunService`` on ``opsux_session`` and the project's policy (a project that
    overrides ``opsux_session`` gets a service on its session)."""
    from opsux_core import OperationRunService

    return OperationRunService(opsux_session, opsux_policy)


@pytest.fixture
def opsux_make_run(pytestconfig: pytest.Config, _opsux_transaction: TestTransaction, opsux_policy: Policy) -> RunFactory:
    """``opsux_make_run(tenant_id=..., operation_type=..., initiator_id=..., status=..., ...)``."""
    from opsux_pytest.factory import RunFactory

    return RunFactory(_opsux_transaction.test_session, opsux_policy, _state(pytestconfig).prepared)


@pytest.fixture
def opsux_notifications(pytestconfig: pytest.Config) -> NotificationRecorder:
    """Every terminal notification committed during the test, with assertions."""
    # Requested at run time, it listens from then on, until the test's clean-up.
    return _state(pytestconfig).listen()
