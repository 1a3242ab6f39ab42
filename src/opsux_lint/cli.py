"""``opsux-lint``: the command line. Exit 0 clean, 1 findings, 2 usage/config/I-O/internal error.

Only findings of severity ``error`` make the exit code 1; ``warning`` findings are reported and
counted, and leave it 0.
"""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from opsux_core.errors import ConfigError
from opsux_core.version import __version__
from opsux_lint.baseline import Baseline, BaselineError
from opsux_lint.baseline import write_baseline as write_baseline_file
from opsux_lint.coverage import Site, coverage_document, render_coverage
from opsux_lint.findings import Finding, Severity
from opsux_lint.registry import (
    RuleDefinitionError,
    RuleSpec,
    builtin_rules,
    rules_by_id,
)
from opsux_lint.report import OutputFormat, ReportContext, render
from opsux_lint.selection import SelectorError, parse_selectors
from opsux_lint.stopwatch import described

if TYPE_CHECKING:
    from opsux_lint.project import Target
    from opsux_lint.runner import RunResult

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
# Report files that may never be overwritten by --output-file: configs and Python sources.
_PROTECTED_SUFFIXES = frozenset({".py", ".pyi", ".pyw"})
_PROTECTED_NAMES = frozenset({"opsux.yaml", "pyproject.toml"})


def tool_version() -> str:
    return __version__


class LintUsageError(click.ClickException):
    """A problem with what the user asked for: printed without a traceback, exit 2."""

    exit_code = EXIT_ERROR

    def show(self, file: object = None) -> None:
        click.echo(f"opsux-lint: error: {self.format_message()}", err=True)


class OutputError(Exception):
    """The report could not be written (a full disk, a closed pipe): an I/O error, not a bug."""

    def __init__(self, target: str, error: OSError) -> None:
        super().__init__(f"cannot write the report to {target}: {error.strerror or error}")
        self.error = error


