"""Harness for the plugin's own tests: generated projects run with pytest's ``pytester``.

Every generated run gets its config explicitly (an ``opsux.yaml`` in the pytester directory, the
database URL on the command line), never anything inherited from this repository.

PostgreSQL: the URL comes from ``OPSUX_TEST_POSTGRES_URL``. Unset, the PostgreSQL cases are
skipped; but on CI (``CI=true``) a skipped PostgreSQL case is a failure, so a broken CI set-up
cannot quietly turn the PostgreSQL half of the suite off. Each run of this suite (and each xdist
worker of it) gets a private database, created here and dropped at the end, so generated runs never
meet each other's tables or wait on each other's locks.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url

from plugin_harness import Project


def pytest_configure(config: pytest.Config) -> None:
    # pytest forbids ``pytest_plugins`` outside the top-level conftest, which is not ours to edit;
    # load pytester here unless the project already enables it (``-p pytester`` or the root conftest).
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")

POSTGRES_ENV = "OPSUX_TEST_POSTGRES_URL"


def _admin(url: URL) -> Engine:
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    raw = os.environ.get(POSTGRES_ENV, "").strip()
    if not raw:
        yield None
        return
    base = make_url(raw)
    workerinput = getattr(request.config, "workerinput", None)
    worker = workerinput["workerid"] if workerinput else "main"
    url = base.set(database=f"{base.database}_plugin_{os.getpid()}_{worker}")
    admin = _admin(url)
    name = f'"{url.database}"'
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, postgres_url: str | None) -> str:
    if request.param == "sqlite":
        return "sqlite://"
    if postgres_url is None:
        message = f"PostgreSQL case needs {POSTGRES_ENV} (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; on CI it must not be skipped", pytrace=False)
        pytest.skip(message)
    return postgres_url


@pytest.fixture
def project(pytester: pytest.Pytester, db_url: str) -> Project:
    return Project(pytester, db_url)


@pytest.fixture
def sqlite_project(pytester: pytest.Pytester) -> Project:
    """For behaviour that never reaches the database (options, markers, start-up errors)."""
    return Project(pytester, "sqlite://")
