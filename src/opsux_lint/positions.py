"""Source positions of nodes, computed only for files that have something to report."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import cast

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider


def node_positions(
    module: cst.Module, line_of: Callable[[int], int] | None = None
) -> Mapping[cst.CSTNode, CodeRange]:
    """Start/end of every node of ``module`` (lines 1-based, columns 0-based, as libcst gives them).

    ``line_of`` maps the module's line numbers to the file's, for a module parsed from an
    excerpt of the file (:mod:`opsux_lint.excerpt`).
    """
    # unsafe_skip_copy: the matchers hold the parsed nodes themselves, so positions must be
    # keyed by those very objects, not by a deep copy.
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    try:
        # MetadataWrapper.resolve also walks the whole tree for the (here empty) batch of
        # batchable providers, which doubles the cost; PositionProvider needs only its codegen.
        positions = cast(Mapping[cst.CSTNode, CodeRange], PositionProvider()._gen(wrapper))
    except (AttributeError, TypeError):  # the private entry point moved: take the public road
        positions = wrapper.resolve(PositionProvider)
    return positions if line_of is None else _InFile(positions, line_of)


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
