"""The test database: one engine per test session, one rolled-back transaction per test.

Each test runs inside an outer transaction on one connection; sessions join it with
``join_transaction_mode="create_savepoint"`` (SQLAlchemy's documented recipe for test suites), so
code under test may ``commit()`` as often as it likes and the outer ROLLBACK still removes it all.

On SQLite that recipe needs pysqlite's transaction handling switched off and BEGIN emitted by
SQLAlchemy (the documented workaround): otherwise the driver never begins the outer transaction,
a SAVEPOINT opens its own, and rows that code under test committed leak into the next test.

Under pytest-xdist each worker gets its own database, because tests on one shared database would
block each other on the dedupe unique index and race in CREATE TABLE. On PostgreSQL that is
``<database>_<worker id>`` (created through the ``postgres`` maintenance database before the
session, dropped after); a separate database rather than a schema, so that nothing in the app or
its migrations has to know about a search_path. A SQLite file gets a per-worker file name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from opsux_core import OperationRun, RunNotification, create_schema

MAINTENANCE_DATABASE = "postgres"


def worker_url(url: URL, worker_id: str | None) -> URL:
    """The URL a given xdist worker uses: its own database, or *url* itself outside xdist."""
    if not worker_id:
        return url
    if url.get_backend_name() == "postgresql":
        base = url.database or "postgres"
        return url.set(database=f"{base}_{worker_id}")
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database or "")
        return url.set(database=str(path.with_name(f"{path.stem}_{worker_id}{path.suffix}")))
    # SQLite in memory is private to each process already.
    return url


@contextmanager
def provisioned_engine(url: URL, *, own_database: bool) -> Iterator[Engine]:
    """An engine on *url* with the opsux schema; *own_database* creates it first and drops it after."""
    if own_database and url.get_backend_name() == "postgresql":
        _recreate_postgres_database(url)
    engine = make_engine(url)
    try:
        create_schema(engine)
        yield engine
    finally:
        engine.dispose()
        if own_database:
            if url.get_backend_name() == "postgresql":
                _drop_postgres_database(url)
            elif url.database not in (None, "", ":memory:"):
                Path(url.database or "").unlink(missing_ok=True)


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url)
    in_memory = url.database in (None, "", ":memory:")
    if in_memory:
        # One shared connection: every connect() sees the same in-memory database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_no_driver_transactions)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_no_driver_transactions(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite must not emit BEGIN itself (it skips it before SAVEPOINT); SQLAlchemy does below.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def _admin_engine(url: URL) -> Engine:
    return create_engine(url.set(database=MAINTENANCE_DATABASE), isolation_level="AUTOCOMMIT")


def _recreate_postgres_database(url: URL) -> None:
    # A crashed earlier run may have left the worker database behind; start from nothing.
    admin = _admin_engine(url)
    name = _quoted_identifier(url.database or "")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
    finally:
        admin.dispose()


def _drop_postgres_database(url: URL) -> None:
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quoted_identifier(url.database or '')} WITH (FORCE)")
    finally:
        admin.dispose()


def _quoted_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class Baseline:
    """What the database held when a test began: runs by id with (status, outcome), notification ids.

    Read inside the test's transaction before the test runs, so seed data committed by session
    fixtures (at any point) is never mistaken for something the test did.
    """

    runs: dict[int, tuple[str, str]] = field(default_factory=dict)
    notifications: frozenset[int] = frozenset()


# Built once: every checked test runs it, and building a statement costs more than running it here.
_BASELINE = select(OperationRun.id, OperationRun.status, OperationRun.outcome, RunNotification.id).outerjoin(
    RunNotification, RunNotification.run_id == OperationRun.id
)


def read_baseline(connection: Connection) -> Baseline:
    # One round trip: runs joined to their notifications.
    runs: dict[int, tuple[str, str]] = {}
    notes: set[int] = set()
    for run_id, status, outcome, note_id in connection.execute(_BASELINE):
        runs[run_id] = (status, outcome)
        if note_id is not None:
            notes.add(note_id)
    return Baseline(runs=runs, notifications=frozenset(notes))


class TestTransaction:
    """One test's connection and outer transaction; every session made here joins it."""

    __test__ = False  # not a test class, whatever pytest's collection thinks of the name

    def __init__(self, engine: Engine, *, baseline: bool = True) -> None:
        self.connection = engine.connect()
        self._outer = self.connection.begin()
        self.baseline = read_baseline(self.connection) if baseline else None
        self._sessions: list[Session] = []
        self._sessionmaker: sessionmaker[Session] | None = None

    def session(self) -> Session:
        session = Session(bind=self.connection, join_transaction_mode="create_savepoint")
        self._sessions.append(session)
        return session

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        # Made on demand: each sessionmaker defines a Session subclass, too costly for every test.
        if self._sessionmaker is None:
            self._sessionmaker = sessionmaker(bind=self.connection, join_transaction_mode="create_savepoint")
        return self._sessionmaker

    def close(self) -> None:
        try:
            for session in self._sessions:
                session.close()
        finally:
            try:
                if self._outer.is_active:
                    self._outer.rollback()
            finally:
                self.connection.close()

