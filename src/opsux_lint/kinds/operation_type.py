"""Matcher kind ``operation_type``: values at operation-type positions that the catalog lacks.

Positions are call arguments (``sinks``: the rule's own plus ``lint.operation_type_sinks``, and
the wrappers derived from them), comparisons with a ``.operation_type`` attribute (``==``, ``!=``,
``in``, ``not in``) and SQLAlchemy's ``.operation_type.in_([...])``.

A sink is a qualified name (a function, a class, or a method: ``opsux_core.OperationRunService.start``)
or ``*.name`` (that name on any receiver, for a project that asks for it). A method sink is
matched through the receiver's type (:mod:`opsux_lint.analysis.resolver`): ``func.count().label("count")``
is SQLAlchemy's, ``thread.start()`` is threading's. Only a method of the project is matched by
its name, on a receiver of unknown class, when every method of the project that can take the
call is a sink (:func:`opsux_lint.analysis.named_sinks`).

Every call whose callee is *written* with a sink's name and that has a value at the sink's
position is a *site*, and every site ends in exactly one :class:`SiteStatus`: verified,
delegated (a wrapper's parameter: its callers are the sites), unregistered (OPS001),
unverifiable (OPS008, with the reason), not the sink (what the callee is instead), or an
unknown receiver (why its type cannot be told). ``opsux-lint --coverage`` counts them.

Values are resolved through the whole project: constants, imports, class attributes, enum
members, f-strings (as patterns), and locals (every value assigned anywhere in the function).
The same matcher, in its ``unverifiable_operation_type`` kind, reports the sites whose value
cannot be known statically (OPS008), with the reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from opsux_core.catalog import OperationCatalog
from opsux_core.policy import Policy
from opsux_lint.analysis import (
    SinkSpec,
    Value,
)
from opsux_lint.kinds import (
    Kind,
    NeedleContext,
    RuleParameterError,
    is_list,
    is_string,
    is_strings,
    param_list,
    param_strings,
)
from opsux_lint.prefilter import Needle, dotted_tails, words
from opsux_lint.registry import RuleSpec, rules_by_id
from opsux_lint.settings import lint_settings

if TYPE_CHECKING:
    from opsux_lint.matchers import FileFacts
    from opsux_lint.matchers.operation_type import OperationTypeMatcher

_SINK_KEYS = frozenset({"call", "arg", "keyword"})
UNVERIFIABLE_KIND = "unverifiable_operation_type"
COMPARISON = "comparison"


FAMILY = "operation_type"
"""The sinks of operation types (OPS001 and OPS008 check the same ones)."""


@dataclass(frozen=True)
class Sink:
    spec: SinkSpec
    generic: bool = field(default=False, compare=False)
    """One of the rule's own positions on common names (``*.filter_by``): a value spread in
    there (``filter_by(**filters)``) is no sign of an operation type."""
    enum_members: str | None = field(default=None, compare=False)
    """What a plain Enum's member given there stands for (:attr:`CallSink.enum_members`)."""

    @property
    def call(self) -> str:
        return self.spec.call


