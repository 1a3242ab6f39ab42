"""A long run reports its progress on a terminal, and only there; short runs never do."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from opsux_lint.api import lint_paths
from opsux_lint.runner import PROGRESS_THRESHOLD


def project(root: Path, files: int) -> Path:
    (root / "opsux.yaml").write_text("operation_types:\n  inventory.sync: Inventory sync\nlint:\n  src: [src]\n", encoding="utf-8")
    package = root / "src" / "app"
    package.mkdir(parents=True)
    for n in range(files):
        (package / f"m{n}.py").write_text(f"X = {n}\n", encoding="utf-8")
    return root


class Recorder:
    def __init__(self) -> None:
        self.totals: list[int] = []
        self.done = 0

    @contextmanager
    def __call__(self, total: int) -> Iterator[Callable[[int], None]]:
        self.totals.append(total)

        def advance(count: int) -> None:
            self.done += count

        yield advance


@pytest.mark.parametrize("files, reported", [(PROGRESS_THRESHOLD - 1, False), (PROGRESS_THRESHOLD, True)])
def test_progress_is_reported_from_the_threshold_on(tmp_path: Path, files: int, reported: bool) -> None:
    root = project(tmp_path, files)
    progress = Recorder()
    result = lint_paths([root], cwd=root, jobs=1, progress=progress)
    assert result.files == files
    assert progress.totals == ([files] if reported else [])
    assert progress.done == (files if reported else 0)


def test_every_file_is_counted_through_the_worker_pool(tmp_path: Path) -> None:
    root = project(tmp_path, PROGRESS_THRESHOLD + 50)
    progress = Recorder()
    lint_paths([root], cwd=root, jobs=2, progress=progress)
    assert progress.totals == [PROGRESS_THRESHOLD + 50] and progress.done == PROGRESS_THRESHOLD + 50


def _run_cli(root: Path, stderr_is_terminal: bool) -> tuple[int, str]:
    command = [sys.executable, "-m", "opsux_lint", "--no-cache", "--jobs", "1", "src"]
    if not stderr_is_terminal:
        done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(command, cwd=root, stdout=subprocess.DEVNULL, stderr=follower, timeout=120)
    finally:
        os.close(follower)
    chunks: list[bytes] = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal's other end is closed: everything was read
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return done.returncode, b"".join(chunks).decode("utf-8", "replace")


def test_the_cli_draws_a_bar_on_a_terminal_and_nothing_in_a_pipe(tmp_path: Path) -> None:
    root = project(tmp_path, PROGRESS_THRESHOLD)
    code, terminal = _run_cli(root, stderr_is_terminal=True)
    assert code == 0
    assert "Linting" in terminal and f"{PROGRESS_THRESHOLD}/{PROGRESS_THRESHOLD}" in terminal
    code, piped = _run_cli(root, stderr_is_terminal=False)
    assert code == 0 and piped == ""
