"""The hook in .pre-commit-hooks.yaml, installed by pre-commit itself from a clone (``repo:`` +
``rev:``), in a consumer repository: it runs, reports, and when only the config changed lints the
tracked files, never untracked scratch files.

The hook repository is built from this working tree (sources, packaging files and the hook
definition), so the test checks the code under test, not the last commit. pre-commit installs it
into its own virtual environment from the package index, as it would for a user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lint_support import REPO

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

HOOK_REPO_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml", "src")
# ``*.start`` on any receiver, as a project may configure: the hook is under test, not types.
CATALOG = "operation_types:\n  inventory.sync: Inventory sync\nlint:\n  operation_type_sinks: [{call: '*.start', arg: 1}]\n"


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "user.name=opsux", "-c", "user.email=opsux@example.invalid", "-c", "commit.gpgsign=false", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )
    return completed.stdout.strip()


def pre_commit_executable() -> str:
    beside = Path(sys.executable).parent / "pre-commit"
    return str(beside) if beside.exists() else shutil.which("pre-commit") or "pre-commit"


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding this working tree's hook and package; (path, commit)."""
    root = tmp_path_factory.mktemp("hook-repo")
    for name in HOOK_REPO_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, root / name)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "hook under test")
    return root, git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    # Shared by the tests of this module: pre-commit installs the hook's environment once.
    yield tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def consumer(tmp_path: Path, hook_repo: tuple[Path, str]) -> Path:
    path, rev = hook_repo
    root = tmp_path / "consumer"
    root.mkdir()
    git(root, "init", "-q")
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {path}\n    rev: {rev}\n    hooks:\n      - id: opsux-lint\n", encoding="utf-8"
    )
    (root / "opsux.yaml").write_text(CATALOG, encoding="utf-8")
    (root / "app").mkdir()
    (root / "app" / "jobs.py").write_text('service.start(tenant_id, "inventry.sync")\n', encoding="utf-8")
    (root / "app" / "clean.py").write_text('service.start(tenant_id, "inventory.sync")\n', encoding="utf-8")
    return root


def pre_commit(root: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "OPSUX_", "PRE_COMMIT"))}
    env["PRE_COMMIT_HOME"] = str(home)
    return subprocess.run(
        [pre_commit_executable(), "run", "--color", "never", *args], cwd=root, env=env,
        capture_output=True, text=True, timeout=900, check=False,
    )


def test_the_hook_installs_from_a_clone_runs_and_reports(consumer: Path, pre_commit_home: Path) -> None:
    git(consumer, "add", ".")
    failing = pre_commit(consumer, pre_commit_home, "--all-files")
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "opsux-lint" in failing.stdout and "Failed" in failing.stdout
    assert "app/jobs.py:1:26: OPS001 Operation type 'inventry.sync' is not registered" in failing.stdout
    (consumer / "app" / "jobs.py").write_text('service.start(tenant_id, "inventory.sync")\n', encoding="utf-8")
    git(consumer, "add", ".")
    passing = pre_commit(consumer, pre_commit_home, "--all-files")
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout


def test_when_only_the_config_changes_tracked_files_are_linted_not_scratch_files(
    consumer: Path, pre_commit_home: Path
) -> None:
    git(consumer, "add", ".")
    git(consumer, "commit", "-q", "--no-verify", "-m", "start")
    (consumer / "scratch.py").write_text('service.start(tenant_id, "scratch.thing")\n', encoding="utf-8")
    # Removing a type from the catalog breaks committed code that did not change.
    (consumer / "opsux.yaml").write_text(CATALOG.replace("inventory.sync: Inventory sync", "billing.export: Billing export"), encoding="utf-8")
    git(consumer, "add", "opsux.yaml")
    result = pre_commit(consumer, pre_commit_home)  # the staged files only: opsux.yaml
    assert result.returncode == 1, result.stdout + result.stderr
    assert "app/clean.py:1:26: OPS001" in result.stdout
    assert "app/jobs.py:1:26: OPS001" in result.stdout
    assert "scratch.py" not in result.stdout
