"""``opsux``: the operators' command (check the config, create the tables, see the surfaces)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from opsux_core.errors import ConfigError
from opsux_core.policy import Policy, load_policy

EXIT_USAGE = 2


def _fail(message: str) -> None:
    click.echo(f"opsux: {message}", err=True)
    sys.exit(EXIT_USAGE)


def _policy(path: Path | None) -> Policy:
    try:
        return load_policy(path)
    except ConfigError as exc:
        _fail(str(exc))
        raise  # unreachable; keeps type checkers honest


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="opsux", prog_name="opsux")
def main() -> None:
    """opsux: one run record, one catalog, three feedback surfaces."""


@main.command("check-config")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def check_config(path: Path | None) -> None:
    """Validate the project's config (PATH: a file or a directory to search upwards from) and print the catalog."""
    policy = _policy(path)
    click.echo(f"{policy.source}: valid")
    click.echo(f"{len(policy.catalog)} operation types:")
    width = max((len(entry.code) for entry in policy.catalog), default=0)
    for entry in sorted(policy.catalog, key=lambda e: e.code):
        extra = f"  (~{entry.expected_duration_seconds} s)" if entry.expected_duration_seconds else ""
        click.echo(f"  {entry.code.ljust(width)}  {entry.label}{extra}")
    click.echo(f"summary keys: {', '.join(policy.summary_keys)}")
    click.echo(f"links: run {policy.links.run}, index {policy.links.index}")


@main.command("init-db")
@click.option("--db", "url", required=True, metavar="URL", help="SQLAlchemy URL, e.g. postgresql+psycopg://app@db/app")
def init_db(url: str) -> None:
    """Create the opsux tables and indexes (idempotent)."""
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

    from opsux_core.models import Base, create_schema

    try:
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError) as exc:
        _fail(f"--db: not a usable database URL ({exc})")
    try:
        create_schema(engine)
        existing = set(inspect(engine).get_table_names())
    except OperationalError as exc:
        _fail(f"--db: cannot connect or create tables: {exc.orig}")
    finally:
        engine.dispose()
    for table in Base.metadata.sorted_tables:
        mark = "ok" if table.name in existing else "missing"
        click.echo(f"{table.name}: {mark}")


@main.command()
def demo() -> None:
    """Run a realistic flow on in-memory SQLite and print what each surface shows."""
    from opsux_core.demo import run_demo

    run_demo(click.echo)


if __name__ == "__main__":  # pragma: no cover
    main()
