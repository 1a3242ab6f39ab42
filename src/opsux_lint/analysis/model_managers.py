"""A model's manager classes: the rows their own methods make are the model's.

``class AuditLog(Model): objects = AuditLogManager()`` with ``def new(self, action, ...):
return self.create(action=action, ...)`` makes ``AuditLog.objects.new(action=...)`` a row of
``AuditLog``: a model configured as a sink is made through such a method as often as through
``create`` itself (readthedocs' ``AuditLog.objects.new``, ``Notification.objects.add``). In a
method of a manager class of the model (``objects = M()``, ``Q.as_manager()``,
``Manager.from_queryset(Q)()``), ``self.create(...)``, ``super().create(...)`` (and the other
methods that make a row) and ``self.model(...)`` make one; a method that passes its parameter
into one is a wrapper of the model.
"""

from __future__ import annotations

from opsux_lint.analysis.managers import MANAGER_CREATES
from opsux_lint.analysis.outline import Expr, FunctionOutline, Tag
from opsux_lint.analysis.resolver import Instance, Resolver

MAKES_ROW = MANAGER_CREATES | {"model"}
"""What a manager's method calls on itself to make a row (``self.model(...)`` constructs one)."""


def manager_classes(resolver: Resolver, model: str) -> list[str]:
    """The project classes of the managers the model ``model`` declares in its own body."""
    located = resolver.index.locate(model, "classes")
    if located is None:
        return []
    module, _, outline = located
    found: list[str] = []
    for _, bindings in sorted(outline["members"].items()):
        for _, value in bindings:
            if value[0] != Tag.CALL:
                continue
            for item in resolver.types(value, module):
                if isinstance(item, Instance) and not item.of_class and resolver.index.locate(item.cls, "classes") is not None:
                    found.append(item.cls)
    return sorted(set(found))


def makes_row(func: Expr, key: str, function: FunctionOutline) -> bool:
    """Whether ``func``, called in the method ``key``, makes a row of its own manager's model:
    ``self.create``, ``super().get_or_create``, ``self.model``."""
    params = function["params"]
    if function.get("kind") != "method" or not params or func[0] != Tag.ATTRIBUTE or func[2] not in MAKES_ROW:
        return False
    receiver = func[1]
    own = receiver == [Tag.NAME, params[0][0]]
    return bool(own or (func[2] != "model" and receiver[0] == Tag.CALL and receiver[1] == [Tag.NAME, "super"]))
