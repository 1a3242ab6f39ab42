"""Which files a run reads: git's view of the tree, default and extended excludes, special files
and the size limit. Special files run in a subprocess with a timeout: the failure they guard
against is a hang."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from opsux_lint.settings import DEFAULT_MAX_FILE_BYTES, LintSettings
from opsux_lint.discovery import Excludes, Skipped, discover, scan

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

CATALOG = "operation_types:\n  inventory.sync: Inventory sync\n"
# ``*.start`` on any receiver, as a project may configure: these tests are about files, not types.
SINK = "  operation_type_sinks: [{call: '*.start', arg: 1}]\n"
BAD_CALL = 'service.start(tenant_id, "inventry.sync")\n'


def write(root: Path, name: str, text: str = "x = 1\n") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def project(root: Path, lint: str = "") -> Path:
    write(root, "opsux.yaml", CATALOG + "lint:\n" + SINK + lint)
    return root


def lint(root: Path, *args: str, timeout: float = 60) -> tuple[int, list[dict[str, object]]]:
    completed = subprocess.run(
        [sys.executable, "-m", "opsux_lint", "--no-cache", "--format", "json", *args],
        cwd=root, capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr
    return completed.returncode, json.loads(completed.stdout)["findings"]


def names(root: Path, start: Path | None = None, **kwargs: bool) -> list[str]:
    excludes = Excludes.build(root, [])
    return [p.relative_to(root).as_posix() for p in discover(start or root, excludes, **kwargs)]


# ----------------------------------------------------------------------------------------- git


def test_a_work_tree_is_listed_by_git_respecting_gitignore(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path, ".gitignore", "generated/\nscratch_*.py\n")
    for name in ("a.py", "pkg/b.py", "generated/c.py", "scratch_1.py", "pkg/scratch_2.py"):
        write(tmp_path, name)
    assert names(tmp_path) == ["a.py", "pkg/b.py"]


def test_a_directory_git_ignores_is_walked_when_named(tmp_path: Path) -> None:
    # Naming an ignored directory (a vendored tree, an installed Python under a git-managed
    # home) lints what is in it, never "0 files checked"; inside it, .gitignore still holds
    # nothing but that directory itself.
    git(tmp_path, "init", "-q")
    write(tmp_path, ".gitignore", "vendor/\n")
    write(tmp_path, "vendor/lib/a.py")
    write(tmp_path, "vendor/b.py")
    assert names(tmp_path) == []
    assert [p.relative_to(tmp_path / "vendor").as_posix() for p in discover(tmp_path / "vendor", Excludes.build(tmp_path, []))] == [
        "b.py", "lib/a.py",
    ]


def test_without_git_the_walk_sees_ignored_files(tmp_path: Path) -> None:
    write(tmp_path, ".gitignore", "generated/\n")
    write(tmp_path, "generated/c.py")
    assert names(tmp_path) == ["generated/c.py"]  # not a work tree: .gitignore means nothing


def test_tracked_only_leaves_out_untracked_files(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    write(tmp_path, "tracked.py")
    write(tmp_path, "staged/new.py")
    git(tmp_path, "add", "tracked.py", "staged/new.py")
    write(tmp_path, "untracked.py")
    assert names(tmp_path, tracked_only=True) == ["tracked.py", "staged/new.py"]
    assert names(tmp_path) == ["tracked.py", "untracked.py", "staged/new.py"]


def test_git_and_the_walk_agree_on_files_and_order(tmp_path: Path) -> None:
    for name in ("b.py", "a.py", "z/a.py", "c/b.py", "c/a/x.py", ".hidden/h.py", "__pycache__/p.py",
                 "env/lib/v.py", "notes.txt"):
        write(tmp_path, name)
    write(tmp_path, "env/pyvenv.cfg", "home = /usr\n")
    walked = names(tmp_path)
    git(tmp_path, "init", "-q")
    assert names(tmp_path) == walked == ["a.py", "b.py", "c/b.py", "c/a/x.py", "z/a.py"]


def test_only_opsux_yaml_changed_lints_tracked_files_never_scratch_files(tmp_path: Path) -> None:
    project(tmp_path)
    git(tmp_path, "init", "-q")
    write(tmp_path, "app/jobs.py", BAD_CALL)
    git(tmp_path, "add", "opsux.yaml", "app/jobs.py")
    write(tmp_path, "scratch.py", BAD_CALL)  # untracked, not ignored
    _, from_config = lint(tmp_path, "opsux.yaml")
    assert {f["path"] for f in from_config} == {"app/jobs.py"}
    _, from_dir = lint(tmp_path, ".")
    assert {f["path"] for f in from_dir} == {"app/jobs.py", "scratch.py"}


# ------------------------------------------------------------------------------------ excludes


@pytest.mark.parametrize("directory", ["build", "dist", ".tox", ".nox", ".venv", ".git", "__pycache__"])
def test_build_and_tool_directories_are_excluded_by_default(tmp_path: Path, directory: str) -> None:
    project(tmp_path)
    write(tmp_path, f"{directory}/lib/jobs.py", BAD_CALL)
    write(tmp_path, "app/jobs.py", BAD_CALL)
    _, findings = lint(tmp_path, ".")
    assert {f["path"] for f in findings} == {"app/jobs.py"}


def test_exclude_replaces_the_defaults_and_extend_exclude_adds_to_them(tmp_path: Path) -> None:
    for name in ("build/a.py", "dist/b.py", "legacy/c.py", "app/d.py"):
        write(tmp_path, name, BAD_CALL)
    project(tmp_path, "  exclude: [legacy/]\n")
    _, findings = lint(tmp_path, ".")
    assert {f["path"] for f in findings} == {"build/a.py", "dist/b.py", "app/d.py"}
    project(tmp_path, "  extend_exclude: [legacy/]\n")
    _, findings = lint(tmp_path, ".")
    assert {f["path"] for f in findings} == {"app/d.py"}


def test_an_explicitly_passed_file_under_a_default_exclude_stays_excluded(tmp_path: Path) -> None:
    project(tmp_path)
    write(tmp_path, "build/lib/jobs.py", BAD_CALL)
    code, findings = lint(tmp_path, "build/lib/jobs.py")
    assert (code, findings) == (0, [])


# ------------------------------------------------------------------------------- special files


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A project whose source root holds every kind of file that must never be read."""
    project(tmp_path)
    write(tmp_path, "app/jobs.py", BAD_CALL)
    write(tmp_path, "app/clean.py")
    os.mkfifo(tmp_path / "app" / "pipe.py")
    (tmp_path / "app" / "zero.py").symlink_to("/dev/zero")
    (tmp_path / "app" / "loop.py").symlink_to(tmp_path / "app" / "loop.py")
    (tmp_path / "app" / "dangling.py").symlink_to(tmp_path / "app" / "gone.py")
    return tmp_path


