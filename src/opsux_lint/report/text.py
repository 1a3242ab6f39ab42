"""``path:line:col: CODE message`` per finding, then a one-line summary (ruff's shape).

On a terminal (:attr:`ReportContext.frames`) each finding is followed by a code frame with the
offending span underlined, as ruff's default output shows it; with :attr:`ReportContext.color`
the parts are coloured. Piped output stays one plain line per finding, for grep and editors.
File names and messages are printed with control characters escaped.
"""

from __future__ import annotations

from pathlib import Path

import click

from opsux_lint.findings import Finding, Severity
from opsux_lint.report import ReportContext, statistics, summary
from opsux_lint.report.paths import printable

_TAB_WIDTH = 4
_FRAME_WIDTH = 160
"""Longer source lines (minified or generated code) are shown as a window around the span."""
_CONTEXT_BEFORE = 40


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


def fix_note(context: ReportContext) -> str:
    """ruff's hint about fixes held back: printed only when there are unsafe fixes to enable."""
    if not context.hidden_fixes:
        return ""
    count = context.hidden_fixes
    hidden = f"{count} hidden {'fix' if count == 1 else 'fixes'} can be enabled with the `--unsafe-fixes` option"
    if context.fixable:
        return f"[*] {context.fixable} fixable with the `--fix` option ({hidden})."
    return f"No fixes available ({hidden})."


def render_text(context: ReportContext) -> str:
    paint = _Painter(context.color)
    lines: list[str] = []
    if context.statistics:
        for row in statistics(context.result):
            lines.append(f"{row['count']:>5}  {paint.code(row['code'])}  {row['name']}")
    else:
        sources = _Sources(context.cwd)
        for f in context.result.findings:
            lines.append(
                f"{paint.path(printable(f.path))}:{f.line}:{f.column}: "
                f"{paint.code(f.code, f.severity)} {printable(f.message)}"
            )
            if context.frames:
                lines.extend(code_frame(f, sources.lines(f.path), paint))
    if not context.quiet:
        lines.append(paint.bold(summary_line(context)))
        note = fix_note(context)
        if note:
            lines.append(note)
    return "\n".join(lines) + "\n" if lines else ""


def code_frame(finding: Finding, source: list[str] | None, paint: _Painter | None = None) -> list[str]:
    """The finding's first line with its span underlined (``^``), ruff style; [] without source."""
    paint = paint or _Painter(False)
    if source is None or not 0 < finding.line <= len(source):
        return []
    raw = source[finding.line - 1]
    text = printable(raw.expandtabs(_TAB_WIDTH))
    # Columns are code points of the raw line; tabs widen, escapes lengthen what precedes.
    start = len(printable(raw[: finding.column - 1].expandtabs(_TAB_WIDTH)))
    if finding.end_line == finding.line:
        end = len(printable(raw[: max(finding.end_column - 1, finding.column)].expandtabs(_TAB_WIDTH)))
    else:
        end = len(text)
    width = max(1, end - start)
    if len(text) > _FRAME_WIDTH:
        # A window around the span, marked with an ellipsis on each cut side.
        left = max(0, min(start - _CONTEXT_BEFORE, len(text) - _FRAME_WIDTH))
        right = left + _FRAME_WIDTH
        shown = ("…" if left else "") + text[left:right] + ("…" if right < len(text) else "")
        start = start - left + (1 if left else 0)
        width = max(1, min(width, _FRAME_WIDTH - (start - (1 if left else 0))))
        text = shown
    gutter = " " * len(str(finding.line))
    return [
        f"{gutter} {paint.gutter('|')}",
        f"{paint.gutter(f'{finding.line} |')} {text}",
        f"{gutter} {paint.gutter('|')} {' ' * start}{paint.caret('^' * width, finding.severity)}",
        f"{gutter} {paint.gutter('|')}",
        "",
    ]


class _Sources:
    """Source lines of the reported files, read once each; None for a file that cannot be read."""

    def __init__(self, cwd: Path) -> None:
        self._cwd = cwd
        self._read: dict[str, list[str] | None] = {}

    def lines(self, shown: str) -> list[str] | None:
        if shown not in self._read:
            try:
                path = self._cwd / shown
                # Only what discovery would read: never a pipe or a device named in a finding.
                if not path.is_file() or path.stat().st_size > 16 * 1024 * 1024:
                    raise OSError
                data = path.read_bytes()
                self._read[shown] = data.decode("utf-8", errors="replace").splitlines()
            except OSError:
                self._read[shown] = None
        return self._read[shown]


class _Painter:
    def __init__(self, color: bool) -> None:
        self.color = color

    def _style(self, text: str, **style: object) -> str:
        return click.style(text, **style) if self.color else text  # type: ignore[arg-type]

    def path(self, text: str) -> str:
        return self._style(text, bold=True)

    def code(self, text: str, severity: Severity = Severity.ERROR) -> str:
        return self._style(text, fg="red" if severity is Severity.ERROR else "yellow", bold=True)

    def caret(self, text: str, severity: Severity) -> str:
        return self._style(text, fg="red" if severity is Severity.ERROR else "yellow")

    def gutter(self, text: str) -> str:
        return self._style(text, fg="blue", bold=True)

    def bold(self, text: str) -> str:
        return self._style(text, bold=True)
