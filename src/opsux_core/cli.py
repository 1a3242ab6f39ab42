"""``opsux``: the operators' command (check the config, create and upgrade the tables, see and reap runs).

Commands parse options and print; the work is done by the modules they call. Every error a
person can cause (a bad config, an unusable database) ends with ``opsux: ...`` on stderr and exit
status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from opsux_core.config_report import config_errors
from opsux_core.errors import ConfigError, DatabaseUnavailable, OpsuxError
from opsux_core.policy import Policy, load_policy

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from opsux_core.models import OperationRun

EXIT_USAGE = 2
EXIT_DIFFERS = 1
DATABASE_ENV = "OPSUX_DATABASE_URL"

db_option = click.option(
    "--db",
    "url",
    envvar=DATABASE_ENV,
    show_envvar=True,
    metavar="URL",
    help=f"SQLAlchemy URL, e.g. postgresql+psycopg://app@db/app (default: ${DATABASE_ENV})",
)
config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="opsux.yaml / pyproject.toml, or a directory to search upwards from (default: the working directory)",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def _fail(message: str) -> NoReturn:
    click.echo(f"opsux: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _policy(path: Path | None) -> Policy:
    try:
        return load_policy(path)
    except ConfigError as exc:
        _fail(str(exc))


@contextmanager
def _connection(url: str | None) -> Iterator[Connection]:
    """A connection to *url*; any database error inside the block becomes a clear exit 2."""
    from sqlalchemy.exc import DBAPIError

    from opsux_core.connect import database_message, describe, open_engine

    if not url:
        _fail(f"no database: pass --db URL or set {DATABASE_ENV}")

    try:
        engine = open_engine(url)
    except DatabaseUnavailable as exc:
        _fail(f"--db: {exc}")
    try:
        with engine.connect() as connection:
            yield connection
    except DBAPIError as exc:
        _fail(f"{describe(url)}: the database refused: {database_message(exc)}")
    finally:
        engine.dispose()


@contextmanager
def _session(url: str | None) -> Iterator[Session]:
    from sqlalchemy.orm import Session

    with _connection(url) as connection, Session(bind=connection) as session:
        yield session


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="opsux", prog_name="opsux")
def main() -> None:
    """opsux: one run record, one catalog, three feedback surfaces."""


# --------------------------------------------------------------------------- config


@main.command("check-config")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def check_config(path: Path | None) -> None:
    """Validate the project's config (PATH: a file or a directory to search upwards from) and print the catalog.

    Every error is reported, one per line, not only the first.
    """
    try:
        policy = load_policy(path)
    except ConfigError as first:
        errors = config_errors(path, first)
        for error in errors:
            click.echo(f"opsux: {error}", err=True)
        if len(errors) > 1:
            click.echo(f"opsux: {len(errors)} errors", err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"{policy.source}: valid")
    click.echo(f"{len(policy.catalog)} operation types:")
    width = max((len(entry.code) for entry in policy.catalog), default=0)
    for entry in sorted(policy.catalog, key=lambda e: e.code):
        extra = f"  (~{entry.expected_duration_seconds} s)" if entry.expected_duration_seconds else ""
        click.echo(f"  {entry.code.ljust(width)}  {entry.label}{extra}")
    click.echo(f"summary keys: {', '.join(policy.summary_keys)}")
    click.echo(f"links: run {policy.links.run}, index {policy.links.index}")


# --------------------------------------------------------------------------- schema


def _report_schema(connection: Connection) -> bool:
    """Print each table's state; True when the schema is exactly opsux's."""
    from opsux_core import schema
    from opsux_core.models import Base

    found = schema.differences(connection)
    for table in Base.metadata.sorted_tables:
        mine = [d for d in found if d.table == table.name]
        click.echo(f"{table.name}: {'ok' if not mine else 'differs'}")
        for difference in mine:
            click.echo(f"  - {difference.problem}")
    others = [d for d in found if d.table not in Base.metadata.tables]
    for difference in others:
        click.echo(f"{difference}")
    return not found


@main.command("init-db")
@db_option
def init_db(url: str | None) -> None:
    """Create the opsux tables by running the shipped migrations, then verify them.

    Exit 1 (and say what differs) when the tables do not match opsux's schema; `opsux db upgrade` repairs what it can.
    """
    from opsux_core import schema

    with _connection(url) as connection:
        adopted = schema.upgrade(connection)
        if adopted:
            click.echo(f"existing opsux tables adopted at revision {adopted}")
        if not _report_schema(connection):
            click.echo("the schema differs from opsux's; run `opsux db upgrade` to repair", err=True)
            sys.exit(EXIT_DIFFERS)


@main.group()
def db() -> None:
    """The opsux tables: upgrade, verify."""


@db.command("upgrade")
@db_option
def db_upgrade(url: str | None) -> None:
    """Run the opsux migrations to the newest revision and recreate missing indexes and constraints."""
    from opsux_core import schema

    with _connection(url) as connection:
        before = schema.current_revision(connection)
        adopted = schema.upgrade(connection)
        after = schema.current_revision(connection)
        if adopted:
            click.echo(f"existing opsux tables adopted at revision {adopted}")
        click.echo(f"revision: {adopted or before or 'none'} -> {after}")
        for repaired in schema.repair(connection):
            click.echo(f"repaired {repaired}")
        if not _report_schema(connection):
            click.echo("some differences need a person (a column of another type or shape); see above", err=True)
            sys.exit(EXIT_DIFFERS)


@db.command("check")
@db_option
def db_check(url: str | None) -> None:
    """Verify the opsux tables against the models without changing anything (exit 1 if they differ)."""
    from opsux_core import schema

    with _connection(url) as connection:
        current, head = schema.current_revision(connection), schema.head_revision()
        click.echo(f"revision: {current or 'none'} (newest: {head})")
        if not _report_schema(connection) or current != head:
            sys.exit(EXIT_DIFFERS)


# --------------------------------------------------------------------------- runs


@main.group()
def runs() -> None:
    """See and reap operation runs."""


def _run_line(run: OperationRun) -> list[str]:
    from opsux_core.status import ux_status

    counts = " ".join(f"{key}={value}" for key, value in (run.summary_counts or {}).items())
    return [
        str(run.id),
        ux_status(run.status, run.outcome).value,
        run.operation_type,
        run.initiator_name,
        run.created_at.isoformat(timespec="seconds"),
        counts,
    ]


def _table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


@runs.command("list")
@db_option
@click.option("--tenant", required=True, help="The tenant whose runs to list.")
@click.option("--active", is_flag=True, help="Only queued and running runs.")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True)
@json_option
def runs_list(url: str | None, tenant: str, active: bool, limit: int, as_json: bool) -> None:
    """The tenant's runs, newest first."""
    from opsux_core.queries import list_runs

    with _session(url) as session:
        try:
            found = list_runs(session, tenant, limit=limit, active_only=active)
        except OpsuxError as exc:
            _fail(f"--tenant: {exc}")
        if as_json:
            _echo_json([run.to_dict() for run in found])
        elif not found:
            click.echo(f"no {'active ' if active else ''}runs for tenant {tenant}")
        else:
            _table(["ID", "STATUS", "TYPE", "INITIATOR", "CREATED", "COUNTS"], [_run_line(run) for run in found])


