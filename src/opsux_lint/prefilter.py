"""Cheap text search that decides which files can possibly match, before anything is parsed.

Each rule gives needles: text one of which must occur in a file for the rule to report anything
in it (a callee's last name or an attribute name, as a whole word; a class-name fragment from a
glob, anywhere in a word). A file that contains no needle of any selected rule is not parsed at
all. Needles are matched on the raw bytes, so the test is sound for any ASCII-compatible source
encoding. A rule that cannot name its needles (``None``) makes every file a candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Needle:
    text: str
    whole_word: bool = True
    ignore_case: bool = False
    in_strings: bool = True
    """Whether the needle matters inside a string literal (a phrase, a URL template, a table
    named in SQL), not only as code (a callee's or an attribute's name): a row of a generated
    table that holds ``'status'`` as data keeps nothing for a rule about ``run.status``."""
    quoted: Literal["", "whole", "piece", "tail"] = ""
    """``"whole"``: only as a whole string literal's text (``"inventory.sync"``, a registered type
    a constant holds); ``"piece"``: the same, blanks around it allowed (a phrase, or a piece of
    one written as an implicit concatenation). Literals are rare where words are not: a registry
    of common words (authentik's ``login``, ``update``) found anywhere made most files candidates.
    ``"tail"``: as the last name of a dotted path a string literal ends with (``"app.events.emit"``,
    a function a task runner imports by its path)."""

    def regex(self) -> bytes:
        escaped = re.escape(self.text.encode("utf-8"))
        if self.quoted == "whole":
            return _QUOTE + escaped + _QUOTE
        if self.quoted == "piece":
            return _QUOTE + rb"\s*" + escaped + rb"\s*" + _QUOTE
        if self.quoted == "tail":
            return rb"\." + escaped + _QUOTE
        if self.ignore_case:
            escaped = b"(?i:" + escaped + b")"
        if not self.whole_word:
            return escaped
        return rb"(?<![A-Za-z0-9_])" + escaped + rb"(?![A-Za-z0-9_])"


_WORD = re.compile(r"[A-Za-z0-9_](?:.*[A-Za-z0-9_])?", re.DOTALL)
_QUOTE = rb"[\"']"


def words(texts: Iterable[str], *, in_strings: bool = False) -> frozenset[Needle]:
    """Whole-word needles: names, which matter as code unless ``in_strings`` says otherwise."""
    return frozenset(Needle(text, in_strings=in_strings) for text in texts)


def dotted_tails(texts: Iterable[str]) -> frozenset[Needle]:
    """Needles for names that a task runner may be given as a dotted path's last name
    (``async_task("app.events.emit", kind)``)."""
    return frozenset(Needle(text, quoted="tail") for text in texts)


def word_pattern(texts: Iterable[str]) -> bytes:
    """One alternation of whole words between two ``\\b``: a pattern that opens with a
    lookbehind per word is tried at every position of the text (15x slower on big files)."""
    ordered = sorted(set(texts), key=lambda t: (-len(t), t))
    return rb"\b(?:" + b"|".join(re.escape(t.encode("utf-8")) for t in ordered) + rb")\b"


def _alternation(texts: Iterable[str]) -> bytes:
    ordered = sorted(set(texts), key=lambda t: (-len(t), t))
    return b"(?:" + b"|".join(re.escape(t.encode("utf-8")) for t in ordered) + b")"


@dataclass(frozen=True)
class Prefilter:
    pattern: re.Pattern[bytes] | None
    """None: every file is a candidate."""

    @classmethod
    def build(cls, needle_sets: Iterable[frozenset[Needle] | None]) -> Prefilter:
        found: set[Needle] = set()
        for needles in needle_sets:
            if needles is None:
                return cls(None)
            found |= needles
        if not found:
            return cls(re.compile(rb"(?!)"))  # nothing selected can match anything
        # Whole words that begin and end with a word character are one alternation (``\b`` is
        # the lookaround it replaces, for ASCII word characters, as bytes patterns have them);
        # the rest keep their own form.
        plain = {n.text for n in found if n.whole_word and not n.ignore_case and not n.quoted and _WORD.fullmatch(n.text)}
        # Literals likewise, one alternation after a quote each.
        whole = {n.text for n in found if n.quoted == "whole"}
        pieces = {n.text for n in found if n.quoted == "piece"}
        tails = {n.text for n in found if n.quoted == "tail"}
        others = sorted(
            (n for n in found if not n.quoted and not (n.whole_word and not n.ignore_case and n.text in plain)),
            key=lambda n: (-len(n.text), n.text, n.whole_word),
        )
        parts = ([word_pattern(plain)] if plain else []) + [needle.regex() for needle in others]
        if whole:
            parts.append(_QUOTE + _alternation(whole) + _QUOTE)
        if pieces:
            parts.append(_QUOTE + rb"\s*" + _alternation(pieces) + rb"\s*" + _QUOTE)
        if tails:
            parts.append(rb"\." + _alternation(tails) + _QUOTE)
        return cls(re.compile(b"|".join(parts)))

    def is_candidate(self, data: bytes) -> bool:
        return self.pattern is None or self.pattern.search(data) is not None
