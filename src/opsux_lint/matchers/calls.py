"""Call patterns (:mod:`opsux_lint.callees`) matched against the callees and arguments of calls
in libcst's tree."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from opsux_lint.callees import CallPattern
from opsux_lint.names import ImportTable


def calls_pattern(pattern: CallPattern, func: cst.BaseExpression, imports: ImportTable) -> bool:
    """Whether ``func`` is the pattern's callee, through the file's imports."""
    if pattern.is_wildcard:
        name = pattern.last_segment
        if isinstance(func, cst.Attribute) and func.attr.value == name:
            return True
        return any(q == name or q.endswith(f".{name}") for q in imports.qualified_names(func))
    return pattern.call in imports.qualified_names(func)


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
    return any(calls_pattern(pattern, func, imports) for pattern in patterns)
