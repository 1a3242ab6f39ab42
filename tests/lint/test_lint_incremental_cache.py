"""A cached entry is used while what its file's linting read of the project is unchanged.

Every test here compares a cached run with a run without the cache after an edit: the cache may
only ever skip work, never change findings. The counts of files linted again show it skips the
work it should.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from lint_support import copy_fixture

from opsux_lint.analysis.index import build_index
from opsux_lint.analysis.reads import Reads, Snapshot
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, RunResult, Selection, run


def _run(root: Path, target: Path | None = None, **options: object) -> RunResult:
    return run(resolve_targets([target or root], None), Selection(), root, RunOptions(version="t", **options))  # type: ignore[arg-type]


def _same_as_without_cache(root: Path, target: Path | None = None) -> RunResult:
    cached = _run(root, target, cache=True)
    fresh = _run(root, target)
    assert cached.findings == fresh.findings
    return cached


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_fixture("shop", tmp_path)
    monkeypatch.chdir(root)
    return root


def _edit(path: Path, change: Callable[[str], str]) -> None:
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")


def test_an_edit_nothing_read_relints_only_the_edited_file(shop: Path) -> None:
    assert _same_as_without_cache(shop).parsed == 7
    _edit(shop / "src/shop/clean.py", lambda text: "\n\n" + text + "\nVALUE = 1\n")
    assert _same_as_without_cache(shop).parsed == 1


def test_a_constant_another_file_reads_relints_that_file(shop: Path) -> None:
    first = _same_as_without_cache(shop)
    assert any("not.registered.but.elsewhere" in f.message for f in first.findings)
    _edit(shop / "src/shop/types.py", lambda text: text.replace("not.registered.but.elsewhere", "inventory.sync"))
    again = _same_as_without_cache(shop)
    assert not any("not.registered.but.elsewhere" in f.message for f in again.findings)
    # types.py itself and views.py, which imports LATER from it; not the files that do not read it.
    assert again.parsed == 2


def test_a_value_two_files_read_is_a_read_of_both(shop: Path) -> None:
    # The second file's resolution of LATER must not be answered from what the first one's
    # left behind: then only the first would be linted again when LATER changes.
    (shop / "src/shop/zviews.py").write_text(
        "from shop.ops import start_operation\nfrom shop.types import LATER\n\n\n"
        "def later(tenant_id):\n    start_operation(tenant_id, LATER)\n",
        encoding="utf-8",
    )
    _same_as_without_cache(shop)
    _edit(shop / "src/shop/types.py", lambda text: text.replace("not.registered.but.elsewhere", "inventory.sync"))
    again = _same_as_without_cache(shop)
    assert again.parsed == 3 and not any("not.registered" in f.message for f in again.findings)


def test_lines_moved_in_a_module_a_value_comes_from_relint_its_readers(shop: Path) -> None:
    _same_as_without_cache(shop)
    _edit(shop / "src/shop/types.py", lambda text: "\n\n\n" + text)
    assert _same_as_without_cache(shop).parsed == 2


def test_a_module_an_import_looked_for_appearing_and_going(shop: Path) -> None:
    # views.py tries `from shop.fast import enqueue`: the answer "no such module" was read.
    _same_as_without_cache(shop)
    fast = shop / "src/shop/fast.py"
    fast.write_text("def enqueue(tenant_id, kind):\n    return None\n", encoding="utf-8")
    appeared = _same_as_without_cache(shop)
    assert 2 <= appeared.parsed < 8
    fast.unlink()
    assert 1 <= _same_as_without_cache(shop).parsed < 7


def test_a_new_wrapper_relints_the_project(shop: Path) -> None:
    _same_as_without_cache(shop)
    (shop / "src/shop/extra.py").write_text(
        "from shop.ops import start_operation\n\n\ndef go(tenant_id, kind):\n    start_operation(tenant_id, kind)\n\n\n"
        "def use(tenant_id):\n    go(tenant_id, 'orders.nope')\n",
        encoding="utf-8",
    )
    result = _same_as_without_cache(shop)
    assert any("orders.nope" in f.message for f in result.findings)
    assert result.parsed == 8, "the derived wrappers changed: every file's findings may"


def test_one_file_runs_do_not_keep_entries_an_edit_made_stale(shop: Path) -> None:
    # pre-commit lints clean.py only, after types.py changed: the cache it writes must not
    # carry views.py's old findings over as valid for the state it records.
    stale = _same_as_without_cache(shop)
    _edit(shop / "src/shop/types.py", lambda text: text.replace("not.registered.but.elsewhere", "inventory.sync"))
    _run(shop, shop / "src/shop/clean.py", cache=True)
    whole = _same_as_without_cache(shop)
    assert whole.findings != stale.findings
    assert whole.parsed == 2, "views.py (stale) and types.py (changed) are linted again, the rest is cached"


def test_a_moved_module_relints_the_files_that_cite_its_path(shop: Path) -> None:
    first = _same_as_without_cache(shop)
    package = shop / "src/shop/types.py"
    moved = shop / "src/shop/types"
    moved.mkdir()
    package.rename(moved / "__init__.py")
    again = _same_as_without_cache(shop)
    assert [(f.line, f.code) for f in again.findings] == [(f.line, f.code) for f in first.findings]
    assert again.parsed >= 2


_LITERAL = re.compile(r"\"([a-z]+)\.([a-z]+)\"")


@pytest.mark.parametrize("fixture", ["shop", "receivers", "resolve"])
def test_every_module_edited_in_turn_keeps_the_cache_right(fixture: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each module in turn: lines inserted above everything, its first dotted literal changed,
    then the module removed and put back; after each edit the cached run must say what a run
    without the cache says."""
    root = copy_fixture(fixture, tmp_path)
    monkeypatch.chdir(root)
    _same_as_without_cache(root)
    modules = sorted((root / "src").rglob("*.py"))
    relinted = 0
    for module in modules:
        original = module.read_bytes()
        _edit(module, lambda text: "\n\n" + text)
        relinted += _same_as_without_cache(root).parsed
        if _LITERAL.search(original.decode("utf-8")):
            _edit(module, lambda text: _LITERAL.sub(r'"\1.\2x"', text, count=1))
            _same_as_without_cache(root)
        module.unlink()
        _same_as_without_cache(root)
        module.write_bytes(original)
        _same_as_without_cache(root)
    # Not every edit re-lints the project: most modules are read by few others.
    assert relinted < len(modules) * len(modules)


