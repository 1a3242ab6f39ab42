"""The result cache: findings per file, keyed by its content, the config, the rules and the tool.

One JSON file per (tool version, config fingerprint, selected rules, derived wrappers) under
``<config dir>/.opsux_cache/``, mapping each file's resolved path to the SHA-256 of its bytes,
its findings (without the displayed path, which depends on the working directory) and what its
linting read of the project index (:mod:`opsux_lint.analysis.reads`), beside the answers those
reads got. An entry is used while its file is unchanged and its reads get the same answers: an
edit elsewhere re-lints the files that read the edited module, not the project. A run rewrites
the file with the entries it used, so deleted and renamed files drop out instead of piling up.
Anything unreadable is treated as empty; anything unwritable is skipped: a cache may only ever
make a run faster, never fail it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsux_core.policy import Policy
from opsux_lint.analysis.reads import Checker, Reads, Snapshot
from opsux_lint.findings import Finding, Severity
from opsux_lint.registry import RULES_PACKAGE, RuleSpec

if TYPE_CHECKING:
    from opsux_lint.analysis.index import ProjectIndex

CACHE_DIRNAME = ".opsux_cache"
_FORMAT = 3


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.cache
def tool_digest() -> str:
    """The linter's own code and rule files, by size and mtime.

    The version alone is not enough: in an editable install (or a patched one) the rules change
    while the version stays, and a cache must never answer with an old rule's findings.
    """
    parts: list[str] = []
    for package in ("opsux_lint", RULES_PACKAGE):
        spec = importlib.util.find_spec(package)
        for root in (spec.submodule_search_locations or []) if spec is not None else []:
            for file in sorted(Path(root).rglob("*")):
                if file.suffix in (".py", ".yaml"):
                    stat = file.stat()
                    parts.append(f"{file}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class LintCache:
    def __init__(
        self, file: Path, entries: dict[str, Any], index: ProjectIndex, snapshot: Snapshot | None = None,
        root: Path | None = None,
    ) -> None:
        self.file = file
        self.root = root.resolve() if root is not None else None
        self.index = index
        self._old = entries
        self._new: dict[str, Any] = {}
        self._reads: dict[str, Reads] = {}
        """The reads of each entry of this run, by key."""
        self._checker: Checker | None = snapshot.checker(index) if snapshot is not None else None

    def _key(self, path: Path) -> str:
        """``path`` (resolved) relative to the config's directory: a cache restored into another
        checkout still hits."""
        if self.root is not None:
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        return str(path)

    @classmethod
    def open(
        cls, policy: Policy, rules: Sequence[RuleSpec], version: str, index: ProjectIndex, derived: str = "",
        reported: Sequence[RuleSpec] | None = None,
    ) -> LintCache:
        """``derived``: a digest of the wrappers derived from the project (every file's
        findings depend on them; what else of the project they depend on, each entry says).
        ``reported``: the rules findings can be of, when more than ``rules`` (the parse-error
        rule a run reports an unparsable candidate file with, unselected)."""
        key = hashlib.sha256(
            json.dumps(
                [
                    _FORMAT, version, tool_digest(), policy.fingerprint, [r.id for r in rules], derived,
                    [r.id for r in reported] if reported is not None else None,
                ]
            ).encode()
        ).hexdigest()[:24]
        file = policy.root / CACHE_DIRNAME / f"lint-{key}.json"
        data = read_json(file)
        try:
            snapshot = Snapshot.from_json(data["snapshot"]) if isinstance(data, dict) else None
            entries = data["files"] if isinstance(data, dict) and isinstance(data.get("files"), dict) else {}
        except (KeyError, ValueError):
            snapshot, entries = None, {}
        return cls(file, entries if snapshot is not None else {}, index, snapshot, policy.root)

    def _valid(self, entry: Any) -> Reads | None:
        """The reads of a stored entry while they get the answers they got; None otherwise."""
        if not isinstance(entry, dict) or self._checker is None:
            return None
        try:
            reads = Reads.from_json(entry.get("reads"))
        except ValueError:
            return None
        return reads if self._checker.valid(reads) else None

    def get(self, path: Path, digest: str, display: str) -> list[Finding] | None:
        """The findings stored for the resolved ``path`` with content ``digest``, if any, while
        what they were worked out from in the rest of the project is unchanged."""
        key = self._key(path)
        entry = self._old.get(key)
        if not isinstance(entry, dict) or entry.get("sha256") != digest:
            return None
        reads = self._valid(entry)
        if reads is None:
            return None
        try:
            findings = [_finding(item, display) for item in entry["findings"]]
        except (KeyError, TypeError, ValueError):
            return None  # damaged or from another version: lint the file afresh
        self._new[key] = entry
        self._reads[key] = reads
        return findings

    def put(self, path: Path, digest: str, findings: Sequence[Finding], reads: Reads) -> None:
        """``reads``: what linting the file read of the project index."""
        stored = []
        for finding in findings:
            item = asdict(finding)
            del item["path"]
            item["severity"] = str(finding.severity)
            stored.append(item)
        key = self._key(path)
        self._new[key] = {"sha256": digest, "findings": stored, "reads": reads.to_json()}
        self._reads[key] = reads

    def save(self) -> None:
        """Write this run's entries over the earlier ones: a run over one file (pre-commit)
        must not forget the rest of the project. An entry no run has used for
        :data:`KEEP_RUNS` runs is dropped, and so are all but the newest :data:`KEEP_FILES`
        cache files (each config, rule selection and project state has its own)."""
        generation = 1 + max((e.get("run", 0) for e in self._old.values() if isinstance(e, dict) and isinstance(e.get("run", 0), int)), default=0)
        kept: dict[str, Any] = {}
        for key, entry in self._old.items():
            if (
                key not in self._new and isinstance(entry, dict)
                and isinstance(entry.get("run", 0), int) and generation - entry.get("run", 0) <= KEEP_RUNS
            ):
                # The snapshot written is of the project as it is now: an entry whose reads
                # answer differently now would be taken for valid by the next run.
                reads = self._valid(entry)
                if reads is not None:
                    kept[key] = entry
                    self._reads[key] = reads
        merged = {**kept, **{key: {**entry, "run": generation} for key, entry in self._new.items()}}
        snapshot = Snapshot.take(self.index, self._reads.values(), self._checker)
        write_json(self.file, {"snapshot": snapshot.to_json(), "files": merged}, prune="lint-*.json")


KEEP_RUNS = 20
KEEP_FILES = 8


def derived_file(policy: Policy, rules: Sequence[RuleSpec], version: str) -> Path:
    """Where the wrappers and needles derived from the project are kept, with what deriving
    them read of the project index: derivation is a function of the config, the rules and those
    reads, and a third of a warm run on warehouse."""
    key = hashlib.sha256(
        json.dumps([_FORMAT, version, tool_digest(), policy.fingerprint, [r.id for r in rules]]).encode()
    ).hexdigest()[:24]
    return policy.root / CACHE_DIRNAME / f"derived-{key}.json"


def read_json(file: Path) -> Any:
    """The file's JSON, or None when it cannot be read or parsed."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_json(file: Path, data: Any, prune: str) -> None:
    """Atomically, beside a ``.gitignore`` for the cache directory, keeping the newest
    :data:`KEEP_FILES` files named like ``prune``; a failure is harmless."""
    directory = file.parent
    try:
        directory.mkdir(exist_ok=True)
        ignore = directory / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# Created by opsux-lint.\n*\n", encoding="utf-8")
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{file.stem}-", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            # dumps, not dump: json.dump streams through the pure-Python encoder (6x slower on
            # the 100 KB index manifest every run writes).
            out.write(json.dumps(data))
        os.replace(temporary, file)
        _prune(directory, keep=file, pattern=prune)
    except OSError:
        pass


