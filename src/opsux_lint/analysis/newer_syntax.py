"""F-strings of Python 3.12 (PEP 701) found in source that an older ``ast`` must parse.

3.12 lets a replacement field hold the f-string's own quote (``f"{"nested"}"``), backslashes,
comments and line breaks; 3.11's parser rejects the whole module, and a module the index cannot
outline leaves every name imported from it unresolved. :func:`fstring_repairs` finds, by 3.12's
rules, each f-string this Python cannot parse and gives a placeholder for it: a parenthesised
name that keeps the f-string's line breaks (line numbers stay), which resolution reports as an
unknown value rather than taking a made-up string for it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

PLACEHOLDER = "__opsux_newer_fstring__"
_PREFIX = re.compile(r"(?i)(?<![\w])(rf|fr|f|rb|br|r|b|u)?('''|\"\"\"|'|\")")


def fstring_repairs(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, replacement)`` for each f-string of ``text`` this Python cannot parse;
    empty when there is none (or the text cannot be scanned)."""
    repairs: list[tuple[int, int, str]] = []
    for start, end, formatted in _scan(text, 0):
        if end is None:
            return []
        if formatted and not _parses(text[start:end]):
            lines = text.count("\n", start, end)
            repairs.append((start, end, f"({PLACEHOLDER}" + "\n" * lines + ")"))
    return repairs


_Token = tuple[int, int | None, bool | None]
"""``(start, end, formatted)``: a string literal (``end`` None when it never ends) and whether it
is an f-string; a character of code has ``formatted`` None."""


def _scan(text: str, position: int) -> Iterator[_Token]:
    """The string literals and the characters of code from ``position`` on; comments and names
    are skipped (``elif"x"`` has no prefix, ``myf"x"`` is no f-string)."""
    size = len(text)
    while position < size:
        char = text[position]
        if char == "#":
            newline = text.find("\n", position)
            position = size if newline == -1 else newline
            continue
        if char in "'\"" or char.isalpha():
            match = _PREFIX.match(text, position)
            if match is not None and (char in "'\"" or match.group(1)):
                formatted = "f" in (match.group(1) or "").lower()
                end = _string_end(text, match.end(), match.group(2), formatted)
                yield position, end, formatted
                if end is None:
                    return
                position = end
                continue
            if char.isalpha():
                while position < size and (text[position].isalnum() or text[position] == "_"):
                    position += 1
                continue
            # A quote right after a name (``x'a'``): no literal starts there.
        yield position, position + 1, None
        position += 1


def _parses(literal: str) -> bool:
    try:
        ast.parse(f"(\n{literal}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _string_end(text: str, start: int, quote: str, formatted: bool) -> int | None:
    """The index just past the string whose body starts at ``start``; None when it never ends."""
    position = start
    size = len(text)
    while position < size:
        char = text[position]
        if char == "\\":
            position += 2
            continue
        if text.startswith(quote, position):
            return position + len(quote)
        if char == "\n" and len(quote) == 1:
            return None
        if formatted and char == "{":
            if text.startswith("{{", position):
                position += 2
                continue
            end = _field_end(text, position + 1)
            if end is None:
                return None
            position = end
            continue
        position += 1
    return None


def _field_end(text: str, start: int) -> int | None:
    """The index just past the ``}`` that closes the replacement field starting at ``start``:
    brackets nest, strings of any quote may appear (3.12), and a format spec's ``{width}``
    is a field of its own. None when the field never closes."""
    depth = 0
    for position, end, formatted in _scan(text, start):
        if end is None:
            return None
        if formatted is not None:
            continue
        char = text[position]
        if char in "([{":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "}":
            if depth == 0:
                return end
            depth -= 1
    return None
