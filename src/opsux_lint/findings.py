"""What a lint run produces: findings with a code, a severity and a 1-based source region."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Finding:
    """One reported problem.

    Lines and columns are 1-based; ``end_column`` is exclusive (the column after the last
    character), as in SARIF. Columns count characters (code points), not bytes.
    ``snippet`` is the stripped source line the finding starts on: fingerprints use it so that a
    finding keeps its identity when unrelated lines move.
    """

    path: str
    line: int
    column: int
    code: str
    end_line: int
    end_column: int
    message: str
    name: str
    severity: Severity
    snippet: str = ""
    fix: str | None = None
    """Source text that replaces the finding's region (``--fix``); None: no safe fix."""
    unsafe_fix: str | None = None
    """The title of the unsafe fix the finding has (made only with ``--unsafe-fixes``; the text
    report counts them); None: none. Worked out where the finding is made, so it is cached with it."""
