"""The file matcher of :mod:`opsux_lint.kinds.summary_counts` (libcst's half of the kind)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import libcst as cst

from opsux_lint.kinds.summary_counts import SummaryCountsRule
from opsux_lint.matchers import (
    FileFacts,
    Handler,
    Report,
)
from opsux_lint.matchers.runs import Locals, Runs, exempt, keyword_args, strings_of


class SummaryCountsMatcher:
    def __init__(self, rule: SummaryCountsRule, facts: FileFacts) -> None:
        self.rule = rule
        self.facts = facts
        self.locals = Locals(facts)
        self.calls: list[tuple[cst.Call, str | None]] = []
        self.writes: list[tuple[cst.BaseExpression, cst.BaseExpression, str | None]] = []

    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]:
        located = self.locals.handlers()
        assign = located.pop(cst.Assign)

        def on_assign(node: cst.Assign) -> None:
            assign(node)
            for target in node.targets:
                self.writes.append((target.target, node.value, self.facts.scope_key()))

        return {**located, cst.Assign: on_assign, cst.Call: self._call}

    def _call(self, node: cst.Call) -> None:
        self.calls.append((node, self.facts.scope_key()))

    def finish(self, facts: FileFacts) -> Iterable[Report]:
        rule = self.rule
        if exempt(facts, rule.owners):
            return
        runs = Runs(facts, rule.models, self.locals)
        for call, scope in self.calls:
            keywords = keyword_args(call)
            counts = keywords.get(rule.keyword)
            if counts is not None and (
                runs.is_model(call.func, scope) or runs.callee_names(call.func, scope) & rule.takes_counts
            ):
                yield from self._mapping(counts.value, scope, "summary_counts")
            elif (
                (keywords or any(arg.star == "**" for arg in call.args))
                and isinstance(call.func, cst.Attribute) and self._counts(call.func, scope, runs)
            ):
                yield from self._counting(call, scope)
        for target, value, scope in self.writes:
            if isinstance(target, cst.Attribute) and target.attr.value == rule.keyword and runs.is_run(target.value, scope):
                yield from self._mapping(value, scope, "summary_counts")
            elif (
                isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute)
                and target.value.attr.value == rule.keyword and runs.is_run(target.value.value, scope)
                and len(target.slice) == 1 and isinstance(target.slice[0].slice, cst.Index)
            ):
                key = target.slice[0].slice.value
                yield from self._entry(key, value, scope, "summary_counts[...]", fixable=isinstance(key, cst.SimpleString))

    def _counts(self, func: cst.Attribute, scope: str | None, runs: Runs) -> bool:
        rule = self.rule
        if func.attr.value not in {c.rsplit(".", 1)[-1] for c in rule.counting}:
            return False
        if runs.callee_names(func, scope) & rule.counting:
            return True
        if not isinstance(func.value, cst.Name):
            return False
        return any(
            b.how == "with" and isinstance(b.value, cst.Call) and runs.callee_names(b.value.func, scope) & rule.trackers
            for b in self.locals.of(func.value.value, scope)
        )

    def _counting(self, call: cst.Call, scope: str | None) -> Iterable[Report]:
        name = self.facts.tree.code_for_node(call.func).split(".")[-1]
        for arg in call.args:
            if arg.keyword is not None:
                yield from self._key(arg.keyword.value, arg.keyword, f"{name}({arg.keyword.value}=...)", fix=True)
                yield from self._value(arg.keyword.value, arg.value)
            elif arg.star == "**":
                yield from self._mapping(arg.value, scope, f"{name}(**...)")

    def _mapping(self, value: cst.BaseExpression, scope: str | None, where: str) -> Iterable[Report]:
        if isinstance(value, cst.Name):
            # ``counts = {...}`` in the same function, then ``summary_counts=counts``.
            for binding in self.locals.of(value.value, scope):
                if binding.how == "=" and isinstance(binding.value, cst.Dict):
                    yield from self._mapping(binding.value, scope, where)
            return
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "dict":
            for arg in value.args:
                if arg.keyword is not None:
                    yield from self._key(arg.keyword.value, arg.keyword, where, fix=True)
                    yield from self._value(arg.keyword.value, arg.value)
            return
        if not isinstance(value, cst.Dict):
            return
        for element in value.elements:
            if isinstance(element, cst.DictElement):
                yield from self._entry(element.key, element.value, scope, where, fixable=isinstance(element.key, cst.SimpleString))
            elif isinstance(element, cst.StarredDictElement):
                yield from self._mapping(element.value, scope, where)

    def _entry(self, key: cst.BaseExpression, value: cst.BaseExpression, scope: str | None, where: str, *, fixable: bool) -> Iterable[Report]:
        names = strings_of(self.facts, key, scope)
        if names is None:
            return  # a dynamic key: what it is is only known at run time
        for name in names:
            yield from self._key(name, key, where, fix=fixable and len(names) == 1)
        if len(names) == 1:
            yield from self._value(names[0], value)

    def _key(self, name: str, node: cst.CSTNode, where: str, *, fix: bool) -> Iterable[Report]:
        rule = self.rule
        if name in rule.keys:
            return
        suggestion = rule.suggest(name)
        hint = f"; did you mean {suggestion!r}?" if suggestion else f"; allowed: {', '.join(rule.keys)} (summary_keys)"
        replacement = None
        if fix and suggestion is not None:
            if isinstance(node, cst.Name):
                replacement = suggestion
            elif isinstance(node, cst.SimpleString) and node.evaluated_value == name and "\\" not in node.value:
                replacement = f"{node.prefix}{node.quote}{suggestion}{node.quote}"
        yield Report(node, rule.spec.format(detail=f"key {name!r} is not in the whitelist{hint}"), replacement)

    def _value(self, key: str, value: cst.BaseExpression) -> Iterable[Report]:
        problem = _not_a_count(value)
        if problem is not None:
            yield Report(value, self.rule.spec.format(detail=f"value of {key!r} is {problem}; counts are non-negative integers"))


def _not_a_count(value: cst.BaseExpression) -> str | None:
    if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
        return "a string"
    if isinstance(value, cst.Float):
        return "a float"
    if isinstance(value, cst.Imaginary):
        return "a complex number"
    if isinstance(value, cst.Name) and value.value in ("True", "False"):
        return "a boolean"
    if isinstance(value, cst.Name) and value.value == "None":
        return "None"
    if isinstance(value, (cst.Dict, cst.List, cst.Tuple, cst.Set)):
        return "a container (summary_counts is flat)"
    if isinstance(value, cst.UnaryOperation) and isinstance(value.operator, cst.Minus) and isinstance(value.expression, (cst.Integer, cst.Float)):
        return "negative"
    return None
