"""``--show-settings``: which config governs each path, what it resolved to, and what a run reads.

The answer to "why is this file (not) checked, and against which catalog?" without reading code:
the config file, the resolved ``lint:`` settings (defaults filled in, ``extend_exclude`` merged),
the sinks, the catalog's size, the rules that run, and the files a run would read or skip.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opsux_lint.registry import builtin_rules
from opsux_lint.report import OutputFormat
from opsux_lint.report.paths import printable
from opsux_lint.selection import select_rules
from opsux_lint.settings import lint_settings

if TYPE_CHECKING:
    from opsux_core.policy import Policy
    from opsux_lint.discovery import Expansion
    from opsux_lint.project import Target
    from opsux_lint.runner import Selection


def _shown(path: Path, cwd: Path) -> str:
    try:
        return Path(os.path.relpath(path.absolute(), cwd)).as_posix()
    except ValueError:
        return path.absolute().as_posix()


def _plain(value: Any) -> Any:
    """Settings as JSON-ready values (tuples to lists, mapping proxies to dicts, sinks to dicts)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def settings_document(
    targets: Sequence[Target], requested: Sequence[Path], expansion: Expansion, selection: Selection, cwd: Path,
) -> list[dict[str, Any]]:
    by_policy: dict[int, dict[str, Any]] = {}
    policies: dict[int, Policy] = {}
    for target, given in zip(targets, requested, strict=True):
        key = id(target.policy)
        policies[key] = target.policy
        entry = by_policy.setdefault(key, {"paths": [], "files": [], "not_read": []})
        entry["paths"].append(_shown(given, cwd))
    for file in expansion.files:
        by_policy[id(file.policy)]["files"].append(_shown(file.path, cwd))
    for skipped, policy in expansion.skipped:
        by_policy[id(policy)]["not_read"].append({"path": _shown(skipped.path, cwd), "reason": skipped.detail})
    document = []
    for key, entry in by_policy.items():
        policy = policies[key]
        lint = lint_settings(policy)
        select = selection.select if selection.select is not None else lint.select
        rules = select_rules(builtin_rules(), select, (*lint.ignore, *selection.ignore))
        document.append(
            {
                "config": _shown(policy.source, cwd) if policy.source is not None else None,
                "root": _shown(policy.root, cwd),
                "catalog_size": len(policy.operation_types),
                "operation_type_pattern": policy.operation_type_pattern,
                "rules": [rule.id for rule in rules],
                "lint": _plain(lint),
                **entry,
            }
        )
    return document


def render_settings(
    targets: Sequence[Target], requested: Sequence[Path], expansion: Expansion, selection: Selection,
    cwd: Path, fmt: OutputFormat,
) -> str:
    document = settings_document(targets, requested, expansion, selection, cwd)
    if fmt is OutputFormat.JSON:
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    lines: list[str] = []
    for entry in document:
        lines += [
            f"Config file: {printable(str(entry['config']))}",
            f"Root: {printable(entry['root'])}",
            f"Paths: {', '.join(printable(p) for p in entry['paths'])}",
            f"Catalog: {entry['catalog_size']} operation types",
            f"Rules: {', '.join(entry['rules']) or '(none)'}",
            "Lint settings:",
        ]
        for name, value in entry["lint"].items():
            lines.append(f"  {name}: {json.dumps(value, ensure_ascii=False)}")
        lines.append(f"Files to lint: {len(entry['files'])}")
        lines += [f"  {printable(f)}" for f in entry["files"]]
        if entry["not_read"]:
            lines.append(f"Files not read: {len(entry['not_read'])}")
            lines += [f"  {printable(s['path'])}: {s['reason']}" for s in entry["not_read"]]
        lines.append("")
    return "\n".join(lines)
