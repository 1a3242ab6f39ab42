"""SARIF 2.1.0 for code-scanning services (GitHub's ``upload-sarif``).

URIs are relative to the repository root (the nearest directory above the working directory that
holds ``.git``; the working directory when there is none) through the ``%SRCROOT%`` base, which is
what code scanning needs to place results on files. Columns are code points
(``columnKind: unicodeCodePoints``); ``endColumn`` is exclusive, as the spec defines it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from opsux_lint.findings import Finding, Severity
from opsux_lint.fingerprints import fingerprints
from opsux_lint.registry import RuleSpec
from opsux_lint.report import ReportContext

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/opsux/opsux"
RULES_URI = f"{INFORMATION_URI}/blob/main/rules"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "opsuxFindingHash/v1"


def repository_root(cwd: Path) -> Path:
    for directory in (cwd, *cwd.parents):
        if (directory / ".git").exists():
            return directory
    return cwd


def _level(severity: Severity) -> str:
    return "error" if severity is Severity.ERROR else "warning"


def rule_help_uri(rule: RuleSpec) -> str:
    """The rule's file in the repository: what it reports, why, and its examples."""
    return f"{RULES_URI}/{rule.id}-{rule.name}.yaml"


def rule_help_markdown(rule: RuleSpec) -> str:
    parts = [f"**{rule.id} {rule.name}**: {rule.summary}", "", rule.rationale.strip()]
    for heading, examples in (
        ("Reported:", [e.code for e in rule.examples.invalid]),
        ("Not reported:", [e.code for e in rule.examples.valid]),
    ):
        if examples:
            parts += ["", heading]
            for code in examples:
                parts += ["", "```python", code.rstrip("\n"), "```"]
    parts += [
        "",
        (
            f"Suppress one statement with `# opsux: ignore[{rule.id}]`; "
            f"run `opsux-lint --explain {rule.id}` for the real messages."
        ),
    ]
    return "\n".join(parts)


def _rule_descriptor(rule: RuleSpec) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.rationale},
        "helpUri": rule_help_uri(rule),
        "help": {
            "text": f"{rule.rationale}\n\nRun `opsux-lint --explain {rule.id}` for examples.",
            "markdown": rule_help_markdown(rule),
        },
        "defaultConfiguration": {"level": _level(rule.severity)},
        "properties": {"tags": ["opsux"]},
    }


def render_sarif(context: ReportContext) -> str:
    root = repository_root(context.cwd.resolve())

    def uri(finding: Finding) -> tuple[str, bool]:
        absolute = (context.cwd / finding.path).resolve()
        try:
            return quote(absolute.relative_to(root).as_posix()), True
        except ValueError:
            return absolute.as_uri(), False

    rules = list(context.result.rules)
    known = {rule.id for rule in rules}
    for finding in context.result.findings:
        if finding.code not in known:  # cannot happen today; keeps ruleIndex honest if it does
            from opsux_lint.registry import rules_by_id

            rules.append(rules_by_id()[finding.code])
            known.add(finding.code)
    index = {rule.id: position for position, rule in enumerate(rules)}
    prints = fingerprints(context.result.findings, lambda f: uri(f)[0])
    results = []
    for finding, fingerprint in zip(context.result.findings, prints, strict=True):
        location, relative = uri(finding)
        artifact: dict[str, Any] = {"uri": location}
        if relative:
            artifact["uriBaseId"] = SRCROOT
        region = {
            "startLine": finding.line,
            "startColumn": finding.column,
            "endLine": finding.end_line,
            "endColumn": finding.end_column,
        }
        result: dict[str, Any] = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": _level(finding.severity),
            "message": {"text": finding.message},
            "locations": [{"physicalLocation": {"artifactLocation": artifact, "region": region}}],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
        }
        if finding.fix is not None:
            # What --fix would write, so a code-scanning UI can offer it.
            result["fixes"] = [
                {
                    "description": {"text": f"Replace with {finding.fix}"},
                    "artifactChanges": [
                        {
                            "artifactLocation": artifact,
                            "replacements": [{"deletedRegion": region, "insertedContent": {"text": finding.fix}}],
                        }
                    ],
                }
            ]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "opsux-lint",
                        "version": context.version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule_descriptor(rule) for rule in rules],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri() + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
