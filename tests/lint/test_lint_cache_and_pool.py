"""The result cache and the process pool must change speed only, never findings."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from lint_support import copy_fixture

from opsux_lint.cache import CACHE_DIRNAME
from opsux_lint.cli import main
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_fixture("shop", tmp_path)
    monkeypatch.chdir(root)
    return root


def lint(root: Path, **options: object) -> object:
    return run(resolve_targets([root], None), Selection(), root, RunOptions(**options))  # type: ignore[arg-type]


def test_a_warm_cache_gives_the_same_findings_without_parsing(shop: Path) -> None:
    cold = lint(shop, cache=True, version="t")
    warm = lint(shop, cache=True, version="t")
    assert cold.parsed == 7 and warm.parsed == 0
    assert warm.findings == cold.findings
    assert (shop / CACHE_DIRNAME / ".gitignore").read_text(encoding="utf-8").endswith("*\n")


def test_a_changed_file_is_linted_again(shop: Path) -> None:
    lint(shop, cache=True, version="t")
    ops = shop / "src" / "shop" / "ops.py"
    ops.write_text(ops.read_text(encoding="utf-8").replace("orders.exprot", "orders.export"), encoding="utf-8")
    again = lint(shop, cache=True, version="t")
    assert again.parsed == 1
    assert ("src/shop/ops.py", 15) not in {(f.path, f.line) for f in again.findings}


def test_a_changed_config_or_version_never_reuses_findings(shop: Path) -> None:
    before = lint(shop, cache=True, version="t")
    config = shop / "opsux.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("orders.export:", "orders.exprot:"), encoding="utf-8")
    after = lint(shop, cache=True, version="t")
    assert after.parsed == 7 and after.findings != before.findings
    assert lint(shop, cache=True, version="other").parsed == 7


def test_cached_paths_follow_the_working_directory(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lint(shop, cache=True, version="t")
    result = run(resolve_targets([shop], None), Selection(), shop / "src", RunOptions(cache=True, version="t"))
    assert result.parsed == 0
    assert all(f.path.startswith("shop/") for f in result.findings)


def test_a_corrupt_cache_is_ignored(shop: Path) -> None:
    lint(shop, cache=True, version="t")
    for file in (shop / CACHE_DIRNAME).glob("lint-*.json"):
        file.write_text("{not json", encoding="utf-8")
    assert lint(shop, cache=True, version="t").parsed == 7


@pytest.mark.parametrize(
    "damage",
    [
        {"line": "x"},
        {"column": None},
        {"end_line": 0},
        {"line": True},
        {"message": 42},
        {"severity": "fatal"},
        {"unexpected": "field"},
    ],
)
def test_cached_findings_of_the_wrong_shape_are_linted_afresh(shop: Path, damage: dict[str, object]) -> None:
    clean = lint(shop, cache=True, version="t")
    [file] = (shop / CACHE_DIRNAME).glob("lint-*.json")
    stored = json.loads(file.read_text(encoding="utf-8"))
    damaged = next(e for e in stored["files"].values() if e["findings"])
    damaged["findings"][0].update(damage)
    file.write_text(json.dumps(stored), encoding="utf-8")
    again = lint(shop, cache=True, version="t")
    assert again.parsed == 1, "only the damaged entry is linted again"
    assert again.findings == clean.findings  # type: ignore[attr-defined]


def test_the_cli_uses_the_cache_and_no_cache_writes_nothing(shop: Path) -> None:
    first = CliRunner().invoke(main, ["--no-cache", "--format", "json"])
    assert not (shop / CACHE_DIRNAME).exists()
    second = CliRunner().invoke(main, ["--format", "json"])
    third = CliRunner().invoke(main, ["--format", "json"])
    assert (shop / CACHE_DIRNAME).is_dir()
    assert json.loads(first.stdout) == json.loads(second.stdout) == json.loads(third.stdout)


def test_the_process_pool_gives_the_same_findings(shop: Path) -> None:
    serial = lint(shop, jobs=1)
    pooled = lint(shop, jobs=2)
    assert pooled.findings == serial.findings and pooled.parsed == serial.parsed == 7


def test_a_broken_process_pool_falls_back_to_one_process(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import concurrent.futures

    tried: list[object] = []

    class NoPool:
        def __init__(self, *args: object, **kwargs: object) -> None:
            tried.append(self)
            raise OSError(38, "Function not implemented")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)  # the runner imports it when it needs it
    assert lint(shop, jobs=2).findings == lint(shop, jobs=1).findings
    assert tried, "the pool was asked for"


def test_a_cache_restored_into_another_directory_still_hits(shop: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # CI restores .opsux_cache/ into a fresh checkout at another path: nothing is keyed by it.
    first = lint(shop, cache=True, version="t")
    moved = tmp_path / "elsewhere" / "shop"
    shutil.copytree(shop, moved)
    monkeypatch.chdir(moved)
    again = lint(moved, cache=True, version="t")
    assert again.parsed == 0
    assert [(f.path, f.line, f.code) for f in again.findings] == [(f.path, f.line, f.code) for f in first.findings]  # type: ignore[attr-defined]


def test_linting_one_file_keeps_the_rest_of_the_project_cached(shop: Path) -> None:
    # pre-commit lints the staged file; the next whole run must still be warm.
    lint(shop, cache=True, version="t")
    run(resolve_targets([shop / "src" / "shop" / "views.py"], None), Selection(), shop, RunOptions(cache=True, version="t"))
    assert lint(shop, cache=True, version="t").parsed == 0


def test_entries_unused_for_many_runs_and_old_cache_files_are_pruned(shop: Path) -> None:
    from opsux_lint.cache import KEEP_FILES, KEEP_RUNS

    lint(shop, cache=True, version="t")
    [file] = (shop / CACHE_DIRNAME).glob("lint-*.json")
    views = shop / "src" / "shop" / "views.py"
    for _ in range(KEEP_RUNS):  # runs that use one file only
        run(resolve_targets([views], None), Selection(), shop, RunOptions(cache=True, version="t"))
    kept = json.loads(file.read_text(encoding="utf-8"))["files"]
    assert "src/shop/ops.py" in kept, "unused for exactly KEEP_RUNS runs: still kept"
    run(resolve_targets([views], None), Selection(), shop, RunOptions(cache=True, version="t"))
    assert set(json.loads(file.read_text(encoding="utf-8"))["files"]) == {"src/shop/views.py"}
    # Another version each run makes another cache file: only the newest KEEP_FILES stay.
    for number in range(KEEP_FILES + 3):
        lint(shop, cache=True, version=f"v{number}")
    assert len(list((shop / CACHE_DIRNAME).glob("lint-*.json"))) == KEEP_FILES


def test_the_derivation_is_cached_with_what_it_read(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import opsux_lint.engine as engine_module

    cold = lint(shop, cache=True, version="t")
    [stored] = (shop / CACHE_DIRNAME).glob("derived-*.json")
    saved = json.loads(stored.read_text(encoding="utf-8"))
    assert saved["derived"]["wrappers"], "the shop has wrappers to derive"
    outlines_read = saved["reads"][0]
    assert "shop.ops" in outlines_read and "shop.clean" not in outlines_read
    derived: list[object] = []
    real = engine_module.derive_sinks
    monkeypatch.setattr(engine_module, "derive_sinks", lambda *args, **kw: derived.append(args) or real(*args, **kw))
    for findings in (shop / CACHE_DIRNAME).glob("lint-*.json"):
        findings.unlink()  # every file is linted again, with the stored derivation
    warm = lint(shop, cache=True, version="t")
    assert derived == [] and warm.parsed == 7 and warm.findings == cold.findings
    # A module the derivation did not read changes: the derivation stands.
    clean = shop / "src" / "shop" / "clean.py"
    clean.write_text("\n\n" + clean.read_text(encoding="utf-8"), encoding="utf-8")
    assert lint(shop, cache=True, version="t").parsed == 1 and derived == []  # type: ignore[attr-defined]
    # One it read changes its outline: derived again, in place of the first.
    ops = shop / "src" / "shop" / "ops.py"
    ops.write_text(ops.read_text(encoding="utf-8") + "\nNEW = 'orders.new'\n", encoding="utf-8")
    lint(shop, cache=True, version="t")
    assert derived and len(list((shop / CACHE_DIRNAME).glob("derived-*.json"))) == 1


@pytest.mark.parametrize(
    "damage",
    [
        "{",
        "[]",
        '{"wrappers": {"operation_type": [["shop.x", "1", null, "f", "p", 1, "v", null, [["", ""]]]]}, "methods": [], "receivers": []}',
        '{"wrappers": {"operation_type": [["shop.x", 1, null, "f", "p", 0, "v", ["a.py:1", "b", false, true], [["", ""]]]]}, "methods": [], "receivers": []}',
        '{"wrappers": {"operation_type": [["shop.x", 1, null, "f", "p", 1, "v", null, []]]}, "methods": [], "receivers": []}',
        '{"wrappers": {"operation_type": [["shop.x", 1, null, "f", "p", 1, "v", null, [["a"]]]]}, "methods": [], "receivers": []}',
        '{"wrappers": {"operation_type": [["shop.x", 1, null, "f", "p", 1, "v", null]]}, "methods": [], "receivers": []}',
        '{"wrappers": {}, "methods": [1], "receivers": []}',
        '{"wrappers": {"operation_type": [["too", "short"]]}, "methods": [], "receivers": []}',
        '{"wrappers": [], "methods": [], "receivers": []}',
        '{"wrappers": {"1": 2}, "methods": [], "receivers": []}',
        '{"derived": {"wrappers": {}, "methods": [], "receivers": []}}',
        '{"derived": {"wrappers": {}, "methods": [], "receivers": []}, "reads": [[], [], [], []]}',
        '{"derived": {"wrappers": {}, "methods": [], "receivers": []}, "reads": [[], [], [], [], false]}',
        '{"derived": {"wrappers": {}, "methods": [], "receivers": []}, "reads": [[], [], [], [], false], "snapshot": {"state": {}, "outlines": {}, "words": {"w": [1]}}}',
    ],
)
def test_a_damaged_derivation_is_derived_afresh(shop: Path, damage: str) -> None:
    cold = lint(shop, cache=True, version="t")
    [stored] = (shop / CACHE_DIRNAME).glob("derived-*.json")
    good = stored.read_text(encoding="utf-8")
    if damage.startswith('{"wrappers"'):
        stored.write_text(json.dumps({**json.loads(good), "derived": json.loads(damage)}), encoding="utf-8")
    else:
        stored.write_text(damage, encoding="utf-8")
    for findings in (shop / CACHE_DIRNAME).glob("lint-*.json"):
        findings.unlink()
    assert lint(shop, cache=True, version="t").findings == cold.findings
    assert stored.read_text(encoding="utf-8") == good, "the damaged file is replaced by the derivation"


_IMPORTED = """
import sys
from opsux_lint.cli import main
try:
    main(sys.argv[2:])
