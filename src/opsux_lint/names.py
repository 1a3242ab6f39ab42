"""Qualified names of callees, resolved through the file's own imports.

This is the cheap alternative to libcst's whole-file ``QualifiedNameProvider`` (5-9x the parse
cost): the engine feeds every ``import`` and module-level definition into an :class:`ImportTable`
during its single traversal, and matchers ask for qualified names only of the few expressions they
care about, after the traversal. A local name can be bound by several imports (``try``/``except
ImportError``, ``if TYPE_CHECKING``); all of them are kept and every one is checked.

Scopes are not modelled: an import inside a function binds its name for the whole file. That errs
towards resolving a name, which for a linter of literal values means finding more, not less.
"""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst
from libcst.helpers import get_full_name_for_node


class ImportTable:
    """Local name -> the qualified names it may refer to."""

    def __init__(self, module: str, *, is_package: bool = False) -> None:
        self.module = module
        self.is_package = is_package
        self._bindings: dict[str, set[str]] = {}
        self._local: set[str] = set()

    def bind(self, local: str, qualified: str) -> None:
        self._bindings.setdefault(local, set()).add(qualified)

    def define(self, name: str) -> None:
        """A module-level ``def``/``class``/assignment: ``name`` is ``<this module>.name``."""
        self._local.add(name)

    def add_import(self, node: cst.Import) -> None:
        for alias in node.names:
            dotted = get_full_name_for_node(alias.name)
            if dotted is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.bind(alias.asname.name.value, dotted)
            else:
                # ``import a.b.c`` binds ``a``; attribute access rebuilds the rest.
                head = dotted.split(".", 1)[0]
                self.bind(head, head)

    def add_import_from(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        base = self._from_base(node)
        if base is None:
            return
        for alias in node.names:
            name = get_full_name_for_node(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            self.bind(local, f"{base}.{name}" if base else name)

    def _from_base(self, node: cst.ImportFrom) -> str | None:
        module = get_full_name_for_node(node.module) if node.module is not None else ""
        if module is None:
            return None
        level = len(node.relative)
        if level == 0:
            return module
        parts = self.module.split(".") if self.module else []
        if not self.is_package:
            parts = parts[:-1]
        if level - 1 > len(parts):
            return module or None
        parts = parts[: len(parts) - (level - 1)]
        return ".".join([*parts, module] if module else parts)

    def names_for(self, local: str) -> frozenset[str]:
        """Qualified names a bare local name may refer to (the name itself when unbound)."""
        found = set(self._bindings.get(local, ()))
        if local in self._local and self.module:
            found.add(f"{self.module}.{local}")
        if not found:
            found.add(local)
        return frozenset(found)

    def is_module_name(self, local: str) -> bool:
        """Bound by an import or a module-level definition (not only inside a function)."""
        return local in self._bindings or local in self._local

    def local_names(self) -> frozenset[str]:
        """Every name an import binds in the file."""
        return frozenset(self._bindings)

    def imported_names(self) -> frozenset[str]:
        """The qualified names of everything the file imports (``opsux_core.OperationRun``)."""
        return frozenset(q for names in self._bindings.values() for q in names)

    def is_imported(self, local: str) -> bool:
        return local in self._bindings

    def qualified_names(self, expr: cst.BaseExpression) -> frozenset[str]:
        """Every qualified name ``expr`` (a ``Name`` or ``a.b.c`` chain) may refer to."""
        if isinstance(expr, cst.Name):
            return self.names_for(expr.value)
        if isinstance(expr, cst.Attribute):
            return frozenset(f"{base}.{expr.attr.value}" for base in self.qualified_names(expr.value))
        return frozenset()


def last_segments(names: Iterable[str]) -> frozenset[str]:
    return frozenset(name.rsplit(".", 1)[-1] for name in names)
