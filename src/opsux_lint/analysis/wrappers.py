"""Wrapper sinks: functions and methods that pass a value of their own on into a sink position.

``def launch(svc, tenant, kind): return svc.start(tenant, kind)`` makes ``launch``'s ``kind`` an
operation-type position: its callers are checked instead of the forwarding call. So does a
forwarder, ``def trigger(self, *args, **kwargs): return sink(*args, **kwargs)``: the sink's
positions shift by the parameters before ``*args`` (and ``self``/``cls`` for calls through an
instance), its keywords pass through ``**kwargs``. A value reaches the forwarding call directly
or through locals (``kind = kind or DEFAULT``); derivation repeats until nothing new is found, so
wrappers of wrappers are sinks too. Methods are sinks by their qualified name
(``app.plugins.Manager.trigger``) and matched through the receiver's type, or, on a receiver of
unknown class, by name among the project's methods whose signature takes the call
(:func:`named_sinks`). A constructor wrapper is a sink under the name of every subclass that
inherits it (``Sub(...)`` runs ``Base.__init__``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from opsux_lint.analysis.dynamic import DynamicUses
from opsux_lint.analysis.factories import returned_sinks
from opsux_lint.analysis.handing import ADAPTERS
from opsux_lint.analysis.model_managers import makes_row, manager_classes
from opsux_lint.analysis.outline import (
    Expr,
    FunctionOutline,
    Summary,
    Tag,
    adapted_callable,
    callee_text,
    name_chain,
    partial_parts,
)
from opsux_lint.analysis.related import (
    receiver_is,
    related_base,
    related_sinks,
)
from opsux_lint.analysis.resolver import Resolver
from opsux_lint.analysis.sinks import (
    ALIAS,
    FACTORY,
    MATCHED_APART,
    OVERFLOW,
    PLAIN,
    RELATED,
    ROWS,
    DerivedSink,
    Guard,
    SinkSpec,
    Template,
)
from opsux_lint.analysis.values import Callee, CallShape

_MAX_ROUNDS = 32
"""Wrapper levels derived (each round finds the callers of the last one's wrappers; a round
that adds nothing ends it sooner). Ten cut a Sentry-shaped chain of eleven: its caller's value
was OPS008 "its callers are not followed"."""
MAX_TEMPLATES = 64
"""Templates kept per wrapper (a recursive one would add a longer one every round; pretalx's
log_action writes each of its 16 models' prefixes). The rest become :data:`OVERFLOW`: never
dropped, which would verify a value the sink may get otherwise."""

def written_name(func: Expr) -> str | None:
    """The name a callee is written with: ``start`` for ``service.start`` and for ``start``."""
    if func[0] == Tag.ATTRIBUTE:
        return str(func[2])
    if func[0] == Tag.NAME:
        return str(func[1])
    return None


def callee_is(sink: SinkSpec, func: Expr, callee: Callee, resolver: Resolver | None = None) -> bool:
    """Whether the call may be of ``sink``: by its name, or (with ``resolver``) as an override of
    the method it calls on an object of a base class."""
    if sink.call.startswith("*."):
        return written_name(func) == sink.last_name
    if sink.call in callee.names:
        return True
    return resolver is not None and bool(callee.virtual) and resolver.may_dispatch_to(sink.call, callee.virtual)


def named_sinks(resolver: Resolver, name: str, shape: CallShape, sinks: Collection[str]) -> tuple[str, ...]:
    """The sinks a call ``x.name(...)`` on a receiver of unknown type is checked against.

    Nothing tells which class ``x`` is of, so the candidates are the project's methods called
    ``name`` whose signature takes the call. The call is checked when every candidate is one of
    ``sinks`` (then against each), or when the candidates are one family, a method and its
    overrides, whose top is a sink. Otherwise it may be a method that is no sink: an unknown
    receiver. Dunder methods are never matched by name (``__init__`` is every class's)."""
    if name.startswith("__"):
        return ()
    if not any(resolver.index.locate(sink, "functions") is not None for sink in sinks if sink.endswith(f".{name}")):
        # No sink is a method of the project (opsux's own API, ``*.name``): nothing to match,
        # and no need to outline every module that mentions a name as common as ``label``.
        return ()
    methods = [m for m in resolver.methods_named(name) if resolver.accepts(m, shape)]
    matched = tuple(m for m in methods if m in sinks)
    if not matched:
        return ()
    if len(matched) == len(methods):
        return matched
    top = resolver.family_top(methods)
    return matched if top is not None and top in sinks else ()


def derive_sinks(resolver: Resolver, base: Sequence[SinkSpec], templated: bool = False) -> tuple[DerivedSink, ...]:
    """Functions that pass a value of theirs into a sink, to a fixpoint. ``templated``: also
    those that pass it inside a template (``f"inventory.{kind}"``), for sinks of strings."""
    index = resolver.index
    base = [sink for sink in base if _reachable(resolver, sink)]
    sinks: list[SinkSpec] = list(base)
    derived: dict[tuple[str, str], tuple[SinkSpec, str]] = {}
    inherited: dict[tuple[str, str], list[SinkSpec]] = {}
    templates: dict[SinkSpec, set[Template]] = {spec: {PLAIN} for spec in base}
    guards: dict[SinkSpec, dict[Template, Guard]] = {}
    owned: dict[SinkSpec, dict[Template, frozenset[str]]] = {}
    """The templates made only on objects of some classes (:attr:`DerivedSink.owners`)."""
    rows: dict[str, list[SinkSpec]] = {}
    """The model sinks whose rows the methods of a manager class make (:mod:`.model_managers`)."""
    related: dict[str, list[SinkSpec]] = {}
    """Related sinks (``transaction.events.create(type=...)``) by related name: matched by the
    receiver's class, never by the name a call writes, so not among ``sinks``."""
    for sink in base:
        # A class configured as the sink: its subclasses that keep its constructor construct
        # the same way (readthedocs' BuildUserError(message_id=...) of NotificationBaseException).
        for sub in _keeping_constructor(resolver, sink.call):
            if (sub, ALIAS) not in derived:
                spec = SinkSpec(sub, sink.arg, sink.keyword)
                derived[(sub, ALIAS)] = (spec, sink.call)
                sinks.append(spec)
                templates[spec] = {PLAIN}
        if templated and sink.keyword is not None and not sink.call.startswith("*."):
            for manager in manager_classes(resolver, sink.call):
                rows.setdefault(manager, []).append(sink)
                derived[(manager, ROWS)] = (SinkSpec(manager, None, sink.keyword), sink.call)
            for call, field in related_sinks(resolver, sink.call):
                spec = SinkSpec(call, None, sink.keyword)
                derived[(field, RELATED)] = (spec, sink.call)
                related.setdefault(spec.last_name, []).append(spec)
                templates[spec] = {PLAIN}
    # Class sinks a function may return (``return AuditLog``): called through its result.
    class_sinks = {s.call: s for s in base if not s.call.startswith("*.") and resolver.index.locate(s.call, "classes") is not None}
    for _ in range(_MAX_ROUNDS):
        by_name: dict[str, list[SinkSpec]] = {}
        for sink in sinks:
            by_name.setdefault(sink.last_name, []).append(sink)
        added = False
        # Only a module that mentions a sink's name can call it: the others are never outlined.
        managers = [m.rpartition(".")[2] for m in rows]
        for module, entry in index.entries(index.mentioning([*by_name, *related, *managers])):
            for name, sink, (arg, keyword) in _aliases(resolver, module, entry.summary, by_name):
                alias = f"{module}.{name}"
                if (alias, ALIAS) not in derived:
                    spec = SinkSpec(alias, arg, keyword)
                    derived[(alias, ALIAS)] = (spec, sink.call)
                    sinks.append(spec)
                    templates[spec] = set(templates.get(sink, {PLAIN}))
                    added = True
            for key, function in entry.summary["functions"].items():
                if templated and class_sinks and function["results"] and (f"{module}.{key}", FACTORY) not in derived:
                    for returned in returned_sinks(resolver, module, key, function, class_sinks):
                        given = class_sinks[returned]
                        derived[(f"{module}.{key}", FACTORY)] = (SinkSpec(f"{module}.{key}", given.arg, given.keyword), returned)
                of_class = f"{module}.{key.rpartition('.')[0]}"
                for func, position, keyword, value, line, star in function["passes"]:
                    through = related_base(func, related) if related else None
                    if of_class in rows and makes_row(func, key, function):
                        reached = list(rows[of_class])  # ``self.create(action=action)`` in a manager's method
                    elif through is not None:
                        reached = [
                            sink for sink in related[str(through[2])]
                            if receiver_is(resolver, through[1], module, key, sink.call.rpartition(".")[0]) is True
                        ]
                    else:
                        written = written_name(func) or ""
                        candidates = by_name.get(written, [])
                        # ``super().__init__(...)`` in a subclass's constructor calls the parent's:
                        # a constructor sink of the parent class, named by neither.
                        if not candidates and written != "__init__":
                            continue
                        callee = resolver.callee(func, module, key)
                        if written == "__init__":
                            candidates = [*candidates, *(s for s in sinks if f"{s.call}.__init__" in callee.names)]
                        named = _named(resolver, module, key, entry.summary, func, callee, position, keyword, star, candidates)
                        reached = [
                            sink for sink in candidates
                            if callee_is(sink, func, callee, resolver) or f"{sink.call}.__init__" in callee.names or sink.call in named
                        ]
                    for sink in reached:
                        # Through ``self`` (or ``super()``) the sink runs on this method's object:
                        # of its templates made on objects of some classes, those this class's
                        # objects may make, each still only on those (its callers' receivers tell).
                        inner = owned.get(sink, {})
                        on = _own_object(func, module, key, function) if inner else None
                        mine = resolver.owners_for(on, frozenset().union(*inner.values())) if on is not None else None
                        for owner, param, spec, around, guard, made_by in _wrapper_specs(resolver, module, key, function, sink, position, keyword, value, star, line):
                            if around != PLAIN and not templated:
                                continue
                            if (owner, param) in derived:
                                spec = derived[(owner, param)][0]
                            else:
                                derived[(owner, param)] = (spec, sink.call)
                                sinks.append(spec)
                                added = True
                                for sub in _inheriting(resolver, owner):
                                    # ``Sub(...)`` runs the inherited constructor: a sink of its own name.
                                    sub_spec = SinkSpec(sub, spec.arg, spec.keyword)
                                    inherited.setdefault((owner, param), []).append(sub_spec)
                                    derived[(f"{sub}.__init__", param)] = (sub_spec, spec.call)
                                    sinks.append(sub_spec)
                            # The sink's own templates, around what this wrapper writes around its parameter.
                            made_on, tests = _templates_made(
                                templates.get(sink, {PLAIN}), guards.get(sink, {}), inner, mine, around, guard, made_by,
                            )
                            made = set(made_on)
                            restriction = owned.setdefault(spec, {})
                            for template, classes in made_on.items():
                                if template not in templates.get(spec, set()):
                                    if classes is not None:
                                        restriction[template] = classes
                                elif template in restriction:
                                    if classes is None:
                                        del restriction[template]  # made on any object too
                                    else:
                                        restriction[template] |= classes
                            conditions = guards.setdefault(spec, {})
                            for template in made:
                                if template not in templates.get(spec, set()):
                                    conditions.setdefault(template, tests[template])
                                if conditions.get(template, ()) != tests[template]:
                                    conditions[template] = ()  # made both ways: for any value
                            have = templates.setdefault(spec, set())
                            if not made <= have:
                                if len(have | made) > MAX_TEMPLATES:
                                    made = {OVERFLOW, *(t for t in made if t == PLAIN)}
                                if not made <= have:
                                    have |= made
                                    added = True
                                    for sub_spec in inherited.get((owner, param), ()):
                                        templates.setdefault(sub_spec, set()).update(made)
        if not added:
            break
    wildcards = frozenset(s.last_name for s in base if s.call.startswith("*."))
    callers = _callers(resolver, {spec for spec, _ in derived.values()}, wildcards, frozenset(s.call for s in sinks))
    found: list[DerivedSink] = []
    dynamic_uses = DynamicUses(resolver)
    for (wrapper, param), (spec, via) in sorted(derived.items()):
        subs = inherited.get((wrapper, param), ())
        # Calls of a subclass that inherits the constructor are calls of this one.
        count = _count(callers, spec) + sum(_count(callers, sub) for sub in subs)
        dynamic = None
        if not count and wrapper.endswith(".__init__"):
            count = _super_calls(resolver, spec.call)
        if not count and param != ALIAS and param not in MATCHED_APART:
            targets = frozenset({spec.call, *(sub.call for sub in subs)})
            dynamic = dynamic_uses.use(wrapper, param, targets, spec.keyword, by_position=spec.arg is not None)
        kept = tuple(sorted(templates.get(spec, {PLAIN})))
        conditions = guards.get(spec, {})
        guarded = tuple((t, conditions[t]) for t in kept if conditions.get(t))
        restriction = owned.get(spec, {})
        only_on = tuple((t, tuple(sorted(restriction[t]))) for t in kept if t in restriction)
        found.append(DerivedSink(spec, wrapper, param, count, via, dynamic, kept, guarded, only_on))
    return tuple(found)


def _reachable(resolver: Resolver, sink: SinkSpec) -> bool:
    """Whether the project can give ``sink`` a value: it is one of its own, or a module of the
    project names the sink's package (an import of it, or of what re-exports it); and, for a
    sink given its value by keyword only, some module writes the keyword (``kind=``, a
    ``{"kind": ...}`` spread). opsux's own API in a project that never imports ``opsux_core``
    has no wrapper to derive, and deriving them outlined every module that mentions ``start``
    or ``label``."""
    index = resolver.index
    if sink.arg is None and sink.keyword is not None and not index.mentioning([sink.keyword]):
        return False  # given by keyword only, and nothing in the project writes that word
    if sink.call.startswith("*."):
        return True
    parts = sink.call.split(".")
    if any(".".join(parts[:end]) in index for end in range(1, len(parts))):
        return True
    canonical = resolver.api.canonical(sink.call).split(".")[0]
    return bool(index.mentioning(dict.fromkeys({parts[0], canonical})))


def _aliases(
    resolver: Resolver, module: str, summary: Summary, by_name: Mapping[str, Sequence[SinkSpec]]
) -> Iterator[tuple[str, SinkSpec, tuple[int | None, str | None]]]:
    """Names bound to a sink: module-level names (``send = emit``), instance attributes
    (``self.emit = events.emit``) and class members (``announce = emit``,
    ``announce = staticmethod(emit)``, ``announce = partial(emit, payload)``),
    bound to the sink itself or to a ``functools.partial`` of it (``send = partial(emit,
    payload)``: the sink's positions move by what it binds). A call of the name is a call of
    the sink, from this module or any that imports it. Every binding must be that one sink; a
    name also bound to something else is left alone. Sinks of any receiver (``*.name``) are
    matched by the name a call writes, so an alias of one cannot be told from other calls."""
    # ``[line, value]`` of a module's names; ``[line, value, annotation, method]`` of an
    # instance's attributes (``self.emit = events.emit``), read in the method that assigns.
    bound: list[tuple[str, list[list[Any]]]] = list(summary["assign"].items())
    bound += [(f"{key}.{attr}", bindings) for key, info in summary["classes"].items() for attr, bindings in info["attrs"].items()]
    # A class's ``notify = staticmethod(emit)`` or ``notify = partial(emit, payload)`` (a
    # partial is no descriptor), called through the class or an instance alike, and its plain
    # ``notify = emit``, which an instance is passed to first: the positions are the class's,
    # the matcher moves them for a call through an instance.
    bound += [
        (f"{key}.{attr}", bindings) for key, info in summary["classes"].items() for attr, bindings in info["members"].items()
        if all(
            value[0] in (Tag.NAME, Tag.ATTRIBUTE)
            or (value[0] == Tag.CALL and written_name(value[1]) in ("staticmethod", "partial", *ADAPTERS))
            for _, value in bindings
        )
    ]
    yield from _reexports(resolver, module, summary, by_name)
    for name, bindings in bound:
        found: tuple[SinkSpec, tuple[int | None, str | None]] | None = None
        for binding in bindings:
            scope = str(binding[3]) if len(binding) > 3 else None
            aliased = _aliased_sink(resolver, module, binding[1], scope, by_name)
            if aliased is None or (found is not None and aliased != found):
                found = None
                break
            found = aliased
        if found is not None and found[0].call != f"{module}.{name}":
            yield name, *found


def _reexports(
    resolver: Resolver, module: str, summary: Summary, by_name: Mapping[str, Sequence[SinkSpec]]
) -> Iterator[tuple[str, SinkSpec, tuple[int | None, str | None]]]:
    """A module's names for a sink it imports under another name (``from app.core import emit
    as fire`` in ``app/events.py``): callers import ``fire`` from this module and write only
    that name (a re-export under the sink's own name is followed by :meth:`Resolver.reexported`).
    A name the module also defines or assigns is left alone (the module rebinds it)."""
    own = {*summary["defs"], *summary["assign"]}
    for name, bindings in summary["imports"].items():
        if name in own:
            continue
        for binding in bindings:
            if binding[0] != "f" or binding[2] == name:
                continue
            _, source, imported = binding
            for sink in by_name.get(imported, ()):
                if sink.call in resolver.reexported([f"{source}.{imported}"]):
                    yield name, sink, (sink.arg, sink.keyword)


def _aliased_sink(
    resolver: Resolver, module: str, value: Expr, scope: str | None, by_name: Mapping[str, Sequence[SinkSpec]]
) -> tuple[SinkSpec, tuple[int | None, str | None]] | None:
    """The sink ``value`` is, if any, and where a call of ``value`` gives the sink's value:
    the sink's own position and keyword, moved by what a ``functools.partial`` binds."""
    bound = 0
    if value[0] == Tag.CALL and written_name(value[1]) == "staticmethod" and len(value[2]) == 1 and not value[4]:
        value = value[2][0]
    # ``record = sync_to_async(emit)``, ``export_later = export.delay``: the same arguments.
    value = adapted_callable(value) or resolver.task_run_target(value, module, scope) or value
    if value[0] == Tag.CALL:
        # The written name first (:func:`partial_parts`): resolving the callee of every
        # assignment from a call would cost as much as the rest of derivation.
        parts = partial_parts(value)
        if parts is None or resolver.partial_target(value, module, scope) is None:
            return None
        _, value, bound = parts
    if value[0] not in (Tag.NAME, Tag.ATTRIBUTE):
        return None
    candidates = [s for s in by_name.get(written_name(value) or "", ()) if not s.call.startswith("*.")]
    if not candidates:
        return None
    callee = resolver.callee(value, module, scope)
    sink = next((s for s in candidates if callee_is(s, value, callee)), None)
    if sink is None:
        return None
    # The value's position, if the partial leaves it to the call; its keyword, which a call may
    # give even where the partial gave it (the partial's own value is checked where it is made).
    arg = sink.arg - bound if sink.arg is not None and sink.arg >= bound else None
    return (sink, (arg, sink.keyword)) if arg is not None or sink.keyword is not None else None


def _super_calls(resolver: Resolver, cls: str) -> int:
    """The modules whose subclasses of ``cls`` call its constructor themselves
    (``super().__init__(...)``, ``Base.__init__(self, ...)``): callers no name search finds."""
    modules: set[str] = set()
    for sub in resolver.subclasses(cls):
        located = resolver.index.locate(sub, "classes")
        if located is None:
            continue
        module, key, _ = located
        summary = resolver.index.summary(module)
        assert summary is not None
        inside = f"{key}."
        calls: list[tuple[str, Expr]] = [
            (scope, func) for scope, func, _ in summary.get("computed", {}).get("__init__", ()) if scope.startswith(inside)
        ]
        for text, scopes in summary["callees"].items():
            if text.endswith(".__init__"):
                func = name_chain(text.split("."))
                calls.extend((scope, func) for scope in scopes if scope.startswith(inside))
        if any(cls in resolver.callee(func, module, scope).names for scope, func in calls):
            modules.add(module)
    return len(modules)


def _keeping_constructor(resolver: Resolver, cls: str) -> list[str]:
    """The subclasses of the project class ``cls`` whose constructor is ``cls``'s."""
    if cls.startswith("*.") or resolver.index.locate(cls, "classes") is None:
        return []
    constructor = resolver.method_owner(cls, "__init__")
    return [sub for sub in resolver.subclasses(cls) if resolver.method_owner(sub, "__init__") == constructor]


def _inheriting(resolver: Resolver, function: str) -> list[str]:
    """The subclasses that inherit ``function`` when it is a class's ``__init__``."""
    if not function.endswith(".__init__"):
        return []
    cls = function.rpartition(".")[0]
    return [sub for sub in resolver.subclasses(cls) if resolver.method_owner(sub, "__init__") == function]


def _named(
    resolver: Resolver, module: str, key: str, summary: Summary, func: Expr, callee: Callee,
    position: int | None, keyword: str | None, star: str, candidates: Sequence[SinkSpec],
) -> frozenset[str]:
    """The sinks a call on a receiver of unknown type is matched to by name (:func:`named_sinks`),
    for a call of that callee that passes a value at this position.

    The function making the call counts as a sink among the candidates: a method that hands its
    parameter to the same-named method of another object (``self.content_object.publish(...)``
    in ``Revision.publish``) reaches either a sink or itself, and so is a wrapper."""
    if not candidates or func[0] != Tag.ATTRIBUTE or not callee.untyped:
        return frozenset()
    if any(s.call.startswith("*.") for s in candidates):
        return frozenset()  # ``*.name``: every call of that name is the sink's already
    text = callee_text(func)
    if text is not None:
        shapes = summary.get("shapes", {}).get(text, [])
    else:
        computed = summary.get("computed", {}).get(str(func[2]), ())
        shapes = [shape for scope, called, shape in computed if scope == key and called == func]
    sinks = frozenset(s.call for s in candidates) | {f"{module}.{key}"}
    found: set[str] = set()
    for data in shapes:
        shape = CallShape.from_json(data)
        passes = star != "" or (keyword in shape.keywords if keyword is not None else position is not None and position < shape.positional)
        if passes or shape.spread:
            found.update(named_sinks(resolver, str(func[2]), shape, sinks))
    return frozenset(found)


def _count(callers: Mapping[str, int], spec: SinkSpec) -> int:
    count = callers.get(spec.call, 0)
    if spec.call.endswith(".__init__"):
        count += callers.get(spec.call.rpartition(".")[0], 0)
    return count


def _wrapper_specs(
    resolver: Resolver, module: str, key: str, function: FunctionOutline,
    sink: SinkSpec, position: int | None, keyword: str | None, value: Expr, star: str, line: int,
) -> Iterable[tuple[str, str, SinkSpec, Template, Guard, str | None]]:
    """``(function, parameter, sink, template, guard, owner)`` for each parameter whose value
    reaches the sink here (``owner``: :attr:`Unknown.owner`)."""
    call = f"{module}.{key}"
    if star:
        if _callable_by_name(resolver, call):
            spec = _forwarded(function, call, sink, position, str(value[1]), star, keyword)
            if spec is not None:
                yield call, str(value[1]), spec, PLAIN, (), None
        return
    if keyword is not None:
        if sink.keyword != keyword:
            return
    elif position is None or sink.arg != position:
        return
    # Which parameters may the value passed here be? This function's own (through locals and
    # conditionals), or - for ``self.attr`` - those of the method that assigned the attribute.
    for unknown in resolver.resolve(value, module, key, line).unknowns:
        if unknown.param is None:
            continue
        owner, param = unknown.param
        spec = _parameter_spec(resolver, owner, param)
        if spec is not None:
            yield owner, param, spec, unknown.template or PLAIN, unknown.guard, unknown.owner


def _templates_made(
    made: Iterable[Template], tested: Mapping[Template, Guard], inner: Mapping[Template, frozenset[str]],
    mine: frozenset[str] | None, around: Template, guard: Guard, made_by: str | None,
) -> tuple[dict[Template, frozenset[str] | None], dict[Template, Guard]]:
    """What a wrapper makes of the sink's templates ``made`` (their guards ``tested``, the classes
    on whose objects alone ``inner`` makes some) when it writes ``around`` its parameter (under
    ``guard``; ``made_by``: the class whose definition gave that text): each template, with the
    classes on whose objects alone it is made (None: any) and the tests a value must pass.
    ``mine``: when the sink runs on the wrapper's own object, the classes that object may have
    the definitions of; a template only others make is not made."""
    made_on: dict[Template, frozenset[str] | None] = {}
    tests: dict[Template, Guard] = {}
    for t in made:
        classes = inner.get(t) if mine is not None else None
        if classes is not None and mine is not None and not classes & mine:
            continue  # never made on this method's object
        new = t if t == OVERFLOW else (t[0] + around[0], around[1] + t[1])
        # Made only on some classes' objects: by the sink's templates (through ``self``) or by
        # what this wrapper writes around (``self.prefix``), not both.
        restricted = classes if made_by is None else frozenset({made_by}) if classes is None else None
        made_on[new] = restricted if new not in made_on or made_on[new] == restricted else None
        # A template made under a test of this wrapper's parameter applies to the values that
        # pass it; so does the sink's own, when the sink gets the parameter as it is (a
        # forwarder: ``super().log_action(action)``).
        test = (*guard, *tested.get(t, ())) if around == PLAIN else guard
        tests[new] = test if tests.get(new, test) == test else ()
    return made_on, tests


def _own_object(func: Expr, module: str, key: str, function: FunctionOutline) -> str | None:
    """The class of the method ``key`` when ``func`` calls a method of its own object
    (``self.log_action``, ``super().log_action``); None otherwise."""
    params = function["params"]
    if function.get("kind") != "method" or not params or func[0] != Tag.ATTRIBUTE or "." not in key:
        return None
    receiver = func[1]
    if receiver == [Tag.NAME, params[0][0]] or (receiver[0] == Tag.CALL and receiver[1] == [Tag.NAME, "super"]):
        return f"{module}.{key.rpartition('.')[0]}"
    return None


def _callable_by_name(resolver: Resolver, qualified: str) -> bool:
    located = _function(resolver, qualified)
    if located is None:
        return False
    module, key, _ = located
    parent = key.rpartition(".")[0]
    summary = resolver.index.summary(module)
    # A nested function cannot be called from elsewhere by name; a method or a module function can.
    return not parent or (summary is not None and parent in summary["classes"])


def _function(resolver: Resolver, qualified: str) -> tuple[str, str, FunctionOutline] | None:
    return resolver.index.locate(qualified, "functions")


def _positional(function: FunctionOutline) -> list[list[Any]]:
    """The parameters a caller fills by position (``self``/``cls`` filled by the instance, a
    bound task's ``self`` by Celery)."""
    positional = [p for p in function["params"] if p[1] in ("pos", "posonly")]
    if (function.get("kind") in ("method", "classmethod") or function.get("bound")) and positional:
        positional = positional[1:]
    return positional


def _call_name(qualified: str) -> str:
    # ``Class.__init__``'s callers call the class (``Class(...)``); ``super().__init__(...)``
    # in a subclass calls ``Class.__init__`` itself: both are counted for the wrapper.
    return qualified.rpartition(".")[0] if qualified.endswith(".__init__") else qualified


def _parameter_spec(resolver: Resolver, qualified: str, param: str) -> SinkSpec | None:
    if not _callable_by_name(resolver, qualified):
        return None
    located = _function(resolver, qualified)
    assert located is not None
    _, _, function = located
    params = function["params"]
    entry = next((p for p in params if p[0] == param), None)
    if entry is None or entry[1] in ("var", "varkw"):
        return None
    if (function.get("kind") in ("method", "classmethod") or function.get("bound")) and params and params[0][0] == param:
        return None
    arg = next((i for i, p in enumerate(_positional(function)) if p[0] == param), None)
    return SinkSpec(_call_name(qualified), arg, None if entry[1] == "posonly" else param)


def _forwarded(
    function: FunctionOutline, call: str, sink: SinkSpec, position: int | None, name: str, star: str,
    keyword: str | None = None,
) -> SinkSpec | None:
    """The sink a ``*args``/``**kwargs`` forwarder makes: positions shifted by the parameters
    before ``*args``, keywords passed through ``**kwargs`` (``position`` and ``keyword`` as the
    outline's ``passes`` have them)."""
    params = function["params"]
    positional = _positional(function)
    vararg = next((p for p in params if p[1] == "var"), None)
    varkw = next((p for p in params if p[1] == "varkw"), None)
    if star == "*":
        if vararg is None or vararg[0] != name or sink.arg is None or position is None or sink.arg < position:
            return None
        forwarded_keyword = sink.keyword if varkw is not None else None
        return SinkSpec(_call_name(call), len(positional) + sink.arg - position, forwarded_keyword)
    if varkw is None or varkw[0] != name or sink.keyword is None:
        return None
    if any(p[0] == sink.keyword for p in params):
        return None  # a named parameter of the wrapper catches that keyword before **kwargs
    # ``Event.new(EventAction.X, **kwargs)``: the call gives the value itself, by position or by
    # name; **kwargs giving it again would be a TypeError.
    given, named = position, keyword.split(",") if keyword else []
    if sink.keyword in named or (sink.arg is not None and given is not None and sink.arg < given):
        return None
    arg = len(positional) + sink.arg if vararg is not None and sink.arg is not None else None
    return SinkSpec(_call_name(call), arg, sink.keyword)


def _callers(
    resolver: Resolver, specs: Iterable[SinkSpec], wildcards: frozenset[str] = frozenset(), every: frozenset[str] = frozenset()
) -> dict[str, int]:
    """How many modules call each wrapper (resolved like any callee: a method through the
    receiver's type, so ``job.run()`` is no caller of ``Scheduler.run``; on a receiver of
    unknown type by name, :func:`named_sinks` among ``every`` sink). A method named like a
    ``*.name`` sink is called wherever that name is: those calls are sites of their own."""
    index = resolver.index
    wanted: dict[str, list[str]] = {}
    for spec in specs:
        wanted.setdefault(spec.last_name, []).append(spec.call)
    counts: dict[str, int] = {}
    for module, entry in index.entries(index.mentioning(wanted)):
        found: set[str] = set()
        shapes = entry.summary.get("shapes", {})
        for text, scopes in entry.summary["callees"].items():
            calls = wanted.get(text.rsplit(".", 1)[-1])
            if not calls:
                continue
            parts = text.split(".")
            if len(parts) > 1 and text.rsplit(".", 1)[-1] in wildcards:
                found.update(calls)  # called by that name on anything: no need to resolve it
                continue
            e = name_chain(parts)
            for scope in scopes:
                callee = resolver.callee(e, module, scope or None)
                found.update(call for call in calls if call in callee.names)
                if callee.untyped and len(parts) > 1:
                    # An object of unknown type: the methods of that name its calls can be.
                    for shape in shapes.get(text, ()):
                        found.update(named_sinks(resolver, parts[-1], CallShape.from_json(shape), every | frozenset(calls)))
        for path in entry.summary.get("paths", {}):
            # ``async_task("app.jobs.launch", kind)``: the runner imports it by that path.
            calls = wanted.get(path.rsplit(".", 1)[-1])
            if calls:
                named = resolver.reexported([path])
                found.update(call for call in calls if call in named)
        for name, calls in wanted.items():
            for scope, func, shape in entry.summary.get("computed", {}).get(name, ()):
                if name in wildcards:
                    found.update(calls)
                    break
                callee = resolver.callee(func, module, scope or None)
                found.update(call for call in calls if call in callee.names)
                if callee.untyped:
                    found.update(named_sinks(resolver, name, CallShape.from_json(shape), every | frozenset(calls)))
        for call in found:
            counts[call] = counts.get(call, 0) + 1
    return counts