@dataclass(frozen=True)
class OperationTypeRule:
    follows_names = False

    spec: RuleSpec
    sinks: tuple[Sink, ...]
    attributes: frozenset[str]
    catalog: OperationCatalog
    config_name: str
    unverifiable: bool = False
    """True: report positions that cannot be verified (OPS008) instead of unregistered values."""

    @classmethod
    def compile(cls, spec: RuleSpec, policy: Policy) -> OperationTypeRule:
        params = _params_of(spec)
        sinks = [_sink(params, entry) for entry in param_list(params, "sinks")]
        sinks += [
            Sink(SinkSpec(s.call, s.arg, s.keyword), enum_members=s.enum_members) for s in lint_settings(policy).operation_type_sinks
        ]
        return cls(
            spec=spec,
            sinks=tuple(sinks),
            attributes=frozenset(param_strings(params, "compared_attributes")),
            catalog=policy.catalog,
            config_name=_config_name(policy),
            unverifiable=spec.kind == UNVERIFIABLE_KIND,
        )

    def sink_family(self) -> tuple[str, tuple[SinkSpec, ...]] | None:
        return FAMILY, tuple(sink.spec for sink in self.sinks)

    def needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        found: set[str] = set(self.attributes)
        for sink in self.sinks:
            spec = sink.spec
            if sink.generic and spec.arg is None and spec.keyword is not None:
                found.add(spec.keyword)  # ``filter_by(operation_type=...)``: the keyword is written
            elif spec.call in context.methods and not context.coverage:
                found |= context.receivers  # a typed receiver: the file names where it comes from
            else:
                found.add(spec.last_name)
        return words(found)

    def statement_needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        # A call of a method sink names the method, whatever made its receiver typed; a file
        # that is a candidate may also name a sink in a string: ``getattr(events, "emit")``
        # (a string literal equal to a sink's name is common: ``"label"``, ``"start"``).
        found = self.needles(dataclasses.replace(context, coverage=True))
        if found is None:
            return None
        # ``async_task("app.events.emit", kind)``: a runner given the sink by its dotted path.
        return found | {Needle("getattr", in_strings=False)} | dotted_tails(sink.spec.last_name for sink in self.sinks)

    def matcher(self, facts: FileFacts) -> OperationTypeMatcher:
        # The matcher walks libcst's tree: imported only for a file that is parsed.
        from opsux_lint.matchers.operation_type import OperationTypeMatcher

        return OperationTypeMatcher(self, facts)

    def message(self, value: Value, site: str) -> str:
        if value.pattern is not None:
            # An f-string, a %-/format() template, a concatenation, or a wrapper's template whose
            # other placeholders its callers fill: the value is a form, not a text.
            hint = "; no registered type matches it, whatever fills its placeholders"
        else:
            suggestion = self.catalog.suggest(value.text)
            if suggestion is not None:
                hint = f"; did you mean {suggestion!r}?"
            else:
                hint = f"; register it under operation_types in {self.config_name}"
        evidence = f" ({' -> '.join((site, *value.chain))})" if value.chain else ""
        return self.spec.format(value=value.text, hint=hint, evidence=evidence)


def _params_of(spec: RuleSpec) -> RuleSpec:
    """The rule whose matcher parameters apply: OPS008 checks the positions of OPS001."""
    if spec.kind != UNVERIFIABLE_KIND:
        return spec
    source = spec.params.get("sinks_of")
    params = rules_by_id().get(str(source)) if source is not None else spec
    if params is None:
        raise RuleParameterError(f"{spec.source}: sinks_of names no rule")
    return params


def api_declarations(rules: Iterable[RuleSpec]) -> list[Mapping[str, Any]]:
    """The ``api`` declarations of the rules (what opsux's own objects are, for typing receivers)."""
    found: list[Mapping[str, Any]] = []
    for rule in rules:
        declaration = rule.params.get("api")
        if isinstance(declaration, Mapping):
            found.append(declaration)
    return found


def _config_name(policy: Policy) -> str:
    if policy.source is None:
        return "the opsux config"
    if policy.source.suffix == ".toml":
        return f"[tool.opsux] of {policy.source.name}"
    return policy.source.name


def _sink(spec: RuleSpec, entry: Any) -> Sink:
    if not isinstance(entry, Mapping) or not set(entry) <= _SINK_KEYS or "call" not in entry:
        raise RuleParameterError(f"{spec.source}: each sink is {{call, arg, keyword}}")
    if entry.get("arg") is None and entry.get("keyword") is None:
        raise RuleParameterError(f"{spec.source}: sink {entry['call']} needs arg or keyword")
    return Sink(SinkSpec(str(entry["call"]), entry.get("arg"), entry.get("keyword")), generic=True)


KINDS = (
    Kind(
        "operation_type",
        {"sinks": is_list, "compared_attributes": is_strings},
        OperationTypeRule.compile,
    ),
    Kind(UNVERIFIABLE_KIND, {"sinks_of": is_string}, OperationTypeRule.compile),
)
