"""``# opsux: ignore[OPS001,OPS002]`` comments: which findings they hide, and which hide nothing.

A suppression applies to findings that start on its line; a bare ``# opsux: ignore`` hides every
rule there. Comments are found with :mod:`tokenize`, so the text inside a string literal never
counts as a suppression; files without the marker are never tokenized.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opsux_lint.findings import Finding

MARKER = "opsux:"
_SUPPRESSION_RE = re.compile(r"#\s*opsux:\s*ignore\b(?:\[(?P<codes>[^\]]*)\])?")
_CODE_RE = re.compile(r"^OPS[0-9]{3}$")
UNUSED_SUPPRESSION_CODE = "OPS900"


@dataclass(frozen=True)
class Suppression:
    line: int
    column: int
    end_column: int
    codes: tuple[str, ...] | None
    """The codes listed, or None for a bare ``# opsux: ignore`` (every rule)."""
    text: str

    def covers(self, code: str) -> bool:
        return self.codes is None or code in self.codes


def find_suppressions(text: str) -> list[Suppression]:
    if MARKER not in text:
        return []
    found: list[Suppression] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                found.extend(_parse(token.string, token.start[0], token.start[1]))
    except (tokenize.TokenError, SyntaxError):
        # The file parsed with libcst, so this is rare; a line scan is the next best thing.
        found = []
        for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
            index = line.find("#")
            if index >= 0:
                found.extend(_parse(line[index:], number, index))
    return found


def _parse(comment: str, line: int, offset: int) -> list[Suppression]:
    found = []
    for match in _SUPPRESSION_RE.finditer(comment):
        raw = match.group("codes")
        codes = None if raw is None else tuple(c.strip() for c in raw.split(",") if c.strip())
        start = offset + match.start()
        found.append(Suppression(line, start + 1, offset + match.end() + 1, codes, match.group(0)))
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
    by_line: dict[int, list[Suppression]] = {}
    for suppression in suppressions:
        by_line.setdefault(suppression.line, []).append(suppression)
    used: dict[int, set[str]] = {}
    kept: list[Finding] = []
    for finding in findings:
        hiding = [s for s in by_line.get(finding.line, ()) if s.covers(finding.code)]
        if hiding:
            for suppression in hiding:
                used.setdefault(id(suppression), set()).add(finding.code)
        else:
            kept.append(finding)
    unused: list[Unused] = []
    for suppression in suppressions:
        if suppression.codes is not None and UNUSED_SUPPRESSION_CODE in suppression.codes:
            # Listing OPS900 keeps a deliberately pre-emptive suppression quiet (as ruff's
            # ``# noqa: RUF100``); a bare ignore does not, or stale bare ignores would never show.
            continue
        hid = used.get(id(suppression), set())
        if suppression.codes is None:
            if not hid:
                unused.append(Unused(suppression, "no finding on this line to ignore"))
            continue
        if not suppression.codes:
            unused.append(Unused(suppression, "it names no rule code"))
            continue
        for code in suppression.codes:
            if not _CODE_RE.fullmatch(code) or not is_rule(code):
                unused.append(Unused(suppression, f"{code} is not a rule code"))
            elif code not in hid and ran(code):
                unused.append(Unused(suppression, f"no {code} finding on this line to ignore"))
    return kept, unused
