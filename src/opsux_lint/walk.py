"""A read-only pre-order walk over a libcst tree that skips formatting-only children.

libcst's own ``visit`` rebuilds (and re-validates) every node on the way back up, which made the
walk cost twice the parse. Matchers only read the tree, so this walker follows each node's
dataclass fields directly, and never descends into whitespace, parentheses, commas and other
formatting trivia (they hold no expressions). The nodes handed out are the parsed originals, so
``MetadataWrapper(module, unsafe_skip_copy=True)`` positions them afterwards.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import libcst as cst

_TRIVIA_FIELDS = frozenset(
    {
        "asynchronous", "colon", "comma", "comment", "dot", "empty_lines", "equal", "first_colon",
        "footer", "header", "lbrace", "lbracket", "leading_lines", "lines_after_decorators", "lpar",
        "newline", "operator", "posonly_ind", "rbrace", "rbracket", "rpar", "second_colon",
        "semicolon", "trailing_comma", "trailing_whitespace",
    }
)


@functools.cache
def _child_fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    return tuple(
        field.name
        for field in dataclasses.fields(node_type)
        if field.name not in _TRIVIA_FIELDS and not field.name.startswith("whitespace")
    )


def walk(
    root: cst.CSTNode,
    enter: Callable[[cst.CSTNode], None],
    leave: Callable[[cst.CSTNode], None],
) -> None:
    """Call ``enter(node)`` before and ``leave(node)`` after each node's subtree, in source order."""
    # (node, entered): a node is pushed once to enter it and once more to leave it.
    stack: list[tuple[cst.CSTNode, bool]] = [(root, False)]
    while stack:
        node, entered = stack.pop()
        if entered:
            leave(node)
            continue
        enter(node)
        stack.append((node, True))
        children: list[cst.CSTNode] = []
        for name in _child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                children.append(value)
            elif isinstance(value, (list, tuple)):
                children.extend(item for item in value if isinstance(item, cst.CSTNode))
        # Reversed onto the stack, so children are entered in source order.
        stack.extend((child, False) for child in reversed(children))
