"""Matcher kinds: the Python half of the rules, each implemented once.

A rule file names its matcher ``kind`` and gives its parameters; :func:`compile_rule` turns the
rule and the project's policy into a :class:`CompiledRule` (immutable, built once per run) which
makes a fresh :class:`FileMatcher` for every file. The engine walks each tree once and hands every
node to the handlers the file matchers registered for its type; after the walk, when the whole
file's imports and constants are known, each matcher turns what it collected into reports.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

import libcst as cst

from opsux_core.policy import Policy
from opsux_lint.analysis import (
    DerivedSink,
    ProjectIndex,
    Resolution,
    Resolver,
    Unknown,
    Value,
)
from opsux_lint.analysis.outline import Expr, expr
from opsux_lint.callees import CallPattern
from opsux_lint.names import ImportTable
from opsux_lint.prefilter import Needle
from opsux_lint.registry import PARSE_ERROR_KIND, UNUSED_SUPPRESSION_KIND, RuleSpec

Handler = Callable[[Any], None]

ENGINE_KINDS = frozenset({PARSE_ERROR_KIND, UNUSED_SUPPRESSION_KIND})
"""Kinds the engine implements itself (they are about the file, not its syntax tree)."""


@dataclass(frozen=True)
class Report:
    node: cst.CSTNode
    message: str
    fix: str | None = None
    """Source text to put in place of ``node`` (a safe, formatting-preserving rewrite)."""


@dataclass
class FileFacts:
    """What the single traversal learnt about the whole file, and the project around it.

    ``scope`` is maintained by the walk: the names of the ``def``/``class`` blocks around the
    node being visited (``["Notifier", "send"]``), so a handler can remember where a node is.
    """

    module: str
    imports: ImportTable
    tree: cst.Module
    resolver: Resolver
    wrappers: Mapping[str, tuple[DerivedSink, ...]] = field(default_factory=dict)
    """Functions that pass a parameter on into a sink, by the family of the sinks (the
    :meth:`CompiledRule.sink_family` of the rules that check them)."""
    scope: list[str] = field(default_factory=list)
    path: str = ""
    """The file, relative to the config's directory (``/``-separated): what owner globs match."""
    receivers: frozenset[str] = frozenset()
    """Names through which a receiver can be typed as an API class (the prefilter's receiver
    needles): a file that mentions none of them holds no object of opsux's API."""
    source: str = ""
    """The whole file's text (``tree`` may be an excerpt of it)."""
    shared: dict[Any, Any] = field(default_factory=dict)
    """Results matchers of one kind share within the file (OPS001 and OPS008 check the same sites)."""

    @property
    def index(self) -> ProjectIndex:
        return self.resolver.index

    def wrapper(self, family: str, function: str, param: str) -> DerivedSink | None:
        """The wrapper sink of ``family`` that ``function`` makes by passing ``param`` on."""
        key = ("wrappers", family)
        by_function = self.shared.get(key)
        if by_function is None:
            by_function = self.shared[key] = {(w.function, w.param): w for w in self.wrappers.get(family, ())}
        found: DerivedSink | None = by_function.get((function, param))
        return found

    def scope_key(self) -> str | None:
        return ".".join(self.scope) or None

    def expression(self, node: cst.BaseExpression) -> Expr:
        """The index's form of a libcst expression (re-parsed with ``ast`` from its source)."""
        code = self.tree.code_for_node(node)
        try:
            parsed = ast.parse(f"(\n{code}\n)", mode="eval")
        except (SyntaxError, ValueError, RecursionError):
            return ["?", "an expression that cannot be analysed"]
        return expr(parsed.body)

    def calls(self, pattern: CallPattern, func: cst.BaseExpression, scope: str | None = None) -> bool:
        """Whether ``func`` is ``pattern``'s callee: through the file's imports, else through the
        project index (star imports, methods of typed receivers, wrappers of wrappers)."""
        if pattern.matches(func, self.imports):
            return True
        if pattern.is_wildcard:
            return False
        written = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
        if written != pattern.last_segment:
            return False
        callee = self.resolver.callee(self.expression(func), self.module, scope)
        return self.resolver.api.canonical(pattern.call) in callee.names

    def resolve(self, node: cst.BaseExpression, scope: str | None) -> tuple[Expr, Resolution]:
        e = self.expression(node)
        return e, self.resolver.resolve(e, self.module, scope)


