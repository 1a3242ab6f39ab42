"""The project index: every module's outline, for values and types that come from other files.

Operation types rarely appear as literals at the call: they come from module constants, star
imports, class attributes, nested ``StrEnum`` members and parameters of wrapper functions. The
index knows every ``.py`` file under ``lint.src`` (not only the files being linted: pre-commit
passes only the changed ones, and the constants live elsewhere), but outlines a module
(:mod:`~opsux_lint.analysis.outline`, with ``ast``) only when something asks for it: a
resolution that follows an import, or a search for the modules that mention a name (wrapper
derivation, subclasses, receiver types). Outlines are cached by file content in
``.opsux_cache/``, one file per outline beside a small manifest of their hashes (what a cached
result's reads are checked against, :mod:`~opsux_lint.analysis.reads`), so a run reads and writes the outlines it uses, not the project's: a
pre-commit run on one changed file writes one. So a run costs what the files that matter cost,
not the repository's size.

The index is data: lookups of names and modules. :mod:`~opsux_lint.analysis.resolver` evaluates
expressions over it, :mod:`~opsux_lint.analysis.wrappers` derives wrapper sinks from it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast, overload

from opsux_lint.analysis.mentions import WordSearch
from opsux_lint.analysis.outline import (
    SUMMARY_FORMAT,
    ClassOutline,
    Expr,
    FunctionOutline,
    Summary,
    Tag,
    summarize,
)
from opsux_lint.analysis.outlining import Pending, outline_all
from opsux_lint.analysis.reads import Reads
from opsux_lint.analysis.stamps import Stamps
from opsux_lint.cache import write_json
from opsux_lint.discovery import Excludes, python_files
from opsux_lint.modules import relative_text, resolved_module_name, source_roots

_INDEX_FORMAT = 5


@dataclass(frozen=True)
class ModuleEntry:
    summary: Summary
    path: str
    """Relative to the config file's directory, ``/``-separated (for evidence chains)."""
    digest: str


class OutlineStore:
    """Outlines on disk, one JSON file each, named by a hash of ``digest:module`` (content and
    module name: identical files such as empty ``__init__.py`` are different modules)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _file(self, key: str) -> Path:
        return self.directory / f"{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    def get(self, key: str) -> Summary | None:
        """The stored outline; None when it is missing or damaged (it is then made afresh)."""
        try:
            data = json.loads(self._file(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        module = key.partition(":")[2]
        if not isinstance(data, dict) or data.get("format") != SUMMARY_FORMAT or data.get("module") != module:
            return None
        return cast(Summary, data)  # written by put() from an outline of this format and module

    def put(self, key: str, text: str) -> None:
        """An outline's JSON (:func:`outline_json`), atomically (concurrent runs write the same
        bytes); a failure is harmless."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".outline-", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self._file(key))
        except OSError:
            pass

    def prune(self, keep: Iterable[str]) -> None:
        """Remove the outlines of files that changed or went (another run rewrites what it needs)."""
        wanted = {self._file(key).name for key in keep}
        try:
            for file in self.directory.iterdir():
                if file.name not in wanted:
                    file.unlink(missing_ok=True)
        except OSError:
            pass


class SourceFile:
    """A module's file: its bytes are searched for names and outlined on demand.

    The bytes are read once, at the start of the run, unless the file's stamp vouched for its
    digest (:mod:`~opsux_lint.analysis.stamps`); then they are read when first asked for. Bytes
    read late that are not what the digest says (the file changed since the run began) are taken
    as they are, and the digest follows them: what the run makes of them is keyed by what it read.
    """

    __slots__ = ("_data", "digest", "is_package", "module", "path", "shown")

    def __init__(
        self, module: str, is_package: bool, shown: str, data: bytes | None, digest: str, path: str | None = None,
    ) -> None:
        self.module = module
        self.is_package = is_package
        self.shown = shown
        self.digest = digest
        self.path = path
        self._data = data

    @property
    def data(self) -> bytes:
        """The file's bytes; empty when it went since the run began."""
        if self._data is None:
            try:
                self._data = self.read()
            except OSError:
                self._data = b""
                self.digest = hashlib.sha256(b"").hexdigest()
        return self._data

    def read(self) -> bytes:
        """The file's bytes (OSError when they cannot be read); what :attr:`data` is."""
        if self._data is not None:
            return self._data
        assert self.path is not None  # a source without bytes was stamped from its path
        data = Path(self.path).read_bytes()
        self._data = data
        digest = hashlib.sha256(data).hexdigest()
        if digest != self.digest:
            self.digest = digest
        return data


