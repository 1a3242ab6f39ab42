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

Values are resolved through the whole project (:mod:`opsux_lint.index`): constants, imports,
class attributes, enum members, f-strings (as patterns), and parameters of wrapper functions
(which become sinks themselves; their callers are checked instead). The same matcher, in its
``unverifiable_operation_type`` kind, reports the call positions whose value cannot be known
statically (OPS008), with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import libcst as cst
from opsux_core.catalog import OperationCatalog
from opsux_core.policy import Policy

from opsux_lint.callees import CallPattern, argument, needles
from opsux_lint.index import DerivedSink, SinkSpec, Unknown, Value
from opsux_lint.matchers import (
    FileFacts,
    Handler,
    Report,
    RuleParameterError,
    param_list,
    param_strings,
)
from opsux_lint.prefilter import Needle, words
from opsux_lint.registry import RuleSpec, rules_by_id

_SINK_KEYS = frozenset({"call", "arg", "keyword", "shape_only"})
_COMPARISONS = (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)
_CONTAINERS = (cst.Tuple, cst.List, cst.Set)
UNVERIFIABLE_KIND = "unverifiable_operation_type"


@dataclass(frozen=True)
class Sink:
    pattern: CallPattern
    arg: int | None
    keyword: str | None
    shape_only: bool = False
    generic: bool = field(default=False, compare=False)
    """One of the rule's own positions on common names (``*.filter_by``): a value spread in
    there (``filter_by(**filters)``) is no sign of an operation type."""

    @property
    def spec(self) -> SinkSpec:
        return SinkSpec(self.pattern.call, self.arg, self.keyword, self.shape_only)

    @classmethod
    def of(cls, spec: SinkSpec) -> Sink:
        return cls(CallPattern(spec.call), spec.arg, spec.keyword, spec.shape_only)


@dataclass(frozen=True)
class OperationTypeRule:
    spec: RuleSpec
    sinks: tuple[Sink, ...]
    attributes: frozenset[str]
    catalog: OperationCatalog
    shape: re.Pattern[str]
    config_name: str
    unverifiable: bool = False
    """True: report positions that cannot be verified (OPS008) instead of unregistered values."""

    @classmethod
    def compile(cls, spec: RuleSpec, policy: Policy) -> OperationTypeRule:
        params: RuleSpec | None = spec
        if spec.kind == UNVERIFIABLE_KIND:
            source = spec.params.get("sinks_of")
            params = rules_by_id().get(str(source)) if source is not None else spec
        if params is None:
            raise RuleParameterError(f"{spec.source}: sinks_of names no rule")
        sinks = [_sink(params, entry) for entry in param_list(params, "sinks")]
        sinks += [Sink(CallPattern(s.call), s.arg, s.keyword) for s in policy.lint.operation_type_sinks]
        return cls(
            spec=spec,
            sinks=tuple(sinks),
            attributes=frozenset(param_strings(params, "compared_attributes")),
            catalog=policy.catalog,
            shape=re.compile(policy.operation_type_pattern),
            config_name=_config_name(policy),
            unverifiable=spec.kind == UNVERIFIABLE_KIND,
        )

    def needles(self) -> frozenset[Needle] | None:
        return words(needles(s.pattern for s in self.sinks) | self.attributes)

    def matcher(self, facts: FileFacts) -> _FileMatcher:
        return _FileMatcher(self, facts)

    def message(self, value: Value, site: str) -> str:
        if value.pattern is not None:
            hint = "; no registered type matches this f-string"
        else:
            suggestion = self.catalog.suggest(value.text)
            if suggestion is not None:
                hint = f"; did you mean {suggestion!r}?"
            else:
                hint = f"; register it under operation_types in {self.config_name}"
        evidence = f" ({' -> '.join((site, *value.chain))})" if value.chain else ""
        return self.spec.format(value=value.text, hint=hint, evidence=evidence)


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
    return Sink(
        CallPattern(entry["call"]), entry.get("arg"), entry.get("keyword"), bool(entry.get("shape_only")),
        generic=True,
    )


def base_sinks(rules: Iterable[object]) -> tuple[SinkSpec, ...]:
    """The sinks of the compiled operation-type rules: where wrapper functions are derived from."""
    found: dict[SinkSpec, None] = {}
    for rule in rules:
        if isinstance(rule, OperationTypeRule):
            for sink in rule.sinks:
                found.setdefault(sink.spec)
    return tuple(found)


@dataclass(frozen=True)
class _Position:
    expr: cst.BaseExpression
    shape_only: bool
    scope: str | None
    call: cst.Call | None = None
    sink: str = ""
    spread: str | None = None
    """Set when the value is not written at the call but spread into it (``**options``)."""


@dataclass(frozen=True)
class SiteOutcome:
    """What resolution found at one position (the corpus script counts these)."""

    node: cst.CSTNode
    sink: str
    call: bool
    shape_only: bool
    site: str
    bad: tuple[Value, ...]
    unknown: tuple[Unknown, ...]
    values: tuple[Value, ...]
    delegated: tuple[DerivedSink, ...]

    @property
    def verified(self) -> bool:
        return not self.unknown


