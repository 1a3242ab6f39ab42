"""From the settings to a ready test database: which server, which database, which tables.

The server is the configured URL, or a throwaway cluster (``postgresql-proc``): started here for
a run without xdist, and by the xdist controller for all workers otherwise. Anything that goes
wrong fails the tests that need the database, with the URL and the reason, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from opsux_pytest.database import MetadataNotFound, load_metadata, provisioned_database
from opsux_pytest.dburl import parse_database_url
from opsux_pytest.settings import WORKER_SERVER_ERROR, WORKER_SERVER_URL, OpsuxSettings
from opsux_pytest.throwaway import ThrowawayUnavailable, throwaway_cluster


@contextmanager
def provisioned(config: pytest.Config, settings: OpsuxSettings, worker: str | None) -> Iterator[Engine]:
    with ExitStack() as stack:
        server = _server(config, settings, stack)
        configured = parse_database_url(server)
        try:
            url = make_url(server)
        except ArgumentError as exc:
            pytest.fail(f"opsux: {settings.db_url_source}: {configured.redacted()!r} is not a database URL: {exc}", pytrace=False)
        try:
            metadata = [load_metadata(spec) for spec in settings.metadata]
        except MetadataNotFound as exc:
            pytest.fail(f"opsux: {exc}", pytrace=False)
        name = configured.test_database(worker)
        test_url = url if name is None else url.set(database=name)
        description = test_url.render_as_string(hide_password=True)
        try:
            engine = stack.enter_context(
                provisioned_database(
                    test_url,
                    connect_to=url.database,
                    keep=settings.reuse_db,
                    fresh=settings.create_db or not settings.reuse_db,
                    metadata=metadata,
                )
            )
        except SQLAlchemyError as exc:
            pytest.fail(
                f"opsux: cannot prepare the test database {description} ({settings.db_url_source}): "
                f"{type(exc).__name__}: {exc}",
                pytrace=False,
            )
        yield engine


def _server(config: pytest.Config, settings: OpsuxSettings, stack: ExitStack) -> str:
    if not settings.db_url.is_throwaway:
        return settings.db_url.value
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict):
        if workerinput.get(WORKER_SERVER_URL):
            return str(workerinput[WORKER_SERVER_URL])
        if workerinput.get(WORKER_SERVER_ERROR):
            pytest.fail(f"opsux: {settings.db_url_source}: {workerinput[WORKER_SERVER_ERROR]}", pytrace=False)
    try:
        return stack.enter_context(throwaway_cluster())
    except ThrowawayUnavailable as exc:
        pytest.fail(f"opsux: {settings.db_url_source}: {exc}", pytrace=False)
