"""What a Linter works out from the project once (wrapper sinks and receiver needles), kept
beside the result cache, whose findings are keyed by it.

Apart from the engine, so a run whose files all come from the cache reads the derivation
without importing the engine, its rule kinds and libcst.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from opsux_lint.analysis.sinks import DerivedSink, DynamicUse, SinkSpec


@dataclass(frozen=True)
class Derived:
    """What a Linter works out from the project once: wrapper sinks and receiver needles."""

    wrappers: Mapping[str, tuple[DerivedSink, ...]]
    """Wrapper sinks by the family of the sinks they pass a parameter on to."""
    methods: frozenset[str]
    receivers: frozenset[str]

    def to_json(self) -> dict[str, Any]:
        return {
            "wrappers": {family: [_sink_json(w) for w in sinks] for family, sinks in sorted(self.wrappers.items())},
            "methods": sorted(self.methods),
            "receivers": sorted(self.receivers),
        }

    @classmethod
    def from_json(cls, data: Any) -> Derived:
        """The inverse of :meth:`to_json`; ValueError for anything else (a damaged cache)."""
        try:
            families = data["wrappers"]
            if not isinstance(families, dict) or not all(isinstance(f, str) for f in families):
                raise TypeError(f"wrappers by family expected, not {families!r}")
            return cls(
                {family: tuple(_sink_of(w) for w in sinks) for family, sinks in families.items()},
                frozenset(_strings(data["methods"])),
                frozenset(_strings(data["receivers"])),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a derivation: {exc}") from exc

    def digest(self) -> str:
        """What the result cache's findings are keyed by: a new wrapper may change any file's."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()

    def all_wrappers(self) -> tuple[DerivedSink, ...]:
        return tuple(w for family in sorted(self.wrappers) for w in self.wrappers[family])


def _sink_json(sink: DerivedSink) -> list[Any]:
    spec = sink.spec
    dynamic = sink.dynamic.to_json() if sink.dynamic is not None else None
    templates = [list(t) for t in sink.templates]
    guards = [[*template, [[prefix, starts] for prefix, starts in guard]] for template, guard in sink.guards]
    owners = [[*template, list(classes)] for template, classes in sink.owners]
    return [spec.call, spec.arg, spec.keyword, sink.function, sink.param, sink.callers, sink.via, dynamic, templates, guards, owners]


def _sink_of(item: Any) -> DerivedSink:
    if not isinstance(item, list) or len(item) != 11:
        raise ValueError(f"not a derived sink: {item!r}")
    call, arg, keyword, function, param, callers, via, dynamic, templates, guards, owners = item
    if not isinstance(templates, list) or not templates or not all(
        isinstance(t, list) and len(t) == 2 and all(isinstance(part, str) for part in t) for t in templates
    ):
        raise ValueError(f"not a derived sink: {item!r}")
    if not isinstance(guards, list) or not all(
        isinstance(g, list) and len(g) == 3 and isinstance(g[0], str) and isinstance(g[1], str) and isinstance(g[2], list)
        and all(isinstance(c, list) and len(c) == 2 and isinstance(c[0], str) and type(c[1]) is bool for c in g[2])
        for g in guards
    ):
        raise ValueError(f"not a derived sink: {item!r}")
    if not isinstance(owners, list) or not all(
        isinstance(o, list) and len(o) == 3 and isinstance(o[0], str) and isinstance(o[1], str)
        and isinstance(o[2], list) and o[2] and all(isinstance(c, str) for c in o[2])
        for o in owners
    ):
        raise ValueError(f"not a derived sink: {item!r}")
    if not (
        isinstance(call, str) and (arg is None or type(arg) is int) and (keyword is None or isinstance(keyword, str))
        and isinstance(function, str) and isinstance(param, str) and type(callers) is int and isinstance(via, str)
    ):
        raise ValueError(f"not a derived sink: {item!r}")
    used = DynamicUse.from_json(dynamic) if dynamic is not None else None
    around = tuple((prefix, suffix) for prefix, suffix in templates)
    conditions = tuple(((prefix, suffix), tuple((c[0], c[1]) for c in guard)) for prefix, suffix, guard in guards)
    on = tuple(((prefix, suffix), tuple(classes)) for prefix, suffix, classes in owners)
    return DerivedSink(SinkSpec(call, arg, keyword), function, param, callers, via, used, around, conditions, on)


def _strings(items: Any) -> list[str]:
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"not a list of names: {items!r}")
    return items