SPECIAL = {
    "app/dangling.py": "symbolic link to",
    "app/loop.py": "symbolic link loop",
    "app/pipe.py": "not a regular file",
    "app/zero.py": "not a regular file",
}


@pytest.mark.parametrize("use_git", [False, True])
def test_special_files_are_reported_under_their_own_names_and_never_read(hostile: Path, use_git: bool) -> None:
    if use_git:
        git(hostile, "init", "-q")
    code, findings = lint(hostile, ".", timeout=30)
    assert code == 1
    problems = {f["path"]: f["message"] for f in findings if f["code"] == "OPS000"}
    # git lists no named pipes (it cannot track one), so in a work tree there is nothing to report.
    expected = {k: v for k, v in SPECIAL.items() if not (use_git and k == "app/pipe.py")}
    assert problems.keys() == expected.keys()
    for path, words in expected.items():
        assert words in str(problems[path]), problems[path]
    assert [f["path"] for f in findings if f["code"] == "OPS001"] == ["app/jobs.py"]


def test_special_files_under_the_source_roots_do_not_hang_a_run_on_another_file(hostile: Path) -> None:
    # The project index reads every module under the source roots, not only the linted file.
    assert lint(hostile, "app/clean.py", timeout=30) == (0, [])


def test_deselecting_ops000_silences_special_files_but_still_never_reads_them(hostile: Path) -> None:
    code, findings = lint(hostile, ".", "--ignore", "OPS000", timeout=30)
    assert code == 1 and {f["code"] for f in findings} == {"OPS001"}


def test_scan_reports_instead_of_yielding(hostile: Path) -> None:
    items = list(scan(hostile / "app", Excludes.build(hostile, [])))
    assert sorted(p.name for p in items if isinstance(p, Path)) == ["clean.py", "jobs.py"]
    assert sorted(s.path.name for s in items if isinstance(s, Skipped)) == ["dangling.py", "loop.py", "pipe.py", "zero.py"]


# ---------------------------------------------------------------------------------- size limit


@pytest.mark.parametrize(("extra", "too_large"), [(0, False), (1, True)])
def test_max_file_bytes_on_both_sides_of_the_limit(tmp_path: Path, extra: int, too_large: bool) -> None:
    limit = 200
    project(tmp_path, f"  max_file_bytes: {limit}\n")
    body = BAD_CALL + "#" * (limit - len(BAD_CALL) - 1 + extra) + "\n"
    write(tmp_path, "app/big.py", body)
    assert (tmp_path / "app" / "big.py").stat().st_size == limit + extra
    _, findings = lint(tmp_path, ".")
    assert [f["code"] for f in findings] == (["OPS000"] if too_large else ["OPS001"])
    if too_large:
        assert f"too large to check ({limit + 1} bytes; lint.max_file_bytes is {limit})" in str(findings[0]["message"])
    # Passed explicitly (as pre-commit does), the limit holds all the same.
    _, explicit = lint(tmp_path, "app/big.py")
    assert explicit == findings


@pytest.mark.parametrize(("extra", "too_large"), [(0, False), (1, True)])
def test_the_default_limit_is_a_few_megabytes(tmp_path: Path, extra: int, too_large: bool) -> None:
    assert LintSettings().max_file_bytes == DEFAULT_MAX_FILE_BYTES == 4 * 1024 * 1024
    big = tmp_path / "big.py"
    with big.open("wb") as handle:
        handle.truncate(DEFAULT_MAX_FILE_BYTES + extra)  # sparse: no disk used, never read
    items = list(scan(big, Excludes.build(tmp_path, [], LintSettings().max_file_bytes)))
    assert isinstance(items[0], Skipped) is too_large


@pytest.mark.parametrize("value", ["0", "-1", "true", "'4MB'", "1.5"])
def test_max_file_bytes_must_be_a_positive_integer(tmp_path: Path, value: str) -> None:
    project(tmp_path, f"  max_file_bytes: {value}\n")
    completed = subprocess.run(
        [sys.executable, "-m", "opsux_lint", "--no-cache", "."], cwd=tmp_path, capture_output=True, text=True, check=False,
    )
    assert completed.returncode == 2
    assert "lint.max_file_bytes" in completed.stderr and "positive number of bytes" in completed.stderr
    assert "Traceback" not in completed.stderr
