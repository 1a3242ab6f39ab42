"""The project index: every module's outline, for values and types that come from other files.

Operation types rarely appear as literals at the call: they come from module constants, star
imports, class attributes, nested ``StrEnum`` members and parameters of wrapper functions. The
index holds one :mod:`~opsux_lint.analysis.outline` per module of the project (the ``.py`` files
under ``lint.src``, not only the files being linted: pre-commit passes only the changed ones, and
the constants live elsewhere), built with ``ast`` and cached by file content in ``.opsux_cache/``.

The index is data: lookups of names and modules. :mod:`~opsux_lint.analysis.resolver` evaluates
expressions over it, :mod:`~opsux_lint.analysis.wrappers` derives wrapper sinks from it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsux_lint.analysis.outline import SUMMARY_FORMAT, Expr, Summary, summarize
from opsux_lint.discovery import Excludes, discover
from opsux_lint.modules import module_name, source_roots

_INDEX_FORMAT = 2


@dataclass(frozen=True)
class ModuleEntry:
    summary: Summary
    path: str
    """Relative to the config file's directory, ``/``-separated (for evidence chains)."""
    digest: str


@dataclass(frozen=True)
class ProjectIndex:
    modules: dict[str, ModuleEntry]
    by_path: dict[str, str] = field(default_factory=dict)
    """Resolved file path -> module name."""
    unparsed: frozenset[str] = frozenset()
    """Modules whose source the running Python's ``ast`` cannot parse (newer syntax)."""

    # ----------------------------------------------------------------------------- building

    def with_module(self, name: str, entry: ModuleEntry) -> ProjectIndex:
        """This index with one module replaced (the file being linted, as it is now)."""
        current = self.modules.get(name)
        if current is not None and current.digest == entry.digest:
            return self
        modules = dict(self.modules)
        modules[name] = entry
        return ProjectIndex(modules, self.by_path, self.unparsed - {name})

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.modules):
            digest.update(name.encode())
            digest.update(json.dumps(self.modules[name].summary, sort_keys=True).encode())
        return digest.hexdigest()

    # --------------------------------------------------------------------------- names

    def summary(self, module: str) -> Summary | None:
        entry = self.modules.get(module)
        return entry.summary if entry is not None else None

    def path(self, module: str) -> str:
        entry = self.modules.get(module)
        return entry.path if entry is not None else module

    def qualified_names(self, module: str, e: Expr) -> frozenset[str]:
        """Every qualified name a callee expression may refer to, through the module's imports."""
        summary = self.summary(module)
        if e[0] == "n":
            name = str(e[1])
            found: set[str] = set()
            if summary is not None:
                for binding in summary["imports"].get(name, ()):
                    found.add(binding[1] if binding[0] == "m" else f"{binding[1]}.{binding[2]}")
                if name in summary["defs"] or name in summary["assign"]:
                    found.add(f"{module}.{name}")
                if not found:
                    for base in summary["stars"]:
                        if name in self.exports(base):
                            found.add(f"{base}.{name}")
            return frozenset(found or {name})
        if e[0] == "a":
            return frozenset(f"{base}.{e[2]}" for base in self.qualified_names(module, e[1]))
        return frozenset()

    def exports(self, module: str) -> frozenset[str]:
        summary = self.summary(module)
        if summary is None:
            return frozenset()
        if summary["all"] is not None:
            return frozenset(summary["all"])
        names = {*summary["assign"], *summary["defs"], *summary["imports"]}
        return frozenset(n for n in names if not n.startswith("_"))

    def split(self, qualified: str) -> tuple[str, list[str]] | None:
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            head = ".".join(parts[:cut])
            if head in self.modules:
                return head, parts[cut:]
        return None


# ------------------------------------------------------------------------------- building


def _index_files(root: Path, src: Sequence[str], exclude: Sequence[str]) -> Iterator[tuple[Path, tuple[Path, ...]]]:
    roots = source_roots(root, src)
    excludes = Excludes.build(root, exclude)
    walk = sorted(roots, key=lambda p: len(p.parts))
    walked: list[Path] = []
    seen: set[Path] = set()
    for directory in walk:
        if not directory.is_dir() or any(directory.is_relative_to(w) for w in walked):
            continue
        walked.append(directory)
        for file in discover(directory, excludes):
            resolved = file.resolve()
            if resolved not in seen:
                seen.add(resolved)
                yield resolved, roots


def build_index(
    root: Path, src: Sequence[str], exclude: Sequence[str], *, cache_dir: Path | None, salt: str = "",
) -> ProjectIndex:
    """The index of every module under the source roots; summaries cached by file content."""
    key = hashlib.sha256(json.dumps([_INDEX_FORMAT, SUMMARY_FORMAT, salt, str(root), list(src), list(exclude)]).encode()).hexdigest()[:24]
    cache_file = cache_dir / f"index-{key}.json" if cache_dir is not None else None
    old: dict[str, Any] = {}
    if cache_file is not None:
        try:
            loaded = json.loads(cache_file.read_text(encoding="utf-8"))
            old = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            old = {}
    new: dict[str, Any] = {}
    modules: dict[str, ModuleEntry] = {}
    by_path: dict[str, str] = {}
    unparsed: set[str] = set()
    for file, roots in _index_files(root, src, exclude):
        try:
            data = file.read_bytes()
        except OSError:
            continue
        digest = hashlib.sha256(data).hexdigest()
        name, is_package = module_name(file, roots)
        cached = old.get(str(file))
        summary: Summary | None
        if isinstance(cached, dict) and cached.get("sha256") == digest and cached.get("module") == name:
            summary = cached.get("summary")
        else:
            summary = summarize(data, name, is_package)
        new[str(file)] = {"sha256": digest, "module": name, "summary": summary}
        if summary is None:
            unparsed.add(name)
            continue
        if name in modules:
            continue
        try:
            shown = file.relative_to(root.resolve()).as_posix()
        except ValueError:
            shown = file.as_posix()
        modules[name] = ModuleEntry(summary, shown, digest)
        by_path[str(file)] = name
    if cache_file is not None and new != old:
        _write_json(cache_file, new)
    return ProjectIndex(modules, by_path, unparsed=frozenset(unparsed - set(modules)))


def _write_json(file: Path, data: Any) -> None:
    try:
        file.parent.mkdir(exist_ok=True)
        ignore = file.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by opsux-lint.\n*\n", encoding="utf-8")
        handle, temporary = tempfile.mkstemp(dir=file.parent, prefix=".index-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(temporary, file)
    except OSError:
        pass
