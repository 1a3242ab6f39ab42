"""Which files a run looks at: ``.py`` files under the given paths, minus excluded ones.

Inside a git work tree a directory is listed with ``git ls-files -co --exclude-standard`` (tracked
and untracked files, minus what ``.gitignore`` ignores); elsewhere (or when git is missing or
refuses) with a pruning walk. ``tracked_only`` lists the index alone (``git ls-files -c``): what a
commit holds, never scratch files lying beside it.

Always skipped: hidden directories, ``__pycache__``, virtual environments (any directory with a
``pyvenv.cfg``), ``site-packages`` and ``node_modules``. ``lint.exclude`` patterns (default
``build/``, ``dist/``, ``.tox/``, ``.nox/``; ``lint.extend_exclude`` adds to them) work like a small
``.gitignore``, relative to the config file's directory: a pattern without ``/`` matches a file or
directory name anywhere (``*_pb2.py``, ``migrations/``), a pattern with ``/`` inside is anchored at
the root (``app/legacy/*.py``), and a trailing ``/`` matches directories only. Excludes apply to
explicitly given files too (ruff's ``--force-exclude``), so a pre-commit hook that passes every
changed file respects them.

Only regular files are read. A named pipe, a device, a dangling symbolic link, a symbolic-link loop
or a file over the size limit is never opened: :func:`scan` yields it as :class:`Skipped`, under
its own name, so the run can report it instead of hanging, exhausting memory or crashing.
"""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from opsux_core.policy import Policy
from opsux_lint.project import Target
from opsux_lint.settings import lint_settings

_ALWAYS_SKIPPED = frozenset({"__pycache__", "site-packages", "node_modules"})
_GIT_TIMEOUT_SECONDS = 60


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

    def matches(self, relative: str, name: str, is_dir: bool) -> bool:
        """``relative``: the path relative to the root, ``/``-separated; ``name`` its last part."""
        if self.dir_only and not is_dir:
            return False
        return fnmatchcase(relative if self.anchored else name, self.glob)


def _anchor(path: Path) -> Path:
    """``path`` with its directory resolved but not its last part: a symbolic link keeps its own
    name (and a link loop cannot make resolving fail)."""
    return path.absolute().parent.resolve() / path.name


@dataclass(frozen=True)
class Excludes:
    root: Path
    patterns: tuple[_Pattern, ...]
    max_file_bytes: int | None = None
    """Files larger than this are :class:`Skipped` (None: no limit)."""

    @classmethod
    def build(cls, root: Path, patterns: Sequence[str], max_file_bytes: int | None = None) -> Excludes:
        return cls(root.resolve(), tuple(_Pattern.parse(p) for p in patterns), max_file_bytes)

    def relative(self, path: Path) -> PurePosixPath | None:
        """``path`` relative to the root, ``/``-separated; None when it lies outside."""
        try:
            return PurePosixPath(_anchor(path).relative_to(self.root).as_posix())
        except ValueError:
            return None

    def matches(self, relative: PurePosixPath | str | None, name: str, is_dir: bool) -> bool:
        """Whether a path, given relative to the root (``/``-separated; None: outside it), is
        excluded itself."""
        if not self.patterns:
            return False
        if relative is None:
            return any(p.matches(name, name, is_dir) for p in self.patterns if not p.anchored)
        text = relative if isinstance(relative, str) else relative.as_posix()
        return any(p.matches(text, name, is_dir) for p in self.patterns)

    def excludes(self, path: Path, is_dir: bool) -> bool:
        """Whether ``path`` itself (not its parents) is excluded."""
        if not self.patterns:
            return False
        return self.matches(self.relative(path), path.name, is_dir)

    def excludes_file_or_parent(self, path: Path) -> bool:
        if not self.patterns:
            return False
        relative = self.relative(path)  # resolved once; the parents follow lexically
        if self.matches(relative, path.name, is_dir=False):
            return True
        if relative is None:
            return False
        return any(self.matches(parent, parent.name, is_dir=True) for parent in relative.parents if parent.parts)


@dataclass(frozen=True)
class Skipped:
    """A candidate file that is not read, and why (the ``detail`` of its OPS000 finding)."""

    path: Path
    detail: str
    too_large: bool = False


