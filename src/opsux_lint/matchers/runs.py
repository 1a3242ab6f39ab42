"""What the run-convention kinds share: which files own a concern, and which objects are runs.

A receiver is a *run* only when something says so: the resolver types it (an annotation, the
``OperationRun(...)`` constructor, an attribute or return type the rules declare, such as
``OperationRunService.start(...).run``), or, in the same function, it was assigned from a query
of the run model (``session.get(OperationRun, id)``, ``session.query(OperationRun)....first()``,
``session.scalars(select(OperationRun)...).one()``) or is the loop variable over one. Anything
else (``response.status``, ``job.status`` of another library) is not a run, whatever its
attributes are called.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import PurePosixPath

import libcst as cst

from opsux_lint.analysis import Instance
from opsux_lint.matchers import FileFacts, Handler

# A query's methods that return one row; the others (``.all()``, ``.filter(...)``) give rows to
# iterate, and ``.count()`` and the like give no run at all.
_ONE_ROW = frozenset(
    {"first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none", "first_or_404", "one_or_404"}
)
_NOT_ROWS = frozenset({"count", "exists", "delete", "update", "scalar_subquery", "subquery", "cte", "label"})
_EXECUTES = frozenset({"execute", "scalars", "scalar", "scalar_one", "scalar_one_or_none", "paginate"})
_GETTERS = frozenset({"get", "get_one", "get_or_404", "merge", "refresh"})
_QUERIES = frozenset({"query", "select"})
_TEST_DIRS = frozenset({"tests", "test", "testing"})


def is_test_file(path: str) -> bool:
    """A test module (pytest's and unittest's conventions): tests set runs up as they need to."""
    pure = PurePosixPath(path)
    name = pure.name
    if name == "conftest.py" or name.startswith("test_") or name.endswith(("_test.py", "_tests.py")):
        return True
    return any(part in _TEST_DIRS for part in pure.parts[:-1])


def owns(path: str, globs: Iterable[str]) -> bool:
    """Whether the file (relative to the config's directory) matches an owner glob: fnmatch
    globs (``*`` crosses ``/``), and a glob ending in ``/`` names everything under a directory."""
    for glob in globs:
        if glob.endswith("/"):
            if path.startswith(glob) or fnmatchcase(path, f"{glob}*"):
                return True
        elif fnmatchcase(path, glob):
            return True
    return False


@dataclass(frozen=True)
class Binding:
    value: cst.BaseExpression
    how: str
    """``=``, ``for`` (the loop variable over ``value``) or ``with`` (``with value as name``)."""


class Locals:
    """Every value each name is bound to in each function (flow-insensitive, like the resolver)."""

    def __init__(self, facts: FileFacts) -> None:
        self.facts = facts
        self.bindings: dict[tuple[str | None, str], list[Binding]] = {}

    def handlers(self) -> dict[type[cst.CSTNode], Handler]:
        return {cst.Assign: self._assign, cst.AnnAssign: self._ann_assign, cst.For: self._for, cst.With: self._with}

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression, how: str) -> None:
        if isinstance(target, cst.Name):
            self.bindings.setdefault((self.facts.scope_key(), target.value), []).append(Binding(value, how))

    def _assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value, "=")

    def _ann_assign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value, "=")

    def _for(self, node: cst.For) -> None:
        self._bind(node.target, node.iter, "for")

    def _with(self, node: cst.With) -> None:
        for item in node.items:
            if item.asname is not None:
                self._bind(item.asname.name, item.item, "with")

    def of(self, name: str, scope: str | None) -> list[Binding]:
        return self.bindings.get((scope, name), [])


def call_chain(expr: cst.BaseExpression) -> Iterator[cst.Call]:
    """The calls of a method chain, outermost first: ``a.b(x).c().d()`` -> ``d()``, ``c()``, ``b(x)``."""
    while True:
        if isinstance(expr, cst.Call):
            yield expr
            expr = expr.func
        elif isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        else:
            return


def _first_arg(call: cst.Call) -> cst.BaseExpression | None:
    if call.args and call.args[0].keyword is None and not call.args[0].star:
        return call.args[0].value
    return None


def last_name(func: cst.BaseExpression) -> str | None:
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


class Runs:
    """Tells runs (and the run model class) from everything else, in one file."""

    def __init__(self, facts: FileFacts, models: Sequence[str], locals_: Locals) -> None:
        self.facts = facts
        self.locals = locals_
        self._cache: dict[tuple[str, str | None], list[object]] = {}
        # A file that names nothing that types opsux's objects holds no run: the resolver is not
        # asked (on big functions of unrelated code its answers are the expensive part).
        names = facts.receivers | {m.rsplit(".", 1)[-1] for m in models}
        code = facts.source or facts.tree.code  # the tree may be an excerpt
        self.possible = any(re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", code) for n in names)
        found: set[str] = set()
        if self.possible:
            canonical = facts.resolver.api.canonical
            found = {canonical(m) for m in models}
            for model in list(found):
                found.update(facts.resolver.subclasses(model))
        self.models = frozenset(found)
        # The names the model can be written as here: its own, its subclasses', import aliases.
        written = {m.rsplit(".", 1)[-1] for m in found}
        for local in facts.imports.local_names():
            if {m.rsplit(".", 1)[-1] for m in facts.imports.names_for(local)} & written:
                written.add(local)
        self.model_names = frozenset(written)

    def _types(self, expr: cst.BaseExpression, scope: str | None) -> list[object]:
        if not self.possible:
            return []
        key = (self.facts.tree.code_for_node(expr), scope)
        cached = self._cache.get(key)
        if cached is None:
            try:
                cached = list(self.facts.resolver.types(self.facts.expression(expr), self.facts.module, scope))
            except RecursionError:
                cached = []
            self._cache[key] = cached
        return cached

    def is_model(self, expr: cst.BaseExpression, scope: str | None) -> bool:
        """``expr`` is the run model class itself (``OperationRun``, an alias, a subclass)."""
        if last_name(expr) not in self.model_names:
            return False
        return any(isinstance(t, Instance) and t.of_class and t.cls in self.models for t in self._types(expr, scope))

    def is_run(self, expr: cst.BaseExpression, scope: str | None, depth: int = 0) -> bool:
        """``expr`` is known to be a run (see the module's docstring)."""
        if depth > 8:
            return False
        if any(isinstance(t, Instance) and not t.of_class and t.cls in self.models for t in self._types(expr, scope)):
            return True
        if isinstance(expr, cst.Name):
            for binding in self.locals.of(expr.value, scope):
                if binding.how == "=" and (self.queried(binding.value, scope, rows=False) or self.is_run(binding.value, scope, depth + 1)):
                    return True
                if binding.how == "for" and self.queried(binding.value, scope, rows=True):
                    return True
        elif isinstance(expr, cst.Subscript) and isinstance(expr.value, cst.Name):
            # ``runs[0]`` of ``runs = session.query(OperationRun).all()``
            return any(
                b.how == "=" and self.queried(b.value, scope, rows=True) for b in self.locals.of(expr.value.value, scope)
            )
        return False

    def queried(self, expr: cst.BaseExpression, scope: str | None, *, rows: bool) -> bool:
        """A query of the run model: its one row (``rows=False``) or its rows (``rows=True``)."""
        calls = list(call_chain(expr))
        if not calls:
            return False
        outer = last_name(calls[0].func)
        first = _first_arg(calls[0])
        if outer in _GETTERS and first is not None and self.is_model(first, scope):
            return not rows  # ``session.get(OperationRun, id)``
        if outer in _NOT_ROWS or not self._selects_model(calls, scope):
            return False
        return outer not in _ONE_ROW if rows else outer in _ONE_ROW

    def _selects_model(self, calls: list[cst.Call], scope: str | None) -> bool:
        """``query(Run)`` or ``select(Run)`` in the chain, or in the statement it executes
        (``session.scalars(select(Run).where(...))``)."""
        for call in calls:
            name = last_name(call.func)
            first = _first_arg(call)
            if first is None:
                continue
            if name in _QUERIES and self.is_model(first, scope):
                return True
            if name in _EXECUTES and self._selects_model(list(call_chain(first)), scope):
                return True
        return False

    def callee_names(self, func: cst.BaseExpression, scope: str | None) -> frozenset[str]:
        """Every qualified name the callee may be (canonical: ``opsux_core.OperationRunService.start``)."""
        canonical = self.facts.resolver.api.canonical
        names = {canonical(n) for n in self.facts.imports.qualified_names(func)}
        if not self.possible:
            return frozenset(names)  # no receiver here can be one of opsux's objects
        try:
            names |= {canonical(n) for n in self.facts.resolver.callee(self.facts.expression(func), self.facts.module, scope).names}
        except RecursionError:
            pass
        return frozenset(names)


def exempt(facts: FileFacts, owners: Iterable[str]) -> bool:
    """The file may do what the rule forbids: it is an owner, or a test."""
    return owns(facts.path, owners) or is_test_file(facts.path)


def strings_of(facts: FileFacts, expr: cst.BaseExpression, scope: str | None) -> list[str] | None:
    """The strings ``expr`` may be; None when any part cannot be known (dynamic keys are not checked)."""
    _, resolution = facts.resolve(expr, scope)
    if resolution.unknowns or any(v.pattern is not None for v in resolution.values) or not resolution.values:
        return None
    return [v.text for v in resolution.values]


def literal_text(node: cst.CSTNode) -> str | None:
    """The text of a plain string literal (implicit concatenation too); None for anything else."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def whole_strings(strings: Iterable[cst.CSTNode], skipped: set[int]) -> Iterator[cst.CSTNode]:
    """The strings (in the walk's order) not under a skipped node, an implicit concatenation as
    one: its parts are added to ``skipped``, being no copy or link by themselves."""
    for node in strings:
        if id(node) in skipped:
            continue
        if isinstance(node, cst.ConcatenatedString):
            skipped |= subtree_ids([node.left, node.right])
        yield node


class SkipsBareStrings:
    """For a matcher of string literals: the string a statement of its own holds (a docstring,
    a comment-like string) is no copy and no link; its walk handles ``cst.Expr`` with this."""

    skip_roots: list[cst.CSTNode]

    def _expr(self, node: cst.Expr) -> None:
        if isinstance(node.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            self.skip_roots.append(node.value)


def subtree_ids(nodes: Iterable[cst.CSTNode]) -> set[int]:
    """The ids of every node under ``nodes`` (for "this string is inside a log call")."""
    found: set[int] = set()
    stack = list(nodes)
    while stack:
        node = stack.pop()
        if id(node) in found:
            continue
        found.add(id(node))
        stack.extend(node.children)
    return found


def keyword_args(call: cst.Call) -> Mapping[str, cst.Arg]:
    return {arg.keyword.value: arg for arg in call.args if arg.keyword is not None}
