"""Call patterns from rules and config (``app.ops.start`` or ``*.method``).

Compiling a rule and naming its needles needs only the pattern; matching it against a callee in
a syntax tree is :mod:`opsux_lint.matchers.calls` (libcst's half).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CallPattern:
    """``call`` is a qualified name, or ``*.<name>``: a method (or function) of that name on anything."""

    call: str

    @property
    def is_wildcard(self) -> bool:
        return self.call.startswith("*.")

    @property
    def last_segment(self) -> str:
        return self.call.rsplit(".", 1)[-1]


def needles(patterns: Iterable[CallPattern]) -> set[str]:
    """Text that must occur in a file for one of the patterns to match a call in it."""
    return {pattern.last_segment for pattern in patterns}
