"""GitHub Actions workflow-command annotations, and a Markdown table for the step summary.

The runner shows only the first few annotations of a step, so with ``$GITHUB_STEP_SUMMARY`` set
the CLI also appends every finding as a table to that file.
"""

from __future__ import annotations

import html

from opsux_lint.findings import Finding
from opsux_lint.report import ReportContext, summary
from opsux_lint.report.paths import relative_to_root, repository_root


def escape_data(value: str) -> str:
    """The message part of a workflow command (after ``::``)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """A property value (``file=...``, ``title=...``): also ``:`` and ``,``."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, path: str | None = None) -> str:
    """One workflow command; ``path`` as GitHub should see it (default: the finding's)."""
    properties = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in (
            ("file", finding.path if path is None else path),
            ("line", finding.line),
            ("col", finding.column),
            ("endLine", finding.end_line),
            ("endColumn", finding.end_column),
            ("title", f"{finding.code} {finding.name}"),
        )
    )
    return f"::{finding.severity} {properties}::{escape_data(finding.message)}"


def render_github(context: ReportContext) -> str:
    """Annotations with paths relative to ``$GITHUB_WORKSPACE`` (or the git top level)."""
    if not context.result.findings:
        return ""
    root = repository_root(context.cwd, "GITHUB_WORKSPACE")
    return "".join(annotation(f, relative_to_root(f, context.cwd, root)) + "\n" for f in context.result.findings)


def _cell(value: str) -> str:
    return html.escape(" ".join(value.split()), quote=False).replace("|", "\\|")


def step_summary(context: ReportContext) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: a headline and one table row per finding."""
    counts = summary(context.result)
    files = f"{counts['files']} file{'' if counts['files'] == 1 else 's'} checked"
    if not counts["findings"]:
        return f"### opsux-lint: no findings\n\n{files}.\n\n"
    n = counts["findings"]
    rows = [
        f"### opsux-lint: {n} finding{'' if n == 1 else 's'}\n",
        f"{files}; every finding is listed (annotations show only the first few).\n",
        "| Severity | Rule | Location | Message |",
        "| --- | --- | --- | --- |",
    ]
    for f in context.result.findings:
        location = _cell(f"{f.path}:{f.line}:{f.column}")
        rows.append(
            f"| {f.severity} | {f.code} {_cell(f.name)} | `{location}` | {_cell(f.message)} |"
        )
    return "\n".join(rows) + "\n\n"