class _Bytes(Mapping[str, bytes]):
    """The sources' bytes by module, each read when first asked for."""

    def __init__(self, sources: Mapping[str, SourceFile]) -> None:
        self._sources = sources

    def __getitem__(self, module: str) -> bytes:
        return self._sources[module].data

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


class ProjectIndex:
    """Module name -> outline, made on first use; immutable to its users (the memo is internal)."""

    def __init__(
        self,
        modules: Mapping[str, ModuleEntry] | None = None,
        sources: Mapping[str, SourceFile] | None = None,
        store: OutlineStore | None = None,
        hashes: Mapping[str, str] | None = None,
        helpers: int = 0,
        by_path: Mapping[str, SourceFile] | None = None,
    ) -> None:
        self._sources: Mapping[str, SourceFile] = sources or {}
        self.helpers = helpers
        """Processes besides this one that may outline a batch of modules (:meth:`entries`)."""
        self._store = store
        """Outlines of earlier runs, by ``digest:module``, read when asked for."""
        self._stored: frozenset[str] = frozenset(hashes or ())
        """The keys the store holds an outline for (as its manifest says)."""
        self._hashes: dict[str, str] = dict(hashes or {})
        """SHA-256 of each outline's canonical JSON, by ``digest:module`` (stored with the cache)."""
        self._entries: dict[str, ModuleEntry | None] = dict(modules or {})
        self._words = WordSearch(_Bytes(self._sources))
        self._by_path: Mapping[str, SourceFile] = by_path or {}
        """Each source by its resolved path, where :func:`build_index` read it."""
        self._given: dict[str, bytes] = {}
        """The bytes of modules replaced in memory (``with_module``), where they were given."""
        self.made: dict[str, Summary] = {}
        """Outlines made in this run (not taken from the store), by ``digest:module``."""
        self._texts: dict[str, str] = {}
        """The JSON of the outlines made in this run that were hashed, to be saved."""
        self.stamps: Stamps | None = None
        """The files' stamps, when the index was built with a cache (saved with it)."""
        self._recording: list[Reads] = []
        """The reads being recorded (:meth:`recording`), innermost last; shared with the
        indexes laid over this one."""

    @property
    def fresh(self) -> int:
        """How many outlines this run made: nothing to save when 0."""
        return len(self.made)

    # ----------------------------------------------------------------------------- modules

    @contextmanager
    def recording(self) -> Iterator[Reads]:
        """Record what is read of this index (and of those laid over it) inside the block:
        what a result computed there depends on."""
        reads = Reads()
        self._recording.append(reads)
        try:
            yield reads
        finally:
            self._recording.pop()
            if self._recording:
                self._recording[-1].update(reads)

    @property
    def is_recording(self) -> bool:
        return bool(self._recording)

    def __contains__(self, module: str) -> bool:
        if self._recording:
            self._recording[-1].present.add(module)
        return module in self._entries or module in self._sources

    def names(self) -> Iterator[str]:
        """Every module's name (nothing is outlined)."""
        if self._recording:
            self._recording[-1].everything = True
        yield from self._sources
        yield from (name for name in self._entries if name not in self._sources)

    def entry(self, module: str) -> ModuleEntry | None:
        if self._recording:
            self._recording[-1].outlines.add(module)
        if module in self._entries:
            return self._entries[module]
        source = self._sources.get(module)
        if source is None:
            return None
        key = f"{source.digest}:{module}"
        summary = self._store.get(key) if self._store is not None and key in self._stored else None
        if summary is None:
            data = source.data
            key = f"{source.digest}:{module}"  # reading the bytes may have found them changed
            summary = summarize(data, module, source.is_package)
            # A module that does not parse is tried again next run; it is nothing to save.
            if summary is not None:
                self.made[key] = summary
        return self._enter(module, source, summary)

    def _enter(self, module: str, source: SourceFile, summary: Summary | None) -> ModuleEntry | None:
        entry = ModuleEntry(summary, source.shown, source.digest) if summary is not None else None
        self._entries[module] = entry
        return entry

    def entries(self, modules: Iterable[str]) -> Iterator[tuple[str, ModuleEntry]]:
        modules = list(modules)
        if self.helpers:
            self._outline_batch(modules)
        for module in modules:
            entry = self.entry(module)
            if entry is not None:
                yield module, entry

    def _outline_batch(self, modules: Sequence[str]) -> None:
        """Outline at once the modules of ``modules`` that neither this run nor the store has
        outlined (with :attr:`helpers`, when they are many): what :meth:`entry` would make."""
        pending = [
            source for source in (self._sources.get(m) for m in modules if m not in self._entries)
            if source is not None and not (self._store is not None and f"{source.digest}:{source.module}" in self._stored)
        ]
        if len(pending) < 2:
            return
        summaries = outline_all([Pending(s.data, s.module, s.is_package) for s in pending], self.helpers)
        for source, summary in zip(pending, summaries, strict=True):
            if summary is not None:
                self.made[f"{source.digest}:{source.module}"] = summary
            self._enter(source.module, source, summary)

    def source(self, module: str) -> bytes | None:
        """The module's source (None for a module given in memory as an outline only)."""
        if self._recording:
            self._recording[-1].sources.add(module)
        given = self._given.get(module)
        if given is not None:
            return given
        source = self._sources.get(module)
        entry = self._entries.get(module)
        if source is None or (entry is not None and entry.digest != source.digest):
            return None  # replaced in memory (``with_module``): the file's bytes are not it
        return source.data

    def unparsed(self, module: str) -> bool:
        """A module of the project whose source the running Python's ``ast`` cannot parse."""
        return module in self and self.entry(module) is None

    def read(self, path: Path) -> SourceFile | None:
        """The file at the resolved ``path`` as this index read it at the start of the run
        (None for a file outside the source roots): a run lints those bytes, not a second read."""
        return self._by_path.get(os.fspath(path))

    def mentioning(self, words: Iterable[str]) -> list[str]:
        """The modules whose source contains one of ``words`` as a whole word (none outlined)."""
        if self._recording:
            words = list(words)
            self._recording[-1].words.update(words)
        found = self._words.modules(words)
        found |= {m for m in self._entries if m not in self._sources}  # given in memory
        return sorted(found)

    def with_module(self, name: str, entry: ModuleEntry, data: bytes | None = None) -> ProjectIndex:
        """This index with one module replaced (the file being linted, as it is now, ``data``
        its bytes when they are at hand)."""
        current = self.entry(name)
        if current is not None and current.digest == entry.digest:
            return self
        entries: dict[str, ModuleEntry | None] = {**self._entries, name: entry}
        overlaid = ProjectIndex(None, self._sources, self._store, self._hashes)
        overlaid._entries = entries
        overlaid._words = self._words
        overlaid._recording = self._recording
        overlaid._given = {**self._given, name: data} if data is not None else {k: v for k, v in self._given.items() if k != name}
        return overlaid

    def files(self) -> Mapping[str, str]:
        """Every module's file: its content digest and its path (nothing is read or outlined)."""
        return {name: f"{source.digest} {source.shown}" for name, source in self._sources.items()}

    def mentions(self, module: str, word: str) -> bool:
        """Whether the module's file holds ``word`` as a whole word (what :meth:`mentioning`
        looks for), without searching the others."""
        return self._words.mentioned_in(module, word)

    def outline_hash(self, module: str) -> str:
        """The hash of the module's outline; ``-`` when it has none. An unchanged file's is in
        the manifest: its outline is not read."""
        source = self._sources.get(module)
        if source is not None and module not in self._entries:
            known = self._hashes.get(f"{source.digest}:{module}")
            if known is not None:
                return known
        return self._outline_hash(module, self.entry(module))

    def _outline_hash(self, name: str, entry: ModuleEntry | None) -> str:
        if entry is None:
            return "-"
        key = f"{entry.digest}:{name}"
        found = self._hashes.get(key)
        if found is None:  # an outline is a function of the content and the module's name
            text = outline_json(entry.summary)
            found = self._hashes[key] = text_hash(text)
            if key in self.made:
                self._texts[key] = text  # what save_index writes: serialized once
        return found

    # --------------------------------------------------------------------------- names

    def summary(self, module: str) -> Summary | None:
        entry = self.entry(module)
        return entry.summary if entry is not None else None

    def path(self, module: str) -> str:
        entry = self.entry(module)
        if entry is not None:
            return entry.path
        source = self._sources.get(module)
        return source.shown if source is not None else module

    def qualified_names(self, module: str, e: Expr) -> frozenset[str]:
        """Every qualified name a callee expression may refer to, through the module's imports."""
        summary = self.summary(module)
        if e[0] == Tag.NAME:
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
        if e[0] == Tag.ATTRIBUTE:
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

    @overload
    def locate(self, qualified: str, kind: Literal["classes"]) -> tuple[str, str, ClassOutline] | None: ...

    @overload
    def locate(self, qualified: str, kind: Literal["functions"]) -> tuple[str, str, FunctionOutline] | None: ...

    def locate(
        self, qualified: str, kind: Literal["classes", "functions"]
    ) -> tuple[str, str, ClassOutline] | tuple[str, str, FunctionOutline] | None:
        """``(module, key, outline)`` of a project class (``kind="classes"``) or function
        (``kind="functions"``) by its qualified name; None when it is not one."""
        split = self.split(qualified)
        if split is None or not split[1]:
            return None
        module, rest = split
        summary = self.summary(module)
        key = ".".join(rest)
        if summary is None:
            return None
        if kind == "classes":
            cls = summary["classes"].get(key)
            return (module, key, cls) if cls is not None else None
        function = summary["functions"].get(key)
        return (module, key, function) if function is not None else None

    def split(self, qualified: str) -> tuple[str, list[str]] | None:
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            head = ".".join(parts[:cut])
            if head in self:
                return head, parts[cut:]
        return None