def _source(facts: FileFacts, node: cst.CSTNode, limit: int = 60) -> str:
    """The expression as written, on one line and cut short (for messages)."""
    text = " ".join(facts.tree.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _spread(call: cst.Call, sink: Sink) -> cst.Arg | None:
    """The ``**kwargs`` (or, for a position, ``*args``) argument that may carry the sink's value."""
    for arg in call.args:
        if arg.star == "**" and sink.keyword is not None:
            return arg
        if arg.star == "*" and sink.arg is not None:
            positional = sum(1 for a in call.args if not a.star and a.keyword is None)
            if positional <= sink.arg:
                return arg
    return None


class _FileMatcher:
    def __init__(self, rule: OperationTypeRule, facts: FileFacts) -> None:
        self.rule = rule
        self.facts = facts
        self.calls: list[tuple[cst.Call, str | None]] = []
        self.positions: list[_Position] = []

    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]:
        return {cst.Call: self._call, cst.Comparison: self._comparison}

    def _call(self, node: cst.Call) -> None:
        self.calls.append((node, self.facts.scope_key()))

    def _is_type_attribute(self, expr: cst.BaseExpression) -> bool:
        return isinstance(expr, cst.Attribute) and expr.attr.value in self.rule.attributes

    def _comparison(self, node: cst.Comparison) -> None:
        left = node.left
        scope = self.facts.scope_key()
        for target in node.comparisons:
            right = target.comparator
            if isinstance(target.operator, _COMPARISONS):
                if self._is_type_attribute(left):
                    self._values(right, scope)
                elif self._is_type_attribute(right) and isinstance(target.operator, (cst.Equal, cst.NotEqual)):
                    self._values(left, scope)
            left = right

    def _values(self, expr: cst.BaseExpression, scope: str | None, shape_only: bool = False) -> None:
        if isinstance(expr, _CONTAINERS):
            for element in expr.elements:
                if isinstance(element, cst.Element):
                    self.positions.append(_Position(element.value, shape_only, scope))
        else:
            self.positions.append(_Position(expr, shape_only, scope))

    def _sinks(self) -> Sequence[Sink]:
        extra = {Sink.of(d.spec) for d in self.facts.wrappers.values()}
        return (*self.rule.sinks, *sorted(extra - set(self.rule.sinks), key=lambda s: s.pattern.call))

    def outcomes(self) -> list[SiteOutcome]:
        sinks = self._sinks()
        facts = self.facts
        for call, scope in self.calls:
            func = call.func
            # ``Run.operation_type.in_([...])`` (SQLAlchemy) is a comparison in disguise.
            if isinstance(func, cst.Attribute) and func.attr.value == "in_" and self._is_type_attribute(func.value):
                value = argument(call, 0, None)
                if value is not None:
                    self._values(value, scope)
                continue
            for sink in sinks:
                if facts.calls(sink.pattern, func):
                    value = argument(call, sink.arg, sink.keyword)
                    if value is not None:
                        keyword_given = sink.keyword is not None and any(
                            a.keyword is not None and a.keyword.value == sink.keyword for a in call.args
                        )
                        # A keyword literally named operation_type says what the value is.
                        strict = keyword_given and sink.keyword == "operation_type"
                        self.positions.append(
                            _Position(value, sink.shape_only and not strict, scope, call, sink.pattern.call)
                        )
                        break
                    spread = _spread(call, sink) if not sink.generic else None
                    if spread is not None:
                        stars = "**" if spread.star == "**" else "*"
                        code = facts.tree.code_for_node(spread.value)
                        self.positions.append(
                            _Position(spread.value, sink.shape_only, scope, call, sink.pattern.call,
                                      f"the value is passed in `{stars}{code}`")
                        )
                        break
        return [self._evaluate(position) for position in self.positions]

    def _evaluate(self, position: _Position) -> SiteOutcome:
        rule, facts = self.rule, self.facts
        if position.spread is not None:
            return SiteOutcome(
                node=position.expr, sink=position.sink, call=True, shape_only=position.shape_only,
                site=_source(facts, position.expr), bad=(), unknown=(Unknown(position.spread),),
                values=(), delegated=(),
            )
        _, resolution = facts.resolve(position.expr, position.scope)
        bad: list[Value] = []
        for value in resolution.values:
            if value.pattern is None:
                if value.text in rule.catalog:
                    continue
                if position.shape_only and not rule.shape.fullmatch(value.text):
                    continue
            else:
                matcher = re.compile(value.pattern, re.DOTALL)
                if any(matcher.fullmatch(t.code) for t in rule.catalog):
                    continue
                if position.shape_only and not rule.shape.fullmatch(re.sub(r"\{[^}]*\}", "x", value.text)):
                    continue
            bad.append(value)
        unknown: list[Unknown] = []
        delegated: list[DerivedSink] = []
        for item in resolution.unknowns:
            wrapper = facts.wrappers.get(item.param) if item.param is not None else None
            if wrapper is not None and wrapper.callers > 0:
                delegated.append(wrapper)
            elif item.param is not None and wrapper is not None:
                unknown.append(Unknown(f"{item.reason}, which has no resolvable callers", item.param))
            elif item.param is not None:
                unknown.append(Unknown(f"{item.reason} (its callers are not followed)", item.param))
            else:
                unknown.append(item)
        return SiteOutcome(
            node=position.expr, sink=position.sink, call=position.call is not None,
            shape_only=position.shape_only, site=_source(facts, position.expr), bad=tuple(bad), unknown=tuple(unknown),
            values=resolution.values, delegated=tuple(delegated),
        )

    def finish(self, facts: FileFacts) -> Iterable[Report]:
        rule = self.rule
        seen: set[tuple[int, str]] = set()
        for outcome in self.outcomes():
            if rule.unverifiable:
                if outcome.unknown and outcome.call and not outcome.shape_only:
                    reasons = "; ".join(dict.fromkeys(u.reason for u in outcome.unknown))
                    yield Report(outcome.node, rule.spec.format(expression=outcome.site, reason=reasons))
                continue
            for value in outcome.bad:
                key = (id(outcome.node), value.text)
                if key not in seen:
                    seen.add(key)
                    yield Report(outcome.node, rule.message(value, outcome.site))
