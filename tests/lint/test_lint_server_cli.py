"""``opsux-lint server`` from the command line: dispatch, and a clear error without pygls."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsux_lint.cli import main


def test_without_pygls_the_server_names_the_extra_to_install(tmp_path: Path) -> None:
    for name in ("pygls", "lsprotocol"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f"raise ImportError('no {name}', name='{name}')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    completed = subprocess.run(
        [sys.executable, "-m", "opsux_lint", "server"], capture_output=True, text=True, env=env,
        stdin=subprocess.DEVNULL, timeout=60, check=False,
    )
    assert completed.returncode == 2
    assert "opsux-lint server needs pygls" in completed.stderr
    assert "pip install 'opsux[lsp]'" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_server_is_a_command_and_a_directory_of_that_name_is_linted_as_a_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    help_text = CliRunner().invoke(main, ["server", "--help"])
    assert help_text.exit_code == 0 and "Run the language server" in help_text.stdout
    assert "--unsafe-fixes" in help_text.stdout
    assert "opsux-lint server" in CliRunner().invoke(main, ["--help"]).stdout
    (tmp_path / "opsux.yaml").write_text("operation_types:\n  inventory.sync: Inventory sync\n", encoding="utf-8")
    (tmp_path / "server").mkdir()
    (tmp_path / "server" / "jobs.py").write_text(
        'from opsux_core import OperationRun\nOperationRun(operation_type="inventry.sync")\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    linted = CliRunner().invoke(main, ["./server", "--no-cache"])
    assert linted.exit_code == 1 and "server/jobs.py:2:" in linted.stdout
