"""Package names imported on first use (PEP 562): a package's ``__init__`` names what it offers
without importing what each name needs (SQLAlchemy, libcst, PyYAML), which most of its users
(a linter run, a pytest start-up) never touch."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_attributes(package: str, names: Mapping[str, str], namespace: dict[str, Any]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: ``names`` maps each name to the module that
    defines it; its value is imported on first use and kept in ``namespace`` (the package's
    ``globals()``), so the next use is a plain lookup."""

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    return __getattr__