def _prune(directory: Path, keep: Path, pattern: str) -> None:
    files = sorted(directory.glob(pattern), key=lambda f: f.stat().st_mtime, reverse=True)
    for old in [f for f in files if f != keep][KEEP_FILES - 1:]:
        old.unlink(missing_ok=True)


_INT_FIELDS = ("line", "column", "end_line", "end_column")
_STR_FIELDS = ("code", "message", "name", "snippet")
_FIX_FIELDS = ("fix", "unsafe_fix")


def _finding(item: object, display: str) -> Finding:
    """A cached finding, checked field by field: valid JSON of the wrong shape (a hand-edited or
    truncated cache) must never reach a report as ``path:x:None``."""
    if not isinstance(item, dict) or set(item) != {*_INT_FIELDS, *_STR_FIELDS, *_FIX_FIELDS, "severity"}:
        raise ValueError("not a cached finding")
    if not all(item[key] is None or isinstance(item[key], str) for key in _FIX_FIELDS):
        raise ValueError("a fix is not a string")
    if not all(type(item[key]) is int and item[key] >= 1 for key in _INT_FIELDS):
        raise ValueError("a position is not a positive integer")
    if not all(isinstance(item[key], str) for key in _STR_FIELDS):
        raise ValueError("a text field is not a string")
    return Finding(**{**item, "path": display, "severity": Severity(item["severity"])})
