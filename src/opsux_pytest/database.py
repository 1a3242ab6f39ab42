"""The test database: the plugin's own database per session, one rolled-back transaction per test.

**Own database.** The URL a project configures names a server (and a database to connect to); the
tests run in ``<database>_opsux_test`` beside it (``_gw0``, ... per pytest-xdist worker), created
before the session and dropped after it, so a URL pointing at a development database never gets a
table or a row. ``--opsux-reuse-db`` keeps the test database between runs; ``--opsux-create-db``
recreates it anyway. A separate database rather than a schema keeps the app's models and
migrations free of any ``search_path`` knowledge. A SQLite file gets ``<stem>_opsux_test<suffix>``.

**Clean tests.** Each test runs inside an outer transaction on one connection, rolled back at the
end, whichever fixture wrote:

- sessions join it with ``join_transaction_mode="create_savepoint"`` (SQLAlchemy's recipe for
  test suites), so code under test may ``commit()`` as often as it likes;
- ``opsux_engine`` is an engine on that same connection whose transactions are savepoints: its
  ``begin()`` / ``commit()`` become ``SAVEPOINT`` / ``RELEASE SAVEPOINT``, so app code written
  against an ``Engine`` runs unchanged and still leaves nothing behind.

On SQLite the recipe needs pysqlite's transaction handling switched off and BEGIN emitted by
SQLAlchemy's ``begin`` event (the documented workaround): otherwise the driver never begins the
outer transaction, a SAVEPOINT opens its own, and rows that code under test committed leak into
the next test.

**Cheap per test.** What the plugin itself reads (the check's baseline and its end-of-test query)
are ``select()`` statements compiled once per connection and run on the driver's cursor: through
SQLAlchemy's execution machinery each would cost more than the test's own statements on SQLite.
SQLite in memory lives in one connection, so every change to it is counted by the driver
(``total_changes``): there the baseline is read again only when something changed the database
since the last test ended, and a test that changed nothing needs no check query at all.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, create_engine, event, select, text
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql import ClauseElement

from opsux_core import OperationRun, RunNotification, create_schema


class MetadataNotFound(LookupError):
    """An ``opsux_metadata`` entry that does not lead to a SQLAlchemy ``MetaData``."""


def load_metadata(spec: str) -> MetaData:
    """``myapp.models:Base.metadata`` -> that ``MetaData`` (imported on first use of the database)."""
    module_name, _, attribute = spec.partition(":")
    try:
        value: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise MetadataNotFound(f"ini opsux_metadata: cannot import {module_name!r} for {spec!r}: {exc}") from None
    for name in attribute.split("."):
        try:
            value = getattr(value, name)
        except AttributeError:
            raise MetadataNotFound(f"ini opsux_metadata: {spec!r}: {type(value).__name__} has no attribute {name!r}") from None
    if not isinstance(value, MetaData):
        raise MetadataNotFound(
            f"ini opsux_metadata: {spec!r} is a {type(value).__name__}, not a SQLAlchemy MetaData "
            "(for declarative models use Base.metadata; for Flask-SQLAlchemy, db.metadata)"
        )
    return value


@contextmanager
def provisioned_database(
    url: URL, *, connect_to: str | None, keep: bool, fresh: bool, metadata: Sequence[MetaData] = ()
) -> Iterator[Engine]:
    """An engine on the test database *url* with the opsux tables and the app's *metadata*.

    *fresh* starts from an empty database (dropping a leftover); *keep* leaves it there at the end.
    On PostgreSQL the database is created and dropped from a connection to *connect_to*, the
    database the configured URL names (``postgres`` when it names none).
    """
    admin = url.set(database=connect_to or "postgres")
    if url.get_backend_name() == "postgresql":
        if fresh or not _postgres_database_exists(admin, url.database or ""):
            _recreate_postgres_database(admin, url.database or "")
    elif fresh and url.database not in (None, "", ":memory:"):
        Path(url.database or "").unlink(missing_ok=True)
    engine = make_engine(url)
    try:
        create_schema(engine)
        for tables in metadata:
            tables.create_all(engine)
        yield engine
    finally:
        engine.dispose()
        if not keep:
            if url.get_backend_name() == "postgresql":
                _drop_postgres_database(admin, url.database or "")
            elif url.database not in (None, "", ":memory:"):
                Path(url.database or "").unlink(missing_ok=True)


def make_engine(url: URL) -> Engine:
    if url.get_backend_name() != "sqlite":
        return create_engine(url)
    in_memory = url.database in (None, "", ":memory:")
    if in_memory:
        # One shared connection: every connect() sees the same in-memory database.
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_sole_connection)
    else:
        engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_no_driver_transactions)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_no_driver_transactions(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite must not emit BEGIN itself (it skips it before SAVEPOINT); SQLAlchemy does below.
    dbapi_connection.isolation_level = None


def _sqlite_sole_connection(dbapi_connection: Any, connection_record: Any) -> None:
    connection_record.info[SoleConnection.INFO_KEY] = SoleConnection(dbapi_connection)


def _sqlite_begin(connection: Connection) -> None:
    # Straight to the driver: once per test, and SQLAlchemy's execute would cost several times the
    # statement itself (its events and result objects have nothing to say about a BEGIN).
    connection.connection.dbapi_connection.execute("BEGIN")  # type: ignore[union-attr]


def _admin_engine(admin: URL) -> Engine:
    return create_engine(admin, isolation_level="AUTOCOMMIT")


def _postgres_database_exists(admin: URL, name: str) -> bool:
    engine = _admin_engine(admin)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name})
            return found.first() is not None
    finally:
        engine.dispose()


def _recreate_postgres_database(admin: URL, name: str) -> None:
    engine = _admin_engine(admin)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quoted_identifier(name)} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {_quoted_identifier(name)}")
    finally:
        engine.dispose()


def _drop_postgres_database(admin: URL, name: str) -> None:
    engine = _admin_engine(admin)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {_quoted_identifier(name)} WITH (FORCE)")
    finally:
        engine.dispose()


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


def fetch_all(connection: Connection, statement: ClauseElement) -> list[tuple[Any, ...]]:
    """The rows of *statement* (no parameters), as the driver returns them.

    Compiled once per connection (the SQL is kept in the connection's ``info``) and run on the
    driver's cursor, inside the connection's transaction: the plugin's own reads skip SQLAlchemy's
    per-execution work (cache key, events, result objects), which on SQLite costs ten times the
    query. Only for columns whose driver values are the Python values (ids, strings). Driver
    errors come out as the driver's exceptions (``connection.dialect.loaded_dbapi.Error``).
    """
    info = connection.info
    sql = info.get(statement)
    if sql is None:
        sql = info[statement] = str(statement.compile(dialect=connection.dialect))
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql)
        return [tuple(row) for row in cursor.fetchall()]
    finally:
        cursor.close()


def read_baseline(connection: Connection) -> Baseline:
    # One round trip: runs joined to their notifications.
    runs: dict[int, tuple[str, str]] = {}
    notes: set[int] = set()
    for run_id, status, outcome, note_id in fetch_all(connection, _BASELINE):
        runs[run_id] = (status, outcome)
        if note_id is not None:
            notes.add(note_id)
    return Baseline(runs=runs, notifications=frozenset(notes))


class SoleConnection:
    """A database that lives in one DBAPI connection (SQLite in memory), so that every change to it
    goes through that connection and is counted by ``sqlite3.Connection.total_changes``.

    Each test runs in a transaction that is rolled back, so the database holds the same rows at
    the start of every test until something changes it between tests (a session fixture's seed
    data). The baseline is therefore read once and kept, with the change count at which the
    database last held exactly it; a test that starts at another count reads it again.
    """

    INFO_KEY = "opsux_sole_connection"

    def __init__(self, dbapi_connection: Any) -> None:
        self._dbapi = dbapi_connection
        self._baseline: Baseline | None = None
        self._clean_at = -1

    def changes(self) -> int:
        return int(self._dbapi.total_changes)

    def holds_baseline(self) -> bool:
        """Whether the database holds exactly the kept baseline now."""
        return self._baseline is not None and self.changes() == self._clean_at

    def baseline(self, connection: Connection) -> Baseline:
        if self._baseline is None or self.changes() != self._clean_at:
            self._baseline = read_baseline(connection)
            self._clean_at = self.changes()
        return self._baseline

    def in_transaction(self) -> bool:
        return bool(self._dbapi.in_transaction)

    def restored(self, baseline_kept: bool) -> None:
        """A test's transaction was rolled back. *baseline_kept*: the database held the kept
        baseline when it began, and nothing ended the transaction under the test (so the rollback
        undid every change); then it holds the baseline again. Otherwise the baseline is unknown."""
        if baseline_kept:
            self._clean_at = self.changes()
        else:
            self._baseline = None


class TestTransaction:
    """One test's connection and outer transaction; every session and engine made here joins it."""

    __test__ = False  # not a test class, whatever pytest's collection thinks of the name

    def __init__(self, engine: Engine, *, baseline: bool = True) -> None:
        self._engine = engine
        self.connection = engine.connect()
        self._sole: SoleConnection | None = self.connection.info.get(SoleConnection.INFO_KEY)
        self._outer = self.connection.begin()
        if self._sole is None:
            self.baseline = read_baseline(self.connection) if baseline else None
            self._baseline_kept = False
            self._changes_at_start = -1
        else:
            self.baseline = self._sole.baseline(self.connection) if baseline else None
            self._baseline_kept = self._sole.holds_baseline()
            self._changes_at_start = self._sole.changes()
        self._sessions: list[Session] = []
        self._test_session: Session | None = None
        self._sessionmaker: sessionmaker[Session] | None = None
        self._joined_engine: Engine | None = None

    def session(self) -> Session:
        session = Session(bind=self.connection, join_transaction_mode="create_savepoint")
        self._sessions.append(session)
        return session

    @property
    def test_session(self) -> Session:
        """The test's session (``opsux_session``, and the one ``opsux_service`` works in)."""
        if self._test_session is None:
            self._test_session = self.session()
        return self._test_session

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        # Made on demand: each sessionmaker defines a Session subclass, too costly for every test.
        if self._sessionmaker is None:
            self._sessionmaker = sessionmaker(bind=self.connection, join_transaction_mode="create_savepoint")
        return self._sessionmaker

    @property
    def engine(self) -> Engine:
        """An ``Engine`` whose every connection is this test's, its transactions savepoints."""
        if self._joined_engine is None:
            self._joined_engine = joined_engine(self._engine, self.connection)
        return self._joined_engine

    def changed_nothing(self) -> bool:
        """True when it is certain that no row of the database changed during the test so far
        (only known for SQLite in memory, where the driver counts every change)."""
        return self._sole is not None and self._sole.changes() == self._changes_at_start

    def close(self) -> None:
        try:
            for session in self._sessions:
                session.close()
            if self._joined_engine is not None:
                self._joined_engine.dispose(close=False)
        finally:
            try:
                intact = self._outer.is_active and (self._sole is None or self._sole.in_transaction())
                if self._outer.is_active:
                    self._outer.rollback()
                if self._sole is not None:
                    self._sole.restored(self._baseline_kept and intact)
            finally:
                self.connection.close()


def joined_engine(engine: Engine, connection: Connection) -> Engine:
    """An engine on *connection*'s DBAPI connection, inside its transaction, with savepoints for its own.

    It shares *engine*'s dialect (already initialised: no round trips to build it) and has a pool of
    that one connection; the pool never resets it, and the DBAPI commit/rollback it would issue are
    turned into RELEASE / ROLLBACK TO of the savepoint its ``begin`` event opened.
    """
    proxy = _SavepointConnection(connection.connection.dbapi_connection)
    pool = StaticPool(lambda: proxy, reset_on_return=None, dialect=engine.dialect)
    joined = Engine(pool, engine.dialect, engine.url)
    event.listen(joined, "begin", lambda conn: proxy.begin())
    return joined


class _SavepointConnection:
    """A DBAPI connection whose transactions are savepoints inside the test's outer transaction."""

    _NAME = "opsux_engine_transaction"

    def __init__(self, dbapi_connection: Any) -> None:
        self._dbapi = dbapi_connection
        self._depth = 0

    def begin(self) -> None:
        self._execute(f"SAVEPOINT {self._NAME}")
        self._depth += 1

    def commit(self) -> None:
        if self._depth:
            self._depth -= 1
            self._execute(f"RELEASE SAVEPOINT {self._NAME}")

    def rollback(self) -> None:
        if self._depth:
            self._depth -= 1
            self._execute(f"ROLLBACK TO SAVEPOINT {self._NAME}")
            self._execute(f"RELEASE SAVEPOINT {self._NAME}")

    def close(self) -> None:
        # The test's own connection closes the real one.
        pass

    def _execute(self, sql: str) -> None:
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(sql)
        finally:
            cursor.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dbapi, name)
