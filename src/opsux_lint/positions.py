"""Source positions of nodes, computed only for files that have something to report."""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider


def node_positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """Start/end of every node of ``module`` (lines 1-based, columns 0-based, as libcst gives them)."""
    # unsafe_skip_copy: the matchers hold the parsed nodes themselves, so positions must be
    # keyed by those very objects, not by a deep copy.
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    try:
        # MetadataWrapper.resolve also walks the whole tree for the (here empty) batch of
        # batchable providers, which doubles the cost; PositionProvider needs only its codegen.
        return cast(Mapping[cst.CSTNode, CodeRange], PositionProvider()._gen(wrapper))
    except (AttributeError, TypeError):  # the private entry point moved: take the public road
        return wrapper.resolve(PositionProvider)
