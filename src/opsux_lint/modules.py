"""Module names of files: paths relative to the project's source roots (``lint.src``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def source_roots(root: Path, src: Sequence[str]) -> tuple[Path, ...]:
    """The configured roots, absolute, deepest first so ``src/`` wins over ``.``."""
    roots = {(root / entry).resolve() for entry in src}
    return tuple(sorted(roots, key=lambda p: len(p.parts), reverse=True))


def module_name(path: Path, roots: Sequence[Path]) -> tuple[str, bool]:
    """``(dotted module name, is_package)`` for a file; the stem when it is under no root."""
    return resolved_module_name(path.resolve(), roots)


def resolved_module_name(resolved: Path | str, roots: Sequence[Path]) -> tuple[str, bool]:
    """:func:`module_name` of a path that is resolved already (the index resolves each once)."""
    # Strings, not PurePath.relative_to: naming every module of a project that way was a third
    # of reading the project in a warm run.
    text = os.fspath(resolved)
    for root in roots:
        relative = relative_text(text, os.fspath(root))
        if relative is None:
            continue
        parts = relative.split(os.sep)
        parts[-1] = os.path.splitext(parts[-1])[0]
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        if parts and all(part.isidentifier() for part in parts):
            return ".".join(parts), is_package
    path = Path(resolved)
    return (path.stem if path.stem != "__init__" else path.parent.name), path.stem == "__init__"


def relative_text(path: str, base: str) -> str | None:
    """``path`` below the directory ``base`` (both absolute and normalized), or None."""
    prefix = base if base.endswith(os.sep) else base + os.sep
    return path[len(prefix):] if path.startswith(prefix) and len(path) > len(prefix) else None
