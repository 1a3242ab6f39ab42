"""What the language server knows without the protocol: which project governs an open file, that
project's :class:`~opsux_lint.engine.Linter` (built once, rebuilt when the config or a saved
source file changes), and a document's findings and fixes as plain edits.

An editor buffer is linted as it is, not as it is on disk: the engine lays its outline over the
project index. Positions are the findings' (1-based lines, 0-based code point columns); the
protocol layer converts them to what the client counts in.
"""

from __future__ import annotations

import difflib
import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from opsux_core.policy import Policy, find_config, load_policy
from opsux_lint.constant_fix import ConstantFinder, ConstantFix, apply_constant_fixes
from opsux_lint.discovery import Excludes
from opsux_lint.engine import Linter
from opsux_lint.findings import Finding
from opsux_lint.fixes import apply_fixes
from opsux_lint.registry import builtin_rules
from opsux_lint.runner import display_path, project_index, save_project_index
from opsux_lint.selection import select_rules
from opsux_lint.settings import OWNERS, lint_settings
from opsux_lint.suppressions import PerFileIgnores

# The protocol counts lines at \n, \r\n and \r only (str.splitlines also breaks at form feeds).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class TextEdit:
    """Replace the text from (line, column) to (end_line, end_column), 0-based code points."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


@dataclass(frozen=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]
    finding: Finding | None
    """The finding it fixes; None for a fix of the whole file."""
    unsafe: bool = False


@dataclass
class Project:
    """One config file's project: its linter, and what tells that the linter is out of date."""

    policy: Policy
    linter: Linter
    config_stamp: tuple[int, int] | None
    excludes: Excludes
    ignores: PerFileIgnores
    stale: bool = False
    """A source file of the project was saved: the index must be read again."""
    constants: ConstantFinder = field(init=False)

    def __post_init__(self) -> None:
        self.constants = ConstantFinder(self.linter)


@dataclass(frozen=True)
class DocumentLint:
    """One lint of a document's text."""

    text: str
    findings: tuple[Finding, ...]
    project: Project | None
    path: Path | None


class Projects:
    """The projects of the open files, by config file."""

    def __init__(self, cache: bool = True) -> None:
        self.cache = cache
        self._by_config: dict[Path, Project] = {}

    def project_for(self, path: Path) -> Project | None:
        """The project that governs ``path``; None outside any. Raises ``ConfigError``."""
        config = find_config(path.parent)
        if config is None:
            return None
        key = config.resolve()
        project = self._by_config.get(key)
        if project is None or project.stale or project.config_stamp != _stamp(key):
            project = self._by_config[key] = self._build(key)
        return project

    def _build(self, config: Path) -> Project:
        stamp = _stamp(config)
        policy = load_policy(config, owners=OWNERS)
        lint = lint_settings(policy)
        rules = select_rules(builtin_rules(), lint.select, lint.ignore)
        # The CLI's index cache: outlines of unchanged files are read, not made again.
        index = project_index(policy, self.cache)
        linter = Linter(policy, rules, index)
        if self.cache:
            save_project_index(policy, index)
        return Project(
            policy, linter, stamp, Excludes.build(policy.root, lint.exclude),
            PerFileIgnores.of(policy.root, lint.per_file_ignores),
        )

    def saved(self, path: Path) -> list[Project]:
        """A file was saved: the projects whose index may hold it are read again on next use."""
        touched = []
        resolved = path.resolve()
        for project in self._by_config.values():
            if any(resolved.is_relative_to(root) for root in project.linter.roots):
                project.stale = True
                touched.append(project)
        return touched

    def lint(self, path: Path, text: str) -> DocumentLint:
        """The findings of ``text`` as the content of ``path`` (none when the project excludes
        it or no config governs it). Raises ``ConfigError``."""
        project = self.project_for(path)
        if project is None or project.excludes.excludes_file_or_parent(path):
            return DocumentLint(text, (), project, path)
        shown = display_path(path, project.policy.root)
        findings = project.linter.lint(path, _encode(text), shown)
        ignored = project.ignores.codes_for(path)
        kept = tuple(f for f in findings if not any(f.code.startswith(code) for code in ignored))
        return DocumentLint(text, kept, project, path)


def fixes(lint: DocumentLint, findings: Sequence[Finding], *, unsafe: bool) -> list[Fix]:
    """The quick fixes of ``findings`` (of ``lint``), each its own edits of the document."""
    found: list[Fix] = []
    for finding in findings:
        if finding.fix is not None:
            edit = TextEdit(finding.line - 1, finding.column - 1, finding.end_line - 1, finding.end_column - 1, finding.fix)
            found.append(Fix(f"Replace with {finding.fix}", (edit,), finding))
    if unsafe and lint.project is not None and lint.path is not None:
        for constant in lint.project.constants.fixes(lint.path, lint.text, findings):
            fixed, applied = apply_constant_fixes(lint.text, [constant])
            if applied:
                found.append(Fix(f"{constant.title} (unsafe)", text_edits(lint.text, fixed), constant.finding, True))
    return found


def fix_all(lint: DocumentLint, *, unsafe: bool) -> Fix | None:
    """Every fix of the document at once (``source.fixAll``); None when there is none."""
    constants: list[ConstantFix] = []
    if unsafe and lint.project is not None and lint.path is not None:
        constants = lint.project.constants.fixes(lint.path, lint.text, lint.findings)
    if constants:
        fixed, applied = apply_constant_fixes(lint.text, constants, lint.findings)
    else:
        fixed, applied = apply_fixes(lint.text, lint.findings)
    if not applied:
        return None
    return Fix(f"Fix all opsux findings ({len(applied)})", text_edits(lint.text, fixed), None, bool(constants))


def text_edits(before: str, after: str) -> tuple[TextEdit, ...]:
    """The changed lines of ``before`` as edits that make ``after`` (whole lines, so an added
    import and a replaced literal are two small edits, not the whole file)."""
    old, new = _lines(before), _lines(after)
    edits = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            start, end = _position(old, i1), _position(old, i2)
            edits.append(TextEdit(*start, *end, "".join(new[j1:j2])))
    return tuple(edits)


def lines_of(text: str) -> list[str]:
    """The document's lines without their line breaks, as the protocol counts them."""
    return _LINE_BREAK.split(text)


def _lines(text: str) -> list[str]:
    """Lines with their line breaks, as the protocol counts them."""
    parts = _LINE_BREAK.split(text)
    breaks = _LINE_BREAK.findall(text)
    return [part + brk for part, brk in zip(parts, [*breaks, ""], strict=True) if part + brk]


def _position(lines: Sequence[str], index: int) -> tuple[int, int]:
    """Where line ``index`` starts; past the last line, the end of the text."""
    if index < len(lines) or not lines:
        return index, 0
    last = lines[-1]
    if last.endswith(("\n", "\r")):
        return len(lines), 0
    return len(lines) - 1, len(last)


def _encode(text: str) -> bytes:
    """The buffer as its file's bytes would be (a coding cookie is honoured, as on disk)."""
    data = text.encode("utf-8", "surrogatepass")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return text.encode(encoding) if encoding not in ("utf-8", "utf-8-sig") else data
    except (SyntaxError, LookupError, UnicodeEncodeError):
        return data  # the engine reports what does not decode (OPS000)


def _stamp(config: Path) -> tuple[int, int] | None:
    try:
        info = config.stat()
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size

