"""Outlining many modules at once (forked helpers for a large batch) gives the outlines that
outlining them one by one gives, and falls back to this process when it cannot fork."""

from __future__ import annotations

import concurrent.futures
from pathlib import Path
from typing import Any, ClassVar

import pytest
from lint_support import copy_fixture

from opsux_lint.analysis import outlining
from opsux_lint.analysis.index import build_index
from opsux_lint.analysis.outline import summarize
from opsux_lint.analysis.outlining import Pending, outline_all

MODULES = [
    Pending(b"KIND = 'inventory.sync'\ndef start(kind=KIND):\n    return run(kind)\n", "app.a", False),
    Pending(b"from app.a import start\nclass Job:\n    def go(self, k):\n        start(k)\n" * 20, "app.b", False),
    Pending(b"def broken(:\n", "app.c", False),
    Pending(b"__all__ = ['x']\nx = 1\n", "app", True),
]


class CountingPool(concurrent.futures.ProcessPoolExecutor):
    made: ClassVar[list[int]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        CountingPool.made.append(kwargs.get("max_workers", 0))
        super().__init__(*args, **kwargs)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    CountingPool.made = []
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", CountingPool)
    return CountingPool.made


def one_by_one(pending: list[Pending]) -> list[Any]:
    return [summarize(p.data, p.module, p.is_package) for p in pending]


def test_helpers_outline_a_large_batch_as_this_process_would(counting: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    total = sum(len(p.data) for p in MODULES)
    monkeypatch.setattr(outlining, "MIN_SHARED_BYTES", total // 2)
    assert outline_all(MODULES, helpers=3) == one_by_one(MODULES)
    assert counting == [2]  # as many helpers as the batch pays for (two shares of the minimum)
    assert outline_all(MODULES, helpers=3)[2] is None  # a module that does not parse stays None


def test_a_batch_below_the_size_worth_a_fork_stays_in_this_process(counting: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    total = sum(len(p.data) for p in MODULES)
    monkeypatch.setattr(outlining, "MIN_SHARED_BYTES", total + 1)
    assert outline_all(MODULES, helpers=3) == one_by_one(MODULES)
    assert counting == []
    monkeypatch.setattr(outlining, "MIN_SHARED_BYTES", total)
    assert outline_all(MODULES, helpers=3) == one_by_one(MODULES)
    assert counting == [1]
    assert outline_all(MODULES, helpers=0) == one_by_one(MODULES)
    assert counting == [1]


def test_no_working_multiprocessing_gives_the_same_outlines(monkeypatch: pytest.MonkeyPatch) -> None:
    class NoPool:
        def __init__(self, *args: object, **kwargs: object) -> None:
            raise OSError(38, "Function not implemented")

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", NoPool)
    monkeypatch.setattr(outlining, "MIN_SHARED_BYTES", 1)
    assert outline_all(MODULES, helpers=2) == one_by_one(MODULES)


def test_shares_are_balanced_by_size_and_cover_every_module() -> None:
    pending = [Pending(b"x" * size, f"m{size}", False) for size in (50, 10, 40, 30, 20, 10)]
    shares = outlining._shares(pending, 2)
    assert sorted(i for share in shares for i in share) == list(range(6))
    sizes = [sum(len(pending[i].data) for i in share) for share in shares]
    assert sizes == [80, 80]


def test_the_index_outlines_a_batch_with_helpers_as_one_by_one(tmp_path: Path, counting: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_fixture("shop", tmp_path)
    monkeypatch.setattr(outlining, "MIN_SHARED_BYTES", 1)
    alone = build_index(root, ["src"], [], cache_dir=None)
    helped = build_index(root, ["src"], [], cache_dir=None, helpers=1)
    names = sorted(alone.names())
    assert len(names) > 2
    assert [m for m, _ in helped.entries(names)] == [m for m, _ in alone.entries(names)]
    assert {m: e.summary for m, e in helped.entries(names)} == {m: e.summary for m, e in alone.entries(names)}
    assert helped.made == alone.made
    assert counting == [1]
    assert [helped.outline_hash(n) for n in names] == [alone.outline_hash(n) for n in names]
