"""Suppressions: which findings they hide, and which hide nothing.

- ``# opsux: ignore[OPS001,OPS002]`` hides those rules' findings in the statement the comment is
  in, from any of its lines: after ``ruff format`` or black wraps a call, a trailing comment lands
  on the closing ``)`` line and keeps working. A bare ``# opsux: ignore`` hides every rule there.
- ``# opsux: ignore-file[OPS001]`` (anywhere in the file) hides those rules in the whole file; a
  bare ``# opsux: ignore-file`` hides every rule.
- ``lint.per_file_ignores`` (glob -> codes or prefixes) does the same from the config.

The directive is case-insensitive, as ruff's ``# NOQA`` is: ``# OPSUX: IGNORE[ops001]`` is
``# opsux: ignore[OPS001]``. A comment that starts a directive (``# opsux:``) but is not one of
the forms above (``ignore[OPS002`` without ``]``, ``ignore(OPS002)``, ``ignore:OPS002``,
``ignore[``, a misspelt keyword) suppresses nothing and is reported (OPS900): a typo must never
hide every rule on its line.

Comments are found with :mod:`tokenize`, so the text inside a string literal never counts; files
without the marker are never tokenized.
"""

from __future__ import annotations

import bisect
import enum
import io
import re
import tokenize
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from opsux_lint.discovery import Excludes
from opsux_lint.findings import Finding

MARKER = "opsux:"
_MARKER_RE = re.compile(r"opsux\s*:", re.IGNORECASE)
_DIRECTIVE_RE = re.compile(r"#\s*opsux\s*:\s*", re.IGNORECASE)
# After "opsux:": the keyword, an optional [codes], then the end of the directive.
_WELL_FORMED_RE = re.compile(
    r"(?P<keyword>ignore-file|ignore)(?:\[(?P<codes>[^\[\]#]*)\])?(?=\s|#|$)", re.IGNORECASE
)
_CODE_RE = re.compile(r"^OPS[0-9]{3}$")
UNUSED_SUPPRESSION_CODE = "OPS900"


class Scope(enum.StrEnum):
    STATEMENT = "statement"
    FILE = "file"


@dataclass(frozen=True)
class Suppression:
    line: int
    column: int
    end_column: int
    codes: tuple[str, ...] | None
    """The codes listed (upper case), or None for a bare ignore (every rule)."""
    text: str
    first_line: int = 0
    """The first line of the statement the comment is in (0: the comment's own line)."""
    last_line: int = 0
    scope: Scope = Scope.STATEMENT
    malformed: str | None = None
    """Why the comment is no valid suppression; a malformed one hides nothing."""

    def covers(self, code: str) -> bool:
        if self.malformed is not None:
            return False
        return self.codes is None or code in self.codes

    def covers_line(self, line: int) -> bool:
        if self.scope is Scope.FILE:
            return True
        return (self.first_line or self.line) <= line <= (self.last_line or self.line)

    @property
    def where(self) -> str:
        # No line numbers: the formatter moving a statement must not change the message.
        if self.scope is Scope.FILE:
            return "in this file"
        return "on this line" if (self.first_line or self.line) == (self.last_line or self.line) else "in this statement"


def find_suppressions(text: str) -> list[Suppression]:
    if not _MARKER_RE.search(text):
        return []
    found: list[Suppression] = []
    try:
        found = _from_tokens(text)
    except (tokenize.TokenError, SyntaxError):
        # The file parsed with libcst, so this is rare; a line scan (one line per statement) is
        # the next best thing.
        found = []
        for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
            index = line.find("#")
            if index >= 0:
                found.extend(_parse(line[index:], number, index, number, number))
    return found


_NOT_CODE = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER})


def _from_tokens(text: str) -> list[Suppression]:
    """Each comment with the line range of the logical line (statement) it belongs to."""
    found: list[Suppression] = []
    start: int | None = None  # first line of the logical line in progress
    pending: list[tokenize.TokenInfo] = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.COMMENT:
            if start is None:
                # A comment on a line of its own: it belongs to no statement but its line.
                line = token.start[0]
                found.extend(_parse(token.string, line, token.start[1], line, line))
            else:
                pending.append(token)
        elif token.type == tokenize.NEWLINE or token.type == tokenize.ENDMARKER:
            if start is not None:
                end = token.start[0]
                for comment in pending:
                    found.extend(_parse(comment.string, comment.start[0], comment.start[1], start, end))
            start, pending = None, []
        elif token.type not in _NOT_CODE and start is None:
            start = token.start[0]
    return found


def _parse(comment: str, line: int, offset: int, first: int, last: int) -> list[Suppression]:
    found = []
    for directive in _DIRECTIVE_RE.finditer(comment):
        begin = offset + directive.start()
        rest = comment[directive.end():]
        match = _WELL_FORMED_RE.match(rest)
        if match is None:
            end = offset + len(comment.rstrip())
            following = comment.find("#", directive.end())
            if following >= 0:
                end = offset + len(comment[:following].rstrip())
            raw = comment[directive.start(): end - offset]
            found.append(
                Suppression(
                    line, begin + 1, end + 1, (), raw, first, last,
                    malformed=f"malformed suppression {raw!r} suppresses nothing; "
                    "write # opsux: ignore[OPS001] or # opsux: ignore-file[OPS001]",
                )
            )
            continue
        raw_codes = match.group("codes")
        codes = None if raw_codes is None else tuple(c.strip().upper() for c in raw_codes.split(",") if c.strip())
        scope = Scope.FILE if match.group("keyword").lower() == "ignore-file" else Scope.STATEMENT
        end = directive.end() + match.end()
        found.append(
            Suppression(line, begin + 1, offset + end + 1, codes, comment[directive.start(): end], first, last, scope)
        )
    return found


