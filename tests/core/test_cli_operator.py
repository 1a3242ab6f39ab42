"""The operators' command against real databases: URLs and their errors, the schema, runs list/show/reap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from opsux_core import Initiator, OperationRunService, Policy
from opsux_core.cli import main

ADA = Initiator(id="user-3", name="Ada")
OLD = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def invoke(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def url_of(engine: Engine) -> str:
    """The URL of *engine*, with the test schema the PostgreSQL engine sets on each connection."""
    url = engine.url
    if url.get_backend_name() == "postgresql":
        with engine.connect() as conn:
            schema = conn.scalar(text("SELECT current_schema()"))
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "opsux.yaml"
    path.write_text(
        "operation_types:\n"
        "  inventory.sync: {label: Inventory sync, expected_duration_seconds: 120}\n"
        "  directory.import: Directory import\n"
    )
    return path


# ----------------------------------------------------------------------------- URLs and their errors


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "'not a url' is not a database URL; use sqlite:///path/to/app.db or postgresql+psycopg://user@host/db"),
        ("nosuchdriver://x/y", "nosuchdriver://x/y: nosuchdriver is not supported; opsux runs on SQLite and PostgreSQL"),
        ("mysql://app@db/app", "mysql://app@db/app: mysql is not supported; opsux runs on SQLite and PostgreSQL"),
        (
            "postgresql+psycopg2://app@127.0.0.1/app",
            "postgresql+psycopg2://app@127.0.0.1/app: the driver is not installed: No module named 'psycopg2' "
            "(pip install 'opsux[postgres]' and use postgresql+psycopg://)",
        ),
        ("postgresql+nodriver://app@127.0.0.1/app", "unknown driver 'postgresql+nodriver'"),
    ],
)
def test_unusable_urls_are_one_clear_line(url: str, message: str) -> None:
    for command in (["init-db"], ["db", "upgrade"], ["runs", "list", "--tenant", "acme"], ["runs", "show", "1"]):
        code, out, err = invoke(*command, "--db", url)
        assert (code, out) == (2, "")
        assert err.startswith("opsux: --db: ") and message in err, err


def test_an_unreachable_database_hides_the_password() -> None:
    code, _, err = invoke("init-db", "--db", "postgresql+psycopg://app:s3cret@127.0.0.1:1/app")
    assert code == 2
    assert err.startswith("opsux: --db: postgresql+psycopg://app:***@127.0.0.1:1/app: cannot connect: ")
    assert "s3cret" not in err


def test_an_sqlite_file_that_cannot_be_opened(tmp_path: Path) -> None:
    code, _, err = invoke("init-db", "--db", f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    assert code == 2 and err.endswith(": cannot connect: unable to open database file\n")


def test_the_url_may_come_from_the_environment(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    code, out, _ = invoke("init-db", env={"OPSUX_DATABASE_URL": url})
    assert code == 0 and out.splitlines() == ["operation_runs: ok", "run_notifications: ok"]
    # --db wins over the environment.
    code, _, err = invoke("init-db", "--db", "mysql://x/y", env={"OPSUX_DATABASE_URL": url})
    assert code == 2 and "mysql is not supported" in err


@pytest.fixture
def no_create_url(pg_engine: Engine) -> Iterator[str]:
    """A PostgreSQL role that may use a schema but not create anything in it."""
    base = create_engine(pg_engine.url)
    schema, role = "opsux_core_cli_locked", "opsux_core_nocreate"
    with base.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.execute(text(f"GRANT USAGE ON SCHEMA {schema} TO {role}"))
    url = base.url.set(username=role, password=None).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with base.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"DROP ROLE IF EXISTS {role}"))
    base.dispose()


def test_a_role_without_create_gets_the_database_reason_and_a_hint(no_create_url: str) -> None:
    code, _, err = invoke("init-db", "--db", no_create_url)
    assert code == 2
    assert "the database refused: permission denied for schema opsux_core_cli_locked" in err
    assert "(the role needs CREATE on the schema to create or upgrade the opsux tables)" in err


# ----------------------------------------------------------------------------- schema: init-db, db upgrade, db check


def test_init_db_says_what_differs_and_db_upgrade_repairs(engine: Engine) -> None:
    url = url_of(engine)
    # The engine fixture built the tables with create_all: init-db adopts them at the newest revision.
    code, out, _ = invoke("init-db", "--db", url)
    assert code == 0 and out.splitlines() == [
        "existing opsux tables adopted at revision 0003",
        "operation_runs: ok",
        "run_notifications: ok",
    ]
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX uq_operation_runs_active_identity"))
    code, out, err = invoke("init-db", "--db", url)
    assert code == 1
    assert out.splitlines() == [
        "operation_runs: differs",
        "  - index uq_operation_runs_active_identity is missing",
        "run_notifications: ok",
    ]
    assert "run `opsux db upgrade` to repair" in err
    assert invoke("db", "check", "--db", url)[0] == 1
    code, out, _ = invoke("db", "upgrade", "--db", url)
    assert code == 0, out
    assert out.splitlines() == [
        "revision: 0003 -> 0003",
        "repaired operation_runs: index uq_operation_runs_active_identity recreated",
        "operation_runs: ok",
        "run_notifications: ok",
    ]
    code, out, _ = invoke("db", "check", "--db", url)
    assert code == 0 and out.splitlines()[0] == "revision: 0003 (newest: 0003)"
    with engine.begin() as conn:  # leave the shared schema as the other tests expect it
        conn.execute(text("DROP TABLE opsux_alembic_version"))


# ----------------------------------------------------------------------------- runs list / show / reap


@pytest.fixture
def seeded(engine: Engine, policy: Policy) -> dict[str, int]:
    with Session(engine) as session:
        old = OperationRunService(session, policy, clock=lambda: OLD)
        stale = old.start("acme", "inventory.sync", initiator=ADA).run.id
        service = OperationRunService(session, policy)
        running = service.start("acme", "directory.import", initiator=ADA).run.id
        service.mark_running(running)
        service.increment(running, total=10, processed=4)
        done = service.start("acme", "directory.import", identity="done").run.id
        service.complete(done, "succeeded")
        other = service.start("globex", "inventory.sync").run.id
    return {"stale": stale, "running": running, "done": done, "other": other}


def test_runs_list_shows_one_tenant_newest_first(engine: Engine, seeded: dict[str, int]) -> None:
    code, out, _ = invoke("runs", "list", "--db", url_of(engine), "--tenant", "acme")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "TYPE", "INITIATOR", "CREATED", "COUNTS"]
    assert [line.split()[:4] for line in lines[1:]] == [
        [str(seeded["done"]), "succeeded", "directory.import", "System"],
        [str(seeded["running"]), "running", "directory.import", "Ada"],
        [str(seeded["stale"]), "queued", "inventory.sync", "Ada"],
    ]
    assert lines[2].endswith("total=10 processed=4")
    code, out, _ = invoke("runs", "list", "--db", url_of(engine), "--tenant", "acme", "--active", "--json")
    data = json.loads(out)
    assert [run["id"] for run in data] == [seeded["running"], seeded["stale"]]
    assert data[0]["summary_counts"] == {"total": 10, "processed": 4} and data[1]["created_at"] == OLD.isoformat()
    code, out, _ = invoke("runs", "list", "--db", url_of(engine), "--tenant", "initech")
    assert (code, out) == (0, "no runs for tenant initech\n")


def test_runs_list_rejects_a_tenant_no_database_stores(engine: Engine) -> None:
    code, _, err = invoke("runs", "list", "--db", url_of(engine), "--tenant", "x" * 129)
    assert code == 2 and "at most 128 fit" in err


def test_runs_show_one_run_with_its_notification(engine: Engine, policy: Policy, seeded: dict[str, int]) -> None:
    with Session(engine) as session:
        OperationRunService(session, policy).fail(seeded["running"], "sync.timeout", "took too long")
    code, out, _ = invoke("runs", "show", "--db", url_of(engine), str(seeded["running"]))
    assert code == 0
    assert f"id: {seeded['running']}\n" in out and "ux_status: failed\n" in out
    assert "failure: code=sync.timeout message=took too long\n" in out
    assert "notification: Directory import failed -> user-3 (" in out
    data = json.loads(invoke("runs", "show", "--db", url_of(engine), str(seeded["running"]), "--json")[1])
    assert data["failure"] == {"code": "sync.timeout", "message": "took too long"}
    assert [n["recipient_id"] for n in data["notifications"]] == ["user-3"]
    code, _, err = invoke("runs", "show", "--db", url_of(engine), "999999")
    assert (code, err) == (2, "opsux: run 999999 does not exist\n")


def test_runs_reap_dry_run_then_reap(engine: Engine, seeded: dict[str, int], config: Path) -> None:
    url = url_of(engine)
    code, out, _ = invoke("runs", "reap", "--db", url, "--config", str(config), "--dry-run")
    assert code == 0
    [line, summary] = out.splitlines()
    assert line.startswith(f"would reap run {seeded['stale']} (inventory.sync, tenant acme, queued): no heartbeat for ")
    assert line.endswith(" s, limit 360 s") and summary == "1 run would reap"
    code, out, _ = invoke("runs", "reap", "--db", url, "--config", str(config), "--json")
    data = json.loads(out)
    assert data["dry_run"] is False and [r["run_id"] for r in data["runs"]] == [seeded["stale"]]
    assert invoke("runs", "reap", "--db", url, "--config", str(config))[1] == "no stale runs\n"
    shown = json.loads(invoke("runs", "show", "--db", url, str(seeded["stale"]), "--json")[1])
    assert shown["failure"]["code"] == "run.stale" and len(shown["notifications"]) == 1


def test_runs_reap_needs_a_valid_config(engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "opsux.yaml").write_text("runs: {stale_factor: 0}\n")
    code, _, err = invoke("runs", "reap", "--db", url_of(engine), "--config", str(tmp_path))
    assert code == 2 and "runs.stale_factor: must be a number from 1 to 1000, not 0" in err


# ----------------------------------------------------------------------------- check-config: every error


BAD = """\
operation_types:
  Bad-Code: x
  inventory.sync: {label: Inventory sync, expected_duration_seconds: -1}
  ok.type: Fine
  missing.label: {description: no label}
