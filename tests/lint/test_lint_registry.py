"""The rule files themselves: well-formed, named after their id, loadable as package data."""

from __future__ import annotations

from importlib.resources import files

import pytest
import yaml

from opsux_lint.kinds import compile_rule, known_kinds
from opsux_lint.examples import example_policy
from opsux_lint.registry import RuleDefinitionError, builtin_rules, parse_rule


def test_rules_ship_as_package_data_and_load() -> None:
    names = sorted(e.name for e in files("opsux_lint.rules").iterdir() if e.name.endswith(".yaml"))
    assert names == [
        "OPS000-parse-error.yaml",
        "OPS001-unregistered-operation-type.yaml",
        "OPS002-queued-notification.yaml",
        "OPS003-lifecycle-outside-service.yaml",
        "OPS004-direct-run-notification.yaml",
        "OPS005-summary-key-not-allowed.yaml",
        "OPS006-raw-operation-type-in-copy.yaml",
        "OPS007-hand-built-run-link.yaml",
        "OPS008-unverifiable-operation-type.yaml",
        "OPS900-unused-suppression.yaml",
    ]
    assert [r.id for r in builtin_rules()] == [
        "OPS000", "OPS001", "OPS002", "OPS003", "OPS004", "OPS005", "OPS006", "OPS007", "OPS008", "OPS900",
    ]


@pytest.mark.parametrize("rule", builtin_rules(), ids=lambda r: r.id)
def test_rule_is_consistent(rule) -> None:
    assert rule.source.startswith(f"{rule.id}-{rule.name}.")
    assert rule.kind in known_kinds()
    compile_rule(rule, example_policy(rule))  # parameters are valid for their matcher kind
    assert len(rule.summary) <= 100


def test_a_malformed_rule_is_rejected_with_its_file() -> None:
    base = yaml.safe_load((files("opsux_lint.rules") / "OPS001-unregistered-operation-type.yaml").read_text())
    with pytest.raises(RuleDefinitionError, match="OPSX.yaml: severity 'fatal'"):
        parse_rule({**base, "severity": "fatal"}, "OPSX.yaml")
    with pytest.raises(RuleDefinitionError, match="unknown keys"):
        parse_rule({**base, "mesage": "typo"}, "OPSX.yaml")
    bad_example = {**base, "examples": {"invalid": [{"code": "x()"}]}}
    with pytest.raises(RuleDefinitionError, match="needs message_contains"):
        parse_rule(bad_example, "OPSX.yaml")
