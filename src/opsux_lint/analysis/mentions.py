"""Which of the project's files mention a name: the index's search over raw source bytes.

A run asks for few names (a warm pre-commit run: about ten; a cold run of warehouse: about fifty),
so each is searched for on its own, with ``bytes.find`` (C speed) and a boundary check at each
hit, and remembered. Splitting every file into its words up front cost more than all of a small
run's searches together (0.3 s of a 1 s run on warehouse). Past :data:`SEARCHES_BEFORE_INDEX`
names the files are split into words once after all, so a run that asks for many names never
pays more than twice what the word table costs.

A name is found where it is a whole *token* as ``[A-Za-z_][A-Za-z0-9_]*`` splits bytes: not
inside a longer name, and ``9abc`` holds the token ``abc`` (a digit cannot start one).

One more kind of search goes by the same road (and so is remembered, and recorded for cached
results, as a word is): :func:`setter` ``("kind")`` finds the modules that may set ``kind`` on
an object from outside its class.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping

SEARCHES_BEFORE_INDEX = 64
"""Names searched one by one before the files are split into words (about what splitting costs)."""

_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_NAME_BYTES = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_DIGITS = frozenset(b"0123456789")


class WordSearch:
    """Module name -> source bytes, searched for whole words; results are remembered.

    Shared by an index and the indexes laid over it (the files on disk are the same)."""

    def __init__(self, sources: Mapping[str, bytes]) -> None:
        self._sources = sources
        self._found: dict[bytes, frozenset[str]] = {}
        self._table: dict[bytes, set[str]] | None = None

    def modules(self, words: Iterable[str]) -> set[str]:
        """The modules whose source holds one of ``words`` as a whole token (or, for a
        :func:`setter`, may set its attribute)."""
        found: set[str] = set()
        for word in words:
            found |= self._modules(word.encode())
        return found

    def mentioned_in(self, module: str, word: str) -> bool:
        """Whether one module's source holds ``word`` as a whole token (what :meth:`modules`
        finds), without searching the others."""
        data = self._sources.get(module)
        encoded = word.encode()
        if encoded.startswith(_SETTER):
            attr = encoded[len(_SETTER):]
            return data is not None and has_token(data, attr) and sets_outside(_setting(attr), data)
        return data is not None and _WORD.fullmatch(encoded) is not None and has_token(data, encoded)

    def _modules(self, word: bytes) -> frozenset[str]:
        known = self._found.get(word)
        if known is not None:
            return known
        if word.startswith(_SETTER):
            attr = word[len(_SETTER):]
            pattern = _setting(attr)
            found = frozenset(m for m in self._modules(attr) if sets_outside(pattern, self._sources[m]))
            self._found[word] = found
            return found
        if self._table is None and len(self._found) >= SEARCHES_BEFORE_INDEX:
            self._table = _word_table(self._sources)
        if self._table is not None:
            found = frozenset(self._table.get(word, ()))
        elif not _WORD.fullmatch(word):
            found = frozenset()  # never a token (empty, a digit first, not ASCII)
        else:
            found = frozenset(module for module, data in self._sources.items() if has_token(data, word))
        self._found[word] = found
        return found


def has_token(data: bytes, word: bytes) -> bool:
    """Whether ``word`` (itself a token) occurs in ``data`` as a whole token."""
    size = len(word)
    start = data.find(word)
    while start != -1:
        end = start + size
        if end == len(data) or data[end] not in _NAME_BYTES:
            # A token starts after a non-name byte, or after digits that follow one.
            before = start
            while before and data[before - 1] in _DIGITS:
                before -= 1
            if not before or data[before - 1] not in _NAME_BYTES:
                return True
        start = data.find(word, start + 1)
    return False


def _word_table(sources: Mapping[str, bytes]) -> dict[bytes, set[str]]:
    table: dict[bytes, set[str]] = {}
    for module, data in sources.items():
        for word in set(_WORD.findall(data)):
            table.setdefault(word, set()).add(module)
    return table


_SETTER = b"set:"


def setter(attr: str) -> str:
    """The search for the modules that may set ``attr`` on an object other than ``self`` or
    ``cls`` (``job.kind = ...``, ``setattr(``, ``as_view(``), to pass where a word goes."""
    return f"{_SETTER.decode()}{attr}"


@functools.cache
def _setting(attr: bytes) -> re.Pattern[bytes]:
    """``.attr =`` (also annotated; group 1 is set for it), ``setattr(``, ``as_view(``."""
    return re.compile(rb"(\.)\s*" + re.escape(attr) + rb"\s*(?::[^=\n]*)?=(?!=)|\bsetattr\s*\(|\bas_view\s*\(")


_OWN = re.compile(rb"(?<![\w.])(?:self|cls)\s*\Z")
"""The end of the text before ``.attr =`` when the object is ``self`` or ``cls``."""


def sets_outside(pattern: re.Pattern[bytes], data: bytes) -> bool:
    """Whether ``data`` may set the attribute of ``pattern`` (:func:`_setting`) on an object
    other than ``self`` or ``cls`` (a class's own, and the commonest by far)."""
    for match in pattern.finditer(data):
        if match.group(1) is None or _OWN.search(data, max(0, match.start() - 40), match.start()) is None:
            return True
    return False
