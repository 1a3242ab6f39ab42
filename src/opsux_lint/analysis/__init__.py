"""The analysis behind the value rules, one stage a module:

- :mod:`.outline`: one module's outline (bindings, imports, classes, functions, calls that pass
  values on), extracted with ``ast``: plain JSON data, cached by file content;
- :mod:`.index`: the outlines of the project's modules, and name lookups over them;
- :mod:`.resolver`: the strings an expression may be, the classes a receiver may be, what a
  callee is;
- :mod:`.api`: what the rules declare about opsux's own API, for typing receivers;
- :mod:`.wrappers`: functions that pass a value on into a sink, which become sinks themselves;
- :mod:`.dynamic`: how such a function that no call names is run, handed on as a value;
- :mod:`.sinks`: what derivation finds, as data (read from the cache without the analysis).

Names are imported on first use: a warm run reads the index and the cached derivation only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsux_core.lazy import lazy_attributes

if TYPE_CHECKING:
    from opsux_lint.analysis.dynamic import DynamicUses
    from opsux_lint.analysis.index import ModuleEntry, ProjectIndex, build_index
    from opsux_lint.analysis.resolver import ApiTypes, Instance, Opaque, Resolver
    from opsux_lint.analysis.sinks import DerivedSink, DynamicUse, SinkSpec
    from opsux_lint.analysis.values import Callee, CallShape, Resolution, Unknown, Value
    from opsux_lint.analysis.wrappers import (
        callee_is,
        derive_sinks,
        named_sinks,
        written_name,
    )

_LAZY = {
    "DynamicUses": "opsux_lint.analysis.dynamic",
    "ModuleEntry": "opsux_lint.analysis.index",
    "ProjectIndex": "opsux_lint.analysis.index",
    "build_index": "opsux_lint.analysis.index",
    "ApiTypes": "opsux_lint.analysis.resolver",
    "Instance": "opsux_lint.analysis.resolver",
    "Opaque": "opsux_lint.analysis.resolver",
    "Resolver": "opsux_lint.analysis.resolver",
    "DerivedSink": "opsux_lint.analysis.sinks",
    "DynamicUse": "opsux_lint.analysis.sinks",
    "SinkSpec": "opsux_lint.analysis.sinks",
    "Callee": "opsux_lint.analysis.values",
    "CallShape": "opsux_lint.analysis.values",
    "Resolution": "opsux_lint.analysis.values",
    "Unknown": "opsux_lint.analysis.values",
    "Value": "opsux_lint.analysis.values",
    "callee_is": "opsux_lint.analysis.wrappers",
    "derive_sinks": "opsux_lint.analysis.wrappers",
    "named_sinks": "opsux_lint.analysis.wrappers",
    "written_name": "opsux_lint.analysis.wrappers",
}


__getattr__ = lazy_attributes(__name__, _LAZY, globals())


__all__ = [
    "ApiTypes",
    "CallShape",
    "Callee",
    "DerivedSink",
    "DynamicUse",
    "DynamicUses",
    "Instance",
    "ModuleEntry",
    "Opaque",
    "ProjectIndex",
    "Resolution",
    "Resolver",
    "SinkSpec",
    "Unknown",
    "Value",
    "build_index",
    "callee_is",
    "derive_sinks",
    "named_sinks",
    "written_name",
]
