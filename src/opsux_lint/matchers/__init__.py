"""The libcst half of the matcher kinds: what a rule's file matcher is handed and gives back.

:mod:`opsux_lint.kinds` compiles the rules and names their needles without libcst, so a file that
holds no needle is never parsed and a run that parses nothing never imports libcst (a third of a
one-file run's time). The file matchers walk libcst's tree and live here: each kind's module of
this package holds the matcher of the same-named module of :mod:`opsux_lint.kinds`, imported by
``CompiledRule.matcher`` when a file is parsed.
"""

from __future__ import annotations

import ast
import functools
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import libcst as cst

from opsux_lint.analysis import (
    DerivedSink,
    ProjectIndex,
    Resolution,
    Resolver,
    Unknown,
    Value,
)
from opsux_lint.analysis.outline import Expr, expr
from opsux_lint.analysis.values import Callee
from opsux_lint.callees import CallPattern
from opsux_lint.inner_scopes import InnerScopes
from opsux_lint.kinds import SiteStatus
from opsux_lint.matchers.calls import calls_pattern
from opsux_lint.names import ImportTable

Handler = Callable[[Any], None]

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
    inner: InnerScopes = field(default_factory=InnerScopes)
    """The names comprehensions and lambdas bind around the nodes (kept by the walk)."""
    lines: Callable[[cst.CSTNode], int] | None = None
    """The file's line of a node (:class:`~opsux_lint.positions.NodeLines`): where a local is
    read decides what an assignment above it left there. None: read anywhere in the function."""

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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ``1()`` in the linted code: its warning is not ours to print
                parsed = ast.parse(f"(\n{code}\n)", mode="eval")
        except (SyntaxError, ValueError, RecursionError):
            return ["?", "an expression that cannot be analysed"]
        return self.inner.bind(expr(parsed.body), node)

    def callee(self, func: cst.BaseExpression, scope: str | None) -> Callee:
        """What the callee ``func`` may be (:meth:`Resolver.callee`). A module this Python's
        ``ast`` cannot outline (syntax newer than it) has no imports in the index: its own,
        which libcst read, name what it calls."""
        callee = self.resolver.callee(self.expression(func), self.module, scope)
        if self.index.summary(self.module) is None and isinstance(func, (cst.Name, cst.Attribute)):
            imported = self.imports.qualified_names(func)
            if imported:
                canonical = self.resolver.api.canonical
                return Callee(frozenset(canonical(q) for q in self.resolver.reexported(imported)))
        return callee

    def calls(self, pattern: CallPattern, func: cst.BaseExpression, scope: str | None = None) -> bool:
        """Whether ``func`` is ``pattern``'s callee: through the file's imports, else through the
        project index (star imports, methods of typed receivers, wrappers of wrappers)."""
        if calls_pattern(pattern, func, self.imports):
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
        lines = self.lines
        return e, self.resolver.resolve(e, self.module, scope, functools.partial(lines, node) if lines is not None else None)


class FileMatcher(Protocol):
    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]: ...

    def finish(self, facts: FileFacts) -> Iterable[Report]: ...


class CallCollector:
    """A matcher's walk that keeps the file's calls, each with the function it is in, for
    ``finish`` (which needs the whole file: imports and names defined after a call)."""

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self.calls: list[tuple[cst.Call, str | None]] = []

    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]:
        return {cst.Call: self._call}

    def _call(self, node: cst.Call) -> None:
        self.calls.append((node, self.facts.scope_key()))

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
    together: cst.CSTNode | None = None
    """The call whose arguments make the value together (a wrapper's template of several
    parameters): a value found bad at two of its arguments is one finding."""

    @property
    def verified(self) -> bool:
        return self.status in (SiteStatus.VERIFIED, SiteStatus.DELEGATED)


@runtime_checkable
class ReportsSites(Protocol):
    """A file matcher that accounts for every site of its sinks (``--coverage``)."""

    def outcomes(self) -> list[SiteOutcome]: ...