class FileMatcher(Protocol):
    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]: ...

    def finish(self, facts: FileFacts) -> Iterable[Report]: ...


class SiteStatus(StrEnum):
    VERIFIED = "verified"
    DELEGATED = "delegated"
    UNREGISTERED = "unregistered"
    UNVERIFIABLE = "unverifiable"
    NOT_A_SINK = "not-a-sink"
    UNKNOWN_RECEIVER = "unknown-receiver"


@dataclass(frozen=True)
class SiteOutcome:
    """What became of one site (``--coverage`` and the corpus benchmark count these)."""

    node: cst.CSTNode
    sink: str
    """The sink's qualified name, ``*.name``, or ``comparison``."""
    callee: str
    """The callee as written (``service.start``), or the comparison's attribute."""
    call: bool
    status: SiteStatus
    reason: str
    site: str
    bad: tuple[Value, ...] = ()
    unknown: tuple[Unknown, ...] = ()
    values: tuple[Value, ...] = ()
    delegated: tuple[DerivedSink, ...] = ()

    @property
    def verified(self) -> bool:
        return self.status in (SiteStatus.VERIFIED, SiteStatus.DELEGATED)


@runtime_checkable
class ReportsSites(Protocol):
    """A file matcher that accounts for every site of its sinks (``--coverage``)."""

    def outcomes(self) -> list[SiteOutcome]: ...


@dataclass(frozen=True)
class NeedleContext:
    """What the engine knows when rules name their needles."""

    receivers: frozenset[str] = frozenset()
    """Names a file must mention to type a receiver as an API class (:mod:`opsux_lint.analysis.receivers`)."""
    methods: frozenset[str] = frozenset()
    """Sinks that are methods (matched through the receiver's type, not the method's name)."""
    coverage: bool = False
    """Count every call with a sink's name: needles are the names, receivers or not."""


class CompiledRule(Protocol):
    """A rule ready to run. Besides what is declared here, a rule may define

    - ``sink_family() -> (family, sinks)``: the positions (:class:`SinkSpec`) whose values it
      checks and the name of their family. Functions that pass a parameter on into one of them
      are derived as sinks of the family (their callers are checked, not the forwarding call)
      and shared by the rules of the family (OPS001 and OPS008): ``FileFacts.wrappers[family]``.
    - ``module_needles(resolver, module) -> names``: see :meth:`statement_needles`.
    - ``types_receivers = True``: its matchers type receivers as opsux's API classes, so the
      engine works out the names that can (``FileFacts.receivers``).

    A file matcher that accounts for every site of its sinks implements :class:`ReportsSites`.
    """

    follows_names: bool
    """Whether the rule reads, in the file's syntax tree, what module-level names are bound to
    (a module-level local that is a run, a constant interpolated into copy): the excerpt then
    follows those names (:func:`opsux_lint.excerpt.excerpt`)."""

    @property
    def spec(self) -> RuleSpec: ...

    def needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        """Text one of which must occur in a file for the rule to match; None: any file."""

    def statement_needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        """Text one of which occurs in the top-level statement (or class member) around every
        node the rule reports, given that the statements that bind or read the module-level
        names of kept statements are kept too where :attr:`follows_names` says so: libcst is
        then given only those statements (:mod:`opsux_lint.excerpt`). None: files are parsed
        whole. A rule may also define ``module_needles(resolver, module) -> frozenset[str]``:
        names that keep statements in that module only (imported constants it follows)."""

    def matcher(self, facts: FileFacts) -> FileMatcher: ...