@dataclass(frozen=True)
class Unused:
    """A suppression (or one code of it) that hid nothing."""

    suppression: Suppression
    detail: str


def apply_suppressions(
    findings: Sequence[Finding],
    suppressions: Sequence[Suppression],
    ran: Callable[[str], bool],
    is_rule: Callable[[str], bool],
) -> tuple[list[Finding], list[Unused]]:
    """Drop suppressed findings; report suppressions that suppressed nothing.

    A listed code is reported unused only when its rule ran (``ran``): a suppression for a
    rule deselected today must not fail the build, it may be needed again tomorrow.
    """
    # Statements do not overlap, so the one holding a line is found by bisection.
    by_range: dict[tuple[int, int], list[Suppression]] = {}
    whole_file: list[Suppression] = []
    for suppression in suppressions:
        if suppression.scope is Scope.FILE:
            whole_file.append(suppression)
        else:
            span = (suppression.first_line or suppression.line, suppression.last_line or suppression.line)
            by_range.setdefault(span, []).append(suppression)
    spans = sorted(by_range)
    starts = [first for first, _ in spans]

    def around(line: int) -> list[Suppression]:
        position = bisect.bisect_right(starts, line) - 1
        if position >= 0 and spans[position][0] <= line <= spans[position][1]:
            return by_range[spans[position]]
        return []

    used: dict[int, set[str]] = {}
    kept: list[Finding] = []
    for finding in findings:
        hiding = [s for s in (*around(finding.line), *whole_file) if s.covers(finding.code)]
        if hiding:
            for suppression in hiding:
                used.setdefault(id(suppression), set()).add(finding.code)
        else:
            kept.append(finding)
    unused: list[Unused] = []
    for suppression in suppressions:
        if suppression.malformed is not None:
            unused.append(Unused(suppression, suppression.malformed))
            continue
        if suppression.codes is not None and UNUSED_SUPPRESSION_CODE in suppression.codes:
            # Listing OPS900 keeps a deliberately pre-emptive suppression quiet (as ruff's
            # ``# noqa: RUF100``); a bare ignore does not, or stale bare ignores would never show.
            continue
        hid = used.get(id(suppression), set())
        if suppression.codes is None:
            if not hid:
                unused.append(Unused(suppression, f"no finding {suppression.where} to ignore"))
            continue
        if not suppression.codes:
            unused.append(Unused(suppression, "it names no rule code"))
            continue
        for code in suppression.codes:
            if not _CODE_RE.fullmatch(code) or not is_rule(code):
                unused.append(Unused(suppression, f"{code} is not a rule code"))
            elif code not in hid and ran(code):
                unused.append(Unused(suppression, f"no {code} finding {suppression.where} to ignore"))
    return kept, unused


def apply_per_file_ignores(
    findings: Iterable[Finding], ignores_for: Callable[[Finding], Sequence[str]]
) -> list[Finding]:
    """``findings`` minus those whose code starts with one of ``ignores_for(finding)``."""
    return [f for f in findings if not any(f.code.startswith(prefix) for prefix in ignores_for(f))]


@dataclass(frozen=True)
class PerFileIgnores:
    """``lint.per_file_ignores`` of one config, matched like ``lint.exclude`` (relative to its
    directory: ``tests/`` is everything below tests, ``test_*.py`` a name anywhere,
    ``app/legacy/*.py`` anchored)."""

    entries: tuple[tuple[Excludes, tuple[str, ...]], ...]

    @classmethod
    def of(cls, root: Path, table: Mapping[str, Sequence[str]]) -> PerFileIgnores:
        return cls(tuple((Excludes.build(root, [glob]), tuple(codes)) for glob, codes in table.items()))

    def codes_for(self, path: Path) -> tuple[str, ...]:
        return tuple(code for matcher, codes in self.entries if matcher.excludes_file_or_parent(path) for code in codes)


def per_file_ignores_by_path(
    files: Iterable[tuple[str, Path, Path, Mapping[str, Sequence[str]]]],
) -> Callable[[Finding], Sequence[str]]:
    """A lookup for :func:`apply_per_file_ignores` from ``(shown path, file, config root, table)``."""
    compiled: dict[tuple[Path, int], PerFileIgnores] = {}
    table: dict[str, tuple[str, ...]] = {}
    for shown, file, root, ignores in files:
        if ignores:
            key = (root, id(ignores))
            if key not in compiled:
                compiled[key] = PerFileIgnores.of(root, ignores)
            table[shown] = compiled[key].codes_for(file)
    return lambda finding: table.get(finding.path, ())
