"""A file's lines as Python counts them (for snippets and positions): apart from the engine, so
that code which only reads findings need not import it."""

from __future__ import annotations

import re

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def source_lines(text: str) -> list[str]:
    """Lines as Python counts them: ``str.splitlines`` also breaks at form feeds and the like."""
    return _LINE_BREAK.split(text)