summary_keys: [total, Total, total]
links:
  run: /runs/{id}
lint:
  select: [OPS001, nope]
  operation_type_sinks:
    - {call: "bad call"}
    - {call: app.start, arg: -2}
runs: {stale_factor: 0}
typo_key: 1
"""


def test_check_config_reports_every_error_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "opsux.yaml"
    path.write_text(BAD)
    code, out, err = invoke("check-config", str(path))
    assert (code, out) == (2, "")
    assert [line.split(": ", 2)[1:] and line.split(": ")[1] for line in err.splitlines()] == [
        f"{path}:15",
        f"{path}:2",
        f"{path}:3",
        f"{path}:5",
        f"{path}:6",
        f"{path}:6",
        f"{path}:8",
        f"{path}:10",
        f"{path}:12",
        f"{path}:13",
        f"{path}:14",
        "11 errors",
    ]
    assert f"{path}:6: summary_keys[1]: 'Total' is not a lower-case identifier" in err
    assert f"{path}:6: summary_keys[2]: 'total' is listed twice" in err  # the index in the file, not after removals
    assert f"{path}:13: lint.operation_type_sinks[1].arg: must be a 0-based position" in err


def test_check_config_reports_every_error_in_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.opsux]\nsummary_keys = []\n[tool.opsux.operation_types]\n"a.b" = ""\n"x" = "X"\n'
    )
    code, _, err = invoke("check-config", str(tmp_path))
    assert code == 2
    assert err.splitlines() == [
        f"opsux: {tmp_path / 'pyproject.toml'}: tool.opsux.operation_types.a.b: the label must be a non-empty string",
        f"opsux: {tmp_path / 'pyproject.toml'}: tool.opsux.operation_types.x: malformed operation type code 'x': "
        "it must match operation_type_pattern '^[a-z][a-z0-9_]*(\\\\.[a-z][a-z0-9_]*)+$'",
        f"opsux: {tmp_path / 'pyproject.toml'}: tool.opsux.summary_keys: must name at least one key",
        "opsux: 3 errors",
    ]


def test_check_config_with_one_error_prints_no_count(tmp_path: Path) -> None:
    (tmp_path / "opsux.yaml").write_text("operation_types: {a.b: A}\nlinks: {index: 3}\n")
    code, _, err = invoke("check-config", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "links.index: must be a non-empty URL template" in err


def test_check_config_on_unparseable_yaml_reports_the_parse_error(tmp_path: Path) -> None:
    (tmp_path / "opsux.yaml").write_text("operation_types: [\n")
    code, _, err = invoke("check-config", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "invalid YAML" in err


