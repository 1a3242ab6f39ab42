"""``--explain CODE`` and ``--list-rules``: the rule files, read back to people."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence

from opsux_lint.examples import lint_example
from opsux_lint.registry import EXAMPLE_PATH, RuleSpec

_WIDTH = 88


def _indent(code: str, prefix: str = "    ") -> str:
    return textwrap.indent(code.rstrip("\n"), prefix, lambda _line: True)


def explain(rule: RuleSpec) -> str:
    parts = [
        f"{rule.id} {rule.name} ({rule.severity}): {rule.summary}",
        "",
        textwrap.fill(rule.rationale, _WIDTH),
        "",
        f"Message: {rule.message}",
    ]
    if rule.examples.invalid:
        parts += ["", "Reported:"]
        for example in rule.examples.invalid:
            parts += ["", *_where(example.path), _indent(example.code)]
            # The real messages, produced by running the example: the docs cannot drift.
            for finding in lint_example(rule, example.code, example.path):
                if finding.code == rule.id:
                    parts.append(f"    # -> {finding.line}:{finding.column}: {finding.message}")
    if rule.examples.valid:
        parts += ["", "Not reported:"]
        for valid in rule.examples.valid:
            parts += ["", *_where(valid.path), _indent(valid.code)]
    parts += [
        "",
        f"Suppress one statement with:  # opsux: ignore[{rule.id}]",
        f"Suppress it in a whole file:  # opsux: ignore-file[{rule.id}]",
    ]
    return "\n".join(parts) + "\n"


def list_rules(rules: Sequence[RuleSpec]) -> str:
    width = max(len(rule.name) for rule in rules)
    lines = []
    for rule in rules:
        lines.append(f"{rule.id}  {rule.name:<{width}}  {rule.severity:<7}  {rule.summary}")
    return "\n".join(lines) + "\n"


def list_rules_json(rules: Sequence[RuleSpec]) -> str:
    """``--list-rules --format json``: one object per rule, for scripts and editors."""
    from opsux_lint.report.sarif import rule_help_uri

    document = [
        {
            "code": rule.id,
            "name": rule.name,
            "severity": str(rule.severity),
            "summary": rule.summary,
            "message": rule.message,
            "rationale": rule.rationale.strip(),
            "help_uri": rule_help_uri(rule),
        }
        for rule in rules
    ]
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _where(path: str) -> list[str]:
    """A heading for an example that is not in an ordinary module (a test, an owner module)."""
    return [] if path == EXAMPLE_PATH else [f"    # in {path}:"]
