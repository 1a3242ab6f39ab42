"""The file matcher of :mod:`opsux_lint.kinds.surface_copy` (libcst's half of the kind)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import libcst as cst

from opsux_lint.kinds.surface_copy import SurfaceCopyRule
from opsux_lint.matchers import (
    FileFacts,
    Handler,
    Report,
)
from opsux_lint.matchers.runs import (
    Locals,
    Runs,
    SkipsBareStrings,
    exempt,
    last_name,
    literal_text,
    strings_of,
    subtree_ids,
    whole_strings,
)


class SurfaceCopyMatcher(SkipsBareStrings):
    def __init__(self, rule: SurfaceCopyRule, facts: FileFacts) -> None:
        self.rule = rule
        self.facts = facts
        self.locals = Locals(facts)
        self.strings: list[cst.CSTNode] = []
        self.formatted: list[tuple[cst.FormattedString, str | None]] = []
        self.formats: list[tuple[cst.CSTNode, list[cst.BaseExpression], str | None]] = []
        self.skip_roots: list[cst.CSTNode] = []

    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]:
        return {
            **self.locals.handlers(),
            cst.SimpleString: self.strings.append,
            cst.ConcatenatedString: self.strings.append,
            cst.FormattedString: self._formatted,
            cst.BinaryOperation: self._percent,
            cst.Call: self._call,
            cst.Raise: self.skip_roots.append,
            cst.Assert: self.skip_roots.append,
            cst.Expr: self._expr,
        }

    def _formatted(self, node: cst.FormattedString) -> None:
        # ``f"{EventType.SYNC}"`` only converts its value to a string: no text, so no copy.
        if any(isinstance(p, cst.FormattedStringText) and p.value.strip() for p in node.parts):
            self.formatted.append((node, self.facts.scope_key()))

    def _percent(self, node: cst.BinaryOperation) -> None:
        if (
            isinstance(node.operator, cst.Modulo) and isinstance(node.left, (cst.SimpleString, cst.ConcatenatedString))
            and _has_text(node.left, _PERCENT_FIELD)
        ):
            right = node.right
            values = [e.value for e in right.elements] if isinstance(right, cst.Tuple) else [right]
            self.formats.append((node, values, self.facts.scope_key()))

    def _call(self, node: cst.Call) -> None:
        name = last_name(node.func)
        if name in self.rule.not_copy:
            self.skip_roots.append(node)
        elif (
            name == "format" and isinstance(node.func, cst.Attribute)
            and isinstance(node.func.value, (cst.SimpleString, cst.ConcatenatedString))
            and _has_text(node.func.value, _FORMAT_FIELD)
        ):
            self.formats.append((node, [a.value for a in node.args if not a.star], self.facts.scope_key()))

    def finish(self, facts: FileFacts) -> Iterable[Report]:
        rule = self.rule
        if exempt(facts, rule.owners):
            return
        skipped = subtree_ids(self.skip_roots)
        runs = Runs(facts, rule.models, self.locals)
        for node in whole_strings(self.strings, skipped):
            text = literal_text(node)
            if text is not None and text.strip() in rule.phrases:
                yield Report(node, rule.spec.format(detail=f"{text.strip()!r} is the presenter's copy", instead="build it with the Presenter (opsux_core.Presenter: queued_toast, terminal, status_copy)"))
        for formatted, scope in self.formatted:
            if id(formatted) in skipped:
                continue
            values = [p.expression for p in formatted.parts if isinstance(p, cst.FormattedStringExpression)]
            yield from self._interpolated(formatted, values, scope, runs)
        for node, values, scope in self.formats:
            if id(node) not in skipped:
                yield from self._interpolated(node, values, scope, runs)

    def _constant(self, value: cst.BaseExpression) -> bool:
        """A module-level or imported name (``SYNC``, ``Kind.EXPORT``): a registered type held in a
        constant. Locals and parameters are text of the moment, and not followed."""
        while isinstance(value, cst.Attribute):
            value = value.value
        return isinstance(value, cst.Name) and self.facts.imports.is_module_name(value.value)

    def _interpolated(self, node: cst.CSTNode, values: list[cst.BaseExpression], scope: str | None, runs: Runs) -> Iterable[Report]:
        for value in values:
            raw = None
            if isinstance(value, cst.Attribute) and value.attr.value == self.rule.attribute and runs.is_run(value.value, scope):
                raw = " ".join(self.facts.tree.code_for_node(value).split())
            elif isinstance(value, (cst.Name, cst.Attribute)) and self._constant(value):
                texts = strings_of(self.facts, value, scope)
                if texts and all(t in self.rule.catalog for t in texts):
                    raw = f"{self.facts.tree.code_for_node(value)} ({', '.join(repr(t) for t in texts)})"
            if raw is not None:
                detail = f"the raw operation type {raw} is shown in text"
                yield Report(node, self.rule.spec.format(detail=detail, instead="show the catalog's label (OperationCatalog.label) or the Presenter's copy"))
                return


_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")


def _has_text(template: cst.SimpleString | cst.ConcatenatedString, fields: re.Pattern[str]) -> bool:
    """Whether a ``%`` or ``.format`` template holds text besides its fields: ``"%s" % kind``
    and ``"{}".format(kind)`` only convert a value to a string, which is no copy."""
    text = template.evaluated_value
    if not isinstance(text, str):
        return True  # bytes, or a part libcst cannot evaluate: treat as text
    return bool(fields.sub("", text).strip())
