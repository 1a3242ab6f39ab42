"""The linter as a library: ``lint_paths(paths) -> LintResult``.

What the command line, the benchmarks and the tests call; the CLI only parses options around it
and prints what it returns. The pipeline: configs found from each path (or ``config``) ->
discovery -> prefilter -> the engine (cache, process pool) -> per-file ignores. Baselines and
fixes are the caller's (they read and write files the run does not own).

Example::

    from pathlib import Path
    from opsux_lint.api import lint_paths

    result = lint_paths([Path("src")], select=["OPS00"])
    for finding in result.findings:
        print(f"{finding.path}:{finding.line}:{finding.column}: {finding.code} {finding.message}")
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from opsux_core.policy import Policy
from opsux_core.version import __version__
from opsux_lint.discovery import Expansion, Skipped, expand_targets
from opsux_lint.findings import Finding
from opsux_lint.project import Target, resolve_targets
from opsux_lint.registry import PARSE_ERROR_KIND, builtin_rules
from opsux_lint.runner import (
    Progress,
    RunOptions,
    RunResult,
    Selection,
    display_path,
    run,
)
from opsux_lint.selection import (
    SelectorError,
    is_selected,
    parse_selectors,
    severity_for,
)
from opsux_lint.settings import lint_settings
from opsux_lint.suppressions import apply_per_file_ignores, per_file_ignores_by_path

LintResult = RunResult
"""Findings (sorted), the number of files, the rules that ran, and the run's accounting."""

__all__ = ["LintResult", "Plan", "SelectorError", "lint_paths", "plan"]


@dataclass(frozen=True)
class Plan:
    """What a run will look at: each path with the config that governs it, and the files."""

    requested: tuple[Path, ...]
    targets: tuple[Target, ...]
    expansion: Expansion


def plan(paths: Sequence[Path | str] = (), *, config: Path | str | None = None) -> Plan:
    """The configs and files for ``paths`` (default: the working directory); raises ``ConfigError``."""
    requested = [Path(p) for p in paths] or [Path(".")]
    targets = resolve_targets(requested, Path(config) if config is not None else None)
    return Plan(tuple(requested), tuple(targets), expand_targets(targets, requested))


def lint_paths(
    paths: Sequence[Path | str] = (),
    *,
    config: Path | str | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] = (),
    cache: bool = False,
    jobs: int | None = None,
    coverage: bool = False,
    cwd: Path | None = None,
    planned: Plan | None = None,
    progress: Progress | None = None,
) -> LintResult:
    """Lint files and directories under their opsux config; findings' paths are relative to ``cwd``.

    ``select`` replaces the config's ``lint.select`` and ``ignore`` adds to its ``lint.ignore``
    (rule codes or prefixes; an unknown one raises :class:`SelectorError`). ``cache`` reads and
    writes the result cache beside each config; ``jobs`` caps the worker processes (1: none);
    ``coverage`` also accounts for every sink site (:attr:`LintResult.sites`); ``progress`` is
    told of a long run's progress (:data:`opsux_lint.runner.Progress`). Raises
    ``opsux_core.ConfigError`` when a config is missing or malformed.
    """
    selection = Selection(
        select=_selectors(select, "select", allow_empty=False) if select is not None else None,
        ignore=_selectors(ignore, "ignore"),
    )
    where = cwd if cwd is not None else Path.cwd()
    planned = planned if planned is not None else plan(paths, config=config)
    options = RunOptions(jobs=jobs, cache=cache, version=__version__, coverage=coverage, progress=progress)
    result = run(planned.expansion.run_targets, selection, where, options)
    not_read = skipped_findings(planned.expansion.skipped, selection, where)
    ignores_for = per_file_ignores_by_path(
        [
            (display_path(t.path, where), t.path, t.policy.root, lint_settings(t.policy).per_file_ignores)
            for t in planned.expansion.files
            if lint_settings(t.policy).per_file_ignores
        ]
        + [
            (display_path_of(s.path, where), s.path, p.root, lint_settings(p).per_file_ignores)
            for s, p in planned.expansion.skipped
            if lint_settings(p).per_file_ignores
        ]
    )
    findings = apply_per_file_ignores(sorted((*result.findings, *not_read)), ignores_for)
    return dataclasses.replace(result, findings=tuple(findings), files=result.files + len(planned.expansion.skipped))


def _selectors(values: Iterable[str], option: str, *, allow_empty: bool = True) -> tuple[str, ...]:
    return parse_selectors(",".join(values), builtin_rules(), option, allow_empty=allow_empty)


def skipped_findings(skipped: Sequence[tuple[Skipped, Policy]], selection: Selection, cwd: Path) -> list[Finding]:
    """A finding of the parse-error rule for each file discovery would not read, when the file's
    policy selects that rule."""
    rule = next((r for r in builtin_rules() if r.kind == PARSE_ERROR_KIND), None)
    if rule is None:
        return []
    findings = []
    for item, policy in skipped:
        lint = lint_settings(policy)
        select = selection.select if selection.select is not None else lint.select
        if not is_selected(rule.id, select, (*lint.ignore, *selection.ignore)):
            continue
        findings.append(
            Finding(
                path=display_path_of(item.path, cwd), line=1, column=1, code=rule.id, end_line=1, end_column=1,
                message=rule.format(detail=item.detail), name=rule.name,
                severity=severity_for(rule, lint.severity),
            )
        )
    return findings


def display_path_of(path: Path, cwd: Path) -> str:
    """Relative to ``cwd`` like the runner's, but a symbolic link keeps its own name."""
    anchored = path.absolute().parent.resolve() / path.name
    try:
        return Path(os.path.relpath(anchored, cwd)).as_posix()
    except ValueError:
        return anchored.as_posix()
