"""A file whose stamp is the one recorded is not read again; anything else is.

Stamps only ever spare reading a file: every test compares what a run finds with a run without
the cache, and counts the files read.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from lint_support import copy_fixture

from opsux_lint.analysis import stamps as stamps_module
from opsux_lint.analysis.index import SourceFile
from opsux_lint.analysis.stamps import SETTLED_NS, Stamps
from opsux_lint.cache import CACHE_DIRNAME
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, RunResult, Selection, run


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_fixture("shop", tmp_path)
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The Python files read from here on (and every file counts as settled: the fixture's
    were all written a moment ago)."""
    monkeypatch.setattr(stamps_module, "SETTLED_NS", 0)
    read: list[Path] = []
    read_bytes = Path.read_bytes

    def recording(self: Path) -> bytes:
        if self.suffix == ".py":
            read.append(self.resolve())
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", recording)
    return read


def _run(root: Path, target: Path | None = None, cache: bool = True) -> RunResult:
    return run(resolve_targets([target or root], None), Selection(), root, RunOptions(version="t", cache=cache))


def test_a_warm_run_reads_no_file_whose_stamp_holds(shop: Path, reads: list[Path]) -> None:
    cold = _run(shop)
    assert len(reads) >= 7
    reads.clear()
    warm = _run(shop)
    assert reads == [] and warm.findings == cold.findings and warm.parsed == 0
    assert list((shop / CACHE_DIRNAME).glob("stamps-*.json"))


def test_an_edited_file_is_read_and_linted_again(shop: Path, reads: list[Path]) -> None:
    _run(shop)
    views = shop / "src/shop/views.py"
    views.write_text(views.read_text(encoding="utf-8").replace('"orders.exports"', '"orders.export"'), encoding="utf-8")
    reads.clear()
    result = _run(shop)
    # Read once (the run lints the bytes the index read); the others only if the edit makes
    # the wrappers be derived again, which searches every file for the sinks' names.
    assert reads.count(views.resolve()) == 1
    assert result.findings == _run(shop, cache=False).findings
    assert not any(f.path.endswith("views.py") and f.line == 31 for f in result.findings)


def test_a_file_whose_old_modification_time_is_restored_is_still_read(shop: Path, reads: list[Path]) -> None:
    # rsync -t, touch -r, an archive: the modification time says nothing changed, the change
    # time (which no tool can set) says it did.
    _run(shop)
    ops = shop / "src/shop/ops.py"
    before = ops.stat()
    text = ops.read_text(encoding="utf-8")
    ops.write_text(text.replace('"orders.exprot"', '"orders.export"'), encoding="utf-8")
    os.utime(ops, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert ops.stat().st_mtime_ns == before.st_mtime_ns and ops.stat().st_size == before.st_size
    reads.clear()
    result = _run(shop)
    assert ops.resolve() in reads
    assert result.findings == _run(shop, cache=False).findings
    assert not any(f.path.endswith("ops.py") and f.line == 15 for f in result.findings)


def test_a_file_changed_within_the_settling_time_is_read_on_every_run(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fixture's files were all written a moment ago: nothing is stamped yet.
    read: list[Path] = []
    read_bytes = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: (read.append(self), read_bytes(self))[1])
    _run(shop)
    first = len([p for p in read if p.suffix == ".py"])
    read.clear()
    _run(shop)
    assert len([p for p in read if p.suffix == ".py"]) == first >= 7


def _info(changed_ns: int, size: int = 10) -> os.stat_result:
    return cast(os.stat_result, SimpleNamespace(st_size=size, st_mtime_ns=changed_ns, st_ctime_ns=changed_ns, st_ino=7, st_dev=1))


def test_a_stamp_is_recorded_only_once_the_file_has_settled(tmp_path: Path) -> None:
    started = 100 * SETTLED_NS
    table = tmp_path / "stamps.json"
    stamps = Stamps.load(table, started)
    stamps.record("settled.py", _info(started - SETTLED_NS - 1), "a")
    stamps.record("fresh.py", _info(started - SETTLED_NS), "b")
    stamps.save(table)
    again = Stamps.load(table, started + 1)
    assert again.digest("settled.py", _info(started - SETTLED_NS - 1)) == "a"
    assert again.digest("fresh.py", _info(started - SETTLED_NS)) is None
    # Any part of the stamp that moved means reading the file again.
    assert again.digest("settled.py", _info(started - SETTLED_NS - 1, size=11)) is None
    assert again.digest("settled.py", _info(started - SETTLED_NS)) is None


def test_a_file_being_edited_does_not_rewrite_the_table(tmp_path: Path) -> None:
    started = 100 * SETTLED_NS
    table = tmp_path / "stamps.json"
    stamps = Stamps.load(table, started)
    stamps.record("a.py", _info(1), "a")
    stamps.save(table)
    saved = table.stat().st_mtime_ns
    again = Stamps.load(table, started)
    again.record("a.py", _info(started), "b")  # edited just now: not settled
    again.save(table)
    assert table.stat().st_mtime_ns == saved
    assert Stamps.load(table, started).digest("a.py", _info(1)) == "a"


@pytest.mark.parametrize("damage", ["{", '{"format": 1, "files": {"a.py": [1, 2, "x", 4, 5, "d"]}}', '{"format": 99, "files": {}}', "[]"])
def test_a_damaged_table_is_an_empty_one(tmp_path: Path, damage: str) -> None:
    table = tmp_path / "stamps.json"
    table.write_text(damage, encoding="utf-8")
    assert Stamps.load(table, 0).digest("a.py", _info(1)) is None


def test_a_damaged_table_on_disk_costs_reading_the_files_only(shop: Path, reads: list[Path]) -> None:
    cold = _run(shop)
    for table in (shop / CACHE_DIRNAME).glob("stamps-*.json"):
        table.write_text('{"format": 1, "files": {"src/shop/ops.py": "nonsense"}}', encoding="utf-8")
    reads.clear()
    assert _run(shop).findings == cold.findings
    assert len(reads) >= 7


def test_bytes_read_late_are_taken_as_they_are_and_the_digest_follows(tmp_path: Path) -> None:
    file = tmp_path / "m.py"
    file.write_bytes(b"x = 2\n")
    stamped = SourceFile("m", False, "m.py", None, hashlib.sha256(b"x = 1\n").hexdigest(), str(file))
    assert stamped.data == b"x = 2\n"
    assert stamped.digest == hashlib.sha256(b"x = 2\n").hexdigest()
    gone = SourceFile("g", False, "g.py", None, "d", str(tmp_path / "g.py"))
    with pytest.raises(OSError):
        gone.read()
    assert gone.data == b"" and gone.digest == hashlib.sha256(b"").hexdigest()
