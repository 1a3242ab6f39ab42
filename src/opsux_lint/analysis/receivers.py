"""The names a file must mention to hold a receiver of a typed API: what makes the prefilter's
needles exact for method sinks (``OperationRunService.start``) instead of every ``.start``.

A receiver is typed through the API's class names, its factories and fixtures, or through
something of the project that yields one: a function returning one (``service_for(...)``), a
class holding one (``self.service``, a subclass, a mixin), a module-level instance. The names of
those producers are needles too, to a fixpoint. A file that mentions none of them cannot type a
receiver as the API's, so no method sink can match in it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from opsux_lint.analysis.index import ProjectIndex
from opsux_lint.analysis.outline import Summary
from opsux_lint.analysis.resolver import ApiTypes

_MAX_ROUNDS = 20


def receiver_names(index: ProjectIndex, api: ApiTypes) -> frozenset[str]:
    names: set[str] = {c.rsplit(".", 1)[-1] for c in api.classes}
    names |= set(api.fixtures)
    # Factories (``load_policy``) name a receiver; a method of an API class (``OperationRunService.start``)
    # is reached through its class's name, and its own name (``start``) is everywhere.
    names |= {r.rsplit(".", 1)[-1] for r in api.returns if r.rpartition(".")[0] not in api.classes}
    # Only a module that imports the API (or a module that does) can name its objects: a
    # project's own ``Policy`` classes (authentik has dozens) make no producers, and searching
    # every function of theirs was 8 of a 10 s run.
    packages = {c.split(".", 1)[0] for c in (*api.classes, *api.returns)}
    if index.files() and not index.mentioning([*packages, *api.fixtures]):
        # A project that names neither the API's packages nor its fixtures has nothing of it:
        # no file can type a receiver as the API's, however many name a ``Policy`` of their own
        # (warehouse's CSP: 5 of its 32 candidate files were parsed for that alone). A linter
        # with no project (a rule's example, a file linted alone) knows nothing to exclude.
        return frozenset()
    users: set[str] = set(index.mentioning(api.fixtures)) if api.fixtures else set()
    for _ in range(_MAX_ROUNDS):
        pattern = re.compile("|".join(f'"{re.escape(n)}"' for n in sorted(names)))
        added = False
        importers = _may_import(index, packages, users)
        for module, entry in index.entries(m for m in index.mentioning(names) if m in users or importers(m)):
            if module not in users:
                if not _imports_from(entry.summary, packages, users):
                    continue
                users.add(module)
                added = True
            for name in _producers(entry.summary, pattern):
                if name not in names:
                    names.add(name)
                    added = True
        if not added:
            break
    return frozenset(names)


def _may_import(index: ProjectIndex, packages: set[str], modules: set[str]) -> Callable[[str], bool]:
    """Whether a module may import from one of ``packages`` or of ``modules``, told from its
    bytes without outlining it: an import names the module it imports from (``from
    app.services import ...``, ``from . import services``) unless it is relative to a package
    the module is in (``from .. import *``). On warehouse, whose ``Policy`` classes are its CSP's
    and referrer policy's, 12 modules that mention one and import no opsux are not outlined."""
    named = set(index.mentioning([*packages, *(m.rsplit(".", 1)[-1] for m in modules)]))
    return lambda module: module in named or any(module.startswith(f"{m}.") for m in modules)


def _imports_from(summary: Summary, packages: set[str], modules: set[str]) -> bool:
    """Whether the module imports from one of ``packages`` or of ``modules``."""
    for bindings in summary["imports"].values():
        for binding in bindings:
            source = str(binding[1])
            if source.split(".", 1)[0] in packages or source in modules:
                return True
    return any(base.split(".", 1)[0] in packages or base in modules for base in summary["stars"])


def _producers(summary: Summary, pattern: re.Pattern[str]) -> Iterable[str]:
    def mentions(*parts: Any) -> bool:
        return pattern.search(json.dumps(parts)) is not None

    functions = summary["functions"]
    for key, function in functions.items():
        if mentions(function.get("returns"), function.get("results")):
            yield key.rsplit(".", 1)[-1]
    for key, info in summary["classes"].items():
        methods = [f for k, f in functions.items() if k.startswith(f"{key}.")]
        if mentions(info, [(m["params"], m.get("locals")) for m in methods]):
            yield key.rsplit(".", 1)[-1]
    for name, assigned in summary["assign"].items():
        if mentions(assigned, summary.get("annotations", {}).get(name)):
            yield name
