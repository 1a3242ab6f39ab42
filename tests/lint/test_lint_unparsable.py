"""A file that holds a sink call but cannot be parsed is reported whatever rules are selected:
nothing in it was checked, and a green run must not say otherwise (as ruff reports syntax errors)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from opsux_lint.cli import main

CONFIG = "operation_types:\n  inventory.sync: Inventory sync\nlint:\n  select: [OPS001, OPS008]\n"
UNCLOSED = (
    "from opsux_core import OperationRunService\n"
    "\n"
    "\n"
    "def sync(service: OperationRunService, tenant_id):\n"
    '    service.start(tenant_id, "inventory.bogus"\n'
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "opsux.yaml").write_text(CONFIG, encoding="utf-8")
    app = tmp_path / "app"
    app.mkdir()
    (app / "__init__.py").write_text("", encoding="utf-8")
    (app / "jobs.py").write_text(UNCLOSED, encoding="utf-8")  # a sink call, unparsable
    (app / "nul.py").write_bytes(UNCLOSED.replace("(service", "(\0service").encode() + b")\n")
    (app / "other.py").write_text("def helper(:\n    pass\n", encoding="utf-8")  # no sink call in it
    (app / "fine.py").write_text(UNCLOSED + ")\n", encoding="utf-8")  # parses: its OPS001 is reported
    monkeypatch.chdir(tmp_path)
    return tmp_path


def findings(*args: str) -> list[tuple[str, str]]:
    result = CliRunner().invoke(main, ["app", "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return sorted((f["path"], f["code"]) for f in json.loads(result.stdout)["findings"])


def test_an_unparsable_file_with_a_sink_call_is_reported_though_the_parse_rule_is_not_selected(project: Path) -> None:
    expected = [("app/fine.py", "OPS001"), ("app/jobs.py", "OPS000"), ("app/nul.py", "OPS000")]
    assert findings("--no-cache") == expected
    assert findings() == findings() == expected  # cold cache, warm cache
    assert findings("--no-cache", "--jobs", "2") == expected  # in the helper processes too


def test_ignoring_the_parse_rule_turns_it_off_and_selecting_it_checks_every_file(project: Path) -> None:
    assert findings("--no-cache", "--ignore", "OPS000") == [("app/fine.py", "OPS001")]
    assert findings("--ignore", "OPS000") == [("app/fine.py", "OPS001")]  # its own cache entries
    assert findings("--no-cache", "--select", "OPS000,OPS001") == [
        ("app/fine.py", "OPS001"), ("app/jobs.py", "OPS000"), ("app/nul.py", "OPS000"), ("app/other.py", "OPS000"),
    ]


def test_the_parse_rule_keeps_its_configured_severity(project: Path) -> None:
    (project / "opsux.yaml").write_text(CONFIG + "  severity: {OPS000: warning}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["app", "--format", "json", "--no-cache"])
    severities = {f["path"]: f["severity"] for f in json.loads(result.stdout)["findings"] if f["code"] == "OPS000"}
    assert severities == {"app/jobs.py": "warning", "app/nul.py": "warning"}
