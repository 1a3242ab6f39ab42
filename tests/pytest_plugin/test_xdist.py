"""Under pytest-xdist every worker gets its own database (``<database>_opsux_test_<worker>``)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from plugin_harness import Project

TESTS = """
import pytest
from opsux_core import Initiator, OperationRun
from sqlalchemy import func, select

@pytest.mark.parametrize("n", range(12))
def test_parallel(n, opsux_service, opsux_session, opsux_notifications):
    # The same identity in every test: each worker's transactions must not see or wait on the other's.
    run = opsux_service.start("acme", "inventory.sync", initiator=Initiator("user-3", "U"), inputs={"site": 1}).run
    assert opsux_session.scalar(select(func.count()).select_from(OperationRun)) == 1
    opsux_service.complete(run, "succeeded")
    opsux_notifications.assert_terminal_once(run)
"""


def test_two_workers_each_with_their_own_database(project: Project) -> None:
    project.tests(TESTS)
    result = project.run_subprocess("-n", "2")
    result.assert_outcomes(passed=12)
    url = make_url(project.db_url)
    if url.get_backend_name() == "postgresql":
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                left = conn.execute(
                    text("SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
                    {"prefix": f"{url.database}_opsux_test%"},
                ).scalars().all()
        finally:
            admin.dispose()
        assert left == [], "worker databases must be dropped at the end of the session"


def test_worker_database_names(project: Project) -> None:
    project.tests(
        """
def test_name(opsux_engine, pytestconfig):
    worker = pytestconfig.workerinput["workerid"]
    base = pytestconfig.getoption("opsux_db_url")
    if base.startswith("postgresql"):
        assert opsux_engine.url.database.endswith("_" + worker)
        assert opsux_engine.url.database == base.rsplit("/", 1)[1] + "_opsux_test_" + worker
    else:
        assert opsux_engine.url.database in (None, "", ":memory:")
"""
    )
    project.run_subprocess("-n", "2").assert_outcomes(passed=1)


def test_sqlite_file_databases_get_a_file_per_worker(pytester: pytest.Pytester) -> None:
    database = pytester.path / "app.db"
    project = Project(pytester, f"sqlite:///{database}")
    project.tests(
        """
import pytest

@pytest.mark.parametrize("n", range(4))
def test_file(n, opsux_engine, pytestconfig):
    worker = pytestconfig.workerinput["workerid"]
    assert opsux_engine.url.database.endswith(f"app_opsux_test_{worker}.db")
"""
    )
    project.run_subprocess("-n", "2").assert_outcomes(passed=4)
    assert sorted(p.name for p in pytester.path.glob("app*.db")) == []
