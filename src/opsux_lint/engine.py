"""The engine: one file's bytes in, findings out.

:class:`Linter` is built once per run from the policy, the selected rules and the project index
(:mod:`opsux_lint.analysis`: what every module of the project defines, for values and types
that come from other files), and is then a pure function ``lint(path, data) -> findings``: no I/O, no global
state, so a cache keyed by (content, config fingerprint, tool version, and what the file's
linting read of the index) or a process pool can wrap it without touching rules.

Per file: read errors are the caller's; decoding errors are always reported (OPS000), because the
prefilter works on bytes and a broken encoding is broken for Python too. Then the prefilter; only
candidate files are parsed, so a *syntax* error is reported (OPS000) only in files that contain a
needle of a selected rule. A parsed file is walked once, all rules batched into that walk.

Everything up to the prefilter's verdict is done without libcst: parsing and walking a candidate
file is :mod:`opsux_lint.syntax_tree`, imported when the first candidate comes (a pre-commit run
on a file with no needle never imports libcst).
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import io
import re
import sys
import tokenize
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from opsux_core.policy import Policy
from opsux_lint import stopwatch
from opsux_lint.analysis import (
    DerivedSink,
    ModuleEntry,
    ProjectIndex,
    Resolver,
    SinkSpec,
    derive_sinks,
)
from opsux_lint.analysis.api import api_types
from opsux_lint.analysis.nodes import deeper_than
from opsux_lint.analysis.outline import parse_module, summarize
from opsux_lint.analysis.receivers import receiver_names
from opsux_lint.constant_fix import ConstantFinder, is_constant_fixable
from opsux_lint.coverage import Site
from opsux_lint.derived import Derived
from opsux_lint.excerpt import needle_pattern
from opsux_lint.findings import Finding, Severity
from opsux_lint.kinds import CompiledRule, NeedleContext, compile_rule
from opsux_lint.kinds.operation_type import FAMILY as OPERATION_TYPES
from opsux_lint.kinds.operation_type import api_declarations
from opsux_lint.lines import source_lines
from opsux_lint.modules import module_name, source_roots
from opsux_lint.prefilter import Needle, Prefilter, dotted_tails, words
from opsux_lint.registry import (
    PARSE_ERROR_KIND,
    UNUSED_SUPPRESSION_KIND,
    RuleSpec,
    rules_by_id,
)
from opsux_lint.selection import severity_for
from opsux_lint.settings import LintSettings, lint_settings
from opsux_lint.suppressions import apply_suppressions, find_suppressions

if TYPE_CHECKING:
    import libcst as cst

    from opsux_lint.excerpt import Excerpt
    from opsux_lint.matchers import SiteOutcome

_SUPPRESSION_NEEDLE = "opsux"
_PARSER_POSITION = re.compile(r"^(?:parser error: )?error at (\d+):(\d+): ")


@dataclass(frozen=True)
class Surroundings:
    """One file's place in the project: its module name, the resolver over the index with the
    file as it is now, and the wrapper sinks derived there."""

    name: str
    is_package: bool
    shown: str
    """The file's path relative to the config's directory."""
    resolver: Resolver
    wrappers: Mapping[str, tuple[DerivedSink, ...]]


@dataclass(frozen=True)
class Linter:
    policy: Policy
    rules: tuple[RuleSpec, ...]
    index: ProjectIndex | None = None
    """The project index (every module under the source roots); None: only the file itself."""
    coverage: bool = False
    """Also account for every site (:meth:`check`); the prefilter then keeps every file that
    calls anything by a sink's name, so unknown receivers are counted too."""
    exhaustive: bool = False
    """Parse every file, prefilter or not: the same findings, slower (proves the prefilter sound)."""
    derived: Derived | None = None
    """What a Linter of the same policy, rules and index derived (a worker process reuses it)."""
    unparsable: RuleSpec | None = None
    """The parse-error rule when the selection leaves it out without ignoring it: a file that
    holds a needle of the selected rules (a sink call) but cannot be parsed is reported with it
    all the same, since nothing in it was checked (other files are not parsed for it)."""
    compiled: tuple[CompiledRule, ...] = field(init=False)
    settings: LintSettings = field(init=False)
    resolver: Resolver = field(init=False)
    prefilter: Prefilter = field(init=False)
    needles: re.Pattern[str] | None = field(init=False)
    """What keeps a top-level statement in the excerpt libcst parses; None: every statement."""
    in_strings: re.Pattern[str] | None = field(init=False)
    """The part of :attr:`needles` that matters inside string literals (data rows keep nothing else)."""
    follow: bool = field(init=False)
    """Whether the excerpt follows module-level names (a selected rule reads their values)."""
    module_needles: tuple[Callable[[Resolver, str], frozenset[str]], ...] = field(init=False)
    """Rules' names that keep statements in one module (imported constants they follow)."""
    roots: tuple[Path, ...] = field(init=False)
    severities: Mapping[str, Severity] = field(init=False)
    families: Mapping[str, tuple[SinkSpec, ...]] = field(init=False)
    """The selected rules' sinks by family (:meth:`CompiledRule.sink_family`)."""
    wrappers: Mapping[str, tuple[DerivedSink, ...]] = field(init=False)
    """Functions that pass a parameter on into a sink, by the sink's family."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", lint_settings(self.policy))
        compiled = tuple(c for c in (compile_rule(r, self.policy) for r in self.rules) if c is not None)
        index = self.index if self.index is not None else ProjectIndex()
        object.__setattr__(self, "index", index)
        api = api_types(api_declarations(rules_by_id().values()))
        resolver = Resolver(index, _known_constants(tuple(rules_by_id().values())), api)
        object.__setattr__(self, "resolver", resolver)
        families = _families(compiled)
        object.__setattr__(self, "families", families)
        derived = self.derived
        if derived is None:
            # Methods of the API's classes: a file must name what types the receiver. A project
            # class's method is also matched by its name on a receiver of unknown type
            # (``named_sinks``), so its needle is that name, as every call of it writes it.
            methods = frozenset(
                s.call for sinks in families.values() for s in sinks
                if api.canonical(s.call.rpartition(".")[0]) in api.classes
            )
            derived = Derived(
                _derive(resolver, families),
                methods,
                # Method sinks and the run kinds both type receivers through these names.
                receiver_names(index, api) if methods or any(getattr(c, "types_receivers", False) for c in compiled) else frozenset(),
            )
            object.__setattr__(self, "derived", derived)
        object.__setattr__(self, "wrappers", derived.wrappers)
        context = NeedleContext(derived.receivers, derived.methods, self.coverage)
        needles: list[frozenset[Needle] | None] = [c.needles(context) for c in compiled]
        # What keeps a statement in the excerpt must occur in the statement itself: the names
        # of method sinks, not the receiver types that make a file a candidate.
        in_statements = [c.statement_needles(context) for c in compiled]
        if derived.all_wrappers():
            wrapper_names = words(w.spec.call.rsplit(".", 1)[-1] for w in derived.all_wrappers())
            needles.append(wrapper_names)
            in_statements.append(wrapper_names | dotted_tails(n.text for n in wrapper_names))
        if self._runs(UNUSED_SUPPRESSION_KIND):
            # Suppressions are read in any case (``# OPSUX: IGNORE``), so is their needle.
            needles.append(frozenset({Needle(_SUPPRESSION_NEEDLE, ignore_case=True)}))
        object.__setattr__(self, "compiled", compiled)
        prefilter = Prefilter(None) if self.exhaustive else Prefilter.build(needles)
        object.__setattr__(self, "prefilter", prefilter)
        statements = Prefilter(None) if self.exhaustive else Prefilter.build(in_statements)
        object.__setattr__(self, "needles", None if statements.pattern is None else needle_pattern(statements.pattern))
        in_strings = Prefilter.build(
            [None if n is None else frozenset(x for x in n if x.in_strings) for n in in_statements]
        )
        object.__setattr__(
            self, "in_strings", None if in_strings.pattern is None else re.compile(in_strings.pattern.pattern.decode("utf-8"), re.ASCII)
        )
        object.__setattr__(self, "follow", any(c.follows_names for c in compiled))
        object.__setattr__(
            self, "module_needles", tuple(hook for c in compiled if (hook := getattr(c, "module_needles", None)) is not None)
        )
        object.__setattr__(self, "roots", source_roots(self.policy.root, self.settings.src))
        reported = (*self.rules, *((self.unparsable,) if self.unparsable is not None else ()))
        object.__setattr__(self, "severities", {r.id: severity_for(r, self.settings.severity) for r in reported})

    def _runs(self, kind: str) -> bool:
        return any(rule.kind == kind for rule in self.rules)

    def _rule_of_kind(self, kind: str) -> RuleSpec | None:
        return next((rule for rule in self.rules if rule.kind == kind), None)

    def _parse_rule(self, candidate: bool) -> RuleSpec | None:
        """The rule a file that cannot be read or parsed is reported with (``candidate``: it
        holds a needle, so a finding could be in it)."""
        return self._rule_of_kind(PARSE_ERROR_KIND) or (self.unparsable if candidate else None)

    # ----------------------------------------------------------------------------------- entry

    def lint(self, path: Path, data: bytes, display: str | None = None) -> list[Finding]:
        """Findings for one file (``display`` is the path shown; default: ``path``)."""
        return self.check(path, data, display)[0]

    def check(self, path: Path, data: bytes, display: str | None = None) -> tuple[list[Finding], list[Site]]:
        """Findings for one file and, with :attr:`coverage`, what became of each of its sites."""
        shown = display if display is not None else path.as_posix()
        text, problem = decode_source(data)
        if text is None:
            return self._file_problem(shown, problem, self.prefilter.is_candidate(data)), []
        if not self.prefilter.is_candidate(data):
            # Nothing to find here, but a file Python cannot parse is never "checked": CPython's
            # own parser (fast, in C) looks at every file libcst does not; what it rejects is
            # confirmed with libcst, which also knows the syntax of Pythons newer than this one.
            located = _python_syntax_error(text) if self._runs(PARSE_ERROR_KIND) else None
            if located is None or not _rejects(text, located):
                return [], []
            return self._syntax_error(shown, None, text, located), []
        # CPython's parser first: it rejects what would crash libcst's native parser (10,000
        # nested brackets end the process) and measures the nesting libcst's recursive passes
        # could not survive; such a file is one OPS000, never a lost run.
        with stopwatch.timed(stopwatch.SCREEN, len(data)):
            screened = _screen(text)
        if isinstance(screened, tuple) and _fatal(screened):
            return self._syntax_error(shown, None, text, screened, candidate=True), []
        if isinstance(screened, str):
            return self._file_problem(shown, (1, 1, screened), candidate=True), []
        # Any other syntax error of this Python may be newer syntax (``except A, B:`` of 3.14):
        # libcst decides, and places a real error where CPython does.
        import_syntax_tree()  # libcst: only for a file that can hold a finding
        from opsux_lint import syntax_tree

        around = self._surroundings(path, text, hashlib.sha256(data).hexdigest())
        parsed = syntax_tree.parse(self, text, screened if isinstance(screened, ast.Module) else None, around)
        if parsed is None:
            return self._file_problem(shown, (1, 1, "the file is nested too deeply to parse"), candidate=True), []
        if not isinstance(parsed, tuple):
            return self._syntax_error(shown, parsed, text, candidate=True), []
        module, part = parsed
        with stopwatch.timed(stopwatch.RULES):
            findings, sites = self._check(shown, text, module, part, around)
            if any(is_constant_fixable(f) for f in findings):
                findings = self._with_unsafe_fixes(path, text, findings)
        return findings, sites

    def read_error(self, display: str, error: OSError) -> list[Finding]:
        return self._file_problem(display, (1, 1, f"cannot read: {error.strerror or error}"))

    # ---------------------------------------------------------------------------- the walk

    def _surroundings(self, path: Path, text: str, digest: str) -> Surroundings:
        """The project index around one file, and the wrappers derived from it.

        The index was built from the files on disk; the file being linted is taken as given
        (a rule example, an editor buffer, a file changed since), its own summary laid over it.
        """
        name, is_package = module_name(path, self.roots)
        index = self.index
        assert index is not None
        # A result recorded for the cache depends on what its own resolutions read, not on
        # what an earlier file's left in the resolver's memo: it starts with an empty one.
        resolver = self.resolver.over(index, fresh=index.is_recording)
        wrappers = self.wrappers
        current = index.entry(name)
        if current is None or current.digest != digest:
            summary = summarize(text, name, is_package)
            if summary is not None:
                entry = ModuleEntry(summary, _shown(path, self.policy.root), digest)
                overlaid = index.with_module(name, entry, text.encode("utf-8", "surrogatepass"))
                resolver = resolver.over(overlaid)
                if any(f["passes"] for f in summary["functions"].values()):
                    wrappers = _derive(resolver, self.families)
        return Surroundings(name, is_package, _shown(path, self.policy.root), resolver, wrappers)

    def sites(self, path: Path, data: bytes) -> list[tuple[int, int, SiteOutcome]]:
        """``(line, column, outcome)`` of every sink position in one file (of the first rule
        that accounts for its sites): what the value resolved to and what stayed unknown (the
        corpus benchmark counts these)."""
        text, _ = decode_source(data)
        if text is None or not self.prefilter.is_candidate(data):
            return []
        screened = _screen(text)
        if isinstance(screened, str) or (isinstance(screened, tuple) and _fatal(screened)):
            return []
        from opsux_lint import syntax_tree

        around = self._surroundings(path, text, hashlib.sha256(data).hexdigest())
        parsed = syntax_tree.parse(self, text, screened if isinstance(screened, ast.Module) else None, around)
        if not isinstance(parsed, tuple):
            return []
        module, part = parsed
        return syntax_tree.site_outcomes(self, text, module, part, around)

    def _check(
        self, shown: str, text: str, module: cst.Module, part: Excerpt, around: Surroundings
    ) -> tuple[list[Finding], list[Site]]:
        from opsux_lint import syntax_tree

        reports, sites = syntax_tree.reports(self, shown, text, module, part, around)
        suppressions = find_suppressions(text) if self._runs(UNUSED_SUPPRESSION_KIND) or reports else []
        if not reports and not suppressions:
            return [], sites

        lines = source_lines(text)
        findings: list[Finding] = []
        for report in reports:
            finding = self._finding(
                report.spec, shown, report.message, lines, report.line, report.column, report.end_line, report.end_column,
            )
            findings.append(dataclasses.replace(finding, fix=report.fix) if report.fix else finding)
        selected = {rule.id for rule in self.rules}
        kept, unused = apply_suppressions(findings, suppressions, selected.__contains__, _is_builtin_rule)
        unused_rule = self._rule_of_kind(UNUSED_SUPPRESSION_KIND)
        if unused_rule is not None:
            for item in unused:
                s = item.suppression
                kept.append(
                    self._finding(
                        unused_rule, shown, unused_rule.format(detail=item.detail), lines,
                        s.line, s.column, s.line, s.end_column,
                    )
                )
        return sorted(kept), sites

    def _with_unsafe_fixes(self, path: Path, text: str, findings: list[Finding]) -> list[Finding]:
        """The findings, each with the title of its unsafe fix if it has one: found here, with the
        file's other results, so a cached run's report needs neither the index nor libcst for it."""
        titles = {fix.finding: fix.title for fix in ConstantFinder(self).fixes(path, text, findings)}
        return [dataclasses.replace(f, unsafe_fix=titles[f]) if f in titles else f for f in findings]

    # -------------------------------------------------------------------------- building

    def _finding(
        self, spec: RuleSpec, shown: str, message: str, lines: Sequence[str],
        line: int, column: int, end_line: int, end_column: int,
    ) -> Finding:
        snippet = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        return Finding(
            path=shown, line=line, column=column, code=spec.id, end_line=end_line,
            end_column=end_column, message=message, name=spec.name,
            severity=self.severities[spec.id], snippet=snippet,
        )

    def _file_problem(self, shown: str, problem: tuple[int, int, str], candidate: bool = False) -> list[Finding]:
        spec = self._parse_rule(candidate)
        if spec is None:
            return []
        line, column, detail = problem
        return [self._finding(spec, shown, spec.format(detail=detail), (), line, column, line, column + 1)]

    def _syntax_error(
        self, shown: str, exc: cst.ParserSyntaxError | None, text: str,
        located: tuple[int, int, str] | None = None, *, candidate: bool = False,
    ) -> list[Finding]:
        located = located or _python_syntax_error(text)
        if located is not None:
            # CPython's parser says where the mistake is ("'(' was never closed" at 1:5); libcst's
            # native parser says where it gave up, often a line later, with a list of tokens.
            line, column, message = located
        else:
            assert exc is not None
            message = exc.message
            line, column = exc.raw_line, exc.raw_column + 1
            match = _PARSER_POSITION.match(message)
            if match:
                # The native parser's own "error at L:C" is more precise than raw_line/raw_column.
                line, column = int(match.group(1)), int(match.group(2)) + 1
                message = message[match.end():]
        lines = source_lines(text)
        line = max(1, min(line, len(lines) or 1))
        width = len(lines[line - 1]) if lines else 0
        column = max(1, min(column, width + 1))
        spec = self._parse_rule(candidate)
        if spec is None:
            return []
        return [self._finding(spec, shown, spec.format(detail=f"syntax error: {message}"), lines, line, column, line, column + 1)]


def import_syntax_tree() -> None:
    """Import libcst's half of the engine (:mod:`opsux_lint.syntax_tree`), once: a step of its
    own in ``--timings``, a quarter of a second that a run with no candidate file never pays."""
    if "opsux_lint.syntax_tree" not in sys.modules:
        with stopwatch.timed(stopwatch.IMPORT_LIBCST):
            import opsux_lint.syntax_tree  # noqa: F401


MAX_NESTING = 250
"""Deepest syntax tree libcst is given: far above real code (rarely over 30), far below what
exhausts the recursion of its parse (about 480 levels of `1+1+...` here)."""


def _screen(text: str) -> ast.Module | tuple[int, int, str] | str:
    """CPython's tree: safe for libcst; ``(line, column, message)``: a syntax error; a str: why not.

    A file of syntax newer than this Python (``except A, B:`` of 3.14) gets the index's
    repaired tree, whose lines are the file's: libcst, which knows that syntax, is then given
    the excerpt like any other file (and decides on the whole file if it rejects the excerpt).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the linted code's SyntaxWarnings are not ours to print
            tree = ast.parse(text, "<opsux-lint>")
    except SyntaxError as exc:
        if exc.lineno is None and "\0" in text:
            return _nul_position(text)  # CPython names no position for a NUL byte
        located = exc.lineno or 1, exc.offset or 1, exc.msg
        repaired = None if _fatal(located) else parse_module(text)
        if repaired is None:
            return located
        tree = repaired
    except (RecursionError, MemoryError):
        return "the file is nested too deeply to check"
    except ValueError:  # a NUL byte: CPython reports no position, so find it
        return _nul_position(text)
    deep = deeper_than(tree, MAX_NESTING)
    if deep is not None:
        line = getattr(deep, "lineno", 1)
        return f"the file is nested too deeply to check (over {MAX_NESTING} levels at line {line})"
    return tree


