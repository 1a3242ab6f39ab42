"""The database URL as the plugin reads it at start-up, with the standard library only.

pytest loads the plugin in every run of every project it is installed in, so start-up must not
import SQLAlchemy (issue 16): the URL is checked and named here with ``urllib.parse``, and parsed
by SQLAlchemy only when a test first asks for the database.

The plugin never writes to the database a URL names: it derives its own test database from it,
``<database>_opsux_test`` (``_gw0``, ``_gw1``, ... appended per pytest-xdist worker), as
pytest-django derives ``test_<name>``. A SQLite file gets the same treatment; SQLite in memory is
private to the process already. ``postgresql-proc`` names no server at all: the plugin starts a
throwaway PostgreSQL cluster for the session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePath
from urllib.parse import unquote, urlsplit

from opsux_pytest.plugin import THROWAWAY

TEST_DATABASE_SUFFIX = "_opsux_test"
DEFAULT_POSTGRES_DATABASE = "postgres"

# SQLAlchemy's own shape: <dialect>[+<driver>]://<rest>
_URL = re.compile(r"^(?P<dialect>[A-Za-z][\w]*)(?:\+(?P<driver>[\w]+))?://(?P<rest>.*)$", re.DOTALL)


class Backend(Enum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


class UnusableDatabaseUrl(ValueError):
    """The configured value is not a URL of a database the plugin supports."""


@dataclass(frozen=True)
class DatabaseUrl:
    """A configured database URL: the value given, its backend, and the database it names."""

    value: str
    backend: Backend
    database: str | None
    """The database name (PostgreSQL) or file path (SQLite); None for SQLite in memory."""

    @property
    def is_throwaway(self) -> bool:
        return self.value == THROWAWAY

    @property
    def in_memory(self) -> bool:
        return self.backend is Backend.SQLITE and self.database is None

    def redacted(self) -> str:
        """The URL with its password replaced by ``***``, as SQLAlchemy renders it."""
        if self.is_throwaway:
            return self.value
        parts = urlsplit(self.value)
        if parts.password is None:
            return self.value
        userinfo, _, host = parts.netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        return parts._replace(netloc=f"{user}:***@{host}").geturl()

    def test_database(self, worker: str | None = None) -> str | None:
        """The plugin's own database for this URL (and xdist *worker*); None for SQLite in memory."""
        suffix = TEST_DATABASE_SUFFIX + (f"_{worker}" if worker else "")
        if self.backend is Backend.POSTGRESQL:
            return f"{self.database or DEFAULT_POSTGRES_DATABASE}{suffix}"
        if self.database is None:
            return None
        path = PurePath(self.database)
        return str(path.with_name(f"{path.stem}{suffix}{path.suffix}"))

    def describe_test_database(self) -> str:
        """What the report header shows: the database the tests really use."""
        if self.is_throwaway:
            return f"a throwaway PostgreSQL cluster, database {DEFAULT_POSTGRES_DATABASE}{TEST_DATABASE_SUFFIX}"
        name = self.test_database()
        if name is None:
            return self.redacted()
        if self.backend is Backend.SQLITE:
            return f"sqlite:///{name}"
        parts = urlsplit(self.redacted())
        return parts._replace(path=f"/{name}").geturl()


def parse_database_url(value: str) -> DatabaseUrl:
    """Check *value* well enough to refuse it at start-up; raises :class:`UnusableDatabaseUrl`."""
    if value == THROWAWAY:
        return DatabaseUrl(value, Backend.POSTGRESQL, DEFAULT_POSTGRES_DATABASE)
    match = _URL.match(value)
    if match is None:
        raise UnusableDatabaseUrl(
            f"{value!r} is not a database URL: expected dialect[+driver]://..., "
            f"e.g. sqlite:///tests.db, postgresql+psycopg://user@host:5432/app, or {THROWAWAY}"
        )
    dialect = match["dialect"].lower()
    try:
        backend = Backend(dialect)
    except ValueError:
        raise UnusableDatabaseUrl(
            f"database {dialect!r} is not supported; use sqlite://, postgresql+psycopg://... or {THROWAWAY}"
        ) from None
    rest = match["rest"]
    if backend is Backend.SQLITE:
        # sqlite:// and sqlite:///:memory: are in memory; sqlite:///relative and sqlite:////absolute.
        path = rest[1:].split("?", 1)[0] if rest.startswith("/") else ""
        return DatabaseUrl(value, backend, None if path in ("", ":memory:") else path)
    path = urlsplit(value).path.lstrip("/")
    return DatabaseUrl(value, backend, unquote(path) or None)
