"""A throwaway PostgreSQL cluster for one test session (``--opsux-db-url postgresql-proc``).

Started from the PostgreSQL binaries on the machine through pytest-postgresql's executor (the
optional extra ``opsux[postgresql-proc]``), on a free port, in a temporary directory that is
removed with it. Trust authentication, user ``postgres``: it only listens on 127.0.0.1.

PostgreSQL refuses to run as root (containers and CI often are root): there the server runs as
the ``postgres`` system account that Debian's and most distributions' packages create, through
``runuser``, in a directory handed to that account.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from opsux_pytest.dburl import DEFAULT_POSTGRES_DATABASE
from opsux_pytest.settings import WORKER_SERVER_ERROR, WORKER_SERVER_URL

EXTRA = "opsux[postgresql-proc]"
SUPERUSER = "postgres"
SYSTEM_ACCOUNT = "postgres"
INSTALL_HINT = (
    "install PostgreSQL's server binaries (Debian/Ubuntu: apt-get install postgresql; "
    "Fedora: dnf install postgresql-server; macOS: brew install postgresql) "
    "or put the directory holding pg_ctl on PATH"
)


class ThrowawayUnavailable(RuntimeError):
    """A throwaway cluster cannot be started here; the message says what to install or change."""


def find_pg_ctl() -> str | None:
    """``pg_ctl`` from PATH, else the newest of Debian's versioned directories, else pg_config's."""
    found = shutil.which("pg_ctl")
    if found:
        return found
    versioned = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3].split(".")[0])
    )
    if versioned:
        return versioned[-1]
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        candidate = Path(bindir) / "pg_ctl"
        if candidate.is_file():
            return str(candidate)
    return None


def check_available() -> str:
    """The pg_ctl to use; raises :class:`ThrowawayUnavailable` saying what is missing."""
    try:
        import pytest_postgresql  # noqa: F401
    except ImportError:
        raise ThrowawayUnavailable(
            f"a throwaway PostgreSQL cluster needs pytest-postgresql: pip install '{EXTRA}'"
        ) from None
    pg_ctl = find_pg_ctl()
    if pg_ctl is None:
        raise ThrowawayUnavailable(f"a throwaway PostgreSQL cluster needs pg_ctl, which is not installed: {INSTALL_HINT}")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SYSTEM_ACCOUNT)
        except KeyError:
            raise ThrowawayUnavailable(
                f"PostgreSQL refuses to run as root and there is no {SYSTEM_ACCOUNT!r} account to run it as: "
                "run the tests as another user, or create that account"
            ) from None
        if shutil.which("runuser") is None:
            raise ThrowawayUnavailable("PostgreSQL refuses to run as root, and runuser (util-linux) is missing")
    return pg_ctl


@contextmanager
def throwaway_cluster() -> Iterator[str]:
    """Start a cluster; yield its SQLAlchemy URL (database ``postgres``); stop and remove it after."""
    from port_for import get_port
    from pytest_postgresql.executors import PostgreSQLExecutor

    pg_ctl = check_available()
    directory = Path(tempfile.mkdtemp(prefix="opsux-postgresql-"))
    try:
        if os.geteuid() == 0:
            pg_ctl = _as_system_account(pg_ctl, directory)
        port = get_port(None)
        assert port is not None
        executor = PostgreSQLExecutor(
            executable=pg_ctl,
            host="127.0.0.1",
            port=port,
            datadir=str(directory / "data"),
            unixsocketdir=str(directory),
            logfile=str(directory / "postgresql.log"),
            startparams="-w",
            dbname=DEFAULT_POSTGRES_DATABASE,
            user=SUPERUSER,
            # Nothing here must survive a crash: durability off makes every commit cheap.
            postgres_options="-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
        )
        # mirakuru marks the processes it starts with "<pid>:<uuid4>" and, when *any* process
        # that imported it exits, SIGKILLs every process whose marker merely contains that
        # process's pid as a substring: with hundreds of short-lived pytest subprocesses, one of
        # them sooner or later killed the shared cluster's postmaster mid-run. A marker without
        # digits matches no pid; the executor's own stop() still finds its processes by it.
        executor._uuid = "opsux-" + uuid.uuid4().hex.translate(_NO_DIGITS)
        try:
            executor.start()
            _wait_until_accepting(port)
        except Exception as exc:
            log = directory / "postgresql.log"
            tail = log.read_text(errors="replace")[-2000:] if log.is_file() else ""
            raise ThrowawayUnavailable(f"the throwaway PostgreSQL cluster did not start: {exc}\n{tail}") from exc
        try:
            yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{DEFAULT_POSTGRES_DATABASE}"
        finally:
            executor.stop()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


_NO_DIGITS = str.maketrans("0123456789", "ghijklmnop")


class SharedThrowawayCluster:
    """Under pytest-xdist: one throwaway cluster, started by the controller, for all workers.

    Each worker still gets its own database in it (``postgres_opsux_test_gw0``, ...). Registered by
    the plugin as a pytest plugin of the controller.
    """

    def __init__(self, config: pytest.Config) -> None:
        self._stack = ExitStack()
        self._url: str | None = None
        self._error: str | None = None
        config.add_cleanup(self._stack.close)

    def pytest_configure_node(self, node: Any) -> None:
        if self._url is None and self._error is None:
            try:
                self._url = self._stack.enter_context(throwaway_cluster())
            except ThrowawayUnavailable as exc:
                self._error = str(exc)
        if self._url is not None:
            node.workerinput[WORKER_SERVER_URL] = self._url
        else:
            node.workerinput[WORKER_SERVER_ERROR] = self._error


def _wait_until_accepting(port: int, timeout: float = 60.0) -> None:
    # The executor returns once the port is open, while the server may still answer "the database
    # system is starting up": wait for a real connection.
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname=DEFAULT_POSTGRES_DATABASE, connect_timeout=5).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _as_system_account(pg_ctl: str, directory: Path) -> str:
    """A pg_ctl that runs as the postgres account, and *directory* handed over to that account."""
    account = pwd.getpwnam(SYSTEM_ACCOUNT)
    os.chown(directory, account.pw_uid, account.pw_gid)
    wrapper = directory / "pg_ctl"
    # cd /: the caller's working directory may be one the account cannot enter.
    wrapper.write_text(
        f"#!/bin/sh\ncd / && exec runuser -u {SYSTEM_ACCOUNT} -- {shlex.quote(pg_ctl)} \"$@\"\n", encoding="utf-8"
    )
    wrapper.chmod(0o755)
    return str(wrapper)
