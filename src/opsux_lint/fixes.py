"""``--fix`` and ``--diff``: apply the findings' safe rewrites to the source, formatting kept.

A finding's ``fix`` replaces exactly its region (lines and character columns, as reported); the
rewrites come from libcst nodes of the file as it was linted, so they apply to that text only.
A file whose fixed text would no longer parse is left alone.
"""

from __future__ import annotations

import ast
import difflib
import warnings
from collections.abc import Sequence

from opsux_lint.findings import Finding


def _offset(lines: Sequence[str], line: int, column: int) -> int:
    return sum(len(text) for text in lines[: line - 1]) + column - 1


def apply_fixes(text: str, findings: Sequence[Finding]) -> tuple[str, list[Finding]]:
    """The text with every fixable finding's rewrite applied, and the findings that were."""
    lines = text.splitlines(keepends=True)
    fixable = sorted((f for f in findings if f.fix is not None), key=lambda f: (f.line, f.column), reverse=True)
    applied: list[Finding] = []
    end_of_previous = len(text) + 1
    fixed = text
    for finding in fixable:
        start = _offset(lines, finding.line, finding.column)
        end = _offset(lines, finding.end_line, finding.end_column)
        if not 0 <= start <= end <= len(text) or end > end_of_previous:
            continue  # overlapping regions: keep the later one, the next run takes the other
        assert finding.fix is not None
        fixed = fixed[:start] + finding.fix + fixed[end:]
        end_of_previous = start
        applied.append(finding)
    if not applied or not parses(fixed):
        return text, []
    return fixed, applied


def unified_diff(path: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}",
    ))


def parses(text: str) -> bool:
    """Whether the running Python parses ``text`` (its SyntaxWarnings are not the linter's)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True
