"""Multi-file fixture projects with inline expectations (``# expect: OPS001``).

A project fails on a missing finding *and* on an unexpected one: excluded directories, hidden
directories, virtual environments and caches in the fixtures hold violations without
expectations, so linting them would show up here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lint_support import copy_fixture, expectations
from opsux_lint.project import resolve_targets
from opsux_lint.runner import Selection, run

PROJECTS = ["shop", "broken", "pyproject_app", "resolve", "receivers", "runs", "handed", "related"]


def _lint(project: Path) -> set[tuple[str, int, str]]:
    result = run(resolve_targets([project], None), Selection(), project)
    return {(f.path, f.line, f.code) for f in result.findings}


@pytest.mark.parametrize("name", PROJECTS)
def test_findings_are_exactly_the_expectations(name: str, tmp_path: Path) -> None:
    project = copy_fixture(name, tmp_path)
    # Caches are never committed, so the fixture grows one here; it must be skipped.
    cache = project / "__pycache__"
    cache.mkdir(exist_ok=True)
    (cache / "stale.py").write_text(
        'from opsux_core import OperationRun\n\nOperationRun(operation_type="cached.type")\n', encoding="utf-8"
    )
    expected = expectations(project)
    assert expected, "a fixture project without expectations would test nothing"
    actual = _lint(project)
    assert sorted(actual - expected) == [], "unexpected findings"
    assert sorted(expected - actual) == [], "missing findings"


def test_shop_counts_the_files_it_checked(tmp_path: Path) -> None:
    project = copy_fixture("shop", tmp_path)
    result = run(resolve_targets([project], None), Selection(), project)
    checked = 7  # src/shop/*.py only: migrations, .hidden, venv, scripts/legacy, *_pb2 excluded
    assert result.files == checked


def test_a_single_file_is_linted_with_the_config_above_it(tmp_path: Path) -> None:
    project = copy_fixture("shop", tmp_path)
    target = project / "src" / "shop" / "ops.py"
    result = run(resolve_targets([target], None), Selection(), project)
    assert {(f.path, f.line) for f in result.findings} == {("src/shop/ops.py", 14), ("src/shop/ops.py", 15)}


def test_an_explicitly_given_excluded_file_stays_excluded(tmp_path: Path) -> None:
    # pre-commit passes every changed file by name; lint.exclude must still hold.
    project = copy_fixture("shop", tmp_path)
    targets = resolve_targets([project / "migrations" / "0001_initial.py", project / "proto" / "orders_pb2.py"], None)
    assert run(targets, Selection(), project).files == 0


def test_the_config_file_as_a_path_lints_its_whole_project(tmp_path: Path) -> None:
    project = copy_fixture("shop", tmp_path)
    from_config = run(resolve_targets([project / "opsux.yaml"], None), Selection(), project)
    from_dir = run(resolve_targets([project], None), Selection(), project)
    assert from_config.findings == from_dir.findings
    assert from_config.files == 7


def test_an_unreadable_file_is_ops000_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = copy_fixture("shop", tmp_path)
    unreadable = (project / "src" / "shop" / "ops.py").resolve()
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.resolve() == unreadable:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    result = run(resolve_targets([project], None), Selection(), project)
    ops = [(f.line, f.column, f.code, f.message) for f in result.findings if f.path == "src/shop/ops.py"]
    assert ops == [(1, 1, "OPS000", "Cannot lint this file: cannot read: Permission denied")]
    assert any(f.path == "src/shop/views.py" for f in result.findings)


def test_messages_point_at_the_config_in_use(tmp_path: Path) -> None:
    project = copy_fixture("pyproject_app", tmp_path)
    (project / "app" / "new.py").write_text(
        'from opsux_core import OperationRunService\n\nOperationRunService(s, p).start("t", "billing.run")\n', encoding="utf-8"
    )
    result = run(resolve_targets([project / "app" / "new.py"], None), Selection(), project)
    [finding] = result.findings
    assert finding.message.endswith("register it under operation_types in [tool.opsux] of pyproject.toml")
