"""Wrapper sinks: functions and methods that pass a value of their own on into a sink position.

``def launch(svc, tenant, kind): return svc.start(tenant, kind)`` makes ``launch``'s ``kind`` an
operation-type position: its callers are checked instead of the forwarding call. So does a
forwarder, ``def trigger(self, *args, **kwargs): return sink(*args, **kwargs)``: the sink's
positions shift by the parameters before ``*args`` (and ``self``/``cls`` for calls through an
instance), its keywords pass through ``**kwargs``. A value reaches the forwarding call directly
or through locals (``kind = kind or DEFAULT``); derivation repeats until nothing new is found, so
wrappers of wrappers are sinks too. Methods are sinks by their qualified name
(``app.plugins.Manager.trigger``) and matched through the receiver's type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opsux_lint.analysis.outline import Expr
from opsux_lint.analysis.resolver import Resolver
from opsux_lint.analysis.values import Callee

_MAX_ROUNDS = 10


@dataclass(frozen=True)
class SinkSpec:
    """A value position of a call: ``call`` a qualified name, or ``*.name`` (any receiver)."""

    call: str
    arg: int | None
    keyword: str | None

    @property
    def last_name(self) -> str:
        return self.call.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class DerivedSink:
    """A wrapper function that passes its parameter ``param`` on into a sink."""

    spec: SinkSpec
    function: str
    param: str
    callers: int
    """Modules that call it by its name (0: nobody in the project does: its parameter is unknown)."""
    via: str
    """The sink it passes the parameter into."""


def written_name(func: Expr) -> str | None:
    """The name a callee is written with: ``start`` for ``service.start`` and for ``start``."""
    if func[0] == "a":
        return str(func[2])
    if func[0] == "n":
        return str(func[1])
    return None


def callee_is(sink: SinkSpec, func: Expr, callee: Callee) -> bool:
    if sink.call.startswith("*."):
        return written_name(func) == sink.last_name
    return sink.call in callee.names


def derive_sinks(resolver: Resolver, base: Sequence[SinkSpec]) -> tuple[DerivedSink, ...]:
    """Functions that pass a value of theirs into a sink, to a fixpoint."""
    index = resolver.index
    sinks: list[SinkSpec] = list(base)
    derived: dict[tuple[str, str], tuple[SinkSpec, str]] = {}
    for _ in range(_MAX_ROUNDS):
        by_name: dict[str, list[SinkSpec]] = {}
        for sink in sinks:
            by_name.setdefault(sink.last_name, []).append(sink)
        added = False
        for module, entry in index.modules.items():
            classes = entry.summary["classes"]
            for key, function in entry.summary["functions"].items():
                for func, position, keyword, name, _line, star in function["passes"]:
                    candidates = by_name.get(written_name(func) or "")
                    if not candidates:
                        continue
                    callee = resolver.callee(func, module, key)
                    for sink in candidates:
                        if not callee_is(sink, func, callee):
                            continue
                        for param, spec in _wrapper_specs(resolver, module, key, function, classes, sink, position, keyword, name, star):
                            if (f"{module}.{key}", param) in derived:
                                continue
                            derived[(f"{module}.{key}", param)] = (spec, sink.call)
                            sinks.append(spec)
                            added = True
        if not added:
            break
    wildcards = frozenset(s.last_name for s in base if s.call.startswith("*."))
    callers = _callers(resolver, {spec for spec, _ in derived.values()}, wildcards)
    return tuple(
        DerivedSink(spec, function, param, callers.get(spec.call, 0), via)
        for (function, param), (spec, via) in sorted(derived.items())
    )


def _wrapper_specs(
    resolver: Resolver, module: str, key: str, function: Mapping[str, Any], classes: Mapping[str, Any],
    sink: SinkSpec, position: int | None, keyword: str | None, name: str, star: str,
) -> Iterable[tuple[str, SinkSpec]]:
    parent = key.rpartition(".")[0]
    if parent and parent not in classes:
        return  # a nested function: not callable from elsewhere by name
    params = function["params"]
    through_instance = function.get("kind") in ("method", "classmethod")
    positional = [p for p in params if p[1] in ("pos", "posonly")]
    if through_instance and positional:
        positional = positional[1:]
    call = f"{module}.{key}"
    if star == "*":
        vararg = next((p for p in params if p[1] == "var"), None)
        if vararg is None or vararg[0] != name or sink.arg is None or position is None or sink.arg < position:
            return
        forwarded_keyword = sink.keyword if any(p[1] == "varkw" for p in params) else None
        yield name, SinkSpec(call, len(positional) + sink.arg - position, forwarded_keyword)
        return
    if star == "**":
        varkw = next((p for p in params if p[1] == "varkw"), None)
        if varkw is None or varkw[0] != name or sink.keyword is None:
            return
        if any(p[0] == sink.keyword for p in params):
            return  # a named parameter of the wrapper catches that keyword before **kwargs
        vararg = next((p for p in params if p[1] == "var"), None)
        arg = None
        if vararg is not None and sink.arg is not None:
            arg = len(positional) + sink.arg  # *args forwarded too: the position shifts alike
        yield name, SinkSpec(call, arg, sink.keyword)
        return
    if keyword is not None:
        if sink.keyword != keyword:
            return
    elif position is None or sink.arg != position:
        return
    # The value passed: which of the function's own parameters may it be?
    resolution = resolver.resolve(["n", name], module, key)
    for unknown in resolution.unknowns:
        if unknown.param is None or unknown.param[0] != call:
            continue
        param = unknown.param[1]
        entry = next((p for p in params if p[0] == param), None)
        if entry is None or entry[1] in ("var", "varkw") or (through_instance and params and params[0][0] == param):
            continue
        arg = next((i for i, p in enumerate(positional) if p[0] == param), None)
        yield param, SinkSpec(call, arg, None if entry[1] == "posonly" else param)


def _callers(resolver: Resolver, specs: Iterable[SinkSpec], wildcards: frozenset[str] = frozenset()) -> dict[str, int]:
    """How many modules call each wrapper (resolved like any callee: a method through the
    receiver's type, so ``job.run()`` is no caller of ``Scheduler.run``). A method named like a
    ``*.name`` sink is called wherever that name is: those calls are sites of their own."""
    index = resolver.index
    wanted: dict[str, list[str]] = {}
    for spec in specs:
        wanted.setdefault(spec.last_name, []).append(spec.call)
    counts: dict[str, int] = {}
    for module, entry in index.modules.items():
        found: set[str] = set()
        for text, scopes in entry.summary["callees"].items():
            calls = wanted.get(text.rsplit(".", 1)[-1])
            if not calls:
                continue
            parts = text.split(".")
            e: Expr = ["n", parts[0]]
            for part in parts[1:]:
                e = ["a", e, part]
            if len(parts) > 1:
                found.update(call for call in calls if call.rsplit(".", 1)[-1] in wildcards)
            for scope in scopes:
                names = resolver.callee(e, module, scope or None).names
                found.update(call for call in calls if call in names)
        for call in found:
            counts[call] = counts.get(call, 0) + 1
    return counts
