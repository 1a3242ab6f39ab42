"""The library entry point, the lint settings' owner, and matcher kinds as units."""

from __future__ import annotations

from pathlib import Path

import pytest
from opsux_core import ConfigError, load_policy
from opsux_core.policy import section_validators

from opsux_lint.api import SelectorError, lint_paths
from opsux_lint.kinds import RuleParameterError, check_parameters, known_kinds
from opsux_lint.registry import builtin_rules, rules_by_id
from opsux_lint.settings import OWNERS, LintSettings, lint_settings, validate_lint

CONFIG = """\
operation_types:
  inventory.sync: Inventory sync
lint:
  operation_type_sinks: [{call: app.ops.start, arg: 1}]
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "opsux.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "jobs.py").write_text(
        "from app.ops import start\n\nstart(1, 'inventry.sync')\nstart(1, 'inventory.sync')\n", encoding="utf-8"
    )
    return tmp_path


def test_lint_paths_returns_the_findings_relative_to_cwd(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = lint_paths([project], cwd=project)
    assert [(f.path, f.line, f.code) for f in result.findings] == [("app/jobs.py", 3, "OPS001")]
    assert result.files == 1


def test_lint_paths_select_replaces_the_configs_and_rejects_unknown_codes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert lint_paths([project], select=["OPS002"], cwd=project).findings == ()
    with pytest.raises(SelectorError, match="'OPS7' matches no rule"):
        lint_paths([project], select=["OPS7"], cwd=project)


def test_lint_paths_raises_the_config_error(tmp_path: Path) -> None:
    (tmp_path / "opsux.yaml").write_text("lint:\n  lifecycle_owner: [a.py]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"opsux.yaml:2: lint.lifecycle_owner: unknown key; did you mean 'lifecycle_owners'\?"):
        lint_paths([tmp_path], cwd=tmp_path)


def test_the_lint_table_belongs_to_opsux_lint(tmp_path: Path) -> None:
    assert section_validators()["lint"] is validate_lint
    (tmp_path / "opsux.yaml").write_text("lint:\n  notifier_modules: [app/notify.py]\n", encoding="utf-8")
    policy = load_policy(tmp_path / "opsux.yaml")
    assert isinstance(policy.validated["lint"], LintSettings)
    assert lint_settings(policy).notifier_modules == ("app/notify.py",)
    assert dict(policy.sections["lint"].data) == {"notifier_modules": ["app/notify.py"]}


def test_a_table_loaded_without_its_owner_is_validated_when_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # opsux_core alone keeps the table as written; opsux-lint still refuses a bad one, with its line.
    import opsux_core.policy as policy_module

    monkeypatch.setattr(policy_module, "section_validators", lambda: {})
    (tmp_path / "opsux.yaml").write_text("operation_types: {a.b: A}\nlint:\n  presenter_modules: nope\n", encoding="utf-8")
    policy = load_policy(tmp_path / "opsux.yaml")
    assert "lint" not in policy.validated
    with pytest.raises(ConfigError, match=r"opsux.yaml:3: lint.presenter_modules: must be a list of strings, not a string"):
        lint_settings(policy)


def test_the_linter_names_its_table_and_installed_owners_are_scanned_only_for_another(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import opsux_core.policy as policy_module

    scans: list[str] = []

    def installed() -> dict[str, object]:
        scans.append("scan")
        return {"lint": validate_lint, "widgets": lambda section: dict(section.data)}

    monkeypatch.setattr(policy_module, "section_validators", installed)
    config = tmp_path / "opsux.yaml"
    config.write_text("operation_types: {a.b: A}\nlint:\n  notifier_modules: [n.py]\n", encoding="utf-8")
    policy = load_policy(config, owners=OWNERS)
    assert scans == []  # opsux's keys and the linter's table: nothing to look up
    assert lint_settings(policy).notifier_modules == ("n.py",)
    assert isinstance(policy.validated["lint"], LintSettings)

    config.write_text("lint:\n  notifier_modules: [n.py]\nwidgets: {size: 2}\n", encoding="utf-8")
    policy = load_policy(config, owners=OWNERS)
    assert scans == ["scan"]  # an installed package's table is still accepted, and validated
    assert policy.validated["widgets"] == {"size": 2}

    config.write_text("lint: {}\nwidget: {size: 2}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"opsux.yaml:2: widget: unknown key; did you mean 'widgets'\?"):
        load_policy(config, owners=OWNERS)
    # The linter's own table is refused by its own rules whether or not the scan ran.
    config.write_text("lint:\n  presenter_modules: nope\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"opsux.yaml:2: lint.presenter_modules: must be a list of strings"):
        load_policy(config, owners=OWNERS)
    assert scans == ["scan", "scan"]


def test_every_rule_kind_is_declared_by_one_module() -> None:
    kinds = known_kinds()
    assert {rule.kind for rule in builtin_rules()} <= set(kinds)
    assert kinds["parse_error"].compile is None  # the engine's own: about a file, not its tree


def test_a_rule_parameter_the_kind_does_not_declare_is_refused() -> None:
    import dataclasses

    rule = rules_by_id()["OPS002"]
    typo = dataclasses.replace(rule, params={**rule.params, "terminal_kind": ["terminal"]})
    with pytest.raises(RuleParameterError, match="matcher.terminal_kind is no parameter of queued_notification; did you mean 'terminal_kinds'"):
        check_parameters(typo)
    wrong = dataclasses.replace(rule, params={**rule.params, "models": "opsux_core.RunNotification"})
    with pytest.raises(RuleParameterError, match="matcher.models must be strings"):
        check_parameters(wrong)