except SystemExit:
    pass
print(sorted(m for m in sys.argv[1].split(",") if m in sys.modules), file=sys.stderr)
"""


def _imported(shop: Path, modules: str, *args: str) -> tuple[str, str]:
    """A run's output, and which of ``modules`` (comma-separated) it imported."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _IMPORTED, modules, "--format", "json", *args], cwd=shop,
        capture_output=True, text=True, check=False,
    )
    return done.stdout, done.stderr.strip().splitlines()[-1]


def test_a_run_answered_from_the_cache_does_not_import_the_engine(shop: Path) -> None:
    """libcst, the engine and the rule kinds are a third of a warm run's time: only a file that
    is linted needs them."""
    modules = "libcst,opsux_lint.engine,opsux_lint.kinds"
    cold_output, cold = _imported(shop, modules, ".")
    assert cold == "['libcst', 'opsux_lint.engine', 'opsux_lint.kinds']"
    warm_output, warm = _imported(shop, modules, ".")
    assert warm == "[]" and warm_output == cold_output
    ops = shop / "src" / "shop" / "ops.py"
    ops.write_text(ops.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert _imported(shop, modules, str(ops))[1] == "['libcst', 'opsux_lint.engine', 'opsux_lint.kinds']", "a changed file is linted"


def test_a_changed_file_without_a_needle_is_linted_without_libcst(shop: Path) -> None:
    """Most files a pre-commit hook passes hold no needle of any rule: the prefilter (rules
    compiled without libcst) answers for them, and libcst, a third of such a run, is imported
    only for a file that is parsed."""
    modules = "libcst,opsux_lint.matchers,opsux_lint.syntax_tree"

    def imported(*args: str) -> tuple[str, str]:
        return _imported(shop, modules, "--select", "OPS", *args)

    imported(".")  # fills the cache
    clean = shop / "src" / "shop" / "clean.py"
    for round_ in range(2):
        clean.write_text(clean.read_text(encoding="utf-8") + f"\n# changed {round_}\n", encoding="utf-8")
        output, seen = imported(str(clean), *(("--no-cache",) if round_ else ()))
        assert seen == "[]", "warm" if not round_ else "cold"
        assert '"findings": []' in output
    ops = shop / "src" / "shop" / "ops.py"
    ops.write_text(ops.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    assert imported(str(ops))[1] == "['libcst', 'opsux_lint.matchers', 'opsux_lint.syntax_tree']", "a candidate is parsed"


def test_this_process_lints_beside_its_helpers(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # --jobs 2 is this process and one helper: each takes the next chunk from the front of the
    # queue, and the findings come back in the files' order.
    from opsux_lint import runner as runner_module

    here: list[str] = []
    lint_here = runner_module._lint_here

    def recording(linters: Any, task: Any) -> Any:
        here.append(task[2])  # only this process's list: a forked helper appends to its own copy
        return lint_here(linters, task)

    serial = lint(shop, jobs=1)
    monkeypatch.setattr(runner_module, "_lint_here", recording)
    pooled = lint(shop, jobs=2)
    assert pooled.findings == serial.findings  # type: ignore[attr-defined]
    assert 0 < len(here) < pooled.parsed == 7  # type: ignore[attr-defined]


def _helper_that_dies(chunk: object) -> object:
    os._exit(3)


def test_a_helper_that_dies_leaves_its_files_to_this_process(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from opsux_lint import runner as runner_module

    monkeypatch.setattr(runner_module, "_lint_in_worker", _helper_that_dies)
    assert lint(shop, jobs=2).findings == lint(shop, jobs=1).findings  # type: ignore[attr-defined]


def test_each_file_is_read_once_per_run(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The index reads every file under the source roots; the run lints those very bytes.
    read: list[Path] = []
    read_bytes = Path.read_bytes

    def recording(self: Path) -> bytes:
        read.append(self.resolve())
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", recording)
    result = lint(shop, cache=True, version="t")
    assert result.parsed == 7  # type: ignore[attr-defined]
    sources = [p for p in read if p.suffix == ".py"]
    assert sorted(sources) == sorted(set(sources)) and len(sources) >= 7
    outside = shop / "scripts_outside.py"
    outside.write_text("x = 1\n", encoding="utf-8")  # not under lint.src: read by the run itself
    read.clear()
    run(resolve_targets([outside], None), Selection(), shop, RunOptions(cache=True, version="t"))
    assert read.count(outside.resolve()) == 1


def test_the_costliest_files_are_dealt_to_different_chunks_first() -> None:
    from opsux_lint.runner import deal

    cost = [0, 0, 90, 0, 50, 10, 0, 70, 0]
    dealt = deal(cost, 3)
    assert sorted(i for chunk in dealt for i in chunk) == list(range(len(cost)))
    assert len(dealt) == 3 and all(len(chunk) == 3 for chunk in dealt)
    # The three costliest (90, 70, 50) open the three chunks, in that order; the chunks'
    # costs decrease, and none holds two of them.
    assert [chunk[0] for chunk in dealt] == [2, 7, 4]
    totals = [sum(cost[i] for i in chunk) for chunk in dealt]
    assert totals == sorted(totals, reverse=True) == [100, 70, 50]
    assert deal([], 3) == [] and deal([5], 3) == [[0]]


_FORKS: list[list[str]] = []
_RECORDING: list[bool] = []


def _record_fork() -> None:
    if _RECORDING:
        _FORKS.append([thread.name for thread in threading.enumerate()])


os.register_at_fork(before=_record_fork)


def test_the_helpers_are_forked_before_the_feeder_thread_starts(shop: Path) -> None:
    # A fork copies the locks other threads hold, not the threads: a helper forked from the
    # feeder while this process's thread held one (an import's, a stream's) waited forever.
    from opsux_lint.runner import FEEDER

    _FORKS.clear()
    _RECORDING.append(True)
    try:
        pooled = lint(shop, jobs=2)
    finally:
        _RECORDING.clear()
    assert pooled.findings == lint(shop, jobs=1).findings  # type: ignore[attr-defined]
    assert _FORKS, "the helper was forked"
    assert all(FEEDER not in names for names in _FORKS)
