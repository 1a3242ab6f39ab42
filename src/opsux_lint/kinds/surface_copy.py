"""Matcher kind ``surface_copy``: user-facing text built from a raw operation type, and the
presenter's canonical phrases written by hand.

SPEC.md: people see the catalog's label, never the raw type string; all copy of the three
surfaces comes from one presenter. Reported outside ``lint.presenter_modules``:

- an f-string, ``%`` or ``.format`` that interpolates ``.operation_type`` of a known run
  (:mod:`.runs`), or a value that resolves to registered operation types only;
- a string literal equal to one of the presenter's phrases (``"View run"``), also the phrases
  made from a registered label (``"Inventory sync queued"``).

Text that is no copy is left alone: log calls, exceptions, asserts, docstrings, tests.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import libcst as cst

from opsux_core.catalog import OperationCatalog
from opsux_core.policy import Policy
from opsux_lint.analysis import Resolver
from opsux_lint.kinds import (
    FileFacts,
    Handler,
    Kind,
    NeedleContext,
    Report,
    is_string,
    is_strings,
    param_strings,
)
from opsux_lint.kinds.runs import (
    Locals,
    Runs,
    bare_string,
    exempt,
    last_name,
    literal_text,
    strings_of,
    subtree_ids,
    whole_strings,
)
from opsux_lint.prefilter import Needle, words
from opsux_lint.registry import RuleSpec
from opsux_lint.settings import lint_settings


@dataclass(frozen=True)
class SurfaceCopyRule:
    follows_names = True

    spec: RuleSpec
    attribute: str
    models: tuple[str, ...]
    phrases: frozenset[str]
    catalog: OperationCatalog
    not_copy: frozenset[str]
    owners: tuple[str, ...]
    types_receivers = True

    @classmethod
    def compile(cls, spec: RuleSpec, policy: Policy) -> SurfaceCopyRule:
        labels = [t.label for t in policy.catalog]
        phrases = set(param_strings(spec, "phrases"))
        for template in param_strings(spec, "label_phrases"):
            phrases.update(template.format(label=label) for label in labels)
        return cls(
            spec=spec,
            attribute=str(spec.params.get("attribute", "operation_type")),
            models=param_strings(spec, "models"),
            phrases=frozenset(phrases),
            catalog=policy.catalog,
            not_copy=frozenset(param_strings(spec, "not_copy")),
            owners=(*param_strings(spec, "owners"), *lint_settings(policy).presenter_modules),
        )

    def needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        # The attribute, a phrase, or a registered type's code. A type interpolated through a
        # constant imported from another module is found only in files that also hold one of
        # these (the prefilter cannot follow imports); --exhaustive finds the rest.
        texts = {p.split()[0] for p in self.phrases if p.split()} | {t.code for t in self.catalog}
        return words({self.attribute}) | frozenset(Needle(t, whole_word=False) for t in texts)

    def statement_needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        # A phrase, the attribute or a type's code is written where it is reported, or in the
        # module-level constant the copy interpolates (followed); imported constants are
        # :meth:`module_needles`.
        return self.needles(context)

    def module_needles(self, resolver: Resolver, module: str) -> frozenset[str]:
        """The names ``module`` imports that hold registered types only (``SYNC``) or are
        classes with a member that holds one (``Kind`` of ``Kind.EXPORT``): the copy that
        interpolates them names no needle of its own."""
        found: set[str] = set()
        for name in resolver.imported_names(module):
            resolution = resolver.resolve(["n", name], module)
            if resolution.values and not resolution.unknowns:
                if all(v.pattern is None and v.text in self.catalog for v in resolution.values):
                    found.add(name)
            elif any(text in self.catalog for text in resolver.class_strings(["n", name], module)):
                found.add(name)
        return frozenset(found)

    def matcher(self, facts: FileFacts) -> _Matcher:
        return _Matcher(self, facts)


class _Matcher:
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

    def _expr(self, node: cst.Expr) -> None:
        string = bare_string(node)
        if string is not None:
            self.skip_roots.append(string)

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


KINDS = (
    Kind(
        "surface_copy",
        {
            "attribute": is_string, "models": is_strings, "phrases": is_strings,
            "label_phrases": is_strings, "not_copy": is_strings, "owners": is_strings,
        },
        SurfaceCopyRule.compile,
    ),
)


_PERCENT_FIELD = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")
_FORMAT_FIELD = re.compile(r"\{[^{}]*\}")


def _has_text(template: cst.SimpleString | cst.ConcatenatedString, fields: re.Pattern[str]) -> bool:
    """Whether a ``%`` or ``.format`` template holds text besides its fields: ``"%s" % kind``
    and ``"{}".format(kind)`` only convert a value to a string, which is no copy."""
    text = template.evaluated_value
    if not isinstance(text, str):
        return True  # bytes, or a part libcst cannot evaluate: treat as text
    return bool(fields.sub("", text).strip())
