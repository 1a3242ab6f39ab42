"""``opsux-lint examples/tenant_app``: the README's demo shows exactly its deliberate violations."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from lint_support import REPO

APP = REPO / "examples" / "tenant_app"


def test_the_example_app_shows_its_deliberate_violations() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "opsux_lint", "examples/tenant_app", "--no-cache"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    reported = re.findall(r"^(\S+?):(\d+):\d+: (OPS\d{3}) ", result.stdout, re.MULTILINE)
    deliberate = []
    for file in sorted((APP / "tenant_app").glob("*.py")):
        lines = file.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            match = re.search(r"deliberate: (OPS\d{3})", line)
            if match:
                deliberate.append((file.relative_to(REPO).as_posix(), match.group(1)))
    assert sorted((path, code) for path, _, code in reported) == sorted(deliberate)
    assert len(reported) == 4
    assert "did you mean 'inventory.sync'?" in result.stdout
    assert "migrations" not in result.stdout  # excluded by the app's lint.exclude


def test_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = hooks
    assert hook["id"] == "opsux-lint" and hook["entry"] == "opsux-lint" and hook["language"] == "python"
    files = re.compile(hook["files"])
    for name in ("app/views.py", "opsux.yaml", "sub/opsux.yaml", "pyproject.toml"):
        assert files.search(name), name
    for name in ("README.md", "my-opsux.yaml", "setup.cfg"):
        assert not files.search(name), name


@pytest.mark.parametrize("name", ["python", "yaml", "toml"])
def test_pre_commit_types_cover_code_and_config(name: str) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert name in hooks[0]["types_or"]
