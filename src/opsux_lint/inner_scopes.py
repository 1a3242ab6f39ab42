"""Names bound by the comprehensions and lambdas around a node of the parsed file.

The project index knows a module's and a function's names; a comprehension's loop variable and a
lambda's parameter are names of their own scope, which shadows those. ``[emit(n) for n in ("a",
"b")]`` passes ``"a"`` and ``"b"``, whatever a variable ``n`` around it holds (taking the outer
``n`` reported a value the call never passes, and never checked the ones it does). The walk of the
file (:mod:`opsux_lint.syntax_tree`) enters each such scope here; a matcher's expression read
inside one has those names replaced by what the scope binds them to (:meth:`InnerScopes.bind`):
the elements of a tuple, list or set written as the iterable, unknown otherwise.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst

from opsux_lint.analysis.outline import Expr, Tag, iterated

Frame = dict[str, Expr]

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)


class InnerScopes:
    """The frames around each node the walk visits inside a comprehension or a lambda."""

    def __init__(self) -> None:
        self._open: list[tuple[cst.CSTNode, Frame]] = []
        self._around: dict[int, tuple[Frame, ...]] = {}

    def enter(self, node: cst.CSTNode, tree: cst.Module) -> None:
        """Called by the walk before ``node``'s subtree (after its own scope is entered)."""
        if isinstance(node, _COMPREHENSIONS):
            self._open.append((node, _comprehension_frame(node, tree, [frame for _, frame in self._open])))
        elif isinstance(node, cst.Lambda):
            self._open.append((node, _lambda_frame(node)))
        if self._open:
            self._around[id(node)] = tuple(frame for _, frame in self._open)

    def leave(self, node: cst.CSTNode) -> None:
        if self._open and self._open[-1][0] is node:
            self._open.pop()

    def bind(self, e: Expr, node: cst.CSTNode) -> Expr:
        """``e`` (read from ``node``) with the names its inner scopes bind replaced."""
        frames = self._around.get(id(node))
        if not frames:
            return e
        return _replaced(e, frames)


def _replaced(e: Expr, frames: Sequence[Frame]) -> Expr:
    if len(e) == 2 and e[0] == Tag.NAME and isinstance(e[1], str):
        for frame in reversed(frames):  # the innermost scope that binds the name
            if e[1] in frame:
                return frame[e[1]]
        return e
    # An expression's parts are expressions, lists of them, a call's keywords (a dict) and
    # plain strings.
    return [
        _replaced(part, frames) if isinstance(part, list)
        else {key: _replaced(value, frames) for key, value in part.items()} if isinstance(part, dict)
        else part
        for part in e
    ]


def _comprehension_frame(node: cst.CSTNode, tree: cst.Module, around: list[Frame]) -> Frame:
    frame: Frame = {}
    clause: cst.CompFor | None = node.for_in  # type: ignore[attr-defined]
    while clause is not None:
        target, iterable = _ast(tree, clause.target), _ast(tree, clause.iter)
        if target is None or iterable is None:
            return {}  # not analysable: the names keep what the index says (as before)
        values: dict[str, list[Expr]] = {}
        for name, value in iterated(target, iterable, "a comprehension variable"):
            # A later clause's iterable reads the names of the clauses before it (``for x in
            # xs for m in (x, y)``) and of the scopes around.
            values.setdefault(name, []).append(_replaced(value, [*around, frame]))
        frame = {**frame, **{name: _either(found) for name, found in values.items()}}
        clause = clause.inner_for_in
    return frame


def _lambda_frame(node: cst.Lambda) -> Frame:
    params = node.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            every.append(star)
    return {param.name.value: [Tag.UNKNOWN, "a parameter of a lambda"] for param in every}


def _either(values: list[Expr]) -> Expr:
    """One of ``values``, as a balanced tree of conditionals (its depth grows with the log of
    their number: a long tuple must not read as a value defined too many steps away)."""
    if len(values) == 1:
        return values[0]
    middle = len(values) // 2
    return [Tag.CONDITIONAL, _either(values[:middle]), _either(values[middle:])]


def _ast(tree: cst.Module, node: cst.CSTNode) -> ast.expr | None:
    try:
        parsed = ast.parse(f"(\n{tree.code_for_node(node)}\n)", mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        return None
    return parsed.body
