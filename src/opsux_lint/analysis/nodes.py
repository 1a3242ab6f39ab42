"""Child nodes of an ``ast`` tree, fast: the outline and the nesting check visit every node of
every module they read, and ``ast.iter_child_nodes`` (a generator over every field, leaves and
expression contexts included) was most of their cost."""

from __future__ import annotations

import ast

# Nodes with nothing below them that a walk reads (a name is read by its parent), and the
# fields that never hold a node.
LEAVES = frozenset(
    t for t in vars(ast).values()
    if isinstance(t, type)
    and issubclass(t, (ast.expr_context, ast.boolop, ast.operator, ast.unaryop, ast.cmpop, ast.Constant))
)
_SCALARS = frozenset(
    {"id", "arg", "attr", "name", "ctx", "op", "ops", "type_comment", "kind", "level", "module", "conversion",
     "is_async", "simple", "kwd_attrs", "rest"}
)
STATEMENTS = frozenset(t for t in vars(ast).values() if isinstance(t, type) and issubclass(t, ast.stmt))
_FIELDS: dict[type, tuple[str, ...]] = {}


def children(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes(node)`` as a list, in order, without :data:`LEAVES`."""
    kind = type(node)
    fields = _FIELDS.get(kind)
    if fields is None:
        fields = _FIELDS[kind] = () if kind in LEAVES else tuple(f for f in kind._fields if f not in _SCALARS)
    found: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if type(value) is list:
            for item in value:
                if type(item) not in LEAVES and isinstance(item, ast.AST):
                    found.append(item)
        elif type(value) not in LEAVES and isinstance(value, ast.AST):
            found.append(value)
    return found


def deeper_than(tree: ast.AST, limit: int) -> ast.AST | None:
    """A node nested more than ``limit`` levels below ``tree`` (leaves count), or None.

    Level by level, so measuring cannot itself exhaust the stack.
    """
    level = [tree]
    for _ in range(limit):
        level = [child for node in level for child in children(node)]
        if not level:
            return None
    # Level ``limit`` holds every non-leaf node at that depth: any child of theirs, leaf or
    # not, is one level too deep.
    return next((node for node in level if next(ast.iter_child_nodes(node), None) is not None), None)


def last_name(node: ast.AST) -> str | None:
    """The name a callee or a value is written with: ``emit`` of ``events.emit`` and of ``emit``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None
