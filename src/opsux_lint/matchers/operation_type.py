"""The file matcher of :mod:`opsux_lint.kinds.operation_type` (libcst's half of the kind)."""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import libcst as cst

from opsux_lint.analysis import (
    Callee,
    CallShape,
    DerivedSink,
    Resolution,
    SinkSpec,
    Unknown,
    Value,
    callee_is,
    named_sinks,
    written_name,
)
from opsux_lint.analysis.handing import Convention
from opsux_lint.analysis.model_managers import makes_row
from opsux_lint.analysis.outline import (
    FunctionOutline,
    Tag,
    adapted_callable,
    partial_parts,
)
from opsux_lint.analysis.related import receiver_is
from opsux_lint.analysis.resolver import Instance
from opsux_lint.analysis.runners import runner_position
from opsux_lint.analysis.sinks import (
    FACTORY,
    MATCHED_APART,
    OVERFLOW,
    PLAIN,
    RELATED,
    ROWS,
    Guard,
    Template,
    fill_template,
    may_meet,
    meets,
    template_params,
    template_pattern,
    template_text,
)
from opsux_lint.analysis.wrappers import MAX_TEMPLATES
from opsux_lint.kinds import SiteStatus
from opsux_lint.kinds.operation_type import COMPARISON, FAMILY, OperationTypeRule, Sink
from opsux_lint.matchers import (
    CallCollector,
    FileFacts,
    Handler,
    Report,
    SiteOutcome,
)
from opsux_lint.matchers.calls import argument
from opsux_lint.matchers.handed import (
    Handed,
    adapted,
    handed,
    handed_by_path,
    handed_on,
    task_run,
)
from opsux_lint.matchers.managers import in_defaults, made_by_manager, made_by_related
from opsux_lint.matchers.runs import last_name

_COMPARISONS = (cst.Equal, cst.NotEqual, cst.In, cst.NotIn)
_CONTAINERS = (cst.Tuple, cst.List, cst.Set)


@dataclass(frozen=True)
class _Position:
    expr: cst.BaseExpression
    scope: str | None
    call: cst.Call | None = None
    sink: str = COMPARISON
    spread: str | None = None
    """Set when the value is not written at the call but spread into it (``*args``/``**options``)."""
    by_name: bool = False
    """Matched by the method's name alone (the receiver's type is unknown): only a value known
    to be unregistered is reported; one that cannot be resolved is no OPS008 here."""
    templates: tuple[Template, ...] = ()
    """A wrapper's templates (:attr:`DerivedSink.templates`): what the sink gets of the value
    passed here. Empty: the value itself."""
    guards: tuple[tuple[Template, Guard], ...] = ()
    """The templates of :attr:`templates` made only of values that pass a test
    (:attr:`DerivedSink.guards`)."""
    unpacked: int | str | None = None
    """Of a spread: the index in the ``*`` sequence, or the key in the ``**`` mapping, that the
    sink's value is at, where that is certain (a tuple or dict written out then gives it)."""
    owned: tuple[tuple[Template, tuple[str, ...]], ...] = ()
    """Of :attr:`templates`, those made only on objects of some classes
    (:attr:`DerivedSink.owners`) when the object the call runs on may be of several of them:
    which apply depends on its class, so each class's texts are alternatives."""
    receiver: str = ""
    """The object the call runs on, as written (for :attr:`owned`'s reason)."""


_MAX_FILLS = 64
"""Combinations of a call's values filled into a wrapper's templates (the rest stay holes)."""


def _templated(
    values: Sequence[Value], templates: Sequence[Template], guards: Sequence[tuple[Template, Guard]] = ()
) -> tuple[Value, ...]:
    """The values a sink gets when a wrapper writes them into its templates (a guarded template
    only of a known text that passes its test; of a pattern, always)."""
    if not templates:
        return tuple(values)
    tests = dict(guards)
    out: list[Value] = []
    for value in values:
        for prefix, suffix in templates:
            if (prefix, suffix) == OVERFLOW:
                continue  # not a text: an unknown (:meth:`OperationTypeMatcher._evaluate`)
            guard = tests.get((prefix, suffix))
            if guard and value.pattern is None and not meets(value.text, guard):
                continue  # ``if action.startswith("."):`` is false for it: not made of it
            if guard and value.pattern is not None and not may_meet(value.text.partition("{")[0], guard):
                continue  # ``f"pretalx.submission.update.{i}"`` does not start with "." either
            if not prefix and not suffix:
                out.append(value)
                continue
            hop = f"the wrapper makes it {template_text(prefix) + '{...}' + template_text(suffix)!r}"
            # Another parameter's hole in the template (``f"{app}.{action}"``) is any text here:
            # this value is checked as far as it alone decides.
            pattern = value.pattern
            if pattern is not None or template_pattern(prefix + suffix) is not None:
                inner = re.escape(value.text) if pattern is None else pattern
                pattern = _piece_pattern(prefix) + inner + _piece_pattern(suffix)
            out.append(Value(template_text(prefix) + value.text + template_text(suffix), (*value.chain, hop), pattern))
    return tuple(dict.fromkeys(out))


def _merged_owned(
    first: _Position, around: Sequence[Template], owned: Sequence[tuple[Template, tuple[str, ...]]]
) -> tuple[tuple[Template, tuple[str, ...]], ...]:
    """The classes on whose objects alone ``first``'s templates and ``around``'s are made,
    together: a template either makes on any object is made on any."""
    mine, theirs = dict(first.owned), dict(owned)
    free = {t for t in first.templates or (PLAIN,) if t not in mine} | {t for t in around or (PLAIN,) if t not in theirs}
    together: dict[Template, tuple[str, ...]] = {}
    for template in (*mine, *theirs):
        if template not in free:
            together[template] = tuple(sorted({*mine.get(template, ()), *theirs.get(template, ())}))
    return tuple(together.items())


def _merged_guards(
    first: _Position, around: Sequence[Template], guards: Sequence[tuple[Template, Guard]]
) -> tuple[tuple[Template, Guard], ...]:
    """The guards of ``first``'s templates and ``around``'s together: a template both make with
    different tests (or one without) is made for any value."""
    mine, theirs = dict(first.guards), dict(guards)
    firsts, arounds = first.templates or (PLAIN,), around or (PLAIN,)
    merged: dict[Template, Guard] = {}
    for template in dict.fromkeys((*firsts, *arounds)):
        tests: set[Guard] = set()
        if template in firsts:
            tests.add(mine.get(template, ()))
        if template in arounds:
            tests.add(theirs.get(template, ()))
        if len(tests) == 1 and () not in tests:
            merged[template] = tests.pop()
    return tuple(merged.items())


