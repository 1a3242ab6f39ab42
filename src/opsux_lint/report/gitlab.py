"""GitLab Code Quality JSON (``artifacts: reports: codequality``), as ruff writes it.

Paths are relative to ``$CI_PROJECT_DIR`` (or the git top level), which is where GitLab looks
them up for merge-request widgets. Fingerprints are the same stable hashes as SARIF's: a finding
keeps its identity when unrelated lines move, so GitLab can tell new findings from old ones.
"""

from __future__ import annotations

import json
from typing import Any

from opsux_lint.findings import Severity
from opsux_lint.fingerprints import fingerprints
from opsux_lint.report import ReportContext
from opsux_lint.report.paths import relative_to_root, repository_root

# Code Quality severities: info, minor, major, critical, blocker.
_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor"}


def render_gitlab(context: ReportContext) -> str:
    findings = context.result.findings
    root = repository_root(context.cwd, "CI_PROJECT_DIR")
    paths = [relative_to_root(f, context.cwd, root) for f in findings]
    where = dict(zip(map(id, findings), paths, strict=True))
    prints = fingerprints(findings, lambda f: where[id(f)])
    issues: list[dict[str, Any]] = [
        {
            "type": "issue",
            "check_name": f.code,
            "description": f"{f.code} {f.message}",
            "categories": ["Bug Risk"],
            "severity": _SEVERITY[f.severity],
            "fingerprint": fingerprint,
            "location": {"path": path, "lines": {"begin": f.line, "end": f.end_line}},
        }
        for f, path, fingerprint in zip(findings, paths, prints, strict=True)
    ]
    return json.dumps(issues, indent=2, ensure_ascii=False) + "\n"
