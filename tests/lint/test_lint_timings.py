"""``--timings``: each phase's wall time, and what the steps inside them took in all the run's
processes (:mod:`opsux_lint.stopwatch`)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lint_support import copy_fixture

from opsux_lint import stopwatch
from opsux_lint.analysis import outlining
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, RunResult, Selection, run
from opsux_lint.stopwatch import EXCERPT, OUTLINE, PARSE, RULES, SCREEN, Step

PHASES = [
    "read the project", "derive wrappers and needles", "open the cache", "discover and read the files",
    "lint 7 files", "save the cache",
]
CANDIDATES = ["notify.py", "ops.py", "suppressed.py", "views.py"]
"""shop's files that hold a needle (of a sink, a notification call, a suppression): the others
are linted without being parsed."""


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_fixture("shop", tmp_path)
    monkeypatch.chdir(root)
    return root


def lint(root: Path, jobs: int) -> RunResult:
    return run(resolve_targets([root], None), Selection(), root, RunOptions(jobs=jobs))


def _counts(result: RunResult) -> dict[str, tuple[int, int]]:
    return {step: (spent.times, spent.size) for step, spent in result.steps.items()}


def test_a_step_is_timed_when_its_block_raises_and_take_starts_over() -> None:
    stopwatch.take()
    with pytest.raises(ValueError), stopwatch.timed(PARSE, 10):
        raise ValueError
    with stopwatch.timed(PARSE, 5):
        pass
    taken = stopwatch.take()
    assert taken[PARSE].times == 2 and taken[PARSE].size == 15 and taken[PARSE].seconds >= 0
    assert stopwatch.take() == {}


def test_a_helpers_steps_add_to_this_processs() -> None:
    stopwatch.take()
    stopwatch.add(RULES, 0.5, 0)
    stopwatch.absorb({RULES: Step(0.25, 3, 0), OUTLINE: Step(1.0, 2, 300)})
    assert stopwatch.take() == {RULES: Step(0.75, 4, 0), OUTLINE: Step(1.0, 2, 300)}


def test_steps_are_described_in_the_order_of_the_stages_with_their_counts() -> None:
    tally = {RULES: Step(0.3, 1, 0), PARSE: Step(0.2, 2, 1234), OUTLINE: Step(0.1, 1, 2048)}
    assert stopwatch.described(tally) == [
        (0.1, "outline 1 module (2,048 bytes)"),
        (0.2, "parse 2 excerpts with libcst (1,234 lines)"),
        (0.3, "run the rules on 1 file"),
    ]


def test_a_run_counts_each_step_of_each_candidate_file(shop: Path) -> None:
    result = lint(shop, jobs=1)
    counts = _counts(result)
    for step in (SCREEN, EXCERPT, PARSE, RULES):
        assert counts[step][0] == len(CANDIDATES), step
    assert result.parsed == 7
    assert counts[SCREEN][1] == _size(shop, CANDIDATES)
    assert counts[OUTLINE][0] >= 1
    assert all(spent.seconds > 0 for spent in result.steps.values())


def test_a_pooled_run_counts_its_helpers_steps_once(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A helper is forked with a copy of this process's steps: it hands over only its own."""
    from opsux_lint import runner

    serial = _counts(lint(shop, jobs=1))
    here: list[str] = []
    lint_here = runner._lint_here

    def recording(linters: Any, task: Any) -> Any:
        here.append(Path(task[2]).name)  # this process's list only: a forked helper appends to its copy
        return lint_here(linters, task)

    monkeypatch.setattr(runner, "_lint_here", recording)
    pooled = lint(shop, jobs=2)
    assert _counts(pooled) == serial
    assert len(set(here) & set(CANDIDATES)) < len(CANDIDATES), "the helper parsed some of the files"


def test_outlining_helpers_hand_over_their_steps_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_lint_outlining import MODULES

    monkeypatch.setattr(outlining, "MIN_SHARED_BYTES", 1)
    stopwatch.take()
    stopwatch.add(OUTLINE, 1.0, 7)  # this process's before the helpers fork
    outlining.outline_all(MODULES, helpers=3)
    outlined = stopwatch.take()[OUTLINE]
    assert (outlined.times, outlined.size) == (len(MODULES) + 1, sum(len(m.data) for m in MODULES) + 7)


def _size(shop: Path, names: list[str]) -> int:
    return sum(len((shop / "src" / "shop" / name).read_bytes()) for name in names)


def _cli(shop: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opsux_lint", "--no-cache", *args], cwd=shop, capture_output=True, text=True, check=False,
    )


def test_the_cli_prints_phases_then_steps_then_the_report(shop: Path) -> None:
    lines = _cli(shop, "--timings", ".").stderr.splitlines()
    timed = [re.fullmatch(r" *(\d+\.\d{3}) s  (\S.*)", line) for line in lines]
    phases = [m.group(2) for m in timed if m is not None]
    assert phases == [*PHASES, "report"], lines
    steps = [line.strip() for line in lines[lines.index("in all processes:") + 1:-1]]
    described = [re.sub(r"^\d+\.\d{3} s +", "", step) for step in steps]
    assert described[1:] == [
        f"parse 4 candidate files with CPython's parser ({_size(shop, CANDIDATES):,} bytes)",
        "import libcst",
        "cut 4 excerpts",
        described[4],
        "run the rules on 4 files",
    ]
    assert re.fullmatch(r"outline \d+ modules? \([\d,]+ bytes\)", described[0])
    assert re.fullmatch(r"parse 4 excerpts with libcst \([\d,]+ lines\)", described[4])


def test_libcst_is_no_step_of_a_run_without_a_candidate_and_timings_are_asked_for(shop: Path) -> None:
    clean = _cli(shop, "--timings", "--select", "OPS", "src/shop/clean.py").stderr
    assert "lint 1 file\n" in clean and "import libcst" not in clean and "excerpt" not in clean
    assert _cli(shop, ".").stderr == "", "no timings unless asked for"
