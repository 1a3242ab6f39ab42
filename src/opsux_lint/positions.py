"""Source positions of nodes, computed only for files that have something to report, and only
for the top-level statements that hold what is reported.

libcst positions a node by generating the code of the whole module and counting as it goes
(its ``PositionProvider``): for a 2,000-line module with six findings, that was a tenth of a
pre-commit run. A node's position depends only on the code of its own top-level statement and
on the line that statement starts on, which CPython's parser gives. So each statement with a
wanted node in it is generated alone, without the blank lines and comments above it, and its
lines are moved to where the statement starts. Whenever that cannot be checked (the statements
of the two parsers do not pair up, a statement's first generated line is not the line of the
text it should be), the whole module is positioned instead.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import cast

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

from opsux_lint.walk import walk


def node_positions(
    module: cst.Module, line_of: Callable[[int], int] | None = None
) -> Mapping[cst.CSTNode, CodeRange]:
    """Start/end of every node of ``module`` (lines 1-based, columns 0-based, as libcst gives them).

    ``line_of`` maps the module's line numbers to the file's, for a module parsed from an
    excerpt of the file (:mod:`opsux_lint.excerpt`).
    """
    positions = _positions_of(module)
    return positions if line_of is None else _InFile(positions, line_of)


def positions_of(
    module: cst.Module, text: str, nodes: Collection[cst.CSTNode], line_of: Callable[[int], int] | None = None
) -> Mapping[cst.CSTNode, CodeRange]:
    """Start/end of each of ``nodes``, as :func:`node_positions` gives them, for ``module``
    parsed from ``text``."""
    by_statement = _by_statement(module, nodes)
    if by_statement is None:
        return node_positions(module, line_of)
    spans = _statement_lines(module, text)
    if spans is None:
        return node_positions(module, line_of)
    found: dict[cst.CSTNode, CodeRange] = {}
    for index, wanted in by_statement.items():
        statement = module.body[index]
        alone = statement.with_changes(leading_lines=())  # a copy of the statement node only
        positions = _positions_of(module.with_changes(body=[alone], header=(), footer=()))
        first, start, end = spans[index]
        shift = first - 1
        # Both parsers must place the statement alike (a definition from its ``def``, as
        # libcst does), or the pairing is wrong: then the whole module is positioned.
        if (positions[alone].start.line + shift, positions[alone].end.line + shift) != (start, end):
            return node_positions(module, line_of)
        for node in wanted:
            where = positions[alone if node is statement else node]
            found[node] = CodeRange(
                CodePosition(where.start.line + shift, where.start.column),
                CodePosition(where.end.line + shift, where.end.column),
            )
    return found if line_of is None else _InFile(found, line_of)


class NodeLines:
    """The file's line of a node of ``module``, asked for one node at a time while matching:
    each top-level statement is positioned once, when a node in it is first asked for."""

    def __init__(self, module: cst.Module, text: str, line_of: Callable[[int], int] | None = None) -> None:
        self._module = module
        self._text = text
        self._line_of = line_of
        self._known: dict[cst.CSTNode, int] = {}

    def __call__(self, node: cst.CSTNode) -> int:
        line = self._known.get(node)
        if line is None:
            statement = next((s for s in self._module.body if _holds(s, node)), None)
            inside: list[cst.CSTNode] = []
            if statement is not None:
                walk(statement, inside.append, _nothing)
            found = positions_of(self._module, self._text, inside or [node], self._line_of)
            self._known.update((n, found[n].start.line) for n in inside or [node])
            line = self._known[node]
        return line


def _holds(statement: cst.CSTNode, node: cst.CSTNode) -> bool:
    held = False

    def enter(sub: cst.CSTNode) -> None:
        nonlocal held
        held = held or sub is node

    walk(statement, enter, _nothing)
    return held


def _by_statement(module: cst.Module, nodes: Collection[cst.CSTNode]) -> dict[int, list[cst.CSTNode]] | None:
    """``nodes`` by the index in ``module.body`` of the statement they are in; None when one
    is not found there (formatting the walk does not visit)."""
    wanted = {id(node): node for node in nodes}
    found: dict[int, list[cst.CSTNode]] = {}
    count = 0
    for index, statement in enumerate(module.body):
        inside: list[cst.CSTNode] = []

        def enter(node: cst.CSTNode, inside: list[cst.CSTNode] = inside) -> None:
            if id(node) in wanted:
                inside.append(node)

        walk(statement, enter, _nothing)
        if inside:
            found[index] = inside
            count += len(inside)
            if count >= len(wanted):
                break
    return found if count == len(wanted) else None


def _nothing(node: cst.CSTNode) -> None:
    pass


def _statement_lines(module: cst.Module, text: str) -> list[tuple[int, int, int]] | None:
    """For each of ``module.body``, from CPython's tree: the line it starts on (its first
    decorator's, for a decorated definition), the line of its first token past the decorators
    and its last line; None when the two parsers' statements do not pair up."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None  # syntax newer than this Python: libcst knows it, CPython does not
    spans: list[tuple[int, int, int]] = []
    position = 0
    body = tree.body
    for statement in module.body:
        # ``a = 1; b = 2`` is one libcst line of two small statements, two statements for ast.
        count = len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        if position + count > len(body):
            return None
        first, last = body[position], body[position + count - 1]
        decorators = getattr(first, "decorator_list", None) or []
        start = min([first.lineno, *(d.lineno for d in decorators)])
        spans.append((start, first.lineno, last.end_lineno or last.lineno))
        position += count
    return spans if position == len(body) else None


def _positions_of(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    # unsafe_skip_copy: the matchers hold the parsed nodes themselves, so positions must be
    # keyed by those very objects, not by a deep copy.
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    try:
        # MetadataWrapper.resolve also walks the whole tree for the (here empty) batch of
        # batchable providers, which doubles the cost; PositionProvider needs only its codegen.
        return cast(Mapping[cst.CSTNode, CodeRange], PositionProvider()._gen(wrapper))
    except (AttributeError, TypeError):  # the private entry point moved: take the public road
        return wrapper.resolve(PositionProvider)


class _InFile(Mapping[cst.CSTNode, CodeRange]):
    def __init__(self, positions: Mapping[cst.CSTNode, CodeRange], line_of: Callable[[int], int]) -> None:
        self._positions = positions
        self._line_of = line_of

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        where = self._positions[node]
        return CodeRange(
            CodePosition(self._line_of(where.start.line), where.start.column),
            CodePosition(self._line_of(where.end.line), where.end.column),
        )

    def __iter__(self) -> Iterator[cst.CSTNode]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)
