"""The file matcher of :mod:`opsux_lint.kinds.lifecycle_write` (libcst's half of the kind)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import libcst as cst

from opsux_lint.kinds.lifecycle_write import LifecycleRule
from opsux_lint.matchers import (
    FileFacts,
    Handler,
    Report,
)
from opsux_lint.matchers.runs import (
    Locals,
    Runs,
    exempt,
    keyword_args,
    last_name,
    literal_text,
    strings_of,
)


class LifecycleMatcher:
    def __init__(self, rule: LifecycleRule, facts: FileFacts) -> None:
        self.rule = rule
        self.facts = facts
        self.locals = Locals(facts)
        self.targets: list[tuple[cst.BaseExpression, str | None]] = []
        self.calls: list[tuple[cst.Call, str | None]] = []
        self.strings: list[cst.CSTNode] = []
        self.docstrings: set[int] = set()

    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]:
        own: dict[type[cst.CSTNode], Handler] = {
            cst.AugAssign: self._aug,
            cst.Call: self._call,
            cst.SimpleString: self._string,
            cst.ConcatenatedString: self._string,
            cst.Expr: self._expr,
        }
        located = self.locals.handlers()
        assign, ann = located.pop(cst.Assign), located.pop(cst.AnnAssign)

        def on_assign(node: cst.Assign) -> None:
            assign(node)
            for target in node.targets:
                self._target(target.target)

        def on_ann(node: cst.AnnAssign) -> None:
            ann(node)
            if node.value is not None:
                self._target(node.target)

        return {**own, **located, cst.Assign: on_assign, cst.AnnAssign: on_ann}

    def _target(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._target(element.value)
        elif isinstance(target, cst.Attribute) and target.attr.value in self.rule.fields:
            self.targets.append((target, self.facts.scope_key()))

    def _aug(self, node: cst.AugAssign) -> None:
        self._target(node.target)

    def _call(self, node: cst.Call) -> None:
        self.calls.append((node, self.facts.scope_key()))

    def _expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString)):
            self.docstrings.add(id(node.value))  # a docstring may show SQL; it runs none

    def _string(self, node: cst.CSTNode) -> None:
        self.strings.append(node)

    def _report(self, node: cst.CSTNode, written: str, field: str) -> Report:
        instead = self.rule.instead.get(field, "OperationRunService.complete")
        return Report(node, self.rule.spec.format(written=written, field=field, instead=instead))

    def finish(self, facts: FileFacts) -> Iterable[Report]:
        rule = self.rule
        if exempt(facts, rule.owners):
            return
        runs = Runs(facts, rule.models, self.locals)
        for target, scope in self.targets:
            assert isinstance(target, cst.Attribute)
            if runs.is_run(target.value, scope):
                yield self._report(target, _code(facts, target), target.attr.value)
        for call, scope in self.calls:
            yield from self._check_call(call, scope, runs)
        seen: set[int] = set()
        for node in self.strings:
            if id(node) in self.docstrings or id(node) in seen:
                continue
            if isinstance(node, cst.ConcatenatedString):
                seen.update({id(node.left), id(node.right)})
            text = literal_text(node)
            match = rule.sql.search(text) if text else None
            if match:
                yield self._report(node, "SQL UPDATE " + match.group(0).split()[1], match.group(1).lower())

    def _check_call(self, call: cst.Call, scope: str | None, runs: Runs) -> Iterable[Report]:
        facts, rule = self.facts, self.rule
        func = call.func
        name = last_name(func)
        if isinstance(func, cst.Name) and func.value == "setattr" and len(call.args) >= 3:
            fields = strings_of(facts, call.args[1].value, scope) or []
            for field in fields:
                if field in rule.fields and runs.is_run(call.args[0].value, scope):
                    yield self._report(call, f"setattr(..., {field!r}, ...)", field)
                    return
            return
        if name == "values" and isinstance(func, cst.Attribute) and self._updates_model(func.value, scope, runs):
            yield from self._written_columns(call, scope, runs, "update(...).values")
            return
        if name == "update" and isinstance(func, cst.Attribute) and self._queries_model(func.value, scope, runs):
            yield from self._written_columns(call, scope, runs, "query(...).update")
            return
        if isinstance(func, (cst.Name, cst.Attribute)) and runs.is_model(func, scope):
            for field, arg in keyword_args(call).items():
                if field not in rule.fields:
                    continue
                initial = rule.initial.get(field)
                values = strings_of(facts, arg.value, scope)
                if _is_none(arg.value) or (initial is not None and values is not None and set(values) == {initial}):
                    continue
                yield self._report(arg, f"{_code(facts, func)}({field}=...)", field)

    def _updates_model(self, expr: cst.BaseExpression, scope: str | None, runs: Runs) -> bool:
        """``update(Run)`` (SQLAlchemy's), ``Run.__table__.update()``, with ``.where(...)`` between."""
        while isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value in ("where", "filter", "filter_by", "execution_options", "returning"):
            expr = expr.func.value
        if not isinstance(expr, cst.Call):
            return False
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value == "update":
            table = func.value
            if isinstance(table, cst.Attribute) and table.attr.value == "__table__":
                return runs.is_model(table.value, scope)
        first = expr.args[0].value if expr.args and expr.args[0].keyword is None else None
        if first is None or not runs.is_model(first, scope):
            return False
        return bool(runs.callee_names(func, scope) & self.rule.update_functions)

    def _queries_model(self, expr: cst.BaseExpression, scope: str | None, runs: Runs) -> bool:
        return runs.queried(expr, scope, rows=True)

    def _written_columns(self, call: cst.Call, scope: str | None, runs: Runs, written: str) -> Iterable[Report]:
        facts, rule = self.facts, self.rule
        for arg in call.args:
            if arg.keyword is not None:
                if arg.keyword.value in rule.fields:
                    yield self._report(arg, f"{written}({arg.keyword.value}=...)", arg.keyword.value)
                continue
            if not isinstance(arg.value, cst.Dict):
                continue
            for element in arg.value.elements:
                if not isinstance(element, cst.DictElement):
                    continue
                key = element.key
                if isinstance(key, cst.Attribute) and key.attr.value in rule.fields and runs.is_model(key.value, scope):
                    yield self._report(element, f"{written}({{{_code(facts, key)}: ...}})", key.attr.value)
                    continue
                for field in strings_of(facts, key, scope) or ():
                    if field in rule.fields:
                        yield self._report(element, f"{written}({{{field!r}: ...}})", field)
                        break


def _is_none(expr: cst.BaseExpression) -> bool:
    return isinstance(expr, cst.Name) and expr.value == "None"


def _code(facts: FileFacts, node: cst.CSTNode) -> str:
    text = " ".join(facts.tree.code_for_node(node).split())
    return text if len(text) <= 50 else text[:47] + "..."
