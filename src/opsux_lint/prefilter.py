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


@dataclass(frozen=True)
class Needle:
    text: str
    whole_word: bool = True
    ignore_case: bool = False

    def regex(self) -> bytes:
        escaped = re.escape(self.text.encode("utf-8"))
        if self.ignore_case:
            escaped = b"(?i:" + escaped + b")"
        if not self.whole_word:
            return escaped
        return rb"(?<![A-Za-z0-9_])" + escaped + rb"(?![A-Za-z0-9_])"


def words(texts: Iterable[str]) -> frozenset[Needle]:
    return frozenset(Needle(text) for text in texts)


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
        ordered = sorted(found, key=lambda n: (-len(n.text), n.text, n.whole_word))
        return cls(re.compile(b"|".join(needle.regex() for needle in ordered)))

    def is_candidate(self, data: bytes) -> bool:
        return self.pattern is None or self.pattern.search(data) is not None
