"""A whole run: targets -> files -> the engine -> all findings, in a stable order."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from opsux_lint.discovery import Excludes, discover
from opsux_lint.engine import Linter
from opsux_lint.findings import Finding
from opsux_lint.project import Target
from opsux_lint.registry import RuleSpec, builtin_rules
from opsux_lint.selection import select_rules


@dataclass(frozen=True)
class Selection:
    """Command-line rule selection: ``select`` replaces the config's, ``ignore`` adds to it."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunResult:
    findings: tuple[Finding, ...]
    files: int
    rules: tuple[RuleSpec, ...]
    """Every rule that ran for at least one file (what SARIF describes)."""


def display_path(path: Path, cwd: Path) -> str:
    """Relative to the working directory, ``/``-separated (absolute when on another drive)."""
    try:
        return Path(os.path.relpath(path.resolve(), cwd)).as_posix()
    except ValueError:
        return path.resolve().as_posix()


def run(targets: Sequence[Target], selection: Selection, cwd: Path) -> RunResult:
    linters: dict[int, Linter] = {}
    ran: dict[str, RuleSpec] = {}
    findings: list[Finding] = []
    seen: set[Path] = set()
    for target in targets:
        key = id(target.policy)
        if key not in linters:
            lint = target.policy.lint
            select = selection.select if selection.select is not None else lint.select
            rules = select_rules(builtin_rules(), select, (*lint.ignore, *selection.ignore))
            linters[key] = Linter(target.policy, rules)
        linter = linters[key]
        ran.update((rule.id, rule) for rule in linter.rules)
        excludes = Excludes.build(target.policy.root, target.policy.lint.exclude)
        for file in discover(target.path, excludes):
            resolved = file.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            shown = display_path(file, cwd)
            try:
                data = file.read_bytes()
            except OSError as exc:
                findings.extend(linter.read_error(shown, exc))
                continue
            findings.extend(linter.lint(file, data, display=shown))
    findings.sort()
    return RunResult(tuple(findings), len(seen), tuple(sorted(ran.values(), key=lambda r: r.id)))
