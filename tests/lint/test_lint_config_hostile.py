"""opsux-lint on a hostile config: exit 2 with one config-error line, never an internal error.

Run as a subprocess, as CI runs it: a traceback, a hang or "This is a bug" would show here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

TAG = "opsux.yaml:1: operation_types: YAML tag !!python/object/apply:os.system is not allowed"


def lint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opsux_lint", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
    )


def billion_laughs() -> str:
    lines = ['lol0: &a0 "lol"']
    lines += [f"lol{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 10)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("operation_types: !!python/object/apply:os.system ['touch ran']\n", TAG),
        ("operation_types: !!python/name:os.system\n", "opsux.yaml:1: operation_types: YAML tag !!python/name:os.system is not allowed"),
        ("operation_types: !custom {a.b: A}\n", "opsux.yaml:1: operation_types: YAML tag !custom is not allowed"),
        (billion_laughs(), "opsux.yaml:2: lol1[0]: YAML aliases are not allowed (*a0): write the value out"),
        ("summary_keys: " + "[" * 5000 + "]" * 5000 + "\n", "opsux.yaml:1: summary_keys"),
    ],
)
def test_a_hostile_opsux_yaml_is_a_config_error_exit_2(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "opsux.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    result = lint(".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"opsux-lint: config error: {tmp_path / message}")
    assert result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "ran").exists()


def test_a_pyproject_that_does_not_parse_is_a_config_error_not_the_parents_catalog(tmp_path: Path) -> None:
    (tmp_path / "opsux.yaml").write_text("operation_types:\n  inventory.sync: Inventory sync\n", encoding="utf-8")
    package = tmp_path / "pkg"
    package.mkdir()
    broken = package / "pyproject.toml"
    broken.write_text("[tool.opsux\n", encoding="utf-8")
    (package / "ops.py").write_text(
        "from opsux_core import OperationRun\n\nOperationRun(operation_type='inventory.sync')\n", encoding="utf-8"
    )
    result = lint("pkg/ops.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "All checks passed" not in result.stdout
    assert result.stderr.startswith(f"opsux-lint: config error: {broken}: invalid TOML: ")
    # Fixed, it governs the package (its catalog, not the parent's, which registers inventory.sync).
    broken.write_text('[tool.opsux.operation_types]\n"inventory.full" = "Full inventory"\n', encoding="utf-8")
    fixed = lint("pkg/ops.py", cwd=tmp_path)
    assert fixed.returncode == 1
    assert "OPS001 Operation type 'inventory.sync' is not registered" in fixed.stdout
