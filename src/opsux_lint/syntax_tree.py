"""libcst's half of the engine: a candidate file parsed (the excerpt that can hold a finding),
walked once with every rule's matcher, and what they report placed in the file.

:mod:`opsux_lint.engine` decides without libcst whether a file needs any of this (decoding, the
prefilter, CPython's parser), and imports this module only when it does: most files a
pre-commit hook passes hold no needle, and importing libcst is a third of such a run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import libcst as cst

from opsux_lint import stopwatch
from opsux_lint.analysis.model_managers import MAKES_ROW
from opsux_lint.analysis.sinks import ROWS
from opsux_lint.coverage import Site
from opsux_lint.excerpt import Excerpt, excerpt
from opsux_lint.kinds import CompiledRule
from opsux_lint.matchers import (
    FileFacts,
    FileMatcher,
    Handler,
    ReportsSites,
    SiteOutcome,
)
from opsux_lint.names import ImportTable
from opsux_lint.positions import NodeLines, positions_of
from opsux_lint.prefilter import word_pattern
from opsux_lint.registry import RuleSpec
from opsux_lint.walk import walk as walk_tree

if TYPE_CHECKING:
    from opsux_lint.engine import Linter, Surroundings


@dataclass(frozen=True)
class Located:
    """A matcher's report, placed in the file (lines 1-based, columns 1-based)."""

    spec: RuleSpec
    message: str
    fix: str | None
    line: int
    column: int
    end_line: int
    end_column: int


def parse(
    linter: Linter, text: str, tree: ast.Module | None, around: Surroundings
) -> tuple[cst.Module, Excerpt] | cst.ParserSyntaxError | None:
    """libcst's tree of the part of the file that can hold a finding (:mod:`excerpt`);
    the error if libcst rejects the file; None if the file is too deep for it."""
    part = Excerpt.whole(text)
    if tree is not None and linter.needles is not None:
        needles = linter.needles
        # Wrappers the file itself defines, as it is now (an editor buffer, a rule example):
        # the calls of them are kept too.
        own = {w.spec.call.rsplit(".", 1)[-1] for ws in around.wrappers.values() for w in ws}
        own -= {w.spec.call.rsplit(".", 1)[-1] for ws in linter.wrappers.values() for w in ws}
        for hook in linter.module_needles:
            own |= hook(around.resolver, around.name)
        if any(w.param == ROWS and w.spec.call.rpartition(".")[0] == around.name for ws in around.wrappers.values() for w in ws):
            own |= MAKES_ROW  # a manager of a model sink: ``self.create(...)`` in any of its methods

        extra = re.compile(word_pattern(own).decode("utf-8"), re.ASCII) if own else None
        with stopwatch.timed(stopwatch.EXCERPT):
            part = excerpt(text, tree, needles, follow=linter.follow, in_strings=linter.in_strings, extra=extra)
    try:
        with stopwatch.timed(stopwatch.PARSE, part.text.count("\n")):
            return cst.parse_module(part.text), part
    except cst.ParserSyntaxError as exc:
        if part.origin is None:
            return exc
    except RecursionError:
        if part.origin is None:
            return None
    # The excerpt is a means, never a different verdict: what libcst says of the file is
    # what it says of the whole text.
    try:
        with stopwatch.timed(stopwatch.PARSE, text.count("\n")):
            return cst.parse_module(text), Excerpt.whole(text)
    except cst.ParserSyntaxError as exc:
        return exc
    except RecursionError:
        return None


def rejects(text: str) -> bool:
    """Whether libcst's parser rejects the file (it knows the syntax of Pythons newer than this one)."""
    try:
        cst.parse_module(text)
    except (cst.ParserSyntaxError, RecursionError):
        return True
    return False


def facts(linter: Linter, module: cst.Module, around: Surroundings, text: str, part: Excerpt) -> FileFacts:
    """What matchers know about one file: its imports, and the project index around it."""
    return FileFacts(
        around.name, ImportTable(around.name, is_package=around.is_package), module, around.resolver,
        around.wrappers,
        path=around.shown, receivers=linter.derived.receivers if linter.derived else frozenset(), source=text,
        lines=NodeLines(module, part.text, part.line),
    )


def reports(
    linter: Linter, shown: str, text: str, module: cst.Module, part: Excerpt, around: Surroundings
) -> tuple[list[Located], list[Site]]:
    """What the selected rules report in the parsed file and, with ``linter.coverage``, what
    became of each of its sites."""
    found = facts(linter, module, around, text, part)
    matchers: list[tuple[CompiledRule, FileMatcher]] = [(c, c.matcher(found)) for c in linter.compiled]
    _walk_with(module, found, [matcher for _, matcher in matchers])
    sites = _sites(shown, module, part, matchers) if linter.coverage else []
    made = [(compiled.spec, report) for compiled, matcher in matchers for report in matcher.finish(found)]
    if not made:
        return [], sites
    positions = positions_of(module, part.text, [report.node for _, report in made], part.line)
    located = []
    for spec, report in made:
        where = positions[report.node]
        located.append(Located(
            spec, report.message, report.fix,
            where.start.line, where.start.column + 1, where.end.line, where.end.column + 1,
        ))
    return located, sites


