"""``{"version": 1, "findings": [...], "summary": {...}}``: the format scripts consume."""

from __future__ import annotations

import json
from typing import Any

from opsux_lint.fingerprints import fingerprints
from opsux_lint.report import ReportContext, statistics, summary

JSON_FORMAT_VERSION = 1


def render_json(context: ReportContext) -> str:
    result = context.result
    document: dict[str, Any] = {"version": JSON_FORMAT_VERSION}
    if context.statistics:
        document["statistics"] = statistics(result)
    else:
        prints = fingerprints(result.findings, lambda f: f.path)
        document["findings"] = [
            {
                "code": f.code,
                "name": f.name,
                "severity": str(f.severity),
                "path": f.path,
                "line": f.line,
                "column": f.column,
                "end_line": f.end_line,
                "end_column": f.end_column,
                "message": f.message,
                "fingerprint": fingerprint,
                "fix": f.fix,
            }
            for f, fingerprint in zip(result.findings, prints, strict=True)
        ]
    document["summary"] = summary(result)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