def _fatal(located: tuple[int, int, str]) -> bool:
    # Errors no Python accepts and libcst must not decide: its native parser crashes on the
    # nesting, and it reads past a NUL byte that no interpreter does.
    return "too many nested" in located[2] or located[2] == _NUL_MESSAGE


def _rejects(text: str, located: tuple[int, int, str]) -> bool:
    """Whether a file CPython's parser rejects is a syntax error for libcst too (which knows the
    syntax of newer Pythons)."""
    if _fatal(located):
        return True
    from opsux_lint import (
        syntax_tree,  # libcst: only for a file this Python cannot parse
    )

    return syntax_tree.rejects(text)


def _python_syntax_error(text: str) -> tuple[int, int, str] | None:
    """Where the running Python's own parser places the syntax error, if it finds one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<opsux-lint>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as exc:
        if exc.lineno is None and "\0" in text:
            return _nul_position(text)
        return exc.lineno or 1, exc.offset or 1, exc.msg
    except ValueError:
        return _nul_position(text)
    except (RecursionError, MemoryError):
        return None
    # Valid for this Python but not for libcst's grammar: libcst's message is all there is.
    return None


_NUL_MESSAGE = "source code cannot contain a NUL byte"


def _nul_position(text: str) -> tuple[int, int, str]:
    offset = max(text.find("\0"), 0)
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column, _NUL_MESSAGE


def decode_source(data: bytes) -> tuple[str, tuple[int, int, str]] | tuple[None, tuple[int, int, str]]:
    """The text of a Python file (PEP 263 cookie or BOM honoured), or where decoding failed."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        return None, (exc.lineno or 1, 1, f"cannot decode: {exc.msg}")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        line_start = before.rfind(b"\n") + 1
        column = len(before[line_start:].decode(encoding, errors="replace")) + 1
        return None, (line, column, f"cannot decode as {encoding}: {exc.reason} (byte 0x{data[exc.start]:02x})")
    text = text.removeprefix("\ufeff")
    return text, (0, 0, "")


