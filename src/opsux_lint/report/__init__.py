"""Rendering a run's findings: ``text``, ``json``, ``sarif``, ``github``, ``gitlab`` and ``junit``.

Every renderer is a pure function of the run; none of them changes the exit code.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsux_lint.findings import Severity

if TYPE_CHECKING:
    from opsux_lint.runner import RunResult


class OutputFormat(enum.StrEnum):
    TEXT = "text"
    JSON = "json"
    SARIF = "sarif"
    GITHUB = "github"
    GITLAB = "gitlab"
    JUNIT = "junit"


@dataclass(frozen=True)
class ReportContext:
    result: RunResult
    cwd: Path
    version: str
    statistics: bool = False
    color: bool = False
    """ANSI colours in text output (a terminal, or FORCE_COLOR)."""
    frames: bool = False
    """A code frame under each finding in text output (a terminal)."""
    quiet: bool = False
    """Text output: the findings only, no summary line."""
    fixable: int = 0
    """Findings ``--fix`` would fix (text output says so, as ruff does)."""
    hidden_fixes: int = 0
    """Findings with an unsafe fix that only ``--unsafe-fixes`` enables."""


def summary(result: RunResult) -> dict[str, Any]:
    by_severity = Counter(f.severity for f in result.findings)
    return {
        "files": result.files,
        "findings": len(result.findings),
        "errors": by_severity[Severity.ERROR],
        "warnings": by_severity[Severity.WARNING],
        "files_with_findings": len({f.path for f in result.findings}),
        "baselined": result.baselined,
        "by_code": dict(sorted(Counter(f.code for f in result.findings).items())),
    }


def statistics(result: RunResult) -> list[dict[str, Any]]:
    """Counts per rule, most frequent first."""
    names = {f.code: f.name for f in result.findings}
    counts = Counter(f.code for f in result.findings)
    return [
        {"code": code, "name": names[code], "count": count}
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def render(fmt: OutputFormat, context: ReportContext) -> str:
    if fmt is OutputFormat.TEXT:
        from opsux_lint.report.text import render_text

        return render_text(context)
    if fmt is OutputFormat.JSON:
        from opsux_lint.report.json import render_json

        return render_json(context)
    if fmt is OutputFormat.SARIF:
        from opsux_lint.report.sarif import render_sarif

        return render_sarif(context)
    if fmt is OutputFormat.GITHUB:
        from opsux_lint.report.github import render_github

        return render_github(context)
    if fmt is OutputFormat.GITLAB:
        from opsux_lint.report.gitlab import render_gitlab

        return render_gitlab(context)
    from opsux_lint.report.junit import render_junit

    return render_junit(context)
