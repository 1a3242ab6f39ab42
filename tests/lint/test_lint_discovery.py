"""File discovery: excludes (gitignore-like), and the directories that are never linted."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsux_lint.discovery import Excludes, discover


def make(root: Path, *files: str) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n", encoding="utf-8")


def found(root: Path, patterns: list[str], start: Path | None = None) -> list[str]:
    excludes = Excludes.build(root, patterns)
    return [p.relative_to(root).as_posix() for p in discover(start or root, excludes)]


def test_skips_hidden_caches_venvs_and_non_python(tmp_path: Path) -> None:
    make(tmp_path, "a.py", "b.txt", "pkg/c.py", ".tox/d.py", "__pycache__/e.py", "env/lib/f.py",
         "node_modules/g.py", "lib/site-packages/h.py")
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n", encoding="utf-8")
    assert found(tmp_path, []) == ["a.py", "pkg/c.py"]


@pytest.mark.parametrize(
    ("pattern", "remaining"),
    [
        ("migrations/", ["app/gen_pb2.py", "app/models.py", "tools/migrations.py"]),
        ("*_pb2.py", ["app/migrations/0001.py", "app/models.py", "tools/migrations.py"]),
        ("app/migrations/", ["app/gen_pb2.py", "app/models.py", "tools/migrations.py"]),
        ("migrations", ["app/gen_pb2.py", "app/models.py", "tools/migrations.py"]),
        ("migrations*", ["app/gen_pb2.py", "app/models.py"]),
        ("/tools/*.py", ["app/gen_pb2.py", "app/migrations/0001.py", "app/models.py"]),
        ("models.py", ["app/gen_pb2.py", "app/migrations/0001.py", "tools/migrations.py"]),
    ],
)
def test_exclude_patterns(tmp_path: Path, pattern: str, remaining: list[str]) -> None:
    make(tmp_path, "app/models.py", "app/gen_pb2.py", "app/migrations/0001.py", "tools/migrations.py")
    assert sorted(found(tmp_path, [pattern])) == remaining


def test_an_explicit_file_inside_an_excluded_directory_is_excluded(tmp_path: Path) -> None:
    make(tmp_path, "app/migrations/0001.py")
    assert found(tmp_path, ["migrations/"], tmp_path / "app" / "migrations" / "0001.py") == []
    assert found(tmp_path, [], tmp_path / "app" / "migrations" / "0001.py") == ["app/migrations/0001.py"]


def test_order_is_stable(tmp_path: Path) -> None:
    make(tmp_path, "b.py", "a.py", "z/a.py", "c/b.py")
    # A directory's files first, then its subdirectories, each level sorted by name.
    assert found(tmp_path, []) == ["a.py", "b.py", "c/b.py", "z/a.py"]
    make(tmp_path, "c/a/x.py")
    assert found(tmp_path, []) == ["a.py", "b.py", "c/b.py", "c/a/x.py", "z/a.py"]
