"""String values of expressions, as far as one file tells them.

Resolved: string literals, implicit concatenation, f-strings without placeholders, both arms of a
conditional expression, module-level constants and class attributes / Enum members defined in
the same file (``Kind.SYNC`` and ``Kind.SYNC.value``), and a few well-known external constants
given by the rule (``opsux_core.RunStatus.QUEUED``). Anything else is unknown and never reported:
a linter that guesses produces noise people learn to ignore.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

from opsux_lint.names import ImportTable

_MAX_DEPTH = 20


@dataclass(frozen=True)
class Resolved:
    """A string an expression may evaluate to, and the node to report it at."""

    value: str
    node: cst.CSTNode


class ConstantTable:
    """Module-level and class-level assignments of one file, filled during the traversal."""

    def __init__(self) -> None:
        self.module: dict[str, list[cst.BaseExpression]] = {}
        self.classes: dict[str, dict[str, list[cst.BaseExpression]]] = {}

    def assign_module(self, name: str, value: cst.BaseExpression) -> None:
        self.module.setdefault(name, []).append(value)

    def assign_class(self, cls: str, name: str, value: cst.BaseExpression) -> None:
        self.classes.setdefault(cls, {}).setdefault(name, []).append(value)


class ValueResolver:
    def __init__(
        self,
        constants: ConstantTable,
        imports: ImportTable,
        known: Mapping[str, str] | None = None,
    ) -> None:
        self.constants = constants
        self.imports = imports
        self.known = known or {}

    def strings(self, expr: cst.BaseExpression) -> list[Resolved]:
        """The strings ``expr`` may be; empty when none is known."""
        return self._resolve(expr, expr, 0, frozenset())

    def _resolve(
        self, expr: cst.BaseExpression, report_at: cst.CSTNode, depth: int, seen: frozenset[str]
    ) -> list[Resolved]:
        if depth > _MAX_DEPTH:
            return []
        direct = literal_string(expr)
        if direct is not None:
            # ``report_at`` is the literal itself when it is written at the checked position,
            # and the constant's use site when the literal was reached through a constant.
            return [Resolved(direct, report_at)]
        if isinstance(expr, cst.IfExp):
            return [
                *self._resolve(expr.body, _here(expr.body, report_at, expr), depth + 1, seen),
                *self._resolve(expr.orelse, _here(expr.orelse, report_at, expr), depth + 1, seen),
            ]
        if isinstance(expr, cst.Name):
            return self._constant(expr.value, report_at, depth, seen)
        if isinstance(expr, cst.Attribute):
            return self._attribute(expr, report_at, depth, seen)
        return []

    def _constant(self, name: str, report_at: cst.CSTNode, depth: int, seen: frozenset[str]) -> list[Resolved]:
        if name in seen or name not in self.constants.module or self.imports.is_imported(name):
            return self._known(cst.Name(name), report_at)
        found: list[Resolved] = []
        for value in self.constants.module[name]:
            found.extend(self._resolve(value, report_at, depth + 1, seen | {name}))
        return found

    def _attribute(self, expr: cst.Attribute, report_at: cst.CSTNode, depth: int, seen: frozenset[str]) -> list[Resolved]:
        target = expr
        if expr.attr.value == "value" and isinstance(expr.value, cst.Attribute):
            target = expr.value  # ``Kind.SYNC.value`` is the member's value
        if isinstance(target.value, cst.Name):
            cls, attr = target.value.value, target.attr.value
            members = self.constants.classes.get(cls)
            key = f"{cls}.{attr}"
            if members is not None and attr in members and key not in seen:
                found: list[Resolved] = []
                for value in members[attr]:
                    found.extend(self._resolve(value, report_at, depth + 1, seen | {key}))
                return found
        return self._known(target, report_at)

    def _known(self, expr: cst.BaseExpression, report_at: cst.CSTNode) -> list[Resolved]:
        if not self.known:
            return []
        for name in sorted(self.imports.qualified_names(expr)):
            if name in self.known:
                return [Resolved(self.known[name], report_at)]
        return []


def _here(arm: cst.BaseExpression, report_at: cst.CSTNode, ifexp: cst.IfExp) -> cst.CSTNode:
    # Within the expression being checked, an arm is reported at itself (the exact literal);
    # an IfExp reached through a constant keeps the usage site.
    return arm if report_at is ifexp else report_at


def literal_string(expr: cst.BaseExpression) -> str | None:
    """The value of a string literal, implicit concatenation or placeholder-free f-string."""
    if isinstance(expr, cst.SimpleString):
        value = expr.evaluated_value
        return value if isinstance(value, str) else None
    if isinstance(expr, cst.ConcatenatedString):
        left = literal_string(expr.left)
        right = literal_string(expr.right)
        return left + right if left is not None and right is not None else None
    if isinstance(expr, cst.FormattedString):
        if any(not isinstance(part, cst.FormattedStringText) for part in expr.parts):
            return None
        prefix = "".join(ch for ch in expr.start[: -len(expr.end)] if ch not in "fF")
        text = "".join(part.value for part in expr.parts if isinstance(part, cst.FormattedStringText))
        text = text.replace("{{", "{").replace("}}", "}")
        try:
            value = ast.literal_eval(f"{prefix}{expr.end}{text}{expr.end}")
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, str) else None
    return None