def site_outcomes(
    linter: Linter, text: str, module: cst.Module, part: Excerpt, around: Surroundings
) -> list[tuple[int, int, SiteOutcome]]:
    """``(line, column, outcome)`` of every sink position in the parsed file (of the first rule
    that accounts for its sites)."""
    found = facts(linter, module, around, text, part)
    matchers = [m for m in (c.matcher(found) for c in linter.compiled) if isinstance(m, ReportsSites)][:1]
    _walk_with(module, found, matchers)
    outcomes = [outcome for matcher in matchers if isinstance(matcher, ReportsSites) for outcome in matcher.outcomes()]
    if not outcomes:
        return []
    positions = positions_of(module, part.text, [o.node for o in outcomes], part.line)
    return [
        (positions[o.node].start.line, positions[o.node].start.column + 1, o) for o in outcomes
    ]


def _sites(
    shown: str, module: cst.Module, part: Excerpt, matchers: Sequence[tuple[CompiledRule, FileMatcher]]
) -> list[Site]:
    outcomes = next((m.outcomes() for _, m in matchers if isinstance(m, ReportsSites)), [])
    calls = [o for o in outcomes if o.call]
    if not calls:
        return []
    positions = positions_of(module, part.text, [o.node for o in calls], part.line)
    return [
        Site(
            shown, positions[o.node].start.line, positions[o.node].start.column + 1, o.sink, o.callee,
            str(o.status), o.reason, tuple(v.text for v in o.values),
        )
        for o in calls
    ]


def _walk_with(module: cst.Module, facts: FileFacts, matchers: Sequence[FileMatcher]) -> None:
    handlers: dict[type[cst.CSTNode], list[Handler]] = {}
    for matcher in matchers:
        for node_type, handler in matcher.handlers().items():
            handlers.setdefault(node_type, []).append(handler)
    walker = _Walk(facts, handlers)
    walk_tree(module, walker.on_visit, walker.on_leave)


class _Walk:
    """The one traversal: records imports, definitions and constants, and feeds the matchers."""

    def __init__(self, facts: FileFacts, handlers: Mapping[type[cst.CSTNode], Iterable[Handler]]) -> None:
        self.facts = facts
        self.handlers = handlers
        self.scopes: list[cst.CSTNode] = []
        self.named: dict[int, str] = {}
        """Lambdas bound to a name in a module or class body (the index's functions), by id."""

    def on_visit(self, node: cst.CSTNode) -> None:
        kind = type(node)
        named = None
        if kind is cst.Import:
            self.facts.imports.add_import(node)  # type: ignore[arg-type]
        elif kind is cst.ImportFrom:
            self.facts.imports.add_import_from(node)  # type: ignore[arg-type]
        elif kind is cst.Assign or kind is cst.AnnAssign:
            if not self.scopes:
                self._assignment(node)  # type: ignore[arg-type]
            if not self.scopes or isinstance(self.scopes[-1], cst.ClassDef):
                self._named_lambda(node)  # type: ignore[arg-type]
        elif kind is cst.FunctionDef or kind is cst.ClassDef:
            if not self.scopes:
                self.facts.imports.define(node.name.value)  # type: ignore[attr-defined]
            self.scopes.append(node)
            # The scope key names the blocks around a node as the project index does.
            self.facts.scope.append(node.name.value)  # type: ignore[attr-defined]
        elif kind is cst.Lambda:
            self.scopes.append(node)
            named = self.named.get(id(node))
            if named is not None:
                self.facts.scope.append(named)  # its parameters are the function's, not unknowns
        if named is None:
            self.facts.inner.enter(node, self.facts.tree)
        for handler in self.handlers.get(kind, ()):
            handler(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.facts.inner.leave(original_node)
        if self.scopes and self.scopes[-1] is original_node:
            popped = self.scopes.pop()
            if not isinstance(popped, cst.Lambda) or id(popped) in self.named:
                self.facts.scope.pop()

    def _named_lambda(self, node: cst.Assign | cst.AnnAssign) -> None:
        """``fire = lambda kind: emit(kind)``: the function ``fire`` of the index
        (:func:`~opsux_lint.analysis.outline.named_lambda`)."""
        if (
            isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)
            and isinstance(node.value, cst.Lambda)
        ):
            self.named[id(node.value)] = node.targets[0].target.value

    def _assignment(self, node: cst.Assign | cst.AnnAssign) -> None:
        if node.value is None:
            return
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        else:
            targets = [node.target]
        for target in targets:
            if isinstance(target, cst.Name):
                self.facts.imports.define(target.value)
