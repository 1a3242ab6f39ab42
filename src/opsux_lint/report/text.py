"""``path:line:col: CODE message`` per finding, then a one-line summary (ruff's shape)."""

from __future__ import annotations

from opsux_lint.report import ReportContext, statistics, summary


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(context: ReportContext) -> str:
    counts = summary(context.result)
    checked = f"{_plural(counts['files'], 'file')} checked"
    if counts["baselined"]:
        checked += f", {counts['baselined']} baselined"
    if not counts["findings"]:
        return f"All checks passed ({checked})."
    parts = []
    if counts["errors"]:
        parts.append(_plural(counts["errors"], "error"))
    if counts["warnings"]:
        parts.append(_plural(counts["warnings"], "warning"))
    where = _plural(counts["files_with_findings"], "file")
    return f"Found {' and '.join(parts)} in {where} ({checked})."


def render_text(context: ReportContext) -> str:
    lines: list[str] = []
    if context.statistics:
        for row in statistics(context.result):
            lines.append(f"{row['count']:>5}  {row['code']}  {row['name']}")
    else:
        for f in context.result.findings:
            lines.append(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}")
    lines.append(summary_line(context))
    return "\n".join(lines) + "\n"
