"""Class factories: a function of the project that returns a class sink, called through its
result (AWX's ``get_activity_stream_class()(operation=...)``, ``klass = get_audit_class();
klass(action=...)``).

Such a call names neither the class nor anything of it; the resolver types what the function
returns (:meth:`~opsux_lint.analysis.resolver.Resolver.callee`). Derivation keeps each factory as
an entry (param :data:`~opsux_lint.analysis.sinks.FACTORY`), whose name makes a module that calls it a candidate and keeps
the statement in the excerpt.
"""

from __future__ import annotations

from collections.abc import Collection

from opsux_lint.analysis.outline import FunctionOutline, Tag
from opsux_lint.analysis.resolver import Instance, Resolver


def returned_sinks(resolver: Resolver, module: str, key: str, function: FunctionOutline, classes: Collection[str]) -> list[str]:
    """The class sinks of ``classes`` that the module-level function ``key`` returns, when it
    returns no other name (``None`` aside; a call's result, such as Django's
    ``apps.get_model(...)`` in a migration, may stand beside them)."""
    results = [r for r in function["results"] if r != [Tag.SWITCH, "None"] and r[0] != Tag.CALL]
    if not results or function.get("kind") not in ("function", None) or not all(r[0] in (Tag.NAME, Tag.ATTRIBUTE) for r in results):
        return []
    found: list[str] = []
    for result in results:
        items = resolver.types(result, module, key)
        made = [t.cls for t in items if isinstance(t, Instance) and t.of_class]
        if not made or len(made) != len(items) or not all(resolver.api.canonical(c) in classes for c in made):
            return []
        found.extend(resolver.api.canonical(c) for c in made)
    return sorted(set(found))
