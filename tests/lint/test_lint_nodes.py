"""The fast child iterator the outline and the nesting check share, against ``ast`` itself."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap

import pytest

from opsux_lint.analysis.nodes import LEAVES, children, deeper_than

EVERY_CONSTRUCT = textwrap.dedent(
    """
    import a.b as c
    from . import d
    global_name: int = 1
    @decorate(1)
    class K(Base, metaclass=M):
        x: "T" = f"{a!r:>{w}}" + b"y".decode()
        async def m(self, /, p, *args, k=1, **kw) -> None:
            global g
            async with ctx() as (u, v):
                async for i in aiter():
                    await call(*args, **kw)
            try:
                pass
            except* (E, F) as e:
                raise X from e
            finally:
                del self.z[1:2:3]
            match p:
                case Point(x=0, y=yy) if yy > 1:
                    pass
                case {"a": 1, **rest}:
                    pass
                case [1, *others] | {"k": _}:
                    pass
                case str() as s:
                    pass
            return [q for q in p if q if not q], {k: v for k, v in p}, (lambda z=1: z), (n := 2), a if b else c
    """
)


def every_node(tree: ast.AST) -> list[ast.AST]:
    return list(ast.walk(tree))


@pytest.mark.parametrize("source", [EVERY_CONSTRUCT, inspect.getsource(json.decoder), inspect.getsource(ast)])
def test_children_are_ast_children_without_the_leaves_in_order(source: str) -> None:
    tree = ast.parse(source)
    for node in every_node(tree):
        assert children(node) == [c for c in ast.iter_child_nodes(node) if type(c) not in LEAVES]


def test_leaves_are_the_nodes_with_nothing_to_read_below() -> None:
    assert {ast.Load, ast.Store, ast.Add, ast.And, ast.Not, ast.Eq, ast.Constant} <= LEAVES
    assert not {ast.Name, ast.Call, ast.Attribute, ast.keyword, ast.arg} & LEAVES


def depth(node: ast.AST) -> int:
    """Levels below ``node`` (a leaf: 0), leaves counted, as the nesting limit counts them."""
    return max((1 + depth(c) for c in ast.iter_child_nodes(node)), default=0)


@pytest.mark.parametrize("terms", [10, 40])
def test_deeper_than_is_exact_on_both_sides_of_the_limit(terms: int) -> None:
    tree = ast.parse("x = " + "+".join(["1"] * terms))
    actual = depth(tree)
    assert deeper_than(tree, actual) is None
    deep = deeper_than(tree, actual - 1)
    assert deep is not None and getattr(deep, "lineno", None) == 1


def test_deeper_than_counts_a_level_of_non_leaves_too() -> None:
    tree = ast.parse("f(g(h(i)))")  # Module > Expr > Call > Call > Call > Name > Load
    assert depth(tree) == 6
    assert deeper_than(tree, 6) is None
    assert isinstance(deeper_than(tree, 5), ast.Name)
    assert deeper_than(tree, 4) is not None
