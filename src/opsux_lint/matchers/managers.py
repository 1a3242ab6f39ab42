"""Rows a Django manager makes (:mod:`opsux_lint.analysis.managers`): the libcst half, which
finds the model a call makes and the values of its fields."""

from __future__ import annotations

from collections.abc import Container

import libcst as cst

from opsux_lint.analysis.managers import MANAGER_CREATES, is_manager
from opsux_lint.matchers.calls import argument
from opsux_lint.matchers.handed import keyed
from opsux_lint.matchers.runs import last_name


def _manager_of(call: cst.Call) -> cst.Attribute | None:
    """``X.manager`` of ``X.manager.create(...)``, also after ``.using(...)`` or ``.filter(...)``."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value in MANAGER_CREATES):
        return None
    base = func.value
    while isinstance(base, cst.Call) and isinstance(base.func, cst.Attribute):
        base = base.func.value
    return base if isinstance(base, cst.Attribute) else None


def made_by_manager(call: cst.Call, sinks: Container[str]) -> cst.BaseExpression | None:
    """The model of ``Model.objects.create(...)`` written with one of the names ``sinks``, if
    ``call`` is that."""
    base = _manager_of(call)
    if base is None:
        return None
    model = last_name(base.value) or ""
    return base.value if model in sinks and is_manager(model, base.attr.value) else None


def made_by_related(call: cst.Call, names: Container[str]) -> cst.Attribute | None:
    """``transaction.events`` of ``transaction.events.create(...)`` when ``events`` is one of
    ``names``, the related sinks' (:mod:`opsux_lint.analysis.related`)."""
    base = _manager_of(call)
    return base if base is not None and base.attr.value in names else None


def in_defaults(call: cst.Call, keyword: str) -> cst.BaseExpression | str | None:
    """The value of ``keyword`` in the ``defaults={...}`` of ``get_or_create`` /
    ``update_or_create`` (why not, when they are not written out); None without defaults."""
    defaults = argument(call, None, "defaults")
    return keyed(defaults, keyword) if defaults is not None else None
