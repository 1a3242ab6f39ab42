"""Configured sinks whose module the project index does not know by that name, where it knows a
module that ends with it: ``lint.src`` names a directory above the packages (``.`` for a
``src/`` layout), so every module is named ``src.app...`` while the code imports ``app...``.

Nothing else would say so: an import of the sink's module is then taken for a library's, the
calls of it are still matched by the name they import, but nothing in the project resolves into
it (a re-export, a wrapper, a subclass), and a run can pass while checking little.
"""

from __future__ import annotations

from collections.abc import Iterable

from opsux_lint.analysis.index import ProjectIndex


def misplaced_sinks(calls: Iterable[str], index: ProjectIndex) -> list[str]:
    """A warning for each sink of ``calls`` (qualified names; ``*.name`` are any receiver's) named
    by a module path the index lacks while one of its modules ends with that path."""
    warnings: list[str] = []
    modules: list[str] | None = None
    for call in sorted(set(calls)):
        if call.startswith("*.") or "." not in call or index.split(call) is not None:
            continue
        if modules is None:
            modules = sorted(index.names())
        parts = call.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            head = ".".join(parts[:cut])
            found = next((m for m in modules if m.endswith(f".{head}")), None)
            if found is not None:
                above = found[: -len(head) - 1].replace(".", "/")
                warnings.append(
                    f"the sink `{call}` is in the module `{head}`, but lint.src makes that file `{found}`,"
                    f" so imports of `{head}` are not followed into the project; add `{above}` (the"
                    f" directory that holds `{parts[0]}`) to lint.src"
                )
                break
    return warnings