def _skipped_dir(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name in _ALWAYS_SKIPPED or (path / "pyvenv.cfg").exists()


def check_file(path: Path, max_file_bytes: int | None) -> Skipped | bool:
    """True for a regular file within the limit, :class:`Skipped` for one that must not be read,
    False for nothing to lint (a directory named ``*.py``, a file deleted since it was listed)."""
    try:
        info = path.stat()  # follows symbolic links: what a read would open
    except FileNotFoundError:
        if path.is_symlink():
            return Skipped(path, f"it is a symbolic link to {os.readlink(path)!r}, which does not exist")
        return False
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Skipped(path, "it is a symbolic link loop")
        return Skipped(path, f"cannot read it: {exc.strerror or exc}")
    if stat.S_ISDIR(info.st_mode):
        return False
    if not stat.S_ISREG(info.st_mode):
        return Skipped(path, "it is not a regular file (a named pipe, device or socket is never read)")
    if max_file_bytes is not None and info.st_size > max_file_bytes:
        return Skipped(
            path,
            f"it is too large to check ({info.st_size} bytes; lint.max_file_bytes is {max_file_bytes})",
            too_large=True,
        )
    return True


def scan(path: Path, excludes: Excludes, *, tracked_only: bool = False, use_git: bool = True) -> Iterator[Path | Skipped]:
    """The Python files under ``path`` (or ``path`` itself) in a stable order, and those skipped.

    The order is the pruning walk's, with git or without: a directory's files first, then its
    subdirectories, each level sorted by name.
    """
    if not path.is_dir():
        if path.suffix == ".py" and not excludes.excludes_file_or_parent(path):
            checked = check_file(path, excludes.max_file_bytes)
            if isinstance(checked, Skipped):
                yield checked
            elif checked:
                yield path
        return
    if excludes.excludes(path, is_dir=True):
        return
    for name in _names(path, excludes, tracked_only, use_git):
        candidate = Path(name)
        checked = check_file(candidate, excludes.max_file_bytes)
        if isinstance(checked, Skipped):
            yield checked
        elif checked:
            yield candidate


def _names(path: Path, excludes: Excludes, tracked_only: bool = False, use_git: bool = True) -> Iterator[str]:
    listed = _git_files(path, tracked_only) if use_git else None
    return _walk(path, excludes) if listed is None else _filter_listed(path, listed, excludes)


def python_files(path: Path, excludes: Excludes) -> Iterator[tuple[str, os.stat_result]]:
    """What :func:`discover` yields, as strings, each with its ``os.stat``: the project index
    lists every file under the source roots on every run (path objects were a third of that on
    a 4,000-file project), and keeps the stat as the file's stamp."""
    if not path.is_dir():
        for file in discover(path, excludes):
            try:
                yield os.fspath(file), os.stat(file)
            except OSError:
                continue
        return
    if excludes.excludes(path, is_dir=True):
        return
    limit = excludes.max_file_bytes
    for name in _names(path, excludes):
        try:
            info = os.stat(name)
        except OSError:
            continue  # gone, a dangling link or a loop: never read (scan says why)
        if stat.S_ISREG(info.st_mode) and (limit is None or info.st_size <= limit):
            yield name, info


def discover(path: Path, excludes: Excludes, *, tracked_only: bool = False) -> Iterator[Path]:
    """The regular Python files under ``path`` (or ``path`` itself) that a run may read."""
    for item in scan(path, excludes, tracked_only=tracked_only):
        if isinstance(item, Path):
            yield item


class ResolvedPaths:
    """``Path.resolve()`` for the files of a run, each directory resolved once: resolving every
    file walks its whole path, a system call per component (a tenth of a warm run)."""

    def __init__(self) -> None:
        self._directories: dict[Path, Path] = {}

    def __call__(self, file: Path) -> Path:
        if os.path.islink(file):
            return file.resolve()
        parent = self._directories.get(file.parent)
        if parent is None:
            parent = self._directories[file.parent] = file.parent.resolve()
        return parent / file.name


def _start(path: Path, excludes: Excludes) -> PurePosixPath | None:
    """The walk's start relative to the root, resolved once: below it, paths follow lexically
    (neither the walk nor git descends through symbolic links)."""
    try:
        return PurePosixPath(path.resolve().relative_to(excludes.root).as_posix())
    except (ValueError, OSError, RuntimeError):
        return None


def _walk(path: Path, excludes: Excludes) -> Iterator[str]:
    # Strings, not Paths, for what is only looked at: a tree of data directories (Django's 7,000
    # locale and static folders) made path objects a third of a warm run.
    start = _start(path, excludes)
    base = None if start is None else start.as_posix()
    top = os.fspath(path)
    for directory, dirnames, filenames in os.walk(top):
        if directory != top and "pyvenv.cfg" in filenames:
            dirnames[:] = []  # a virtual environment: seen once inside it, not stat-ed from above
            continue
        inner = os.path.relpath(directory, top).replace(os.sep, "/")
        here = None if base is None else _joined(base, inner)
        dirnames[:] = sorted(
            name for name in dirnames
            if not (name.startswith(".") or name in _ALWAYS_SKIPPED)
            and not excludes.matches(None if here is None else _joined(here, name), name, is_dir=True)
        )
        for name in sorted(filenames):
            if name.endswith(".py") and not excludes.matches(None if here is None else _joined(here, name), name, is_dir=False):
                yield os.path.join(directory, name)


def _joined(relative: str, name: str) -> str:
    """``relative / name`` as PurePosixPath joins them (``.`` is the root itself)."""
    if relative in ("", "."):
        return name
    return relative if name == "." else f"{relative}/{name}"


def _git_files(directory: Path, tracked_only: bool) -> list[str] | None:
    """Paths relative to ``directory`` from ``git ls-files``; None outside a work tree."""
    command = ["git", "-C", str(directory), "ls-files", "-z", "--cached"]
    if not tracked_only:
        command += ["--others", "--exclude-standard"]
    try:
        completed = subprocess.run(
            [*command, "--", "."], capture_output=True, timeout=_GIT_TIMEOUT_SECONDS, check=False,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no git, or it hangs: the walk gives the same files minus .gitignore
    if completed.returncode != 0:
        return None
    listed = [os.fsdecode(raw) for raw in completed.stdout.split(b"\0") if raw]
    if not listed and _ignored_by_git(directory):
        # A directory the user names although git ignores it (a vendored tree, an installed
        # Python under a git-managed home): lint what is in it rather than nothing at all.
        return None
    return listed


def _ignored_by_git(directory: Path) -> bool:
    try:
        completed = subprocess.run(
            ["git", "-C", str(directory), "check-ignore", "-q", "."], capture_output=True,
            timeout=_GIT_TIMEOUT_SECONDS, check=False, env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return completed.returncode == 0


def _order(relative: str) -> tuple[tuple[int, str], ...]:
    # A directory's files (0) before its subdirectories (1), as the walk yields them.
    *parents, name = relative.split("/")
    return (*((1, part) for part in parents), (0, name))


def _filter_listed(directory: Path, listed: Sequence[str], excludes: Excludes) -> Iterator[str]:
    # Strings, not PurePosixPaths: git lists every file of the project on every run.
    start = _start(directory, excludes)
    base = None if start is None else start.as_posix()
    top = os.fspath(directory)
    pruned: dict[str, bool] = {}

    def under_root(relative: str) -> str | None:
        return None if base is None else _joined(base, relative)

    def pruned_dir(relative: str) -> bool:
        if not relative:
            return False
        if relative not in pruned:
            parent, _, name = relative.rpartition("/")
            pruned[relative] = (
                pruned_dir(parent)
                or _skipped_dir(directory / relative)
                or excludes.matches(under_root(relative), name, is_dir=True)
            )
        return pruned[relative]

    # ls-files lists a file once per stage during a merge conflict, hence the set.
    relatives = sorted({name for name in listed if name.endswith(".py")}, key=_order)
    for relative in relatives:
        parent, _, name = relative.rpartition("/")
        if pruned_dir(parent):
            continue
        if not excludes.matches(under_root(relative), name, is_dir=False):
            yield os.path.join(top, relative)


@dataclass(frozen=True)
class Expansion:
    """What a run reads and what it does not."""

    files: tuple[Target, ...]
    """One target per file to read, each with its governing policy."""
    skipped: tuple[tuple[Skipped, Policy], ...]
    run_targets: tuple[Target, ...] = ()
    """The same files as targets for the runner: a directory stays one target where the runner's
    own discovery finds exactly its files (it knows no size limit and no tracked-only listing),
    so a run does not pay for checking every file twice."""


def expand_targets(targets: Sequence[Target], requested: Sequence[Path]) -> Expansion:
    """Every target's files, each governed by its target's policy, in the targets' order.

    ``requested`` are the paths as given, one per target: a config file given as a path (what
    pre-commit passes when only the config changed) lints the files git tracks under its
    directory, never untracked scratch files beside them.
    """
    files: list[Target] = []
    skipped: list[tuple[Skipped, Policy]] = []
    run_targets: list[Target] = []
    seen: set[str] = set()
    for target, given in zip(targets, requested, strict=True):
        lint = lint_settings(target.policy)
        excludes = Excludes.build(target.policy.root, lint.exclude, lint.max_file_bytes)
        is_dir = target.path.is_dir()
        tracked_only = is_dir and not given.is_dir()
        mine: list[Target] = []
        size_skipped = False
        for item in scan(target.path, excludes, tracked_only=tracked_only):
            key = os.path.abspath(item.path if isinstance(item, Skipped) else item)
            if key in seen:
                continue
            seen.add(key)
            if isinstance(item, Skipped):
                skipped.append((item, target.policy))
                size_skipped = size_skipped or item.too_large
            else:
                mine.append(Target(item, target.policy))
        files.extend(mine)
        if is_dir and not tracked_only and not size_skipped:
            run_targets.append(target)
        else:
            run_targets.extend(mine)
    return Expansion(tuple(files), tuple(skipped), tuple(run_targets))
