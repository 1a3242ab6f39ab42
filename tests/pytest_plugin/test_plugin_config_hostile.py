"""The plugin on a hostile config: a usage error naming file, line and key, never an INTERNALERROR."""

from __future__ import annotations

import pytest

from plugin_harness import Project


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            "operation_types: !!python/object/apply:os.system ['touch ran']\n",
            "{config}:1: operation_types: YAML tag !!python/object/apply:os.system is not allowed",
        ),
        ("operation_types: !custom {a.b: A}\n", "{config}:1: operation_types: YAML tag !custom is not allowed"),
        (
            "operation_types:\n  inventory.sync: &label Inventory sync\n  inventory.full: *label\n",
            "{config}:3: operation_types.inventory.full: YAML aliases are not allowed (*label): write the value out",
        ),
    ],
)
def test_a_hostile_opsux_yaml_is_a_usage_error(sqlite_project: Project, config: str, message: str) -> None:
    sqlite_project.config(config)
    sqlite_project.tests("def test_x():\n    pass\n")
    result = sqlite_project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    path = sqlite_project.path / "opsux.yaml"
    assert "ERROR: discovered config: " + message.format(config=path) in result.stderr.lines
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    assert not (sqlite_project.path / "ran").exists()
