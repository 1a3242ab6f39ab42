"""What a computation read of the project index, and whether it still reads the same.

A cached result (one file's findings, the wrappers derived from the project) depends on the
project only through what it asked the index: the outlines it opened, which module names exist,
which modules mention a word, a module's bytes. :class:`Reads` is that list, recorded while the
result is computed (:meth:`ProjectIndex.recording`). :class:`Snapshot` keeps, beside the cached
results, the answers those reads got and every module's content digest when they were written;
a later run checks a result by looking again at the reads that touch a module changed since:
an edit to a module nothing read keeps every result, an edit that shifts the lines of a module
a file's value comes from re-lints that file (messages cite lines), not the project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsux_lint.analysis.index import ProjectIndex


@dataclass
class Reads:
    """The index reads of one computation, by kind."""

    outlines: set[str] = field(default_factory=set)
    """Modules whose outline (or its absence) was read: :meth:`ProjectIndex.entry`."""
    present: set[str] = field(default_factory=set)
    """Names asked whether they are a module of the project."""
    words: set[str] = field(default_factory=set)
    """Words whose mentioning modules were searched for."""
    sources: set[str] = field(default_factory=set)
    """Modules whose bytes were read."""
    everything: bool = False
    """Read the whole list of modules: valid only while no module changes."""

    def update(self, other: Reads) -> None:
        self.outlines |= other.outlines
        self.present |= other.present
        self.words |= other.words
        self.sources |= other.sources
        self.everything = self.everything or other.everything

    def to_json(self) -> list[Any]:
        return [sorted(self.outlines), sorted(self.present), sorted(self.words), sorted(self.sources), self.everything]

    @classmethod
    def from_json(cls, data: Any) -> Reads:
        """The inverse of :meth:`to_json`; ValueError for anything else (a damaged cache)."""
        if not (isinstance(data, list) and len(data) == 5 and isinstance(data[4], bool)):
            raise ValueError(f"not index reads: {data!r}")
        outlines, present, words, sources = (_names(part) for part in data[:4])
        return cls(outlines, present, words, sources, data[4])


def _names(items: Any) -> set[str]:
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"not a list of names: {items!r}")
    return set(items)


def outline_token(index: ProjectIndex, module: str) -> str:
    """What reading a module's outline saw: whether it is a module, its outline's hash and the
    path shown for it (evidence chains cite it)."""
    return f"{module in index}|{index.outline_hash(module)}|{index.path(module)}"


def mentions(index: ProjectIndex, word: str) -> list[str]:
    return sorted(index.mentioning([word]))


@dataclass
class Snapshot:
    """The answers a set of reads got, and the project's files then (module -> content digest
    and path: a module moved from ``a.py`` to ``a/__init__.py`` is cited at its new path)."""

    state: dict[str, str]
    outlines: dict[str, str]
    words: dict[str, list[str]]

    @classmethod
    def take(cls, index: ProjectIndex, reads: Iterable[Reads], previous: Checker | None = None) -> Snapshot:
        """The answers to ``reads`` in the index as it is now; an answer ``previous`` found
        unchanged is taken from its snapshot instead of being worked out again."""
        outlines: dict[str, str] = {}
        words: dict[str, list[str]] = {}
        for read in reads:
            for module in read.outlines:
                if module not in outlines:
                    known = previous.outline(module) if previous is not None else None
                    outlines[module] = known if known is not None else outline_token(index, module)
            for word in read.words:
                if word not in words:
                    found = previous.word(word) if previous is not None else None
                    words[word] = found if found is not None else mentions(index, word)
        return cls(dict(index.files()), outlines, words)

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "outlines": self.outlines, "words": self.words}

    @classmethod
    def from_json(cls, data: Any) -> Snapshot:
        """The inverse of :meth:`to_json`; ValueError for anything else (a damaged cache)."""
        state, outlines, words = (data.get(k) for k in ("state", "outlines", "words")) if isinstance(data, dict) else [None] * 3
        if not (isinstance(state, dict) and _str_map(state) and isinstance(outlines, dict) and _str_map(outlines)
                and isinstance(words, dict)):
            raise ValueError("not a snapshot")
        return cls(state, outlines, {str(word): sorted(_names(found)) for word, found in words.items()})

    def checker(self, index: ProjectIndex) -> Checker:
        return Checker(self, index)


def _str_map(value: dict[Any, Any]) -> bool:
    return all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


class Checker:
    """Whether reads answered in a :class:`Snapshot` get the same answers from the index now.

    Only modules whose content changed, appeared or went since the snapshot can answer
    differently; each of their answers is worked out once per run."""

    def __init__(self, snapshot: Snapshot, index: ProjectIndex) -> None:
        self.snapshot = snapshot
        self.index = index
        now = index.files()
        then = snapshot.state
        self.changed: frozenset[str] = frozenset(
            {m for m, digest in now.items() if then.get(m) != digest} | {m for m in then if m not in now}
        )
        self._outlines: dict[str, bool] = {}
        self._words: dict[str, bool] = {}

    def valid(self, reads: Reads) -> bool:
        if not self.changed:
            return True
        if reads.everything or not reads.sources.isdisjoint(self.changed):
            return False
        then = self.snapshot.state
        for module in reads.present & self.changed:
            if (module in then) != (module in self.index):
                return False
        return all(self._outline(m) for m in reads.outlines & self.changed) and all(self._word(w) for w in reads.words)

    def outline(self, module: str) -> str | None:
        """The snapshot's answer for the module's outline, if it is still the answer."""
        token = self.snapshot.outlines.get(module)
        return token if token is not None and (module not in self.changed or self._outline(module)) else None

    def word(self, word: str) -> list[str] | None:
        """The snapshot's modules mentioning ``word``, if they still are."""
        found = self.snapshot.words.get(word)
        return found if found is not None and self._word(word) else None

    def _outline(self, module: str) -> bool:
        same = self._outlines.get(module)
        if same is None:
            same = self._outlines[module] = self.snapshot.outlines.get(module) == outline_token(self.index, module)
        return same

    def _word(self, word: str) -> bool:
        same = self._words.get(word)
        if same is None:
            found = self.snapshot.words.get(word)
            if found is None:
                same = False
            else:
                # Only a changed module can have started or stopped mentioning the word.
                was = set(found) & self.changed
                now = {m for m in self.changed if self.index.mentions(m, word)}
                same = was == now
            self._words[word] = same
        return same
