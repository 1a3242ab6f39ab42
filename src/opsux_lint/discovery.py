"""Which files a run looks at: ``.py`` files under the given paths, minus excluded ones.

Always skipped: hidden directories, ``__pycache__``, virtual environments (any directory with a
``pyvenv.cfg``), ``site-packages`` and ``node_modules``. ``lint.exclude`` patterns work like a small
``.gitignore``, relative to the config file's directory: a pattern without ``/`` matches a file or
directory name anywhere (``*_pb2.py``, ``migrations/``), a pattern with ``/`` inside is anchored at
the root (``app/legacy/*.py``), and a trailing ``/`` matches directories only. Excludes apply to
explicitly given files too, so a pre-commit hook that passes every changed file respects them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

_ALWAYS_SKIPPED = frozenset({"__pycache__", "site-packages", "node_modules"})


@dataclass(frozen=True)
class _Pattern:
    glob: str
    anchored: bool
    dir_only: bool

    @classmethod
    def parse(cls, raw: str) -> _Pattern:
        dir_only = raw.endswith("/")
        glob = raw.strip("/")
        return cls(glob, "/" in glob or raw.startswith("/"), dir_only)

    def matches(self, relative: PurePosixPath, is_dir: bool) -> bool:
        if self.dir_only and not is_dir:
            return False
        if self.anchored:
            return fnmatchcase(relative.as_posix(), self.glob)
        return fnmatchcase(relative.name, self.glob)


@dataclass(frozen=True)
class Excludes:
    root: Path
    patterns: tuple[_Pattern, ...]

    @classmethod
    def build(cls, root: Path, patterns: Sequence[str]) -> Excludes:
        return cls(root.resolve(), tuple(_Pattern.parse(p) for p in patterns))

    def _relative(self, path: Path) -> PurePosixPath | None:
        try:
            return PurePosixPath(path.resolve().relative_to(self.root).as_posix())
        except ValueError:
            return None

    def excludes(self, path: Path, is_dir: bool) -> bool:
        """Whether ``path`` itself (not its parents) is excluded."""
        if not self.patterns:
            return False
        relative = self._relative(path)
        if relative is None:
            relative = PurePosixPath(path.name)
            return any(p.matches(relative, is_dir) for p in self.patterns if not p.anchored)
        return any(p.matches(relative, is_dir) for p in self.patterns)

    def excludes_file_or_parent(self, path: Path) -> bool:
        if self.excludes(path, is_dir=False):
            return True
        relative = self._relative(path)
        if relative is None:
            return False
        return any(self.excludes(self.root / parent, is_dir=True) for parent in relative.parents if parent.parts)


def _skipped_dir(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name in _ALWAYS_SKIPPED or (path / "pyvenv.cfg").exists()


def discover(path: Path, excludes: Excludes) -> Iterator[Path]:
    """Python files under ``path`` (or ``path`` itself), in a stable order."""
    if path.is_file():
        if path.suffix == ".py" and not excludes.excludes_file_or_parent(path):
            yield path
        return
    if excludes.excludes(path, is_dir=True):
        return
    for directory, dirnames, filenames in os.walk(path):
        here = Path(directory)
        dirnames[:] = sorted(
            name for name in dirnames
            if not _skipped_dir(here / name) and not excludes.excludes(here / name, is_dir=True)
        )
        for name in sorted(filenames):
            if name.endswith(".py"):
                candidate = here / name
                if not excludes.excludes(candidate, is_dir=False):
                    yield candidate
