"""Rows a Django manager makes: ``Model.objects.create(action=...)`` is ``Model(action=...)``.

A model configured as a sink (its constructor, by keyword) is made this way far more often
than by calling the class: ``create``, ``get_or_create`` and ``update_or_create`` of its manager
(also after ``.using(...)`` or ``.filter(...)``, and of a custom manager, ``Model.events``) take
the fields by keyword, the last two also
in ``defaults={...}``. The outline records such a call as a call of the model, so a function that
passes its parameter into one is a wrapper; the matcher finds the values
(:mod:`opsux_lint.matchers.managers`).
"""

from __future__ import annotations

import ast

MANAGER_CREATES = frozenset({"create", "get_or_create", "update_or_create", "acreate", "aget_or_create", "aupdate_or_create"})
"""Django's manager methods that make a row of the model with the fields they are given."""
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
"""The names a model's manager is reached by, whatever the model is called."""


def is_manager(model: str, attr: str) -> bool:
    """Whether ``<model>.<attr>`` is a manager of the model ``model`` names (its last name): one
    of :data:`MANAGERS`, or a custom manager (``events = AuditManager()``), an attribute of a
    class whose name is capitalized that is not a nested class itself."""
    return attr in MANAGERS or (model[:1].isupper() and not attr[:1].isupper())


def managed(node: ast.Call) -> ast.expr | None:
    """The model of ``Model.objects.create(...)``, if ``node`` is such a call."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in MANAGER_CREATES):
        return None
    base = func.value
    while isinstance(base, ast.Call) and isinstance(base.func, ast.Attribute):
        base = base.func.value
    if not isinstance(base, ast.Attribute):
        return None
    model = base.value
    name = model.attr if isinstance(model, ast.Attribute) else model.id if isinstance(model, ast.Name) else ""
    return model if is_manager(name, base.attr) else None