# ------------------------------------------------------------------------------- building


def outline_json(summary: Summary) -> str:
    """An outline as the store keeps it and its hash is taken of (keys sorted: the same
    outline is the same text whatever built it). ``json.dumps``: the C encoder; ``json.dump``
    is pure Python, six times slower."""
    return json.dumps(summary, sort_keys=True)


def text_hash(text: str) -> str:
    """The hash of an outline's JSON (computed once, then kept in the manifest: hashing every
    outline was a fifth of a warm run)."""
    return hashlib.sha256(text.encode()).hexdigest()


def _index_files(
    root: Path, src: Sequence[str], exclude: Sequence[str], max_file_bytes: int | None
) -> Iterator[tuple[str, os.stat_result, tuple[Path, ...]]]:
    """Each file under the source roots once: its resolved path (a string: these are all the
    project's files, on every run), its stat and the roots."""
    roots = source_roots(root, src)
    # Only regular files within the size limit, like the files linted: a FIFO or /dev/zero
    # under a source root must not hang or exhaust the run even when another file is linted.
    excludes = Excludes.build(root, exclude, max_file_bytes)
    walk = sorted(roots, key=lambda p: len(p.parts))
    walked: list[Path] = []
    seen: set[str] = set()
    parents: dict[str, str] = {}
    for directory in walk:
        if not directory.is_dir() or any(directory.is_relative_to(w) for w in walked):
            continue
        walked.append(directory)
        for file, info in python_files(directory, excludes):
            resolved = _resolved(file, parents)
            if resolved not in seen:
                seen.add(resolved)
                yield resolved, info, roots


