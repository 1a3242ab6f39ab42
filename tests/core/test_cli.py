"""The operators' command: check-config, init-db, demo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, inspect

from opsux_core.cli import main


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_check_config_prints_the_catalog(tmp_path: Path) -> None:
    (tmp_path / "opsux.yaml").write_text(
        "operation_types:\n  inventory.sync: {label: Inventory sync, expected_duration_seconds: 120}\n  backup.run: Backup run\n"
    )
    code, out, _ = invoke("check-config", str(tmp_path))
    assert code == 0
    assert f"{tmp_path / 'opsux.yaml'}: valid" in out
    assert "2 operation types:" in out
    assert "  backup.run      Backup run\n" in out
    assert "  inventory.sync  Inventory sync  (~120 s)\n" in out


def test_check_config_reports_file_key_and_line_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "opsux.yaml").write_text("operation_types:\n  Bad-Code: x\n")
    code, out, err = invoke("check-config", str(tmp_path / "opsux.yaml"))
    assert code == 2 and out == ""
    assert err.startswith(f"opsux: {tmp_path / 'opsux.yaml'}:2: operation_types.Bad-Code: malformed operation type code")
    assert "Traceback" not in err


def test_check_config_without_any_config(tmp_path: Path) -> None:
    code, _, err = invoke("check-config", str(tmp_path))
    assert code == 2 and "no opsux.yaml and no pyproject.toml with [tool.opsux]" in err


def test_init_db_creates_the_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    code, out, _ = invoke("init-db", "--db", url)
    assert code == 0, out
    assert out.splitlines() == ["operation_runs: ok", "run_notifications: ok"]
    engine = create_engine(url)
    indexes = {ix["name"] for ix in inspect(engine).get_indexes("operation_runs")}
    engine.dispose()
    assert {"uq_operation_runs_active_identity", "ix_operation_runs_tenant_active"} <= indexes
    assert invoke("init-db", "--db", url)[0] == 0  # idempotent


def test_init_db_needs_a_url() -> None:
    result = CliRunner().invoke(main, ["init-db"], env={"OPSUX_DATABASE_URL": None})
    code, err = result.exit_code, result.stderr
    assert (code, err) == (2, "opsux: no database: pass --db URL or set OPSUX_DATABASE_URL\n")


def test_demo_shows_all_three_surfaces() -> None:
    code, out, _ = invoke("demo")
    assert code == 0, out
    # Toasts: queued, already queued (dedupe).
    assert "toast: Inventory sync queued | Running in the background." in out
    assert "toast: Inventory sync already queued | Running in the background." in out
    # Widget: tenant-wide, determinate percentage, hidden for a viewer who may not monitor.
    assert "Inventory sync - Running 40% - View run /t/acme/operations/1" in out
    assert "widget for Dee (may not monitor): hidden" in out
    step_4 = out.split("4. Workers report progress")[1].split("\n5. ")[0]
    assert "Report export" not in step_4  # globex's export is another tenant's run
    # Notifications: one per run with an initiator, none for the system run, the dispatch failure included.
    notes = [line for line in out.splitlines() if line.startswith("   -> ")]
    assert notes == [
        "   -> user-3: Inventory sync completed with failures | Completed, but some items failed.",
        "   -> user-9: Directory import completed | Completed successfully.",
        "   -> user-3: Report export failed | The operation failed: ConnectionError: broker unreachable.",
    ]
    assert "failure code queue.dispatch_failed" in out
    assert "Delivered after commit to the channel: 3" in out


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "opsux"
    out = subprocess.run([str(exe), "--version"], capture_output=True, text=True, check=True).stdout
    assert out.startswith("opsux, version ")