def _piece_pattern(piece: str) -> str:
    return template_pattern(piece) or re.escape(piece)


def _argument_index(outcome: SiteOutcome) -> int:
    call = outcome.together
    if not isinstance(call, cst.Call):
        return 0
    return next((i for i, arg in enumerate(call.args) if arg.value is outcome.node), 0)


def _members_taken(rule: OperationTypeRule, wrappers: Iterable[DerivedSink]) -> dict[str, str]:
    """By sink call: what a plain Enum's member given there stands for (``enum_members``), at
    the configured sinks and at every wrapper that passes its value on into one."""
    taken = {sink.call: sink.enum_members for sink in rule.sinks if sink.enum_members is not None}
    if not taken:
        return {}
    into = {w.spec.call: w.via for w in wrappers}
    for call in into:
        current, seen = call, set()
        while current not in taken and current in into and current not in seen:
            seen.add(current)
            current = into[current]
        if current in taken:
            taken[call] = taken[current]
    return taken


def _as_members(resolution: Resolution, taken: str) -> Resolution:
    """The resolution with each plain Enum member as the string the sink takes of it (its name
    or its value: :attr:`Unknown.member`)."""
    picked = [u.member[0] if taken == "name" else u.member[1] for u in resolution.unknowns if u.member is not None]
    if not picked:
        return resolution
    kept = tuple(u for u in resolution.unknowns if u.member is None)
    return Resolution(tuple(dict.fromkeys((*resolution.values, *picked))), kept)


def _called_as(wrapper: DerivedSink) -> str:
    name = wrapper.spec.last_name
    if name == "__init__":
        return wrapper.spec.call.rsplit(".", 2)[-2]  # a constructor is called by its class's name
    return name


def _uncalled(facts: FileFacts, wrapper: DerivedSink) -> str:
    """Why a wrapper's callers check nothing: none names it, or none has a receiver of a known type."""
    name = _called_as(wrapper)
    if wrapper.dynamic is not None:
        return f"which no call in the project names; {wrapper.dynamic.explain(name, wrapper.param)}"
    calls = modules = 0
    for _, entry in facts.index.entries(facts.index.mentioning([name])):
        found = sum(len(scopes) for text, scopes in entry.summary["callees"].items() if text.rsplit(".", 1)[-1] == name)
        calls += found
        modules += found > 0
    if not calls:
        return "which no call in the project names (a call from outside the source roots, or a dynamic one, is not followed)"
    where = f"{modules} modules" if modules > 1 else "1 module"
    counted = f"none of the {calls} calls" if calls > 1 else "not the 1 call"
    return (
        f"which {counted} by that name ({where}) is known to reach: their receivers are of unknown "
        "type or another class (see --coverage; an annotation types a receiver)"
    )


def _is_partial(facts: FileFacts, call: cst.Call) -> bool:
    """Whether ``call`` is ``functools.partial(f, ...)`` with ``f`` written out."""
    first = call.args[0] if call.args else None
    return (
        first is not None and not first.star and first.keyword is None and last_name(call.func) == "partial"
        and "functools.partial" in facts.imports.qualified_names(call.func)
    )


def _bound_names(facts: FileFacts, name: str, scope: str | None) -> dict[str, frozenset[int]]:
    """The names of what the function ``scope`` binds its local ``name`` to (``fire =
    events.emit``: ``emit``), each with the positions a ``functools.partial`` binds in front
    (``fire = partial(events.emit, payload)``: 1); nothing for a name it does not bind so."""
    summary = facts.index.summary(facts.module) if scope is not None else None
    function = summary["functions"].get(scope or "") if summary is not None else None
    if function is None:
        return {}
    found: dict[str, set[int]] = {}
    values = [value for _, value in function["locals"].get(name, ())]
    for value in values:
        if value[0] == Tag.CONDITIONAL:
            values.extend(value[1:3])  # ``fire = events.emit if live else log``: either may be called
            continue
        shift = 0
        # ``fire = sync_to_async(emit)``, ``fire = export.delay``: the same arguments.
        value = adapted_callable(value) or facts.resolver.task_run_target(value, facts.module, scope) or value
        parts = partial_parts(value)
        if parts is not None and facts.resolver.partial_target(value, facts.module, scope) is not None:
            value, shift = parts[1], parts[2]
        written = written_name(value)
        if written is not None:
            found.setdefault(written, set()).add(shift)
    return {written: frozenset(shifts) for written, shifts in found.items()}


def _instance_first(facts: FileFacts, sink: str, func: cst.BaseExpression, scope: str | None) -> int | str:
    """For a call of a class's plain member bound to a sink function (``announce = emit``): 1
    through an instance (Python passes it first), 0 through the class; why it cannot be told
    for a receiver of unknown kind. 0 for any other sink, and for a member bound to a class."""
    owner, _, attr = sink.rpartition(".")
    located = facts.index.locate(owner, "classes") if owner else None
    bindings = located[2]["members"].get(attr) if located is not None else None
    if not bindings or not all(value[0] in (Tag.NAME, Tag.ATTRIBUTE) for _, value in bindings):
        return 0
    assert located is not None
    if any(facts.resolver.is_class(name) for _, value in bindings for name in facts.resolver.callee(value, located[0]).names):
        return 0  # a class is no descriptor: ``self.join_class(...)`` constructs with what it is given
    if not isinstance(func, cst.Attribute):
        return 0  # its bare name, in the class body
    base = facts.expression(func.value)
    summary = facts.index.summary(facts.module)
    function = summary["functions"].get(scope or "") if summary is not None else None
    if function is not None and function["kind"] == "classmethod" and function["params"] and base == [Tag.NAME, function["params"][0][0]]:
        return 0  # ``cls.announce(...)``
    items = facts.resolver.types(base, facts.module, scope)
    kinds = {item.of_class for item in items if isinstance(item, Instance)}
    if items and len(kinds) == 1 and all(isinstance(item, Instance) for item in items):
        return 0 if kinds == {True} else 1
    return (
        f"`{_source(facts, func)}` is `{attr}` of `{owner}`, bound to a function: through an instance "
        f"the instance is passed first, and `{_source(facts, func.value)}` is not known to be an instance or the class"
    )


def _through_class(facts: FileFacts, sink: str, func: cst.BaseExpression, scope: str | None) -> int:
    """1 for a call of a method sink through its class (``Manager.get_event_id(manager, name)``:
    the instance is the first argument, the sink's positions count after it), else 0."""
    located = facts.index.locate(sink, "functions")
    if located is None or located[2]["kind"] != "method" or not isinstance(func, cst.Attribute):
        return 0
    items = facts.resolver.types(facts.expression(func.value), facts.module, scope)
    # A project class: a library's name is typed as its class too, but a lowercase one (a proxy
    # such as ``current_user``) is more likely an object, and the sink is no method of its class.
    return 1 if items and all(
        isinstance(item, Instance) and item.of_class and facts.index.locate(item.cls, "classes") is not None for item in items
    ) else 0


