"""What the rules declare about an external API's objects: opsux's own classes, their typed
attributes, factories and pytest fixtures. The resolver types receivers with it, so that
``service.start(...)`` is opsux's ``OperationRunService.start`` only when ``service`` is one.

A rule declares it under ``matcher.api``::

    api:
      package: opsux_core     # names under it are spelled as the package exports them
      classes: [opsux_core.OperationRunService, ...]
      attributes: {opsux_core.Policy.catalog: opsux_core.OperationCatalog}
      returns: {opsux_core.load_policy: opsux_core.Policy}
      fixtures: {opsux_service: opsux_core.OperationRunService}
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opsux_lint.analysis.resolver import ApiTypes


class ApiDeclarationError(Exception):
    """A rule's ``api`` declaration is malformed (a bug in a shipped rule file)."""


def canonical_under(packages: Mapping[str, frozenset[str]]) -> Callable[[str], str]:
    """``opsux_core.service.OperationRunService.start`` -> ``opsux_core.OperationRunService.start``:
    a name inside a package is spelled from the first segment the package exports."""

    def canonical(name: str) -> str:
        head = name.split(".", 1)[0]
        exported = packages.get(head)
        if exported is None:
            return name
        parts = name.split(".")
        for i in range(1, len(parts)):
            if parts[i] in exported:
                return ".".join([head, *parts[i:]])
        return name

    return canonical


def _exports(package: str) -> frozenset[str]:
    try:
        module = importlib.import_module(package)
    except ImportError:
        return frozenset()
    return frozenset(getattr(module, "__all__", ()))


def api_types(declarations: Iterable[Mapping[str, Any]]) -> ApiTypes:
    """The union of the rules' declarations."""
    packages: dict[str, frozenset[str]] = {}
    classes: set[str] = set()
    attributes: dict[str, str] = {}
    returns: dict[str, str] = {}
    fixtures: dict[str, str] = {}
    for declaration in declarations:
        if not isinstance(declaration, Mapping):
            raise ApiDeclarationError("matcher.api must be a mapping")
        package = declaration.get("package")
        if package is not None:
            packages[str(package)] = _exports(str(package))
        classes.update(str(c) for c in declaration.get("classes", ()))
        for key, target in (("attributes", attributes), ("returns", returns), ("fixtures", fixtures)):
            value = declaration.get(key, {})
            if not isinstance(value, Mapping):
                raise ApiDeclarationError(f"matcher.api.{key} must be a mapping")
            target.update({str(k): str(v) for k, v in value.items()})
    return ApiTypes(attributes, returns, fixtures, frozenset(classes), canonical_under(packages))