class LintCommand(click.Command):
    """``opsux-lint [PATHS]`` lints; ``opsux-lint server`` starts the language server (a
    directory named ``server`` is linted as ``./server``)."""

    def main(  # type: ignore[override]  # click overloads main on standalone_mode; this passes it on
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if argv[:1] == ["server"]:
            from opsux_lint.server import server_command

            return server_command.main(argv[1:], f"{prog_name or 'opsux-lint'} server", **extra)
        return super().main(argv, prog_name, **extra)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        formatter.write_text("opsux-lint server [--unsafe-fixes]: run the language server for editors (see --help there).")


@click.command(cls=LintCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Config file (opsux.yaml or pyproject.toml); default: found from each path upwards.")
@click.option("--select", metavar="CODES", help="Rules to run, comma-separated codes or prefixes (replaces lint.select).")
@click.option("--ignore", metavar="CODES", help="Rules to skip, comma-separated codes or prefixes (added to lint.ignore).")
@click.option("--format", "--output-format", "output_format", type=click.Choice([f.value for f in OutputFormat]),
              default=OutputFormat.TEXT.value, show_default=True, help="Output format.")
@click.option("--output-file", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the report to this file instead of standard output (never a config or source file).")
@click.option("-q", "--quiet", is_flag=True, help="Print the findings only: no summary line, no notes.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option("--explain", metavar="RULE", help="Explain a rule (code or name), with examples, and exit.")
@click.option("--list-rules", is_flag=True, help="List the rules (--format text or json) and exit.")
@click.option("--show-settings", is_flag=True,
              help="Show the config file used for each path, the resolved settings and the files to lint, and exit.")
@click.option("--statistics", is_flag=True, help="Count findings per rule instead of listing them (text, json).")
@click.option("--baseline", "baseline_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Hide the findings recorded in this baseline file; report only new ones.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Record today's findings in this file (for --baseline) and exit 0.")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the result cache (.opsux_cache/ beside the config).")
@click.option("--coverage", is_flag=True,
              help="After the findings, count what became of every call with a sink's name (verified, "
                   "OPS001, OPS008, not the sink, unknown receiver); with --format json, list each.")
@click.option("--timings", is_flag=True, help="Print the time each phase took to standard error.")
@click.option("--fix", is_flag=True, help="Apply the safe fixes (a misspelt type literal -> the registered one) and report what is left.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the fixes --fix would make as a unified diff; change nothing.")
@click.option("--unsafe-fixes", is_flag=True,
              help="With --fix or --diff, also make the unsafe fixes: a misspelt type literal -> the project's "
                   "constant or enum member for the registered type, with its import.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per CPU when there are enough files to pay for them).")
@click.version_option(tool_version(), "--version", prog_name="opsux-lint", message="%(prog)s %(version)s")
def main(
    paths: Sequence[Path],
    config: Path | None,
    select: str | None,
    ignore: str | None,
    output_format: str,
    output_file: Path | None,
    quiet: bool,
    exit_zero: bool,
    explain: str | None,
    list_rules: bool,
    show_settings: bool,
    statistics: bool,
    baseline_file: Path | None,
    write_baseline: Path | None,
    no_cache: bool,
    coverage: bool,
    timings: bool,
    fix: bool,
    show_diff: bool,
    unsafe_fixes: bool,
    jobs: int | None,
) -> None:
    """Check Python code against the project's operation-run conventions.

    PATHS are files or directories (default: the working directory). The config (opsux.yaml,
    or pyproject.toml with [tool.opsux]) is looked up from each path upwards.
    """
    request = Request(
        paths=tuple(paths), config=config, select=select, ignore=ignore, fmt=OutputFormat(output_format),
        output_file=output_file, quiet=quiet, exit_zero=exit_zero, explain=explain, list_rules=list_rules,
        show_settings=show_settings, statistics=statistics, baseline=baseline_file,
        write_baseline=write_baseline, cache=not no_cache, coverage=coverage, jobs=jobs, timings=timings,
        fix=fix, diff=show_diff, unsafe_fixes=unsafe_fixes,
    )
    try:
        code = _main(request)
    except (click.ClickException, click.exceptions.Exit, click.Abort):
        raise
    except ConfigError as exc:
        click.echo(f"opsux-lint: config error: {exc}", err=True)
        code = EXIT_ERROR
    except OutputError as exc:
        _silence_stdout()
        if exc.error.errno != errno.EPIPE:  # a reader that stopped early (| head) needs no note
            click.echo(f"opsux-lint: I/O error: {exc}", err=True)
        code = EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the contract is exit 2, never a bare traceback
        click.echo(f"opsux-lint: internal error: {type(exc).__name__}: {exc}", err=True)
        click.echo("This is a bug in opsux-lint; please report it with the command you ran.", err=True)
        code = EXIT_ERROR
    sys.exit(code)


@dataclass(frozen=True)
class Request:
    """What was asked on the command line."""

    paths: tuple[Path, ...] = ()
    config: Path | None = None
    select: str | None = None
    ignore: str | None = None
    fmt: OutputFormat = OutputFormat.TEXT
    output_file: Path | None = None
    quiet: bool = False
    exit_zero: bool = False
    explain: str | None = None
    list_rules: bool = False
    show_settings: bool = False
    statistics: bool = False
    baseline: Path | None = None
    write_baseline: Path | None = None
    cache: bool = True
    coverage: bool = False
    jobs: int | None = None
    timings: bool = False
    fix: bool = False
    diff: bool = False
    unsafe_fixes: bool = False


def find_rule(query: str) -> RuleSpec | None:
    """A rule by code (``OPS001``, any case) or by name (``unregistered-operation-type``)."""
    wanted = query.strip()
    for rule in rules_by_id().values():
        if wanted.upper() == rule.id or wanted.lower().replace("_", "-") == rule.name:
            return rule
    return None


def _main(request: Request) -> int:
    try:
        rules = builtin_rules()
    except RuleDefinitionError as exc:
        raise LintUsageError(f"a built-in rule file is broken: {exc}") from None
    if request.explain is not None:
        rule = find_rule(request.explain)
        if rule is None:
            raise LintUsageError(f"--explain: no rule {request.explain!r} (see --list-rules)")
        from opsux_lint.explain import explain as explain_rule

        _emit(explain_rule(rule), request)
        return EXIT_CLEAN
    fmt = request.fmt
    if request.list_rules:
        from opsux_lint.explain import list_rules as render_list
        from opsux_lint.explain import list_rules_json

        if fmt not in (OutputFormat.TEXT, OutputFormat.JSON):
            raise LintUsageError(f"--list-rules works with --format text or json, not {fmt}")
        _emit(list_rules_json(rules) if fmt is OutputFormat.JSON else render_list(rules), request)
        return EXIT_CLEAN
    if request.statistics and fmt not in (OutputFormat.TEXT, OutputFormat.JSON):
        raise LintUsageError(f"--statistics works with --format text or json, not {fmt}")
    if request.coverage and fmt not in (OutputFormat.TEXT, OutputFormat.JSON):
        raise LintUsageError(f"--coverage works with --format text or json, not {fmt}")
    # Imported here: --version, --help and --list-rules should not pay for libcst.
    from opsux_lint.api import lint_paths, plan
    from opsux_lint.runner import Selection, collect_garbage_rarely

    collect_garbage_rarely()

    try:
        selection = Selection(
            select=parse_selectors(request.select, rules, "--select", allow_empty=False)
            if request.select is not None else None,
            ignore=parse_selectors(request.ignore, rules, "--ignore") if request.ignore is not None else (),
        )
    except SelectorError as exc:
        raise LintUsageError(str(exc)) from None

    cwd = Path.cwd()
    baseline = None
    if request.baseline is not None:
        try:
            baseline = Baseline.read(request.baseline)
        except BaselineError as exc:
            raise LintUsageError(f"--baseline: {exc}") from None
    planned = plan(request.paths, config=request.config)
    if request.show_settings:
        from opsux_lint.report.settings import render_settings

        _emit(render_settings(list(planned.targets), list(planned.requested), planned.expansion, selection, cwd, fmt), request)
        return EXIT_CLEAN
    for option, path in (("--output-file", request.output_file), ("--write-baseline", request.write_baseline)):
        if path is not None:
            _refuse_to_overwrite(option, path, planned.targets, planned.expansion.files)

    result = lint_paths(
        select=selection.select, ignore=selection.ignore, cache=request.cache, jobs=request.jobs,
        coverage=request.coverage, cwd=cwd, planned=planned,
        progress=progress_bar if sys.stderr.isatty() and not request.quiet else None,
    )
    if request.timings:
        _print_timings(result)
    if not request.quiet:
        for warning in result.warnings:
            click.echo(f"opsux-lint: warning: {warning}", err=True)
    if request.write_baseline is not None:
        try:
            write_baseline_file(request.write_baseline, result.findings, cwd)
        except OSError as exc:
            raise LintUsageError(f"--write-baseline: cannot write {request.write_baseline}: {exc.strerror or exc}") from None
        if not request.quiet:
            click.echo(f"Recorded {len(result.findings)} findings in {request.write_baseline}.", err=True)
        return EXIT_CLEAN
    if baseline is not None:
        kept, hidden = baseline.filter(result.findings, cwd)
        result = dataclasses.replace(result, findings=tuple(kept), baselined=hidden)
    constant_fixes = None
    if result.findings and request.unsafe_fixes:
        from opsux_lint.constant_fix import RunConstantFixes

        constant_fixes = RunConstantFixes(result.linters, cwd)
    if request.diff or request.fix:
        from opsux_lint.fixing import fix_files

        unsafe = constant_fixes if request.unsafe_fixes else None
        outcome = fix_files(result.findings, cwd, write=request.fix, unsafe=unsafe)
        if request.diff:
            _emit(outcome.diff, request)
            return EXIT_FINDINGS if outcome.diff and not request.exit_zero else EXIT_CLEAN
        result = dataclasses.replace(result, findings=outcome.remaining)
        if not request.quiet:
            click.echo(f"Fixed {outcome.fixed} findings in {outcome.files} files.", err=True)
    reported = time.perf_counter()
    color, frames = terminal_style(request)
    fixable, hidden = _fix_counts(result.findings, request.unsafe_fixes)
    context = ReportContext(
        result, cwd, tool_version(), request.statistics, color=color, frames=frames, quiet=request.quiet,
        fixable=fixable, hidden_fixes=hidden,
    )
    output = render(fmt, context)
    if result.sites is not None:
        output = _with_coverage(fmt, output, result.sites)
    _emit(output, request, color=color)
    if fmt is OutputFormat.GITHUB:
        _append_step_summary(context)
    if request.timings:
        click.echo(f"{time.perf_counter() - reported:8.3f} s  report", err=True)
    # Warnings (OPS008 by default) are reported but do not fail the run; lint.severity can
    # raise a rule to error.
    if any(f.severity is Severity.ERROR for f in result.findings) and not request.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _print_timings(result: RunResult) -> None:
    """Each phase's wall time, then what the steps inside them took in all the run's processes
    (linting and outlining are shared with helpers, so those add up to more than the wall)."""
    for phase, seconds in result.timings:
        click.echo(f"{seconds:8.3f} s  {phase}", err=True)
    steps = described(result.steps)
    if steps:
        click.echo("in all processes:", err=True)
    for seconds, step in steps:
        click.echo(f"{seconds:8.3f} s    {step}", err=True)


def _fix_counts(findings: Sequence[Finding], enabled: bool) -> tuple[int, int]:
    """(findings --fix would fix, findings with an unsafe fix that --unsafe-fixes would enable)."""
    safe = {f for f in findings if f.fix is not None}
    unsafe = {f for f in findings if f.unsafe_fix is not None}
    if enabled:
        return len(safe | unsafe), 0
    return len(safe), len(unsafe)


def _with_coverage(fmt: OutputFormat, output: str, sites: Sequence[Site]) -> str:
    if fmt is OutputFormat.JSON:
        document = json.loads(output)
        document["coverage"] = coverage_document(sites)
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return output + "\n" + render_coverage(sites)


def terminal_style(request: Request) -> tuple[bool, bool]:
    """(colour, code frames) for text output.

    Both on a terminal, neither when piped or written to a file. ``NO_COLOR`` (any non-empty
    value, https://no-color.org) turns colour off; ``FORCE_COLOR`` turns colour and frames on
    where there is no terminal (CI logs that render ANSI). ``NO_COLOR`` wins over both.
    """
    if request.fmt is not OutputFormat.TEXT or request.output_file is not None:
        return False, False
    try:
        interactive = sys.stdout.isatty()
    except (AttributeError, ValueError):
        interactive = False
    forced = bool(os.environ.get("FORCE_COLOR"))
    color = (interactive or forced) and not os.environ.get("NO_COLOR")
    return color, interactive or forced


def _emit(text: str, request: Request, *, color: bool = False) -> None:
    if request.output_file is not None:
        _refuse_to_overwrite("--output-file", request.output_file, (), ())
        try:
            request.output_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise LintUsageError(f"--output-file: cannot write {request.output_file}: {exc.strerror or exc}") from None
        return
    try:
        click.echo(text, nl=False, color=color or None)
        sys.stdout.flush()
    except OSError as exc:
        raise OutputError("standard output", exc) from None


def _silence_stdout() -> None:
    """After a failed write, point stdout at /dev/null so the interpreter's final flush of the
    same unwritable buffer does not print a second, confusing error."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, AttributeError, ValueError):
        pass


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[int], None]]:
    """A long run's progress on standard error (a terminal only: pipes and CI logs stay clean)."""
    with click.progressbar(length=total, label="Linting", file=sys.stderr, show_pos=True) as bar:
        yield bar.update


def _refuse_to_overwrite(option: str, path: Path, targets: Sequence[Target], files: Sequence[Target]) -> None:
    """A report must never replace the config or a source file (``-o opsux.yaml`` by a slip)."""
    resolved = path.resolve()
    configs = {t.policy.source.resolve() for t in targets if t.policy.source is not None}
    linted = {t.path.resolve() for t in files}
    if resolved in configs:
        raise LintUsageError(f"{option}: {path} is the config file; refusing to overwrite it")
    if resolved in linted or (path.exists() and (path.suffix in _PROTECTED_SUFFIXES or path.name in _PROTECTED_NAMES)):
        raise LintUsageError(f"{option}: {path} is a source or config file; refusing to overwrite it")


def _append_step_summary(context: ReportContext) -> None:
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    from opsux_lint.report.github import step_summary

    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(step_summary(context))
    except OSError as exc:
        # The annotations are already out; a missing summary must not turn findings into a crash.
        click.echo(f"opsux-lint: warning: cannot write $GITHUB_STEP_SUMMARY ({target}): {exc.strerror or exc}", err=True)
