"""Sinks handed to something that calls them later, with arguments the same call gives
(:mod:`opsux_lint.analysis.handing` has the conventions): the libcst half, which finds the
values at the sink's positions. A sink handed anywhere else (``registry.add(emit)``) runs with
arguments nothing here names: the site says so (OPS008).
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass

import libcst as cst

from opsux_lint.analysis.handing import (
    ADAPTERS,
    BY_PATH_CALLS,
    DOTTED_PATH,
    FOLLOWED_CALLS,
    TASK_CALLS,
    TASK_PACKED,
    Convention,
)
from opsux_lint.matchers.calls import argument
from opsux_lint.matchers.runs import last_name


@dataclass(frozen=True)
class Handed:
    """A call that runs the callable ``func`` (as written in it)."""

    func: cst.BaseExpression
    convention: Convention
    how: str
    """How it is run, for messages (``submit``, ``delay``)."""

    @property
    def bound(self) -> int:
        """The call's positions in front of the callable's own, when they follow it (else 0)."""
        convention = self.convention
        if convention.args is None and not convention.mapped and convention.func is not None:
            return convention.func + 1
        return 0

    @property
    def packed(self) -> bool:
        return self.convention.args is not None or self.convention.mapped

    def values(
        self, call: cst.Call, position: int | None, keyword: str | None
    ) -> tuple[list[cst.BaseExpression], tuple[cst.BaseExpression, str] | None]:
        """What the callable gets at ``position`` / ``keyword`` when its arguments are packed or
        mapped: the nodes written there, and the node that holds them when they are not
        written out, with why."""
        convention = self.convention
        if convention.mapped:
            iterable = argument(call, convention.func + 1 + position, None) if position is not None and convention.func is not None else None
            if iterable is None:
                return [], None
            if _written_out(iterable):
                assert isinstance(iterable, (cst.Tuple, cst.List, cst.Set))
                return [e.value for e in iterable.elements], None
            return [], (iterable, f"the values are the items of `{_code(iterable)}`, which `{self.how}` runs it on")
        found: list[cst.BaseExpression] = []
        if convention.args is not None and position is not None:
            packed = argument(call, *convention.args)
            if packed is not None:
                if not _written_out(packed) or isinstance(packed, cst.Set):
                    return [], (packed, f"the value is packed in `{_code(packed)}`, which `{self.how}` passes on")
                assert isinstance(packed, (cst.Tuple, cst.List))
                if position < len(packed.elements):
                    found.append(packed.elements[position].value)
        if convention.kwargs is not None and keyword is not None:
            named = argument(call, *convention.kwargs)
            if named is not None:
                value = keyed(named, keyword)
                if isinstance(value, str):
                    return found, (named, value)
                if value is not None:
                    found.append(value)
        return found, None


def handed(call: cst.Call, sinks: Container[str]) -> Handed | None:
    """The callable ``call`` runs with arguments it gives, when it is written with one of the
    names ``sinks`` (a sink's last name: the cheap test before anything resolves it)."""
    func = call.func
    name = last_name(func)
    if isinstance(func, cst.Attribute) and last_name(func.value) in sinks:
        if name in TASK_CALLS:
            return Handed(func.value, Convention(None), name or "")
        packed = TASK_PACKED.get(name or "")
        if packed is not None:
            return Handed(func.value, packed, name or "")
    convention = FOLLOWED_CALLS.get(name or "")
    if convention is None:
        return None
    target = argument(call, convention.func, convention.func_keyword)
    target = task_run(target, sinks) or target if target is not None else None
    if target is None or last_name(target) not in sinks:
        return None
    return Handed(target, convention, name or "")


def task_run(func: cst.BaseExpression, sinks: Container[str]) -> cst.BaseExpression | None:
    """The task of ``task.delay`` written with one of the names ``sinks`` (a task's own method
    that runs it with the arguments it is given), if ``func`` is that."""
    if isinstance(func, cst.Attribute) and func.attr.value in TASK_CALLS and last_name(func.value) in sinks:
        return func.value
    return None


def adapted(func: cst.BaseExpression) -> cst.BaseExpression | None:
    """The callable an adapter made at the call (``sync_to_async(emit)(kind)``: ``emit``), if it is one."""
    if isinstance(func, cst.Call) and last_name(func.func) in ADAPTERS and func.args:
        first = func.args[0]
        if not first.star and first.keyword is None:
            return first.value
    return None


def handed_by_path(call: cst.Call, sinks: Container[str]) -> tuple[Handed, str] | None:
    """The function a task runner is given by its dotted path (``async_task("app.events.emit",
    kind)``) and runs with arguments ``call`` gives, and that path, when its last name is one of
    ``sinks``."""
    name = last_name(call.func) or ""
    convention = BY_PATH_CALLS.get(name)
    target = argument(call, convention.func, convention.func_keyword) if convention is not None else None
    if convention is None or not isinstance(target, cst.SimpleString):
        return None
    path = target.evaluated_value
    if not isinstance(path, str) or not DOTTED_PATH.fullmatch(path) or path.rpartition(".")[2] not in sinks:
        return None
    return Handed(target, convention, name), path


def handed_on(call: cst.Call, sinks: Container[str], used: cst.BaseExpression | None) -> list[cst.BaseExpression]:
    """The arguments of ``call`` written with a sink's name that it is handed as a value (other
    than ``used``, the callable a known convention runs): what it gets later is not known here."""
    if last_name(call.func) in _INSPECTING:
        return []
    return [
        arg.value for arg in call.args
        if arg.value is not used and not arg.star and isinstance(arg.value, (cst.Name, cst.Attribute))
        and last_name(arg.value) in sinks
    ]


_INSPECTING = frozenset({
    "callable", "getattr", "hasattr", "id", "isinstance", "issubclass", "print", "repr", "str", "super", "type", "vars",
    "wraps", "update_wrapper", "iscoroutinefunction", "isfunction", "ismethod", "signature", "getsource", "getdoc",
    "partial", "staticmethod", "classmethod", "property", "setattr", "object", *ADAPTERS,
})
"""Calls that look at a callable (or bind it where the alias derivation follows it, as a
``partial`` or an adapter: ``record = sync_to_async(emit)``), never run it."""


def _written_out(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.Tuple, cst.List, cst.Set)) and not any(isinstance(e, cst.StarredElement) for e in node.elements)


def keyed(mapping: cst.BaseExpression, keyword: str) -> cst.BaseExpression | str | None:
    """The value of ``keyword`` in a mapping written out (``{"kind": ...}``, ``dict(kind=...)``);
    why not, when it is not written out."""
    if isinstance(mapping, cst.Dict):
        unknown = None
        for element in mapping.elements:
            if not isinstance(element, cst.DictElement):
                unknown = f"the value may be spread into `{_code(mapping)}`"
            elif not isinstance(element.key, cst.SimpleString):
                unknown = f"the keys of `{_code(mapping)}` are not all written out"
            elif element.key.evaluated_value == keyword:
                return element.value
        return unknown
    if isinstance(mapping, cst.Call) and last_name(mapping.func) == "dict" and all(a.keyword is not None for a in mapping.args):
        return argument(mapping, None, keyword)
    return f"the value may be in `{_code(mapping)}`"


def _code(node: cst.CSTNode, limit: int = 60) -> str:
    text = " ".join(cst.Module(body=[]).code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