def _resolved(file: str, parents: dict[str, str]) -> str:
    """``Path(file).resolve()``, each directory resolved once (:class:`ResolvedPaths`)."""
    if os.path.islink(file):
        return os.path.realpath(file)
    head, tail = os.path.split(file)
    parent = parents.get(head)
    if parent is None:
        parent = parents[head] = os.path.realpath(head)
    return os.path.join(parent, tail)


def build_index(
    root: Path, src: Sequence[str], exclude: Sequence[str], *, cache_dir: Path | None, salt: str = "",
    max_file_bytes: int | None = None, helpers: int = 0,
) -> ProjectIndex:
    """The index of every module under the source roots: files read, nothing outlined yet.
    ``helpers``: processes besides this one that may outline a batch of modules."""
    cache_file = _cache_file(root, src, exclude, cache_dir, salt)
    hashes: dict[str, str] = {}
    if cache_file is not None:
        try:
            loaded = json.loads(cache_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        if isinstance(loaded, dict):
            hashes = {k: v for k, v in loaded.items() if isinstance(k, str) and isinstance(v, str)}
    stamps = Stamps.load(_stamps_file(cache_file), time.time_ns()) if cache_file is not None else None
    sources: dict[str, SourceFile] = {}
    by_path: dict[str, SourceFile] = {}
    root_text = os.fspath(root.resolve())
    for file, info, roots in _index_files(root, src, exclude, max_file_bytes):
        name, is_package = resolved_module_name(file, roots)
        if name in sources:
            continue
        below = relative_text(file, root_text)
        shown = (below if below is not None else file).replace(os.sep, "/")
        # ``info`` was taken before the read: a write after it moves the stamp.
        digest = stamps.digest(shown, info) if stamps is not None else None
        try:
            data = None if digest is not None else Path(file).read_bytes()
        except OSError:
            continue
        if data is not None:
            digest = hashlib.sha256(data).hexdigest()
            if stamps is not None:
                stamps.record(shown, info, digest)
        assert digest is not None
        sources[name] = by_path[file] = SourceFile(name, is_package, shown, data, digest, file)
    store = OutlineStore(_outline_dir(cache_file)) if cache_file is not None else None
    index = ProjectIndex(None, sources, store, hashes, helpers, by_path)
    index.stamps = stamps
    return index


def save_index(index: ProjectIndex, root: Path, src: Sequence[str], exclude: Sequence[str], *, cache_dir: Path, salt: str = "") -> None:
    """Keep the outlines made in this run for the next (each atomically; a failure is harmless)."""
    cache_file = _cache_file(root, src, exclude, cache_dir, salt)
    assert cache_file is not None
    if index.stamps is not None:
        index.stamps.save(_stamps_file(cache_file))
    if not index.made and cache_file.exists():
        return  # every outline came from the store: nothing changed
    store = OutlineStore(_outline_dir(cache_file))
    for key, summary in index.made.items():
        # Each outline is serialized once: the text that was hashed, where it was.
        text = index._texts.pop(key, None) or outline_json(summary)
        store.put(key, text)
        if key not in index._hashes:
            index._hashes[key] = text_hash(text)
    # The manifest names the outlines of the current files: those of earlier runs whose file is
    # unchanged (not read again) and those made now.
    current = {f"{source.digest}:{name}" for name, source in index._sources.items()}
    manifest = {key: index._hashes[key] for key in sorted(current) if key in index._hashes and (key in index._stored or key in index.made)}
    write_json(cache_file, manifest, prune="index-*.json")
    store.prune(manifest)
    for directory in cache_file.parent.glob("outlines-*"):
        if not directory.with_name(directory.name.replace("outlines-", "index-", 1) + ".json").exists():
            shutil.rmtree(directory, ignore_errors=True)  # its manifest was pruned


def _stamps_file(cache_file: Path) -> Path:
    return cache_file.with_name(cache_file.name.replace("index-", "stamps-", 1))


def _outline_dir(cache_file: Path) -> Path:
    return cache_file.with_name(cache_file.stem.replace("index-", "outlines-", 1))


def _cache_file(root: Path, src: Sequence[str], exclude: Sequence[str], cache_dir: Path | None, salt: str) -> Path | None:
    if cache_dir is None:
        return None
    key = hashlib.sha256(
        json.dumps([_INDEX_FORMAT, SUMMARY_FORMAT, salt, list(src), list(exclude)]).encode()
    ).hexdigest()[:24]
    return cache_dir / f"index-{key}.json"
