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

PLACEHOLDER = "__opsux_newer_fstring__"
_PREFIX = re.compile(r"(?i)(?<![\w])(rf|fr|f|rb|br|r|b|u)?('''|\"\"\"|'|\")")


def fstring_repairs(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, replacement)`` for each f-string of ``text`` this Python cannot parse;
    empty when there is none (or the text cannot be scanned)."""
    repairs: list[tuple[int, int, str]] = []
    position = 0
    size = len(text)
    while position < size:
        char = text[position]
        if char == "#":
            end = text.find("\n", position)
            position = size if end == -1 else end
            continue
        if char in "'\"" or char.isalpha():
            match = _PREFIX.match(text, position)
            if match is not None and (char in "'\"" or match.group(1)):
                closed = _string_end(text, match.end(), match.group(2), "f" in (match.group(1) or "").lower())
                if closed is None:
                    return []
                if "f" in (match.group(1) or "").lower() and not _parses(text[position:closed]):
                    lines = text.count("\n", position, closed)
                    repairs.append((position, closed, f"({PLACEHOLDER}" + "\n" * lines + ")"))
                position = closed
                continue
            if char.isalpha():
                # The rest of the name: ``elif"x"`` has no prefix, ``myf"x"`` is not an f-string.
                while position < size and (text[position].isalnum() or text[position] == "_"):
                    position += 1
                continue
        position += 1
    return repairs


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
    is a field of its own."""
    depth = 0
    position = start
    size = len(text)
    while position < size:
        char = text[position]
        if char in "([{":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "}":
            if depth == 0:
                return position + 1
            depth -= 1
        elif char == "#":
            end = text.find("\n", position)
            if end == -1:
                return None
            position = end
            continue
        elif char in "'\"" or char.isalpha():
            match = _PREFIX.match(text, position)
            if match is not None and (char in "'\"" or match.group(1)):
                closed = _string_end(text, match.end(), match.group(2), "f" in (match.group(1) or "").lower())
                if closed is None:
                    return None
                position = closed
                continue
            while position < size and (text[position].isalnum() or text[position] == "_"):
                position += 1
            continue
        position += 1
    return None
