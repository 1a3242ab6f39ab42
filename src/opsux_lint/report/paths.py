"""Where CI expects paths to start: the repository root, not the working directory.

GitHub places annotations by paths relative to ``$GITHUB_WORKSPACE`` and GitLab reads Code
Quality paths relative to ``$CI_PROJECT_DIR``; when neither is set (a local run), the git top
level is the root, then the working directory. So a job that runs in a subdirectory still lands
its annotations on the right files.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from opsux_lint.findings import Finding


def repository_root(cwd: Path, variable: str | None = None) -> Path:
    if variable is not None:
        configured = os.environ.get(variable)
        if configured and Path(configured).is_dir():
            return Path(configured).resolve()
    try:
        completed = subprocess.run(
            ["git", "-C", str(cwd), "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, timeout=30, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return cwd.resolve()
    top = completed.stdout.strip()
    if completed.returncode == 0 and top:
        return Path(top).resolve()
    return cwd.resolve()


def relative_to_root(finding: Finding, cwd: Path, root: Path) -> str:
    """The finding's path relative to ``root`` (``/``-separated); as shown when outside it."""
    absolute = Path(os.path.normpath(cwd.resolve() / finding.path))
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return finding.path


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``): a file name cannot start a
    new output line, forge an annotation or colour a terminal."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
