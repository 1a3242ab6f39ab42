"""Related managers: ``transaction.events.create(type=...)`` makes a row of the model whose
foreign key to ``transaction``'s class is named ``events`` on the other side.

A model configured as a sink (its constructor, by keyword) is made this way as often as through
its own manager, and the call names neither the model nor its manager. Django names the reverse
side of a ``ForeignKey`` or ``ManyToManyField`` (also wagtail's ``ParentalKey``) by the field's
``related_name`` (``%(class)s`` and ``%(app_label)s`` filled in), else ``<model>_set``; one that
ends in ``+`` has none. A model's own ``ManyToManyField`` or ``GenericRelation`` to the sink
model is a manager of sink rows too, by the field's name. Each becomes a related sink named ``<target class>.<related name>``
(``*.<related name>`` when the target cannot be told: ``settings.AUTH_USER_MODEL``, a string
naming a model the project does not hold), and a call of a manager method that makes a row
through it is a call of the model, checked only on a receiver that is the target class (or a
subclass), explained when the receiver's class is not known.
"""

from __future__ import annotations

from collections.abc import Container, Iterator

from opsux_lint.analysis.managers import MANAGER_CREATES
from opsux_lint.analysis.outline import Expr, Tag
from opsux_lint.analysis.resolver import Instance, Opaque, Resolver

ANY_TARGET = "*"
"""The target of a related sink whose target class cannot be told: any receiver."""
_FIELDS = frozenset({"ForeignKey", "ManyToManyField", "ParentalKey", "ParentalManyToManyField"})
_FORWARD = frozenset({"ManyToManyField", "ParentalManyToManyField", "GenericRelation"})
_MAX_BASES = 8
"""Abstract bases a model's fields are looked for in (``class Log(Stamped, Owned)``)."""


def related_sinks(resolver: Resolver, model: str) -> list[tuple[str, str]]:
    """``(related sink, field)`` for each relation of the project model ``model`` whose reverse
    side is a manager: the sink is ``<target class>.<related name>``, the field
    ``<class>.<field>`` that declares it."""
    if resolver.index.locate(model, "classes") is None:
        return []  # a function or a method sink (pretix's ``log_action``): no model, no relation
    found: list[tuple[str, str]] = []
    name = model.rpartition(".")[2]
    for cls, field, call in _relations(resolver, model):
        module = cls.rpartition(".")[0]
        related = _related_name(call, name, model.rpartition(".")[0])
        if related is None:
            continue
        target = _target(resolver, call, module, model)
        found.append((f"{target}.{related}", f"{cls}.{field}"))
    # The other side's own fields to the model: ``logs = ManyToManyField(AuditLog)``,
    # ``logs = GenericRelation(AuditLog)`` on ``Item`` make ``item.logs.create(...)`` a row.
    for module in resolver.index.mentioning([name]):
        summary = resolver.index.summary(module)
        for key, outline in summary["classes"].items() if summary is not None else ():
            for field, bindings in sorted(outline["members"].items()):
                if any(
                    value[0] == Tag.CALL and _written(value[1]) in _FORWARD
                    and _target(resolver, value, module, f"{module}.{key}") == model
                    for _, value in bindings
                ):
                    found.append((f"{module}.{key}.{field}", f"{module}.{key}.{field}"))
    return sorted(set(found))


def _relations(resolver: Resolver, model: str) -> Iterator[tuple[str, str, Expr]]:
    """``(class, field, call)`` of each relation field of ``model`` and of its project bases."""
    index = resolver.index
    todo: list[str] = [model]
    seen: set[str] = set()
    while todo and len(seen) < _MAX_BASES:
        cls = todo.pop(0)
        located = index.locate(cls, "classes") if cls not in seen else None
        seen.add(cls)
        if located is None:
            continue
        module, _, outline = located
        for field, bindings in sorted(outline["members"].items()):
            for _, value in bindings:
                if value[0] == Tag.CALL and _written(value[1]) in _FIELDS:
                    yield cls, field, value
        for base in outline["bases"]:
            todo.extend(t.cls for t in resolver.types(base, module) if isinstance(t, Instance) and t.cls not in seen)


