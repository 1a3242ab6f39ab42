"""The analysis behind the value rules, one stage a module:

- :mod:`.outline`: one module's outline (bindings, imports, classes, functions, calls that pass
  values on), extracted with ``ast``: plain JSON data, cached by file content;
- :mod:`.index`: the outlines of the project's modules, and name lookups over them;
- :mod:`.resolver`: the strings an expression may be, the classes a receiver may be, what a
  callee is;
- :mod:`.api`: what the rules declare about opsux's own API, for typing receivers;
- :mod:`.wrappers`: functions that pass a value on into a sink, which become sinks themselves;
- :mod:`.dynamic`: how such a function that no call names is run, handed on as a value.
"""

from opsux_lint.analysis.dynamic import DynamicUse, DynamicUses
from opsux_lint.analysis.index import ModuleEntry, ProjectIndex, build_index
from opsux_lint.analysis.resolver import ApiTypes, Instance, Opaque, Resolver
from opsux_lint.analysis.values import Callee, CallShape, Resolution, Unknown, Value
from opsux_lint.analysis.wrappers import (
    DerivedSink,
    SinkSpec,
    callee_is,
    derive_sinks,
    named_sinks,
    written_name,
)

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