def _got(func: cst.BaseExpression, names: Mapping[str, Any]) -> cst.BaseExpression | None:
    """``getattr(events, "emit")`` written as the callee: ``events.emit``."""
    if not (isinstance(func, cst.Call) and isinstance(func.func, cst.Name) and func.func.value == "getattr"):
        return None
    args = func.args
    if len(args) != 2 or any(a.star or a.keyword is not None for a in args) or not isinstance(args[1].value, cst.SimpleString):
        return None
    name = args[1].value.evaluated_value
    if not isinstance(name, str) or name not in names or not name.isidentifier():
        return None
    return cst.Attribute(value=args[0].value, attr=cst.Name(name))


def _source(facts: FileFacts, node: cst.CSTNode, limit: int = 60) -> str:
    """The expression as written, on one line and cut short (for messages)."""
    text = " ".join(facts.tree.code_for_node(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unpacked(call: cst.Call, spread: cst.Arg, spec: SinkSpec) -> int | str | None:
    """Where in ``spread`` the sink's value is: its key for the one ``**`` argument, its index
    for the one ``*`` argument after every positional one; None when that depends on the
    length of another spread."""
    stars = [a for a in call.args if a.star == spread.star]
    if len(stars) != 1:
        return None
    if spread.star == "**":
        return spec.keyword
    index = call.args.index(spread)
    if spec.arg is None or any(a.keyword is None and not a.star for a in call.args[index + 1:]):
        return None
    return spec.arg - sum(1 for a in call.args[:index] if a.keyword is None and not a.star)


def _spread(call: cst.Call, spec: SinkSpec) -> cst.Arg | None:
    """The ``**kwargs`` (or, for a position, ``*args``) argument that may carry the sink's value."""
    for arg in call.args:
        if arg.star == "**" and spec.keyword is not None:
            return arg
        if arg.star == "*" and spec.arg is not None:
            positional = sum(1 for a in call.args if not a.star and a.keyword is None)
            if positional <= spec.arg:
                return arg
    return None


def call_shape(call: cst.Call) -> CallShape:
    """What ``call`` passes (the same as the outline records for it, from ``ast``)."""
    spread = any(a.star for a in call.args)
    positional = sum(1 for a in call.args if a.keyword is None and not a.star)
    keywords = frozenset(a.keyword.value for a in call.args if a.keyword is not None)
    return CallShape(positional, keywords, spread)


def _describe(callee: Callee, written: str, bound: Sequence[str] = ()) -> str:
    """Why a call written with a sink's name is not the sink; ``bound``: what the written name is
    assigned in its function, if it is a local (a name is no better reason than itself)."""
    if bound and callee.names <= {written}:
        return f"`{written}` is a local name bound to {' or '.join(f'`{b}`' for b in bound)}"
    names = sorted(_described(n) for n in callee.names)
    return f"`{written}` is {' or '.join(names)}" if names else f"`{written}` is not defined in the project"


def _described(name: str) -> str:
    if name.startswith("<"):
        # ``<the result of `f(...)`>.label``: a method of something the resolver knows is not opsux's.
        what, _, attr = name[1:].rpartition(">.")
        return f"`{attr}` of {what}"
    return name


def _made(name: str) -> str:
    """What a library made that a method is called on: a result, or the library's own object."""
    return _described(name) if name.startswith("<") else f"`{name.rpartition('.')[0]}`"


def _fix(rule: OperationTypeRule, node: cst.CSTNode, value: Value) -> str | None:
    """The literal written at the site, respelled as the one close registered type (the
    did-you-mean); None unless that rewrite is certain to mean just that."""
    if value.chain or value.pattern is not None or not isinstance(node, cst.SimpleString):
        return None
    suggestion = rule.catalog.suggest(value.text)
    quote = node.quote
    if suggestion is None or node.evaluated_value != value.text or "r" in node.prefix.lower():
        return None
    if quote[0] in suggestion or "\\" in suggestion:
        return None
    return f"{node.prefix}{quote}{suggestion}{quote}"


class OperationTypeMatcher(CallCollector):
    def __init__(self, rule: OperationTypeRule, facts: FileFacts) -> None:
        super().__init__(facts)
        self.rule = rule
        self.comparisons: list[_Position] = []
        # The names a container may keep a sink by: a configured sink's, or a wrapper's that
        # calls name besides (one no call names is explained at its own site).
        called = (d.spec.last_name for d in facts.wrappers.get(FAMILY, ()) if d.callers > 0)
        self.names = frozenset((*(sink.spec.last_name for sink in rule.sinks), *called))
        self.held: list[tuple[cst.BaseExpression, cst.BaseExpression, str | None]] = []
        """Sinks written as an item of a container (a dispatch table)."""
        self.looped: set[int] = set()
        self.members = _members_taken(rule, facts.wrappers.get(FAMILY, ()))

    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]:
        return {
            **super().handlers(), cst.Comparison: self._comparison,
            cst.List: self._container, cst.Tuple: self._container, cst.Set: self._container, cst.Dict: self._container,
            cst.For: self._loop, cst.CompFor: self._loop,
        }

    def _loop(self, node: cst.For | cst.CompFor) -> None:
        # ``for fn in (emit, log): fn(kind)``: the loop variable is each item, and its calls are sites.
        self.looped.add(id(node.iter))

    def _container(self, node: cst.List | cst.Tuple | cst.Set | cst.Dict) -> None:
        # ``{"sync": emit}``, ``[emit, log]``: kept, to be called later.
        if id(node) in self.looped:
            return
        for element in node.elements:
            value = element.value
            if isinstance(value, (cst.Name, cst.Attribute)) and last_name(value) in self.names:
                self.held.append((value, node, self.facts.scope_key()))

    def _is_type_attribute(self, expr: cst.BaseExpression) -> bool:
        return isinstance(expr, cst.Attribute) and expr.attr.value in self.rule.attributes

    def _comparison(self, node: cst.Comparison) -> None:
        left = node.left
        scope = self.facts.scope_key()
        for target in node.comparisons:
            right = target.comparator
            if isinstance(target.operator, _COMPARISONS):
                if self._is_type_attribute(left):
                    self._values(right, scope, self.comparisons)
                elif self._is_type_attribute(right) and isinstance(target.operator, (cst.Equal, cst.NotEqual)):
                    self._values(left, scope, self.comparisons)
            left = right

    @staticmethod
    def _values(expr: cst.BaseExpression, scope: str | None, into: list[_Position]) -> None:
        if isinstance(expr, _CONTAINERS):
            into.extend(_Position(e.value, scope) for e in expr.elements if isinstance(e, cst.Element))
        else:
            into.append(_Position(expr, scope))

    def _sinks_by_name(self) -> dict[str, list[Sink]]:
        by_name: dict[str, list[Sink]] = {}
        own = set(self.rule.sinks)
        wrappers = self.facts.wrappers.get(FAMILY, ())
        derived = sorted({Sink(d.spec) for d in wrappers} - own, key=lambda s: s.call)
        constructors = {d.spec for d in wrappers if d.function.endswith(".__init__")}
        # Related sinks, a model's managers and class factories are not matched by name.
        apart = {d.spec for entries in self._apart().values() for d in entries}
        for sink in (*self.rule.sinks, *(s for s in derived if s.spec not in apart)):
            by_name.setdefault(sink.spec.last_name, []).append(sink)
            if sink.spec in constructors:
                by_name.setdefault("__init__", []).append(sink)  # ``super().__init__(...)`` in a subclass
        return by_name

    def _rows(self, scope: str | None) -> list[Sink]:
        """The model sinks whose rows a method ``scope`` of one of their managers makes."""
        if not scope or "." not in scope:
            return []
        manager = f"{self.facts.module}.{scope.rpartition('.')[0]}"
        models = {d.via for d in self._apart().get(ROWS, ()) if d.spec.call == manager}
        return [sink for sink in self.rule.sinks if sink.call in models]

    def _returns_class(self, func: cst.BaseExpression, scope: str | None) -> bool:
        """Whether ``func`` may be a class a factory returned: a call of a factory
        (:mod:`~opsux_lint.analysis.factories`), or a local bound to the result of a call."""
        if not self._apart().get(FACTORY):
            return False
        if isinstance(func, cst.Call):
            return True
        function = self._function(scope) if isinstance(func, cst.Name) else None
        bindings = function["locals"].get(func.value, ()) if function is not None and isinstance(func, cst.Name) else ()
        return bool(bindings) and all(value[0] == Tag.CALL for _, value in bindings)

    def _function(self, scope: str | None) -> FunctionOutline | None:
        summary = self.facts.index.summary(self.facts.module)
        return summary["functions"].get(scope or "") if summary is not None else None

    def _apart(self) -> dict[str, list[DerivedSink]]:
        """The derived entries that are no wrapper (:data:`MATCHED_APART`), by param, once a file."""
        key = ("matched apart", FAMILY)
        found: dict[str, list[DerivedSink]] | None = self.facts.shared.get(key)
        if found is None:
            found = self.facts.shared[key] = {}
            for d in self.facts.wrappers.get(FAMILY, ()):
                if d.param in MATCHED_APART:
                    found.setdefault(d.param, []).append(d)
        return found

    def outcomes(self) -> list[SiteOutcome]:
        """Every site of the file, computed once for all rules that share these sinks."""
        key = ("operation_type", self.rule.sinks, self.rule.attributes)
        cached = self.facts.shared.get(key)
        if cached is None:
            cached = self.facts.shared[key] = self._outcomes()
        return list(cached)

    def _outcomes(self) -> list[SiteOutcome]:
        by_name = self._sinks_by_name()
        facts = self.facts
        templated = {d.spec: d for d in facts.wrappers.get(FAMILY, ()) if d.templates != (PLAIN,)}
        outcomes: list[SiteOutcome] = []
        positions: list[_Position] = list(self.comparisons)
        related: dict[str, list[DerivedSink]] = {}
        for d in self._apart().get(RELATED, ()):
            related.setdefault(d.spec.last_name, []).append(d)
        for call, scope in self.calls:
            func = call.func
            # ``Run.operation_type.in_([...])`` (SQLAlchemy) is a comparison in disguise.
            if isinstance(func, cst.Attribute) and func.attr.value == "in_" and self._is_type_attribute(func.value):
                value = argument(call, 0, None)
                if value is not None:
                    self._values(value, scope, positions)
                continue
            # ``functools.partial(emit, payload, "inventory.sync")`` calls nothing yet, but the
            # arguments it binds are the sink's, one place further along.
            bound = 1 if _is_partial(facts, call) else 0
            # ``executor.submit(emit, kind)``, ``emit.delay(kind)``: run later with what is given here.
            passed = None if bound else handed(call, by_name)
            # ``async_task("app.events.emit", kind)``: the same, the function named by its path.
            by_path = None if bound or passed is not None else handed_by_path(call, by_name)
            if by_path is not None:
                passed = by_path[0]
            elif passed is None and not bound:
                # ``start_job_async_or_sync(emit, org, project, action)``: the project's own runner.
                passed = self._run_by_project(call, by_name, scope)
            made = None
            if bound:
                func = call.args[0].value
                # ``partial(export.delay, kind)`` (Django's ``on_commit`` idiom) binds the task's own.
                func = task_run(func, by_name) or func
            elif passed is not None:
                func, bound = passed.func, passed.bound
            else:
                rows = self._rows(scope)
                method = self._function(scope) if rows else None
                if method is not None and makes_row(facts.expression(func), scope or "", method):
                    # ``self.create(action=...)`` in a method of a manager of the model.
                    self._run(call, func, rows, scope, None, 0, positions, outcomes, templated, by_keyword=True)
                    continue
                through = made_by_related(call, related) if related else None
                if through is not None:
                    self._related(call, through, related[through.attr.value], scope, positions, outcomes, templated)
                    continue
                # ``Model.objects.create(kind=...)`` makes a ``Model(kind=...)``.
                made = made_by_manager(call, by_name)
                func = _got(func, by_name) or adapted(func) or made or func
            if by_path is not None:
                path = by_path[1]
                imported = facts.resolver.reexported([path])
                matched = [s for s in by_name[path.rpartition(".")[2]] if s.call in imported or s.call.startswith("*.")]
                self._run(call, func, matched, scope, passed, bound, positions, outcomes, templated, by_path=True)
                continue
            for value in handed_on(call, by_name, func if func is not call.func else None):
                outcome = self._handed_on(value, f"handed to `{_source(facts, call.func)}` as a value", by_name, scope)
                if outcome is not None:
                    outcomes.append(outcome)
            written = last_name(func)
            candidates = list(by_name.get(written or "", ()))
            # A local bound to a sink: ``fire = events.emit`` before ``fire(...)`` (``fire`` may
            # be another sink's name too).
            bound_to = _bound_names(facts, func.value, scope) if isinstance(func, cst.Name) else {}
            candidates += [s for name in sorted(set(bound_to) - {written}) for s in by_name.get(name, ())]
            if isinstance(func, cst.Name):
                # Imported under another name: ``from opsux_core import OperationRun as Run``
                # (``Run`` may be a sink's name of its own: a module's name for a sink).
                aliased = {q.rsplit(".", 1)[-1] for q in facts.imports.qualified_names(func)} - {written}
                candidates += [s for name in sorted(aliased) for s in by_name.get(name, ()) if s not in candidates]
            if not candidates and self._returns_class(func, scope):
                # ``get_audit_class()(action=...)``: the classes the call returns.
                returned = facts.callee(func, scope).names
                candidates = [s for sinks in by_name.values() for s in sinks if s.call in returned]
            if not candidates:
                continue
            e = facts.expression(func)
            callee = facts.callee(func, scope)
            # Every sink the callee is: a wrapper that passes two of its parameters on is two
            # sinks of one name (``validate(first, second)``), each checked at its own argument.
            matched = [
                s for s in candidates
                # A local bound to ``request.user.record_event`` is a sink of any receiver's
                # ``record_event``, as the name it is bound to is.
                if callee_is(s.spec, e, callee, facts.resolver) or (s.spec.call.startswith("*.") and s.spec.last_name in bound_to)
            ]
            named = False
            if not matched and callee.untyped and isinstance(func, cst.Attribute) and not bound and passed is None:
                # Nothing tells the receiver's class: the project's methods of that name that can
                # take this call decide (see ``named_sinks``).
                sinks = named_sinks(facts.resolver, func.attr.value, call_shape(call), {s.call for s in candidates})
                matched = [s for s in candidates if s.call in sinks]
                named = bool(matched)
            if not matched and written == "__init__":
                continue  # another class's constructor: ``__init__`` is not the sink's name
            if not matched:
                outcome = self._not_the_sink(call, candidates, callee, _source(facts, func), scope)
                if outcome is not None:
                    outcomes.append(outcome)
                continue
            self._run(
                call, func, matched, scope, passed, bound, positions, outcomes, templated, bound_to, named,
                by_keyword=made is not None,
            )
        for value, container, scope in self.held:
            outcome = self._handed_on(value, f"kept in `{_source(facts, container)}`", by_name, scope)
            if outcome is not None:
                outcomes.append(outcome)
        outcomes.extend(self._evaluate(position) for position in positions)
        return outcomes

    def _related(
        self, call: cst.Call, through: cst.Attribute, sinks: Sequence[DerivedSink], scope: str | None,
        positions: list[_Position], outcomes: list[SiteOutcome], templated: Mapping[SinkSpec, DerivedSink],
    ) -> None:
        """``transaction.events.create(type=...)``: a row of each model whose relation to the
        receiver's class is called ``events``; explained when the receiver's class is not known."""
        facts = self.facts
        receiver = facts.expression(through.value)
        matched: list[Sink] = []
        unknown: list[tuple[DerivedSink, str]] = []
        for sink in sinks:
            verdict = receiver_is(facts.resolver, receiver, facts.module, scope, sink.spec.call.rpartition(".")[0])
            if verdict is True:
                matched.append(Sink(sink.spec))
            elif isinstance(verdict, str):
                unknown.append((sink, verdict))
        if matched:
            self._run(call, through, matched, scope, None, 0, positions, outcomes, templated, by_keyword=True)
            return
        for sink, why in unknown:
            keyword = sink.spec.keyword
            value = argument(call, None, keyword)
            if value is None:
                found = in_defaults(call, keyword) if keyword is not None else None
                value = found if isinstance(found, cst.BaseExpression) else None
            if value is not None:
                targets = sorted({f"`{s.spec.call.rpartition('.')[0].rpartition('.')[2]}`" for s, _ in unknown})
                models = sorted({f"`{s.via.rpartition('.')[2]}`" for s, _ in unknown})
                reason = (
                    f"`{_source(facts, through)}` makes {' or '.join(models)} rows when `{_source(facts, through.value)}` "
                    f"is of class {', '.join(targets[:-1]) + ' or ' if len(targets) > 1 else ''}{targets[-1]}, and {why}"
                )
                written = _source(facts, call.func)
                outcomes.append(SiteOutcome(value, sink.spec.call, written, True, SiteStatus.UNKNOWN_RECEIVER, reason, _source(facts, value)))
                return

    def _run(
        self, call: cst.Call, func: cst.BaseExpression, matched: Sequence[Sink], scope: str | None, passed: Handed | None,
        bound: int, positions: list[_Position], outcomes: list[SiteOutcome], templated: Mapping[SinkSpec, DerivedSink],
        bound_to: Mapping[str, frozenset[int]] | None = None, named: bool = False, by_path: bool = False,
        by_keyword: bool = False,
    ) -> None:
        """The positions of ``call``'s values for each sink of ``matched`` it calls (``bound``:
        the call's positions in front of the sink's own, a partial's or a runner's; ``named``:
        matched by a method's name alone; ``by_path``: a runner is given the sink's dotted path;
        ``by_keyword``: a manager makes the model, with fields by keyword, or in ``defaults``)."""
        facts = self.facts
        bound_to = bound_to or {}
        seen: set[int] = set()
        at: dict[int, int] = {}
        """Where in ``positions`` each value written at the call is (one position per value)."""
        for sink in matched:
            spec = sink.spec
            if bound and spec.arg is not None:
                spec = SinkSpec(spec.call, spec.arg + bound, spec.keyword)
            shifts = bound_to.get(spec.last_name, frozenset({0}))
            if len(shifts) > 1:
                reason = f"`{_source(facts, func)}` is bound to partials of `{spec.last_name}` that bind different positions"
                positions.append(_Position(call.func, scope, call, sink.call, reason))
                continue
            shift = next(iter(shifts))
            # A function a runner imports by its path is run as it is, never through an instance.
            member = _instance_first(facts, spec.call, func, scope) if not bound and not by_path else 0
            if isinstance(member, str):
                if named:  # matched by the method's name alone: a site, never an OPS008
                    written_as = _source(facts, func)
                    outcomes.append(SiteOutcome(call.func, sink.call, written_as, True, SiteStatus.UNKNOWN_RECEIVER, member, written_as))
                else:
                    positions.append(_Position(call.func, scope, call, sink.call, member))
                continue
            shift += member - (_through_class(facts, spec.call, func, scope) if not bound and not by_path else 0)
            if shift and spec.arg is not None:
                # The partial gave the positions in front: the call's first is the sink's ``shift``-th.
                spec = SinkSpec(spec.call, spec.arg - shift if spec.arg >= shift else None, spec.keyword)
            if passed is not None and passed.packed:
                # ``Thread(target=emit, args=(kind,))``, ``map(emit, kinds)``: each value written there.
                values, unseen = passed.values(call, spec.arg, spec.keyword)
                for item in values:
                    if id(item) not in seen:
                        seen.add(id(item))
                        wrapper = templated.get(sink.spec)
                        positions.append(_Position(
                            item, scope, call, sink.call, templates=wrapper.templates if wrapper else (),
                            guards=wrapper.guards if wrapper else (),
                        ))
                if unseen is not None:
                    positions.append(_Position(unseen[0], scope, call, sink.call, unseen[1]))
                continue
            if by_keyword:
                if spec.keyword is None:
                    continue
                spec = SinkSpec(spec.call, None, spec.keyword)
            value = argument(call, spec.arg, spec.keyword)
            if value is None and by_keyword:
                found = in_defaults(call, spec.keyword or "")
                if isinstance(found, str):
                    positions.append(_Position(call, scope, call, sink.call, found))
                    continue
                value = found
            if value is not None:
                wrapper = self._on_receiver(templated.get(sink.spec), func, scope)
                around, guards = self._filled(wrapper, call, scope, bound - shift)
                # Texts of some classes' definitions: which the call makes is the object's class's.
                owned = tuple(o for o in wrapper.owners if o[0] in around) if wrapper is not None else ()
                receiver = _source(facts, func.value) if owned and isinstance(func, cst.Attribute) else ""
                if id(value) in at:
                    # The same value given to two sinks (``*.log_action`` configured, and a
                    # wrapper of the model it writes, which makes it "app.{action}"): every
                    # text either sink gets is checked, at the one position.
                    first = positions[at[id(value)]]
                    merged = tuple(dict.fromkeys((*(first.templates or (PLAIN,)), *(around or (PLAIN,)))))
                    if merged != (first.templates or (PLAIN,)):
                        positions[at[id(value)]] = dataclasses.replace(
                            first, templates=merged, guards=_merged_guards(first, around, guards), by_name=first.by_name and named,
                            owned=_merged_owned(first, around, owned), receiver=first.receiver or receiver,
                        )
                elif id(value) not in seen:
                    seen.add(id(value))
                    at[id(value)] = len(positions)
                    positions.append(_Position(
                        value, scope, call, sink.call, by_name=named, templates=around, guards=guards, owned=owned,
                        receiver=receiver,
                    ))
                continue
            spread = _spread(call, spec) if not sink.generic else None
            if spread is not None and id(spread.value) not in seen:
                seen.add(id(spread.value))
                stars = "**" if spread.star == "**" else "*"
                code = facts.tree.code_for_node(spread.value)
                positions.append(_Position(
                    spread.value, scope, call, sink.call, f"the value is passed in `{stars}{code}`",
                    unpacked=_unpacked(call, spread, spec),
                ))

    def _run_by_project(self, call: cst.Call, by_name: Mapping[str, Sequence[Sink]], scope: str | None) -> Handed | None:
        """The call as a project function that runs the sink it is handed with the arguments
        after it (:func:`~opsux_lint.analysis.runners.runner_position`), if it is one."""
        handed_at = None
        for position, arg in enumerate(call.args):
            if arg.star or arg.keyword is not None:
                return None
            if isinstance(arg.value, (cst.Name, cst.Attribute)) and last_name(arg.value) in by_name:
                handed_at = position
                break
        if handed_at is None:
            return None
        facts = self.facts
        for name in sorted(facts.callee(call.func, scope).names):
            located = facts.index.locate(name, "functions")
            if located is not None and runner_position(located[2]) == handed_at:
                return Handed(call.args[handed_at].value, Convention(handed_at), last_name(call.func) or "")
        return None

    def _handed_on(
        self, value: cst.BaseExpression, held: str, by_name: Mapping[str, Sequence[Sink]], scope: str | None
    ) -> SiteOutcome | None:
        """A function sink handed on (``held``: to a call by no convention
        :mod:`~opsux_lint.matchers.handed` knows, or kept in a container): a site whose value
        cannot be told (when it is the sink: resolved exactly). A wrapper that no call names is
        left to its own site, which says how it is used (:mod:`~opsux_lint.analysis.dynamic`);
        one that has callers besides is checked at them, and what it is called with later is
        not: the handing on is the site then."""
        facts = self.facts
        written = last_name(value) or ""
        called = {d.spec for d in facts.wrappers.get(FAMILY, ()) if d.callers > 0}
        # A class handed on is mostly a type (``session.get(OperationRun, key)``, ``select(Run)``).
        configured = [
            s for s in by_name.get(written, ())
            if (s in self.rule.sinks or s.spec in called) and not s.call.startswith("*.") and not written[:1].isupper()
            and not facts.resolver.is_class(s.call)
        ]
        if not configured:
            return None
        e = facts.expression(value)
        callee = facts.callee(value, scope)
        sink = next((s for s in configured if callee_is(s.spec, e, callee)), None)
        if sink is None:
            return None
        reason = f"`{_source(facts, value)}` is {held}: what it is called with later is not followed"
        site = _source(facts, value)
        return SiteOutcome(value, sink.call, site, True, SiteStatus.UNVERIFIABLE, reason, site, unknown=(Unknown(reason),))

    def _on_receiver(self, wrapper: DerivedSink | None, func: cst.BaseExpression, scope: str | None) -> DerivedSink | None:
        """The wrapper with only the templates it makes on the receiver's objects
        (:attr:`DerivedSink.owners`: ``room.log_action(".update")`` makes the prefix of ``Room``
        and of its subclasses); every template when the receiver's class is not known."""
        if wrapper is None or not wrapper.owners or not isinstance(func, cst.Attribute):
            return wrapper
        resolver = self.facts.resolver
        items = resolver.types(self.facts.expression(func.value), self.facts.module, scope)
        classes = [i.cls for i in items if isinstance(i, Instance) and not i.of_class]
        if not classes or len(classes) != len(items):
            return wrapper
        everyone = frozenset(c for _, owners in wrapper.owners for c in owners)
        mine = frozenset().union(*(resolver.owners_for(c, everyone) for c in classes))
        kept = tuple(t for t in wrapper.templates if not wrapper.owners_of(t) or mine & set(wrapper.owners_of(t)))
        if not kept:
            return wrapper  # it makes nothing on these objects; "no template" would mean the value itself
        owners = tuple((t, tuple(c for c in o if c in mine)) for t, o in wrapper.owners if t in kept)
        return dataclasses.replace(wrapper, templates=kept, guards=tuple(g for g in wrapper.guards if g[0] in kept), owners=owners)

    def _filled(
        self, wrapper: DerivedSink | None, call: cst.Call, scope: str | None, offset: int,
    ) -> tuple[tuple[Template, ...], tuple[tuple[Template, Guard], ...]]:
        """A wrapper's templates, with the holes its other parameters leave (``f"{app}.{action}"``)
        filled in with what this call passes for them where that is known: ``pair("app",
        "sync")`` checks ``"app.sync"``, not each half alone. ``offset``: where the call's
        arguments are from the wrapper's positions (a partial's bound ones, an instance's ``self``)."""
        if wrapper is None:
            return (), ()
        known: dict[tuple[str, str], list[str]] = {}
        for prefix, suffix in wrapper.templates:
            for owner, param in template_params(prefix + suffix):
                other = self.facts.wrapper(FAMILY, owner, param) if owner == wrapper.function else None
                if other is None or (owner, param) in known:
                    continue
                arg = other.spec.arg + offset if other.spec.arg is not None and other.spec.arg + offset >= 0 else None
                value = argument(call, arg, other.spec.keyword)
                if value is not None:
                    _, resolution = self.facts.resolve(value, scope)
                elif any(a.star for a in call.args):
                    continue  # spread: any text
                else:
                    # Left out: its default (pretix's ``"pretix.event.item.{}.{}".format(log_base,
                    # rm_verb)`` with ``rm_verb="removed"``), not any text.
                    default = self._default(wrapper.function, param)
                    if default is None:
                        continue
                    resolution = default
                if resolution.values and not resolution.unknowns and all(v.pattern is None for v in resolution.values):
                    known[(owner, param)] = [v.text for v in resolution.values]
        if not known:
            return wrapper.templates, wrapper.guards
        keys = list(known)
        filled: dict[Template, Guard] = {}
        for combo in itertools.islice(itertools.product(*(known[k] for k in keys)), _MAX_FILLS):
            values = dict(zip(keys, combo))
            for prefix, suffix in wrapper.templates:
                made = (fill_template(prefix, values), fill_template(suffix, values))
                guard = wrapper.guard((prefix, suffix))
                # Filled the same from templates of different tests: made for any value.
                filled[made] = guard if filled.get(made, guard) == guard else ()
        return tuple(filled), tuple((t, g) for t, g in filled.items() if g)

    def _default(self, function: str, param: str) -> Resolution | None:
        """What the function's parameter is when a call leaves it out (None: it has no default)."""
        located = self.facts.index.locate(function, "functions")
        if located is None:
            return None
        module, _, outline = located
        default = next((p[2] for p in outline["params"] if p[0] == param), None)
        return self.facts.resolver.resolve(default, module) if default is not None else None

    def _not_the_sink(
        self, call: cst.Call, candidates: Sequence[Sink], callee: Callee, written: str, scope: str | None
    ) -> SiteOutcome | None:
        """A call written with a sink's name that is not (or not known to be) the sink: a site
        only when it has a value at a position of one of those sinks, or, on a receiver whose
        type is not known, spreads one there (``manager.add(**data)``: it may be the sink)."""
        value = next(
            (v for s in candidates for v in [argument(call, s.spec.arg, s.spec.keyword)] if v is not None), None
        )
        if value is None and callee.untyped:
            spread = next((a for s in candidates if not s.generic for a in [_spread(call, s.spec)] if a is not None), None)
            value = spread.value if spread is not None else None
        if value is None:
            return None
        sink = candidates[0].call
        if callee.unknown is not None:
            return SiteOutcome(value, sink, written, True, SiteStatus.UNKNOWN_RECEIVER, callee.unknown, _source(self.facts, value))
        if callee.untyped and any(self.facts.resolver.index.locate(s.call, "functions") for s in candidates):
            # A library's object may be one of the project's classes (an ORM's query returns a model).
            made = " or ".join(sorted(_made(n) for n in callee.foreign))
            reason = f"the receiver's class is not known: {made}, made by a library; the project's methods of that name differ"
            return SiteOutcome(value, sink, written, True, SiteStatus.UNKNOWN_RECEIVER, reason, _source(self.facts, value))
        bound = self.facts.resolver.local_bindings(call.func.value, self.facts.module, scope) if isinstance(call.func, cst.Name) else []
        reason = _describe(callee, written, bound)
        return SiteOutcome(value, sink, written, True, SiteStatus.NOT_A_SINK, reason, _source(self.facts, value))

    def _unpacking(self, position: _Position) -> Resolution | None:
        """``emit(*ARGS)``, ``emit(**OPTIONS)`` of a tuple or dict written out (a constant, a
        class attribute, inline): what the item at the sink's position or keyword may be; None
        for a spread of anything else."""
        if position.unpacked is None:
            return None
        container, whole = self.facts.resolve(position.expr, position.scope)
        if whole.values or not whole.unknowns or any(u.elements is None for u in whole.unknowns):
            return None
        key = position.unpacked
        item = [Tag.SUBSCRIPT, container, [Tag.STRING, key] if isinstance(key, str) else [Tag.UNKNOWN, "a position"], key]
        facts = self.facts
        line = functools.partial(facts.lines, position.expr) if facts.lines is not None else None
        return facts.resolver.resolve(item, facts.module, position.scope, line)

    def _evaluate(self, position: _Position) -> SiteOutcome:
        facts = self.facts
        callee = _source(facts, position.call.func) if position.call is not None else self._attribute_name()
        site = _source(facts, position.expr)
        def outcome(status: SiteStatus, reason: str, **found: Any) -> SiteOutcome:
            return SiteOutcome(position.expr, position.sink, callee, position.call is not None, status, reason, site, **found)

        if position.spread is not None:
            wrapper = self._forwarder(position)
            if wrapper is not None:
                reason = f"forwarded: the callers of `{wrapper.function}` are checked"
                return outcome(SiteStatus.DELEGATED, reason, delegated=(wrapper,))
            written = self._unpacking(position)
            if written is None:
                spread = Unknown(position.spread)
                return outcome(SiteStatus.UNVERIFIABLE, spread.reason, unknown=(spread,))
            resolution = written
        else:
            _, resolution = facts.resolve(position.expr, position.scope)
        taken = self.members.get(position.sink)
        if taken is not None:
            resolution = _as_members(resolution, taken)
        values = _templated(resolution.values, position.templates, position.guards)
        if OVERFLOW in position.templates:
            many = f"the wrapper makes more than {MAX_TEMPLATES} different texts of the value (not all are followed)"
            resolution = Resolution(resolution.values, (*resolution.unknowns, Unknown(many)))
        bad = [value for value in values if not self._registered(value)]
        unknown: list[Unknown] = []
        if bad and position.owned:
            bad, alternative = self._alternatives(position, resolution.values)
            unknown.extend(alternative)
        delegated: list[DerivedSink] = []
        defaulted: list[str] = []
        for item in resolution.unknowns:
            wrapper = facts.wrapper(FAMILY, *item.param) if item.param is not None else None
            if wrapper is not None and (wrapper.callers > 0 or self._configured(wrapper)):
                delegated.append(wrapper)
            elif item.template is not None:
                continue  # in a template no call fills: its pattern (among the values) decides
            elif wrapper is not None and wrapper.dynamic is not None and wrapper.dynamic.settled:
                # Run only as a value handed on, and never given this parameter: its default
                # (resolved above, with the other values) is all it takes.
                defaulted.append(wrapper.dynamic.explain(_called_as(wrapper), wrapper.param))
            elif item.param is not None and wrapper is not None:
                unknown.append(Unknown(f"{item.reason}, {_uncalled(facts, wrapper)}", item.param))
            elif item.param is not None:
                unknown.append(Unknown(f"{item.reason} (its callers are not followed)", item.param))
            else:
                unknown.append(item)
        if bad:
            status, reason = SiteStatus.UNREGISTERED, ", ".join(repr(v.text) for v in bad)
        elif unknown and position.by_name:
            status = SiteStatus.UNKNOWN_RECEIVER
            reason = f"matched by the method's name (the receiver's type is unknown); {unknown[0].reason}"
        elif unknown:
            status, reason = SiteStatus.UNVERIFIABLE, "; ".join(dict.fromkeys(u.reason for u in unknown))
        elif delegated:
            # One wrapper may be reached through several of its templates: named once.
            wrappers = dict.fromkeys(d.function for d in delegated)
            status, reason = SiteStatus.DELEGATED, "the callers of " + ", ".join(f"`{w}`" for w in wrappers) + " are checked"
        else:
            status, reason = SiteStatus.VERIFIED, "; ".join(defaulted)
        return outcome(
            status, reason, bad=tuple(bad), unknown=tuple(unknown),
            values=values, delegated=tuple(delegated), together=position.call if position.templates else None,
        )

    def _configured(self, wrapper: DerivedSink) -> bool:
        """Whether the wrapper is itself one of the rule's sinks at the parameter whose value a
        site gets unchanged (label-studio's ``emit_webhooks(..., action)`` calls
        ``emit_webhooks_sync(..., action)``): every call of it is checked as a site, whether the
        project has one yet or not."""
        spec = wrapper.spec
        return any(
            (s.call == spec.call or (s.call.startswith("*.") and s.last_name == spec.last_name))
            and ((s.arg is not None and s.arg == spec.arg) or (s.keyword is not None and s.keyword == spec.keyword))
            for s in (sink.spec for sink in self.rule.sinks)
        )

    def _registered(self, value: Value) -> bool:
        if value.pattern is None:
            return value.text in self.rule.catalog
        matcher = re.compile(value.pattern, re.DOTALL)
        return any(matcher.fullmatch(t.code) for t in self.rule.catalog)

    def _alternatives(self, position: _Position, given: Sequence[Value]) -> tuple[list[Value], list[Unknown]]:
        """The unregistered texts of a call whose templates are alternatives by the class of its
        object (:attr:`_Position.owned`): those it makes of a value on an object of any class,
        and those every class makes of it; when only some classes' texts of a value are
        unregistered, why the call cannot be verified."""
        owned = dict(position.owned)
        free = tuple(t for t in position.templates if t not in owned)
        by_class: dict[str, list[Template]] = {}
        for template, classes in position.owned:
            for cls in classes:
                by_class.setdefault(cls, []).append(template)
        bad: list[Value] = []
        wrong: dict[str, set[str]] = {}
        for value in given:
            if free:
                bad.extend(v for v in _templated([value], free, position.guards) if not self._registered(v))
            failing = {
                cls: [v for v in _templated([value], tuple(templates), position.guards) if not self._registered(v)]
                for cls, templates in sorted(by_class.items())
            }
            if all(failing.values()):
                # Wrong whatever the object is: one finding of the value, not one per class.
                made = list(dict.fromkeys(v for found in failing.values() for v in found))
                first = made[0]
                if len(made) > 1:
                    others = ", ".join(repr(v.text) for v in made[1:3]) + (", ..." if len(made) > 3 else "")
                    hop = f"one of {len(made)} texts, one per class of the object, none registered (also {others})"
                    first = dataclasses.replace(first, chain=(*first.chain, hop))
                bad.append(first)
                continue
            for cls, found in failing.items():
                if found:
                    wrong.setdefault(cls, set()).update(v.text for v in found)
        if not wrong:
            return list(dict.fromkeys(bad)), []
        texts = sorted(set().union(*wrong.values()))
        named = ", ".join(f"`{cls.rpartition('.')[2]}`" for cls in sorted(wrong))
        reason = (
            f"the text depends on the class of `{position.receiver}`, which is not known: on an object of {named} "
            f"it is {', '.join(repr(t) for t in texts[:3])}{' and more' if len(texts) > 3 else ''}, not registered"
        )
        return list(dict.fromkeys(bad)), [Unknown(reason)]

    def _attribute_name(self) -> str:
        return "." + "/".join(sorted(self.rule.attributes))

    def _forwarder(self, position: _Position) -> DerivedSink | None:
        """The wrapper this ``*args``/``**kwargs`` forwarding call makes, when it is one."""
        if position.scope is None or not isinstance(position.expr, cst.Name):
            return None
        wrapper = self.facts.wrapper(FAMILY, f"{self.facts.module}.{position.scope}", position.expr.value)
        return wrapper if wrapper is not None and wrapper.callers > 0 else None

    def finish(self, facts: FileFacts) -> Iterable[Report]:
        rule = self.rule
        seen: set[tuple[int, str]] = set()
        # A value its call's arguments make together is reported at the first of them.
        for outcome in sorted(self.outcomes(), key=_argument_index):
            if rule.unverifiable:
                if outcome.status is SiteStatus.UNVERIFIABLE and outcome.call:
                    yield Report(outcome.node, rule.spec.format(expression=outcome.site, reason=outcome.reason))
                continue
            for value in outcome.bad:
                key = (id(outcome.together or outcome.node), value.text)
                if key not in seen:
                    seen.add(key)
                    yield Report(outcome.node, rule.message(value, outcome.site), _fix(rule, outcome.node, value))
