"""Applying fixes to the files on disk, for ``--fix`` and ``--diff`` (the rewrite itself is
:mod:`opsux_lint.fixes`, a pure function of the text, or :mod:`opsux_lint.constant_fix` for the
unsafe fixes)."""

from __future__ import annotations

import io
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from opsux_lint.findings import Finding
from opsux_lint.fixes import apply_fixes, unified_diff

if TYPE_CHECKING:
    from opsux_lint.constant_fix import ConstantFix

UnsafeFixes = Callable[[str, str, Sequence[Finding]], Sequence["ConstantFix"]]
"""``(shown path, text, the file's findings) -> unsafe fixes`` (``--unsafe-fixes``)."""


@dataclass(frozen=True)
class FixOutcome:
    remaining: tuple[Finding, ...]
    fixed: int
    files: int
    diff: str


def read_source(file: Path) -> tuple[str, str] | None:
    """``(text, encoding)`` of a Python file; None when it cannot be read or decoded."""
    try:
        data = file.read_bytes()
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        # utf-8-sig (a BOM) decodes without it and encodes it back: the bytes keep their form.
        return data.decode(encoding), encoding
    except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
        return None


def fix_files(
    findings: Sequence[Finding], cwd: Path, *, write: bool, unsafe: UnsafeFixes | None = None
) -> FixOutcome:
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.fix is not None or unsafe is not None:
            by_path.setdefault(finding.path, []).append(finding)
    applied: set[Finding] = set()
    diffs: list[str] = []
    changed = 0
    for shown, fixable in sorted(by_path.items()):
        read = read_source(cwd / shown)
        if read is None:
            continue
        text, encoding = read
        constants = unsafe(shown, text, fixable) if unsafe is not None else ()
        if constants:
            from opsux_lint.constant_fix import apply_constant_fixes

            fixed, done = apply_constant_fixes(text, constants, fixable)
        else:
            fixed, done = apply_fixes(text, [f for f in fixable if f.fix is not None])
        if not done:
            continue
        changed += 1
        applied.update(done)
        diffs.append(unified_diff(shown, text, fixed))
        if write:
            (cwd / shown).write_bytes(fixed.encode(encoding))
    remaining = tuple(f for f in findings if f not in applied)
    return FixOutcome(remaining, len(applied), changed, "".join(diffs))
