"""Harness for the plugin's own tests: generated projects run with pytest's ``pytester``.

Every generated run gets its config explicitly (an ``opsux.yaml`` in the pytester directory, the
database URL on the command line), never anything inherited from this repository.

PostgreSQL: the server is ``postgres_server_url`` (tests/conftest.py: ``OPSUX_TEST_POSTGRES_URL``
or a throwaway cluster). Each run of this suite (and each xdist worker of it) gets a private
database there, created here and dropped at the end; generated runs are pointed at it (it plays
the developer's own database) and make their ``<it>_opsux_test`` beside it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url

from plugin_harness import Project

# pytester's in-process runs restore sys.modules after each run, dropping whatever the run
# imported. The plugin imports SQLAlchemy and its own runtime lazily (issue 16), so import them
# here, once: re-importing SQLAlchemy's dialects in every run would re-register their functions.
import sqlalchemy.dialects.postgresql  # noqa: E402,F401
import sqlalchemy.dialects.sqlite  # noqa: E402,F401
import opsux_core.models  # noqa: E402,F401
import opsux_core.service  # noqa: E402,F401
import opsux_pytest.provisioning  # noqa: E402,F401
import opsux_pytest.testrun  # noqa: E402,F401
import opsux_pytest.factory  # noqa: E402,F401


def _admin(url: URL) -> Engine:
    return create_engine(url, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest, postgres_server_url: str) -> Iterator[str]:
    server = make_url(postgres_server_url)
    workerinput = getattr(request.config, "workerinput", None)
    worker = workerinput["workerid"] if workerinput else "main"
    url = server.set(database=f"{server.database or 'postgres'}_plugin_{os.getpid()}_{worker}")
    admin = _admin(server)
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
def db_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return "sqlite://"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def project(pytester: pytest.Pytester, db_url: str) -> Project:
    return Project(pytester, db_url)


@pytest.fixture(params=["sqlite", "postgresql", "postgresql-proc"])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """``db_url``'s two, and a throwaway cluster that the generated run starts for itself."""
    if request.param == "postgresql-proc":
        from opsux_pytest.throwaway import ThrowawayUnavailable, check_available

        try:
            check_available()
        except ThrowawayUnavailable as exc:
            from conftest import unavailable

            unavailable(str(exc))
        return "postgresql-proc"
    if request.param == "sqlite":
        return "sqlite://"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def any_project(pytester: pytest.Pytester, any_db_url: str) -> Project:
    return Project(pytester, any_db_url)


@pytest.fixture
def sqlite_project(pytester: pytest.Pytester) -> Project:
    """For behaviour that never reaches the database (options, markers, start-up errors)."""
    return Project(pytester, "sqlite://")