def test_a_word_search_sees_a_module_that_starts_mentioning_the_word(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for name, text in {"a": "class Base: pass\n", "b": "from a import Base\n", "c": "x = 1\n"}.items():
        (tmp_path / "src" / f"{name}.py").write_text(text, encoding="utf-8")
    index = build_index(tmp_path, ["src"], [], cache_dir=None)
    with index.recording() as reads:
        assert sorted(index.mentioning(["Base"])) == ["a", "b"]
    snapshot = Snapshot.take(index, [reads])
    assert snapshot.checker(index).valid(reads)
    (tmp_path / "src" / "c.py").write_text("x = 1  # Base\n", encoding="utf-8")
    assert not snapshot.checker(build_index(tmp_path, ["src"], [], cache_dir=None)).valid(reads)
    (tmp_path / "src" / "c.py").write_text("x = 2  # Based\n", encoding="utf-8")
    assert snapshot.checker(build_index(tmp_path, ["src"], [], cache_dir=None)).valid(reads), "not the whole word"
    (tmp_path / "src" / "b.py").unlink()
    assert not snapshot.checker(build_index(tmp_path, ["src"], [], cache_dir=None)).valid(reads)


def test_reads_of_one_kind_are_checked_only_against_changed_modules(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    for name in "abc":
        (tmp_path / "src" / f"{name}.py").write_text(f"{name.upper()} = 1\n", encoding="utf-8")
    index = build_index(tmp_path, ["src"], [], cache_dir=None)
    with index.recording() as reads:
        index.entry("a")
        assert "d" not in index
        index.source("b")
    assert reads == Reads(outlines={"a"}, present={"d"}, sources={"b"})
    snapshot = Snapshot.take(index, [reads])

    def valid_after(name: str, text: str | None) -> bool:
        path = tmp_path / "src" / f"{name}.py"
        before = path.read_bytes() if path.exists() else None
        if text is None:
            path.unlink()
        else:
            path.write_text(text, encoding="utf-8")
        try:
            return snapshot.checker(build_index(tmp_path, ["src"], [], cache_dir=None)).valid(reads)
        finally:
            if before is None:
                path.unlink()
            else:
                path.write_bytes(before)

    assert valid_after("c", "C = 2\n"), "nothing read c"
    assert valid_after("a", "A = 1  # a comment: the same outline\n")
    assert not valid_after("a", "A = 2\n")
    assert not valid_after("d", "D = 1\n"), "d was read as absent"
    assert not valid_after("b", "B = 1  # the bytes were read\n")
    with index.recording() as everything:
        list(index.names())
    whole = Snapshot.take(index, [everything])
    assert whole.checker(index).valid(everything)
    (tmp_path / "src" / "c.py").write_text("C = 1  # any change\n", encoding="utf-8")
    assert not whole.checker(build_index(tmp_path, ["src"], [], cache_dir=None)).valid(everything)
