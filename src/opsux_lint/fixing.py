"""Applying fixes to the files on disk, for ``--fix`` and ``--diff`` (the rewrite itself is
:mod:`opsux_lint.fixes`, a pure function of the text)."""

from __future__ import annotations

import io
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from opsux_lint.findings import Finding
from opsux_lint.fixes import apply_fixes, unified_diff


@dataclass(frozen=True)
class FixOutcome:
    remaining: tuple[Finding, ...]
    fixed: int
    files: int
    diff: str


def fix_files(findings: Sequence[Finding], cwd: Path, *, write: bool) -> FixOutcome:
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.fix is not None:
            by_path.setdefault(finding.path, []).append(finding)
    applied: set[Finding] = set()
    diffs: list[str] = []
    changed = 0
    for shown, fixable in sorted(by_path.items()):
        file = cwd / shown
        try:
            data = file.read_bytes()
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            text = data.decode(encoding)
        except (OSError, SyntaxError, UnicodeDecodeError, LookupError):
            continue
        # utf-8-sig (a BOM) decodes without it and encodes it back: the bytes keep their form.
        fixed, done = apply_fixes(text, fixable)
        if not done:
            continue
        changed += 1
        applied.update(done)
        diffs.append(unified_diff(shown, text, fixed))
        if write:
            file.write_bytes(fixed.encode(encoding))
    remaining = tuple(f for f in findings if f not in applied)
    return FixOutcome(remaining, len(applied), changed, "".join(diffs))
