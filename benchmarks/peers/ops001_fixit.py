"""The OPS001 check on literals, written the usual way as a Fixit rule (the speed peer).

A call whose callee's last name is a sink's and whose argument at the sink's position (index or
keyword) is a string literal missing from the registry is reported. ``lint_speed.py`` writes the
sinks and the registry as JSON and names that file in ``OPSUX_PEER_SPEC``; Fixit imports this
module by name (``--rules ops001_fixit``, with this directory on ``PYTHONPATH``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import libcst as cst
from fixit import LintRule

_SPEC = json.loads(Path(os.environ["OPSUX_PEER_SPEC"]).read_text(encoding="utf-8"))
_SINKS: dict[str, tuple[int | None, str | None]] = {
    s["name"]: (s.get("arg"), s.get("keyword")) for s in _SPEC["sinks"]
}
_REGISTRY = frozenset(_SPEC["registry"])


class UnregisteredOperationType(LintRule):
    MESSAGE = "operation type is not registered"

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else None
        if name not in _SINKS:
            return
        index, keyword = _SINKS[name]
        value: cst.BaseExpression | None = None
        positional = [a for a in node.args if a.keyword is None and not a.star]
        for arg in node.args:
            if keyword is not None and arg.keyword is not None and arg.keyword.value == keyword:
                value = arg.value
        if value is None and index is not None and index < len(positional):
            value = positional[index].value
        if isinstance(value, cst.SimpleString) and value.evaluated_value not in _REGISTRY:
            self.report(value, f"operation type {value.evaluated_value!r} is not registered")