class RuleParameterError(Exception):
    """A rule's matcher parameters are wrong (a bug in a shipped rule file)."""


Option = Callable[[Any], bool]
"""Whether a value is acceptable for one matcher parameter."""


def is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def is_string(value: Any) -> bool:
    return isinstance(value, str)


def is_string_mapping(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values())


def is_list(value: Any) -> bool:
    return isinstance(value, list)


def is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


COMMON_OPTIONS: Mapping[str, Option] = MappingProxyType({"api": is_mapping, "known_constants": is_string_mapping})
"""Parameters any rule may give: what opsux's own objects are (``api``, for typing receivers) and
the values of names outside the project (``known_constants``); the analysis reads them from every
rule, selected or not."""


@dataclass(frozen=True)
class Kind:
    """A matcher kind: the parameters a rule of this kind may give, and how it is compiled.

    Each module of this package declares its kinds in ``KINDS``; a rule file names one. ``compile``
    is None for the kinds the engine implements itself (about a file, not its syntax tree).
    """

    name: str
    options: Mapping[str, Option] = field(default_factory=dict)
    compile: Callable[[RuleSpec, Policy], CompiledRule] | None = None


def known_kinds() -> Mapping[str, Kind]:
    """Every kind declared by a module of this package, by name."""
    return _kinds()


@cache
def _kinds() -> Mapping[str, Kind]:
    found: dict[str, Kind] = {}
    modules = [importlib.import_module(f"{__name__}.{m.name}") for m in pkgutil.iter_modules(__path__)]
    for declared in (KINDS, *(getattr(module, "KINDS", ()) for module in modules)):
        for kind in declared:
            if kind.name in found:
                raise RuleParameterError(f"matcher kind {kind.name!r} is declared twice")
            found[kind.name] = kind
    return MappingProxyType(found)


def check_parameters(spec: RuleSpec) -> Kind:
    """The rule's kind, after checking that its parameters are the kind's and well-formed."""
    kind = known_kinds().get(spec.kind)
    if kind is None:
        raise RuleParameterError(f"{spec.source}: unknown matcher kind {spec.kind!r}")
    for name, value in spec.params.items():
        check = kind.options.get(name) or COMMON_OPTIONS.get(name)
        if check is None:
            close = difflib.get_close_matches(name, list(kind.options), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; {spec.kind} takes {', '.join(sorted(kind.options)) or 'none'}"
            raise RuleParameterError(f"{spec.source}: matcher.{name} is no parameter of {spec.kind}{hint}")
        if not check(value):
            raise RuleParameterError(f"{spec.source}: matcher.{name} must be {check.__name__.removeprefix('is_').replace('_', ' ')}")
    return kind


def compile_rule(spec: RuleSpec, policy: Policy) -> CompiledRule | None:
    """The rule ready to run; None for the kinds the engine implements itself."""
    kind = check_parameters(spec)
    return kind.compile(spec, policy) if kind.compile is not None else None


def param_list(spec: RuleSpec, key: str) -> list[Any]:
    value = spec.params.get(key, [])
    if not isinstance(value, list):
        raise RuleParameterError(f"{spec.source}: matcher.{key} must be a list")
    return value


def param_strings(spec: RuleSpec, key: str) -> tuple[str, ...]:
    values = param_list(spec, key)
    if not all(isinstance(v, str) for v in values):
        raise RuleParameterError(f"{spec.source}: matcher.{key} must be a list of strings")
    return tuple(values)


def param_mapping(spec: RuleSpec, key: str) -> dict[str, str]:
    value = spec.params.get(key, {})
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise RuleParameterError(f"{spec.source}: matcher.{key} must be a mapping of name -> string")
    return {str(k): v for k, v in value.items()}


KINDS = (Kind(PARSE_ERROR_KIND), Kind(UNUSED_SUPPRESSION_KIND))
