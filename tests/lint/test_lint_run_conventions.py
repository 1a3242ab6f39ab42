"""What OPS003-OPS007 share: owner globs, test files, and one finding per mistake."""

from __future__ import annotations

import pytest

from opsux_lint.examples import lint_example
from opsux_lint.matchers.runs import is_test_file, owns
from opsux_lint.registry import RuleDefinitionError, builtin_rules, parse_rule, rules_by_id


@pytest.mark.parametrize(
    ("path", "globs", "expected"),
    [
        ("src/app/ops/service.py", ["src/app/ops/service.py"], True),
        ("src/app/ops/service.py", ["src/app/ops/"], True),
        ("src/app/ops/service.py", ["src/*/service.py"], True),  # * crosses directories
        ("src/app/ops_service.py", ["src/app/ops/"], False),
        ("src/app/ops/service.py", ["app/ops/service.py"], False),  # relative to the config, not a suffix
        ("src/app/ops/service.py", [], False),
    ],
)
def test_owner_globs(path: str, globs: list[str], expected: bool) -> None:
    assert owns(path, globs) is expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("tests/test_jobs.py", True),
        ("src/app/tests/helpers.py", True),
        ("app/test_views.py", True),
        ("app/views_test.py", True),
        ("conftest.py", True),
        ("app/testing/factories.py", True),
        ("app/latest.py", False),
        ("app/contest.py", False),
        ("app/testing_utils.py", False),
        ("app/attestations/views.py", False),
    ],
)
def test_test_files(path: str, expected: bool) -> None:
    assert is_test_file(path) is expected


QUEUED_BY_HAND = """\
from opsux_core import RunNotification, RunStatus
from app.notify import send_db_notification

def started(session, run, user):
    send_db_notification(user, run.id, RunStatus.RUNNING)
    session.add(RunNotification(run_id=run.id, recipient_id=user, kind="queued"))
    send_db_notification(user, run.id, "completed")
"""


def test_a_queued_notification_is_ops002_alone_and_a_terminal_one_ops004() -> None:
    findings = lint_example(rules_by_id()["OPS004"], QUEUED_BY_HAND)
    assert [(f.line, f.code) for f in findings] == [(5, "OPS002"), (6, "OPS002"), (7, "OPS004")]


def test_the_same_module_as_the_notifier_has_only_the_ops002_findings() -> None:
    findings = lint_example(rules_by_id()["OPS004"], QUEUED_BY_HAND, "app/notifier.py")
    assert [(f.line, f.code) for f in findings] == [(5, "OPS002"), (6, "OPS002")]


def test_an_example_path_must_be_a_relative_python_file() -> None:
    data = {
        "id": "OPS999", "name": "x", "severity": "error", "summary": "s", "message": "m", "rationale": "r",
        "matcher": {"kind": "lifecycle_write"},
        "examples": {"valid": [{"code": "x = 1", "path": "/etc/passwd"}]},
    }
    with pytest.raises(RuleDefinitionError, match="an example's path must be a relative .py path"):
        parse_rule(data, "OPS999-x.yaml")
    data["examples"] = {"valid": [{"code": "x = 1", "path": "tests/test_x.py"}]}
    assert parse_rule(data, "OPS999-x.yaml").examples.valid[0].path == "tests/test_x.py"


def test_each_new_rule_is_one_yaml_file_of_a_declared_kind() -> None:
    kinds = {rule.id: rule.kind for rule in builtin_rules()}
    assert {kinds[code] for code in ("OPS003", "OPS004", "OPS005", "OPS006", "OPS007")} == {
        "lifecycle_write", "direct_notification", "summary_counts", "surface_copy", "run_link",
    }