def _written(func: Expr) -> str | None:
    if func[0] == Tag.ATTRIBUTE:
        return str(func[2])
    return str(func[1]) if func[0] == Tag.NAME else None


def _related_name(call: Expr, model: str, module: str) -> str | None:
    """The reverse side's name; None when it has none, or it is not a name written out."""
    given = call[3].get("related_name")
    if given is None:
        return f"{model.lower()}_set"
    if given[0] != Tag.STRING:
        return None
    text = str(given[1])
    if text.endswith("+"):
        return None
    parts = module.split(".")
    app = parts[parts.index("models") - 1] if "models" in parts[1:] else parts[-2] if len(parts) > 1 else parts[0]
    text = text.replace("%(class)s", model.lower()).replace("%(model_name)s", model.lower())
    text = text.replace("%(app_label)s", app.lower())
    return text if text.isidentifier() else None


def _target(resolver: Resolver, call: Expr, module: str, model: str) -> str:
    """The class the field points to, qualified; :data:`ANY_TARGET` when it cannot be told."""
    args, keywords = call[2], call[3]
    to = keywords.get("to") or (args[0] if args else None)
    if to is None:
        return ANY_TARGET
    if to[0] == Tag.STRING:
        return _named_model(resolver, str(to[1]), module, model)
    classes = {t.cls for t in resolver.types(to, module) if isinstance(t, Instance) and t.of_class}
    if len(classes) == 1:
        (cls,) = classes
        if resolver.index.locate(cls, "classes") is not None:
            return cls
    return ANY_TARGET


def _named_model(resolver: Resolver, written: str, module: str, model: str) -> str:
    """The project class a lazy reference names: ``"self"``, ``"Model"`` (of the model's own
    app) or ``"app_label.Model"``; only the modules that mention its name are outlined."""
    if written == "self":
        return model
    app, _, name = written.rpartition(".")
    if not name.isidentifier():
        return ANY_TARGET
    index = resolver.index
    own_app = module.rsplit(".", 1)[0] if "." in module else module
    found = []
    for candidate in index.mentioning([name]):
        if app and app not in candidate.split("."):
            continue
        if not app and not (candidate == module or candidate.startswith(f"{own_app}.")):
            continue
        summary = index.summary(candidate)
        if summary is not None and name in summary["classes"]:
            found.append(f"{candidate}.{name}")
    return found[0] if len(found) == 1 else ANY_TARGET


def related_base(func: Expr, names: Container[str]) -> Expr | None:
    """``[a, receiver, name]`` of ``receiver.name.create(...)`` (also after ``.filter(...)``)
    when ``name`` is one of ``names``: what the call makes a row through."""
    if func[0] != Tag.ATTRIBUTE or func[2] not in MANAGER_CREATES:
        return None
    base = func[1]
    while base[0] == Tag.CALL and base[1][0] == Tag.ATTRIBUTE:
        base = base[1][1]
    return base if base[0] == Tag.ATTRIBUTE and base[2] in names else None


def receiver_is(resolver: Resolver, receiver: Expr, module: str, scope: str | None, target: str) -> bool | str:
    """Whether ``receiver`` is an object of ``target`` (or of a subclass): True, False, or why
    it cannot be told. Any receiver is, for :data:`ANY_TARGET`."""
    if target == ANY_TARGET:
        return True
    items = resolver.types(receiver, module, scope)
    accepted = {target, *resolver.subclasses(target)}
    unknown = None
    for item in items:
        if isinstance(item, Instance) and not item.of_class:
            if item.cls in accepted:
                return True
        elif isinstance(item, Opaque):
            if item.foreign:  # an ORM's query returns the project's models
                unknown = unknown or f"it is {item.what}, made by a library"
        elif not isinstance(item, Instance):
            unknown = unknown or item.reason
    if not items:
        return "its class is not known"
    return unknown if unknown is not None else False
