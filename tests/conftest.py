"""Shared by every suite: pytester for the plugin's tests, and the PostgreSQL server all suites use.

PostgreSQL comes, in this order, from ``OPSUX_TEST_POSTGRES_URL`` (a server you run), else from a
throwaway cluster started from the PostgreSQL binaries on this machine - the same mechanism as the
plugin's ``--opsux-db-url postgresql-proc`` - so the README test command runs the PostgreSQL tests
with nothing set wherever PostgreSQL is installed. Where it is not, the PostgreSQL tests are skipped
with a reason that says what to install; under ``CI=true`` that skip is a failure instead, so a
broken CI set-up cannot quietly turn the production engine's half of the suite off.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

pytest_plugins = ["pytester"]

POSTGRES_ENV = "OPSUX_TEST_POSTGRES_URL"
# The one spelling of a server URL, in README, the skip reason and the harness alike.
EXAMPLE_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server URL for this test process (per xdist worker when throwaway)."""
    configured = os.environ.get(POSTGRES_ENV, "").strip()
    if configured:
        yield configured
        return
    from opsux_pytest.throwaway import ThrowawayUnavailable, throwaway_cluster

    try:
        with throwaway_cluster() as url:
            yield url
    except ThrowawayUnavailable as exc:
        unavailable(f"PostgreSQL tests need a server: {exc}; or set {POSTGRES_ENV} (e.g. {EXAMPLE_POSTGRES_URL})")


def unavailable(message: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; under CI=true the PostgreSQL tests must run", pytrace=False)
    pytest.skip(message)
