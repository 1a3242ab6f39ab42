"""Opening the database an operator names, with errors a person can act on instead of tracebacks."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from opsux_core.errors import DatabaseUnavailable

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
_EXAMPLES = "sqlite:///path/to/app.db or postgresql+psycopg://user@host/db"
_INSUFFICIENT_PRIVILEGE = "42501"


def open_engine(url: str) -> Engine:
    """An engine for *url* whose first connection succeeded; :class:`DatabaseUnavailable` otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(f"{url!r} is not a database URL; use {_EXAMPLES}") from None
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise DatabaseUnavailable(f"{shown}: {backend} is not supported; opsux runs on SQLite and PostgreSQL ({_EXAMPLES})")
    try:
        engine = create_engine(parsed)
    except NoSuchModuleError:
        raise DatabaseUnavailable(f"{shown}: unknown driver {parsed.drivername!r}; use {_EXAMPLES}") from None
    except ImportError as exc:
        hint = " (pip install 'opsux[postgres]' and use postgresql+psycopg://)" if backend == "postgresql" else ""
        raise DatabaseUnavailable(f"{shown}: the driver is not installed: {exc}{hint}") from None
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise DatabaseUnavailable(f"{shown}: cannot connect: {database_message(exc)}") from None
    return engine


def database_message(exc: DBAPIError) -> str:
    """The database's own words for *exc*, one line, with a hint for a missing privilege."""
    message = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig).__name__
    if getattr(exc.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE:
        message += " (the role needs CREATE on the schema to create or upgrade the opsux tables)"
    return message


def describe(url: str | URL) -> str:
    return make_url(url).render_as_string(hide_password=True)
