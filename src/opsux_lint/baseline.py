"""Baselines: adopt the linter on an existing code base, then fail only on new findings.

``--write-baseline FILE`` records today's findings by fingerprint; ``--baseline FILE`` hides the
findings whose fingerprint it lists. Fingerprints (see :mod:`opsux_lint.fingerprints`) use the
file's path relative to the baseline file and the text of the offending line, so a baselined
finding stays hidden when other edits move it, and comes back when its own line changes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from opsux_lint.findings import Finding
from opsux_lint.fingerprints import fingerprints

BASELINE_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be read or is not an opsux-lint baseline."""


def _locations(findings: Sequence[Finding], cwd: Path, anchor: Path) -> list[str]:
    base = anchor.resolve().parent

    def location(finding: Finding) -> str:
        return Path(os.path.relpath((cwd / finding.path).resolve(), base)).as_posix()

    return fingerprints(findings, location)


def write_baseline(file: Path, findings: Sequence[Finding], cwd: Path) -> None:
    prints = _locations(findings, cwd, file)
    document = {
        "version": BASELINE_VERSION,
        "tool": "opsux-lint",
        "findings": [
            {"fingerprint": fp, "code": f.code, "path": f.path, "line": f.line, "message": f.message}
            for f, fp in zip(findings, prints, strict=True)
        ],
    }
    file.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Baseline:
    file: Path
    fingerprints: frozenset[str]

    @classmethod
    def read(cls, file: Path) -> Baseline:
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise BaselineError(f"{file}: cannot read: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise BaselineError(f"{file}: not valid JSON: {exc}") from None
        if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
            raise BaselineError(f"{file}: not an opsux-lint baseline (version {BASELINE_VERSION})")
        entries = document.get("findings")
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
        ):
            raise BaselineError(f"{file}: findings must be a list of {{fingerprint, ...}}")
        return cls(file, frozenset(e["fingerprint"] for e in entries))

    def filter(self, findings: Sequence[Finding], cwd: Path) -> tuple[list[Finding], int]:
        """The findings not in the baseline, and how many were hidden."""
        kept = [
            f for f, fp in zip(findings, _locations(findings, cwd, self.file), strict=True)
            if fp not in self.fingerprints
        ]
        return kept, len(findings) - len(kept)
