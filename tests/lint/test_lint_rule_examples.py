"""Every example in every rule file is a test case: adding a rule never needs a new test file."""

from __future__ import annotations

import pytest

from opsux_lint.constant_fix import ConstantFinder, apply_constant_fixes
from opsux_lint.fixes import apply_fixes
from opsux_lint.examples import example_file, example_linter, lint_example
from opsux_lint.registry import RuleSpec, builtin_rules

_INVALID = [
    pytest.param(rule, index, id=f"{rule.id}-invalid-{index}")
    for rule in builtin_rules()
    for index in range(len(rule.examples.invalid))
]
_VALID = [
    pytest.param(rule, index, id=f"{rule.id}-valid-{index}")
    for rule in builtin_rules()
    for index in range(len(rule.examples.valid))
]


@pytest.mark.parametrize(("rule", "index"), _INVALID)
def test_invalid_example_is_reported(rule: RuleSpec, index: int) -> None:
    example = rule.examples.invalid[index]
    findings = lint_example(rule, example.code, example.path)
    mine = [f for f in findings if f.code == rule.id]
    assert len(mine) == example.count, f"expected {example.count} {rule.id}, got {findings}"
    for finding in mine:
        for fragment in example.message_contains:
            assert fragment in finding.message
        assert finding.name == rule.name
        assert finding.line >= 1 and finding.column >= 1
    # The fix the example documents is the one --fix makes (and only examples that say so have one).
    fixed, applied = apply_fixes(example.code, mine)
    assert (fixed if applied else None) == example.fixed
    if applied:
        assert [f.code for f in lint_example(rule, fixed, example.path)] == [], "a fixed example is clean"
    # So is the unsafe fix (--unsafe-fixes), where the example's project names the registered type.
    unsafe = ConstantFinder(example_linter(rule)).fixes(example_file(example.path), example.code, mine)
    unsafe_fixed, unsafe_applied = apply_constant_fixes(example.code, unsafe, mine)
    assert (unsafe_fixed if unsafe else None) == example.unsafe_fixed
    if unsafe:
        assert set(unsafe_applied) == set(mine)
        assert [f.code for f in lint_example(rule, unsafe_fixed, example.path)] == [], "an unsafely fixed example is clean"
    # An example shows one rule: any other finding means the example is not what it claims.
    others = [f for f in findings if f.code != rule.id]
    assert not others, f"example for {rule.id} also triggers {others}"


@pytest.mark.parametrize(("rule", "index"), _VALID)
def test_valid_example_is_not_reported(rule: RuleSpec, index: int) -> None:
    example = rule.examples.valid[index]
    findings = lint_example(rule, example.code, example.path)
    assert findings == []


def test_every_rule_has_examples_both_ways() -> None:
    for rule in builtin_rules():
        assert rule.examples.invalid, f"{rule.id} has no invalid examples"
        assert rule.examples.valid, f"{rule.id} has no valid examples"
