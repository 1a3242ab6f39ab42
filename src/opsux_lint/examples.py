"""Running a rule's own examples: what the parametrized tests and ``--explain`` rely on."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from opsux_core.policy import Policy, policy_from_mapping
from opsux_lint.engine import Linter
from opsux_lint.findings import Finding
from opsux_lint.registry import EXAMPLE_CONFIG, EXAMPLE_PATH, RuleSpec, builtin_rules
from opsux_lint.settings import OWNERS

# Examples never touch the disk: the root only anchors module names (app/example.py -> app.example).
_EXAMPLE_ROOT = Path("/opsux-examples")


def example_policy(rule: RuleSpec) -> Policy:
    config = rule.examples.config if rule.examples.config is not None else EXAMPLE_CONFIG
    return policy_from_mapping(config, source=_EXAMPLE_ROOT / "opsux.yaml", root=_EXAMPLE_ROOT, owners=OWNERS)


def example_linter(rule: RuleSpec) -> Linter:
    """The linter the rule's examples run with: all built-in rules, the examples' project."""
    return Linter(example_policy(rule), builtin_rules())


def example_file(path: str = EXAMPLE_PATH) -> Path:
    """Where an example is linted: ``path`` relative to the example project's root."""
    return _EXAMPLE_ROOT / PurePosixPath(path)


EXAMPLE_FILE = example_file()


def lint_example(rule: RuleSpec, code: str, path: str = EXAMPLE_PATH) -> list[Finding]:
    """Findings of *all* built-in rules on the example, as a project would see them, with the
    example as the file ``path`` (relative to the example project's root)."""
    return example_linter(rule).lint(example_file(path), code.encode("utf-8"), display=path)
