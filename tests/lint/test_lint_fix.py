"""--fix and --diff: the did-you-mean respelling of a misspelt literal, formatting kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from opsux_lint.cli import main
from opsux_lint.findings import Finding, Severity
from opsux_lint.fixes import apply_fixes

SOURCE = (
    "# -*- coding: utf-8 -*-\n"
    "from opsux_core import OperationRun\n"
    "\n"
    'OperationRun(operation_type="inventry.sync")  # a comment stays\n'
    "OperationRun(operation_type='inventory.snc')\n"
    'OperationRun(operation_type="totally.different")\n'
    'OperationRun(operation_type=r"inventry.sync")\n'
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "opsux.yaml").write_text("operation_types:\n  inventory.sync: Inventory sync\n", encoding="utf-8")
    (tmp_path / "jobs.py").write_text(SOURCE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, [*args])


def test_diff_shows_the_fixes_and_changes_nothing(project: Path) -> None:
    result = invoke("jobs.py", "--diff")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    out = result.stdout  # type: ignore[attr-defined]
    assert '-OperationRun(operation_type="inventry.sync")  # a comment stays' in out
    assert '+OperationRun(operation_type="inventory.sync")  # a comment stays' in out
    assert "+OperationRun(operation_type='inventory.sync')" in out  # the quote style is kept
    assert "totally.different" not in out.replace(" OperationRun(operation_type=\"totally.different\")", "")
    assert (project / "jobs.py").read_text(encoding="utf-8") == SOURCE


def test_fix_rewrites_what_is_certain_and_reports_the_rest(project: Path) -> None:
    result = invoke("jobs.py", "--fix", "--no-cache")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "Fixed 2 findings in 1 files." in result.stderr  # type: ignore[attr-defined]
    fixed = (project / "jobs.py").read_text(encoding="utf-8")
    assert fixed == SOURCE.replace('"inventry.sync")  #', '"inventory.sync")  #').replace("'inventory.snc'", "'inventory.sync'")
    remaining = result.stdout  # type: ignore[attr-defined]
    assert "'totally.different'" in remaining  # no close registered type: nothing to fix
    assert "jobs.py:7:" in remaining  # a raw string is left for a person to decide
    again = invoke("jobs.py", "--fix")
    assert "Fixed 0 findings in 0 files." in again.stderr  # type: ignore[attr-defined]
    assert (project / "jobs.py").read_text(encoding="utf-8") == fixed
    assert invoke("jobs.py", "--diff").stdout == ""  # type: ignore[attr-defined]


def _finding(line: int, column: int, end_column: int, fix: str) -> Finding:
    return Finding("m.py", line, column, "OPS001", line, end_column, "m", "n", Severity.ERROR, fix=fix)


def test_overlapping_fixes_apply_one_and_a_broken_result_applies_none() -> None:
    text = 'f("ab")\n'
    fixed, applied = apply_fixes(text, [_finding(1, 3, 7, '"cd"'), _finding(1, 4, 6, "xy")])
    assert (fixed, len(applied)) == ('f("xy")\n', 1)  # the later region wins; the next run sees the rest
    assert apply_fixes(text, [_finding(1, 3, 7, '"cd')]) == (text, [])  # would not parse
    assert apply_fixes(text, []) == (text, [])
