"""Matcher kind ``operation_type``: values at operation-type positions that the catalog lacks.

Positions are call arguments (``sinks``: the rule's defaults plus ``lint.operation_type_sinks``),
comparisons with a ``.operation_type`` attribute (``==``, ``!=``, ``in``, ``not in``) and
SQLAlchemy's ``.operation_type.in_([...])``.

A sink may be marked ``shape_only``: ``*.start`` or ``*.label`` match methods of *any* object
(``thread.start()``, ``form.label("Name")``), because the receiver's type is unknown statically.
There a value is reported only when it has the shape of an operation-type code (it matches
``operation_type_pattern``), so ``server.start(host, "0.0.0.0")`` stays quiet while
``service.start(tenant_id, "inventry.sync")`` is caught. Qualified sinks, keywords named
``operation_type``, comparisons and every sink from the config report any unregistered value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import libcst as cst
from opsux_core.catalog import OperationCatalog
from opsux_core.policy import Policy

from opsux_lint.callees import CallPattern, argument, needles
from opsux_lint.constants import ValueResolver
from opsux_lint.matchers import (
    FileFacts,
    Handler,
    Report,
    RuleParameterError,
    param_list,
    param_strings,
)
from opsux_lint.prefilter import Needle, words
from opsux_lint.registry import RuleSpec

_SINK_KEYS = frozenset({"call", "arg", "keyword", "shape_only"})
_COMPARISONS = (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)
_CONTAINERS = (cst.Tuple, cst.List, cst.Set)


@dataclass(frozen=True)
class Sink:
    pattern: CallPattern
    arg: int | None
    keyword: str | None
    shape_only: bool = False


@dataclass(frozen=True)
class OperationTypeRule:
    spec: RuleSpec
    sinks: tuple[Sink, ...]
    attributes: frozenset[str]
    catalog: OperationCatalog
    shape: re.Pattern[str]
    config_name: str

    @classmethod
    def compile(cls, spec: RuleSpec, policy: Policy) -> OperationTypeRule:
        sinks = [_sink(spec, entry) for entry in param_list(spec, "sinks")]
        sinks += [Sink(CallPattern(s.call), s.arg, s.keyword) for s in policy.lint.operation_type_sinks]
        return cls(
            spec=spec,
            sinks=tuple(sinks),
            attributes=frozenset(param_strings(spec, "compared_attributes")),
            catalog=policy.catalog,
            shape=re.compile(policy.operation_type_pattern),
            config_name=_config_name(policy),
        )

    def needles(self) -> frozenset[Needle] | None:
        return words(needles(s.pattern for s in self.sinks) | self.attributes)

    def matcher(self) -> _FileMatcher:
        return _FileMatcher(self)

    def message(self, value: str) -> str:
        suggestion = self.catalog.suggest(value)
        if suggestion is not None:
            hint = f"; did you mean {suggestion!r}?"
        else:
            hint = f"; register it under operation_types in {self.config_name}"
        return self.spec.format(value=value, hint=hint)


def _config_name(policy: Policy) -> str:
    if policy.source is None:
        return "the opsux config"
    if policy.source.suffix == ".toml":
        return f"[tool.opsux] of {policy.source.name}"
    return policy.source.name


def _sink(spec: RuleSpec, entry: Any) -> Sink:
    if not isinstance(entry, Mapping) or not set(entry) <= _SINK_KEYS or "call" not in entry:
        raise RuleParameterError(f"{spec.source}: each sink is {{call, arg, keyword, shape_only}}")
    if entry.get("arg") is None and entry.get("keyword") is None:
        raise RuleParameterError(f"{spec.source}: sink {entry['call']} needs arg or keyword")
    return Sink(CallPattern(entry["call"]), entry.get("arg"), entry.get("keyword"), bool(entry.get("shape_only")))


@dataclass(frozen=True)
class _Position:
    expr: cst.BaseExpression
    shape_only: bool


class _FileMatcher:
    def __init__(self, rule: OperationTypeRule) -> None:
        self.rule = rule
        self.calls: list[cst.Call] = []
        self.positions: list[_Position] = []

    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]:
        return {cst.Call: self.calls.append, cst.Comparison: self._comparison}

    def _is_type_attribute(self, expr: cst.BaseExpression) -> bool:
        return isinstance(expr, cst.Attribute) and expr.attr.value in self.rule.attributes

    def _comparison(self, node: cst.Comparison) -> None:
        left = node.left
        for target in node.comparisons:
            right = target.comparator
            if isinstance(target.operator, _COMPARISONS):
                if self._is_type_attribute(left):
                    self._values(right)
                elif self._is_type_attribute(right) and isinstance(target.operator, (cst.Equal, cst.NotEqual)):
                    self._values(left)
            left = right

    def _values(self, expr: cst.BaseExpression, shape_only: bool = False) -> None:
        if isinstance(expr, _CONTAINERS):
            for element in expr.elements:
                if isinstance(element, cst.Element):
                    self.positions.append(_Position(element.value, shape_only))
        else:
            self.positions.append(_Position(expr, shape_only))

    def finish(self, facts: FileFacts) -> Iterable[Report]:
        for call in self.calls:
            func = call.func
            # ``Run.operation_type.in_([...])`` (SQLAlchemy) is a comparison in disguise.
            if isinstance(func, cst.Attribute) and func.attr.value == "in_" and self._is_type_attribute(func.value):
                value = argument(call, 0, None)
                if value is not None:
                    self._values(value)
                continue
            for sink in self.rule.sinks:
                if sink.pattern.matches(func, facts.imports):
                    value = argument(call, sink.arg, sink.keyword)
                    if value is not None:
                        keyword_given = sink.keyword is not None and any(
                            a.keyword is not None and a.keyword.value == sink.keyword for a in call.args
                        )
                        # A keyword literally named operation_type says what the value is.
                        strict = keyword_given and sink.keyword == "operation_type"
                        self.positions.append(_Position(value, sink.shape_only and not strict))
                        break
        resolver = ValueResolver(facts.constants, facts.imports)
        seen: set[tuple[int, str]] = set()
        for position in self.positions:
            for resolved in resolver.strings(position.expr):
                text = resolved.value
                if text in self.rule.catalog:
                    continue
                if position.shape_only and not self.rule.shape.fullmatch(text):
                    continue
                key = (id(resolved.node), text)
                if key not in seen:
                    seen.add(key)
                    yield Report(resolved.node, self.rule.message(text))
