"""Fixtures for opsux_core: every database test runs on SQLite and on PostgreSQL.

PostgreSQL comes from the ``postgres_server_url`` fixture of ``tests/conftest.py``
(``OPSUX_TEST_POSTGRES_URL``, else a throwaway cluster); where neither is possible the PostgreSQL
half is skipped locally, and fails under ``CI=true``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, event, text
from sqlalchemy.orm import Session

from opsux_core import OperationRunService, Policy, policy_from_mapping
from opsux_core.models import Base, OperationRun, RunNotification

# Core tests keep to their own schema so they never touch tables of other suites in the same database.
PG_SCHEMA = "opsux_core_tests"

CONFIG = {
    "operation_types": {
        "inventory.sync": {"label": "Inventory sync", "expected_duration_seconds": 120},
        "directory.import": "Directory import",
        "backup.schedule.execute": "Backup run",
    },
    "links": {"run": "/t/{tenant_id}/operations/{run_id}", "index": "/t/{tenant_id}/operations"},
}


@pytest.fixture
def policy() -> Policy:
    return policy_from_mapping(CONFIG, source="<tests>")


@pytest.fixture(scope="session")
def pg_engine(postgres_server_url: str) -> Iterator[Engine]:
    url = postgres_server_url
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    admin.dispose()
    engine = create_engine(url, connect_args={"options": f"-csearch_path={PG_SCHEMA}"}, pool_size=20)
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_session(pg_engine: Engine) -> Iterator[Session]:
    """A PostgreSQL-only session for dialect-specific checks; its rows are removed afterwards."""
    with Session(pg_engine) as session:
        yield session
    with pg_engine.begin() as conn:
        conn.execute(delete(RunNotification))
        conn.execute(delete(OperationRun))


def sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    Base.metadata.create_all(engine)
    return engine


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = sqlite_engine(tmp_path / "opsux.db")
        yield engine
        engine.dispose()
        return
    engine = request.getfixturevalue("pg_engine")
    yield engine
    with engine.begin() as conn:
        conn.execute(delete(RunNotification))
        conn.execute(delete(OperationRun))


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


@pytest.fixture
def service(session: Session, policy: Policy) -> OperationRunService:
    return OperationRunService(session, policy)