@runs.command("show")
@db_option
@click.argument("run_id", type=int)
@json_option
def runs_show(url: str | None, run_id: int, as_json: bool) -> None:
    """One run (any tenant) with its failure and its notification."""
    from opsux_core.models import OperationRun

    with _session(url) as session:
        run = session.get(OperationRun, run_id)
        if run is None:
            _fail(f"run {run_id} does not exist")
        data = run.to_dict()
        data["notifications"] = [note.to_dict() for note in run.notifications]
        if as_json:
            _echo_json(data)
            return
        for key, value in data.items():
            if key == "notifications":
                for note in value:
                    click.echo(f"notification: {note['title']} -> {note['recipient_id']} ({note['created_at']})")
            elif isinstance(value, dict):
                click.echo(f"{key}: {' '.join(f'{k}={v}' for k, v in value.items()) or '-'}")
            else:
                click.echo(f"{key}: {'-' if value is None else value}")


@runs.command("reap")
@db_option
@config_option
@click.option("--dry-run", is_flag=True, help="Only list the stale runs; change nothing.")
@click.option("--grace", type=click.IntRange(min=0), default=0, show_default=True, help="Seconds added to every type's limit.")
@click.option("--limit", type=click.IntRange(min=1), default=1000, show_default=True, help="At most this many runs per call.")
@json_option
def runs_reap(url: str | None, config_path: Path | None, dry_run: bool, grace: int, limit: int, as_json: bool) -> None:
    """Fail (run.stale) active runs without a heartbeat for longer than their type allows.

    Safe to run from several machines at once (cron): each run is failed, and its initiator
    notified, exactly once.
    """
    from opsux_core.service import OperationRunService

    policy = _policy(config_path)
    with _session(url) as session:
        service = OperationRunService(session, policy)
        found = service.reap_stale(grace=timedelta(seconds=grace), dry_run=dry_run, limit=limit)
        if as_json:
            _echo_json({"dry_run": dry_run, "runs": [stale.to_dict() for stale in found]})
            return
        verb = "would reap" if dry_run else "reaped"
        for stale in found:
            click.echo(
                f"{verb} run {stale.run_id} ({stale.operation_type}, tenant {stale.tenant_id}, {stale.status}): "
                f"no heartbeat for {stale.silent_seconds} s, limit {stale.limit_seconds} s"
            )
        click.echo(f"{len(found)} run{'s' if len(found) != 1 else ''} {verb}" if found else "no stale runs")


@main.command()
def demo() -> None:
    """Run a realistic flow on in-memory SQLite and print what each surface shows."""
    from opsux_core.demo import run_demo

    run_demo(click.echo)


if __name__ == "__main__":  # pragma: no cover
    main()