def _families(compiled: Sequence[CompiledRule]) -> dict[str, tuple[SinkSpec, ...]]:
    """The rules' sinks by family, each sink once, in the rules' order."""
    found: dict[str, dict[SinkSpec, None]] = {}
    for rule in compiled:
        hook = getattr(rule, "sink_family", None)
        family = hook() if hook is not None else None
        if family is not None:
            name, sinks = family
            found.setdefault(name, {}).update(dict.fromkeys(sinks))
    return {name: tuple(sinks) for name, sinks in found.items() if sinks}


def _derive(resolver: Resolver, families: Mapping[str, tuple[SinkSpec, ...]]) -> dict[str, tuple[DerivedSink, ...]]:
    """The wrapper sinks of each family: functions that pass a parameter on into its sinks."""
    # Operation types are strings a wrapper may write into a template; the other families'
    # values (statuses, notification classes) are passed on as they are.
    return {name: derive_sinks(resolver, sinks, templated=name == OPERATION_TYPES) for name, sinks in families.items()}


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _known_constants(rules: Sequence[RuleSpec]) -> dict[str, str]:
    """Values of names outside the project that rules know (``opsux_core.RunStatus.QUEUED``);
    of every rule, selected or not, as the API declarations: what a name is does not depend on
    which rules run."""
    known: dict[str, str] = {}
    for rule in rules:
        value = rule.params.get("known_constants")
        if isinstance(value, Mapping):
            known.update({str(k): str(v) for k, v in value.items()})
    return known


def _is_builtin_rule(code: str) -> bool:
    return code in rules_by_id()


def lint_source(
    path: Path, data: bytes, policy: Policy, rules: Sequence[RuleSpec], display: str | None = None,
    index: ProjectIndex | None = None,
) -> list[Finding]:
    """The engine as one pure function; build a :class:`Linter` once to lint many files.

    Without ``index`` only the file itself is known (values from other modules are OPS008).
    """
    return Linter(policy, tuple(rules), index).lint(path, data, display)
