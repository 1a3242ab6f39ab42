"""opsux-lint: the static half of opsux (libcst linter, CLI ``opsux-lint``).

The engine is importable for tools that lint in-process::

    from opsux_lint import Linter, builtin_rules
    findings = Linter(policy, builtin_rules()).lint(path, path.read_bytes())

Names are imported lazily so that ``opsux-lint --version`` does not pay for libcst.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from opsux_core.lazy import lazy_attributes
from opsux_core.version import __version__

if TYPE_CHECKING:
    from opsux_lint.engine import Linter, lint_source
    from opsux_lint.findings import Finding, Severity
    from opsux_lint.registry import RuleSpec, builtin_rules

_LAZY = {
    "Linter": "opsux_lint.engine",
    "lint_source": "opsux_lint.engine",
    "Finding": "opsux_lint.findings",
    "Severity": "opsux_lint.findings",
    "RuleSpec": "opsux_lint.registry",
    "builtin_rules": "opsux_lint.registry",
}


__getattr__ = lazy_attributes(__name__, _LAZY, globals())


__all__ = ["Finding", "Linter", "RuleSpec", "Severity", "__version__", "builtin_rules", "lint_source"]
