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
MANAGER_ROWS = frozenset({"create", "get", "first", "last", "latest", "earliest", "get_or_create", "update_or_create"})
"""The manager (or query) methods whose result is a row of the model (a pair with it, the last two)."""
QUERY_STEPS = frozenset({
    "all", "filter", "exclude", "order_by", "using", "select_related", "prefetch_related", "annotate", "only", "defer",
    "select_for_update", "distinct", "alias",
})
"""The query methods that keep the model: ``Model.objects.filter(...).first()`` is a row of it."""
MANAGERS = frozenset({"objects", "_default_manager", "_base_manager"})
"""The names a model's manager is reached by, whatever the model is called."""


def is_manager(model: str, attr: str) -> bool:
    """Whether ``<model>.<attr>`` is a manager of the model ``model`` names (its last name): one
    of :data:`MANAGERS`, or a custom manager (``events = AuditManager()``), an attribute of a
    class whose name is capitalized that is not a nested class itself."""
    return attr in MANAGERS or (model[:1].isupper() and not attr[:1].isupper())


def row_of(func: list[object]) -> tuple[list[object], bool] | None:
    """The model expression (an outline's :data:`~opsux_lint.analysis.outline.Expr`) whose row the
    call of ``func`` returns (``Model.objects.filter(...).first``), and whether it returns the row
    in a pair (``get_or_create``); None for any other callee."""
    if func[0] != "a" or func[2] not in MANAGER_ROWS:
        return None
    base = func[1]
    while isinstance(base, list) and base[0] == "c" and base[1][0] == "a" and base[1][2] in QUERY_STEPS:
        base = base[1][1]
    if not (isinstance(base, list) and base[0] == "a" and isinstance(base[1], list)):
        return None
    model = base[1]
    name = str(model[2]) if model[0] == "a" else str(model[1]) if model[0] == "n" else ""
    return (model, func[2] in ("get_or_create", "update_or_create")) if is_manager(name, str(base[2])) else None


def from_queryset(node: ast.expr) -> tuple[ast.expr, ...] | None:
    """``(Manager, QuerySet)`` of ``Manager.from_queryset(QuerySet)``, the class Django makes of
    both (a manager with the queryset's methods), when ``node`` is that call."""
    if not (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "from_queryset"
        and len(node.args) == 1 and not node.keywords
    ):
        return None
    return node.func.value, node.args[0]


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
