"""Call patterns from rules and config (``app.ops.start`` or ``*.method``) matched against callees."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import libcst as cst

from opsux_lint.names import ImportTable


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

    def matches(self, func: cst.BaseExpression, imports: ImportTable) -> bool:
        if self.is_wildcard:
            name = self.last_segment
            if isinstance(func, cst.Attribute) and func.attr.value == name:
                return True
            return any(q == name or q.endswith(f".{name}") for q in imports.qualified_names(func))
        return self.call in imports.qualified_names(func)


def argument(
    call: cst.Call, position: int | None, keyword: str | None
) -> cst.BaseExpression | None:
    """The argument passed at ``position`` (0-based, positional) or as ``keyword=``."""
    positional = 0
    for arg in call.args:
        if arg.keyword is not None:
            if keyword is not None and arg.keyword.value == keyword:
                return arg.value
            continue
        if arg.star:
            # After *args the positions of later arguments are unknown.
            positional = -1_000_000
            continue
        if position is not None and positional == position:
            return arg.value
        positional += 1
    return None


def any_match(patterns: Sequence[CallPattern], func: cst.BaseExpression, imports: ImportTable) -> bool:
    return any(pattern.matches(func, imports) for pattern in patterns)


def needles(patterns: Iterable[CallPattern]) -> set[str]:
    """Text that must occur in a file for one of the patterns to match a call in it."""
    return {pattern.last_segment for pattern in patterns}
