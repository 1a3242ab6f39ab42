"""Config loading: discovery, both file formats, and errors that name file, key and line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from opsux_core import ConfigError, ConfigNotFound, RunLinks, find_config, load_policy, policy_from_mapping
from opsux_core.policy import DEFAULT_SUMMARY_KEYS
from opsux_lint.settings import CallSink, NotificationCall, lint_settings


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


FULL = """\
operation_types:
  inventory.sync: {label: Inventory sync, expected_duration_seconds: 120}
  backup.schedule.execute: Backup run
summary_keys: [total, processed, succeeded, failed, skipped]
links:
  run: /admin/operations/{run_id}
  index: /admin/operations
lint:
  src: [., src]
  select: [OPS]
  exclude: [migrations/]
  lifecycle_owners: [app/ops/service.py]
  notifier_modules: [app/ops/notifier.py]
  operation_type_sinks:
    - {call: app.ops.start_operation, arg: 1, keyword: operation_type}
    - {call: "*.enqueue_operation", keyword: op}
  notification_calls:
    - {call: app.notify.send_db_notification, status_arg: 2, status_keyword: status}
  queued_notification_classes: ["*Queued*Notification*", "*RunQueued*"]
  severity: {OPS008: error}
"""


def test_loads_the_design_example(tmp_path: Path) -> None:
    config = write(tmp_path / "opsux.yaml", FULL)
    policy = load_policy(config)
    assert policy.source == config
    assert policy.root == tmp_path.resolve()
    assert [t.code for t in policy.catalog] == ["inventory.sync", "backup.schedule.execute"]
    assert policy.catalog.get("inventory.sync").expected_duration_seconds == 120  # type: ignore[union-attr]
    assert policy.catalog.label("backup.schedule.execute") == "Backup run"
    assert policy.summary_keys == ("total", "processed", "succeeded", "failed", "skipped")
    assert policy.links.run == "/admin/operations/{run_id}"
    assert lint_settings(policy).exclude == ("migrations/",)
    assert lint_settings(policy).operation_type_sinks == (
        CallSink("app.ops.start_operation", 1, "operation_type"),
        CallSink("*.enqueue_operation", None, "op"),
    )
    assert lint_settings(policy).notification_calls == (NotificationCall("app.notify.send_db_notification", 2, "status"),)
    assert dict(lint_settings(policy).severity) == {"OPS008": "error"}


def test_defaults_when_optional_keys_are_missing(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path / "opsux.yaml", "operation_types: {a.b: A}\n"))
    assert policy.summary_keys == DEFAULT_SUMMARY_KEYS
    assert lint_settings(policy).select == ("OPS",)
    assert lint_settings(policy).queued_notification_classes == ("*Queued*Notification*", "*RunQueued*")


def test_pyproject_tool_table_is_found_and_loaded(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """\
        [project]
        name = "app"

        [tool.opsux.operation_types]
        "inventory.sync" = "Inventory sync"
        "report.export" = { label = "Report export", expected_duration_seconds = 30 }
        """,
    )
    nested = tmp_path / "src" / "app"
    nested.mkdir(parents=True)
    assert find_config(nested) == tmp_path / "pyproject.toml"
    policy = load_policy(nested)
    assert policy.catalog.label("report.export") == "Report export"


def test_search_goes_upwards_and_prefers_opsux_yaml(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.opsux.operation_types]\n"a.b" = "From pyproject"\n')
    write(tmp_path / "opsux.yaml", "operation_types: {a.b: From yaml}\n")
    deep = tmp_path / "x" / "y"
    deep.mkdir(parents=True)
    assert load_policy(deep).catalog.label("a.b") == "From yaml"


def test_pyproject_without_tool_opsux_is_skipped(tmp_path: Path) -> None:
    write(tmp_path / "opsux.yaml", "operation_types: {a.b: Outer}\n")
    inner = tmp_path / "pkg"
    write(inner / "pyproject.toml", "[project]\nname = 'x'\n")
    assert find_config(inner) == tmp_path / "opsux.yaml"


def test_explicit_path_wins_over_search(tmp_path: Path) -> None:
    write(tmp_path / "opsux.yaml", "operation_types: {a.b: Searched}\n")
    other = write(tmp_path / "conf" / "ci.yaml", "operation_types: {a.b: Explicit}\n")
    assert load_policy(other).catalog.label("a.b") == "Explicit"


def test_no_config_anywhere_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigNotFound, match=r"no opsux.yaml and no pyproject.toml with \[tool.opsux\]"):
        load_policy(tmp_path)
    with pytest.raises(ConfigNotFound, match="does not exist"):
        load_policy(tmp_path / "missing.yaml")


@pytest.mark.parametrize(
    ("text", "key", "line", "problem"),
    [
        ("operation_types:\n  a.b: A\nlnt: {}\n", "lnt", 3, "unknown key; did you mean 'lint'?"),
        ("operation_types:\n  a.b: A\n  a.b: B\n", "operation_types.a.b", 3, "duplicate key (first defined on line 2)"),
        ("operation_types:\n  Inventory-Sync: A\n", "operation_types.Inventory-Sync", 2, "malformed operation type code"),
        ("operation_types:\n  nodots: A\n", "operation_types.nodots", 2, "must match operation_type_pattern"),
        ("operation_types:\n  a.b: ''\n", "operation_types.a.b", 2, "the label must be a non-empty string"),
        ("operation_types:\n  a.b: {labl: A}\n", "operation_types.a.b.labl", 2, "did you mean 'label'?"),
        (
            "operation_types:\n  a.b:\n    label: A\n    expected_duration_seconds: -5\n",
            "operation_types.a.b.expected_duration_seconds",
            4,
            "must be a positive integer",
        ),
        ("operation_types: [a.b]\n", "operation_types", 1, "must be a mapping of code -> label, not a list"),
        ("summary_keys: []\n", "summary_keys", 1, "must name at least one key"),
        ("operation_types:\n  a.b: {label: A, expected_duration_seconds: 0}\n", "operation_types.a.b.expected_duration_seconds", 2, "must be a positive integer, not 0"),
        ("summary_keys: [total, total]\n", "summary_keys[1]", 1, "'total' is listed twice"),
        ("summary_keys: total\n", "summary_keys", 1, "must be a list of strings, not a string"),
        ("summary_keys:\n  - total\n  - Bad Key\n", "summary_keys[1]", 3, "is not a lower-case identifier"),
        ("links:\n  run: /ops/{id}\n", "links.run", 2, "unknown placeholder {id}"),
        ("links:\n  run: /ops\n", "links.run", 2, "must contain {run_id}"),
        ("links:\n  index: /ops/{run_id}\n", "links.index", 2, "unknown placeholder {run_id}"),
        ("links:\n  runs: /ops/{run_id}\n", "links.runs", 2, "unknown key; did you mean 'run'?"),
        ("links:\n  run: /ops/{run_id}\n  detail: /x\n", "links.detail", 3, "unknown key; known keys: run, index"),
        ("links:\n  run: /ops/{run_id:d}\n", "links.run", 2, "placeholders take no format spec or conversion: write {run_id}"),
        ("links:\n  run: /ops/{run_id!r}\n", "links.run", 2, "placeholders take no format spec or conversion: write {run_id}"),
        ("links:\n  index: /t/{tenant_id:{x}}/ops\n", "links.index", 2, "placeholders take no format spec or conversion: write {tenant_id}"),
        ("lint:\n  selct: [OPS]\n", "lint.selct", 2, "unknown key; did you mean 'select'?"),
        ("lint:\n  src: [src]\n  rules: [OPS001]\n", "lint.rules", 3, "unknown key; known keys: src, select, ignore"),
        ("lint:\n  operation_type_sinks:\n    - {call: a.b, arg: 1, kw: x}\n", "lint.operation_type_sinks[0].kw", 3, "unknown key; known keys: call, arg, keyword"),
        ("lint:\n  select: [OPS1234]\n", "lint.select[0]", 2, "is not a rule code or prefix"),
        ("lint:\n  operation_type_sinks:\n    - {call: app.start}\n", "lint.operation_type_sinks[0]", 3, "needs arg or keyword"),
        ("lint:\n  operation_type_sinks:\n    - {call: app.start, arg: -1}\n", "lint.operation_type_sinks[0].arg", 3, "0-based position"),
        ("lint:\n  operation_type_sinks:\n    - {call: 'app start', arg: 1}\n", "lint.operation_type_sinks[0].call", 3, "qualified name"),
        ("lint:\n  operation_type_sinks:\n    - {call: a.b, arg: 1}\n    - {call: a.c, arg: 0, enum_members: values}\n",
         "lint.operation_type_sinks[1].enum_members", 4,
         "must be one of value, name (what a plain Enum's member given there stands for), not 'values'"),
        ("lint:\n  operation_type_sinks:\n    - {call: app.Event.__init__, arg: 1}\n", "lint.operation_type_sinks[0].call", 3,
         "names a constructor: configure the class, 'app.Event' (a call Event(...) runs it; arg counts from the first argument after self)"),
        ("lint:\n  notification_calls:\n    - {call: a.b, status_kw: s}\n", "lint.notification_calls[0].status_kw", 3, "did you mean 'status_keyword'?"),
        ("lint:\n  severity: {OPS008: fatal}\n", "lint.severity.OPS008", 2, "must be one of error, warning"),
        ("operation_type_pattern: '(['\n", "operation_type_pattern", 1, "is not a valid regular expression"),
        ("operation_type_pattern: 'a{4294967296}'\n", "operation_type_pattern", 1, "is not a valid regular expression: the repetition number is too large"),
        ("operation_type_pattern: '" + "(" * 5000 + ")" * 5000 + "'\n", "operation_type_pattern", 1, "is not a valid regular expression: nested too deeply"),
    ],
)
def test_bad_yaml_names_file_key_and_line(tmp_path: Path, text: str, key: str, line: int, problem: str) -> None:
    config = write(tmp_path / "opsux.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_policy(config)
    error = info.value
    assert error.path == config
    assert error.key == key
    assert error.line == line
    assert problem in error.problem
    assert str(error).startswith(f"{config}:{line}: {key}: ")


def test_links_render_every_accepted_template(tmp_path: Path) -> None:
    config = write(tmp_path / "opsux.yaml", "links:\n  run: '/{{literal}}/t/{tenant_id}/ops/{run_id}'\n  index: /t/{tenant_id}\n")
    links = RunLinks(load_policy(config).links)
    assert links.run_url(7, "acme") == "/{literal}/t/acme/ops/7"
    assert links.index_url("a b") == "/t/a%20b"


def test_the_smallest_accepted_values(tmp_path: Path) -> None:
    config = write(
        tmp_path / "opsux.yaml",
        """\
        operation_types: {a.b: {label: A, expected_duration_seconds: 1}}
        summary_keys: [total]
        lint:
          operation_type_sinks: [{call: app.start, arg: 0}]
          notification_calls: [{call: app.notify, status_arg: 0}]
        """,
    )
    policy = load_policy(config)
    assert policy.catalog.get("a.b").expected_duration_seconds == 1  # type: ignore[union-attr]
    assert policy.summary_keys == ("total",)
    assert lint_settings(policy).operation_type_sinks == (CallSink("app.start", 0, None),)
    assert lint_settings(policy).notification_calls == (NotificationCall("app.notify", 0, None),)


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    config = write(tmp_path / "opsux.yaml", "operation_types:\n  a.b: [unclosed\n  c.d: x\n")
    with pytest.raises(ConfigError, match="invalid YAML") as info:
        load_policy(config)
    assert info.value.line is not None and info.value.line >= 2


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the top level must be a mapping, not a list"):
        load_policy(write(tmp_path / "opsux.yaml", "- a\n- b\n"))


def test_non_utf8_config_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "opsux.yaml"
    config.write_bytes(b"operation_types: {a.b: \xff}\n")
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        load_policy(config)


def test_broken_toml_is_a_clear_error(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", "[tool.opsux\n")
    with pytest.raises(ConfigError, match="invalid TOML") as info:
        load_policy(config)
    assert info.value.path == config


def test_toml_errors_name_the_tool_key(tmp_path: Path) -> None:
    config = write(tmp_path / "pyproject.toml", '[tool.opsux]\nsumary_keys = ["total"]\n')
    with pytest.raises(ConfigError) as info:
        load_policy(config)
    assert info.value.key == "tool.opsux.sumary_keys"
    assert "did you mean 'summary_keys'?" in str(info.value)


def test_custom_operation_type_pattern(tmp_path: Path) -> None:
    config = write(
        tmp_path / "opsux.yaml",
        "operation_type_pattern: '^[A-Z][A-Z_]+$'\noperation_types: {INVENTORY_SYNC: Inventory sync}\n",
    )
    assert load_policy(config).catalog.label("INVENTORY_SYNC") == "Inventory sync"


def test_fingerprint_changes_with_the_catalog() -> None:
    one = policy_from_mapping({"operation_types": {"a.b": "A"}})
    same = policy_from_mapping({"operation_types": {"a.b": "A"}})
    other = policy_from_mapping({"operation_types": {"a.b": "B"}})
    assert one.fingerprint == same.fingerprint != other.fingerprint


def test_policy_and_catalog_do_not_import_sqlalchemy() -> None:
    code = (
        "import sys, opsux_core.policy, opsux_core.catalog, opsux_core.summary, opsux_core.presenter;"
        "print('sqlalchemy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_package_names_are_imported_on_first_use() -> None:
    code = (
        "import sys, opsux_core\n"
        "print('opsux_core.presenter' in sys.modules, 'opsux_core.models' in sys.modules)\n"
        "from opsux_core import Presenter, __version__\n"
        "print('opsux_core.presenter' in sys.modules, 'opsux_core.models' in sys.modules, 'Presenter' in vars(opsux_core))\n"
        "try:\n"
        "    opsux_core.Nothing\n"
        "except AttributeError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [
        "False False",
        "True False True",  # kept in the package: the next use is a plain lookup
        "module 'opsux_core' has no attribute 'Nothing'",
    ]
