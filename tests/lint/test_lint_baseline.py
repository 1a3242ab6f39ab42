"""--write-baseline / --baseline: adopt on existing code, fail only on new findings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lint_support import copy_fixture
from opsux_lint.cli import main


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_fixture("shop", tmp_path)
    monkeypatch.chdir(root)
    return root


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, ["--no-cache", *args])


def test_a_baseline_hides_todays_findings_and_reports_new_ones(shop: Path) -> None:
    written = invoke("--write-baseline", "opsux-baseline.json")
    assert written.exit_code == 0 and "Recorded 19 findings" in written.stderr
    assert len(json.loads((shop / "opsux-baseline.json").read_text())["findings"]) == 19
    clean = invoke("--baseline", "opsux-baseline.json")
    assert (clean.exit_code, clean.stdout) == (0, "All checks passed (7 files checked, 19 baselined).\n")

    views = shop / "src" / "shop" / "views.py"
    source = views.read_text(encoding="utf-8")
    # Moving everything down keeps the old findings hidden; a new violation is reported.
    views.write_text("# moved\n\n" + source + '\n\ndef new(service: OperationRunService):\n    service.start(1, "brand.new")\n', encoding="utf-8")
    result = invoke("--baseline", "opsux-baseline.json", "--format", "json")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert [(f["path"], f["message"].split("'")[1]) for f in document["findings"]] == [("src/shop/views.py", "brand.new")]
    assert document["summary"]["baselined"] == 19


def test_a_baseline_works_from_another_working_directory(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    invoke("--write-baseline", "opsux-baseline.json")
    monkeypatch.chdir(shop / "src")
    result = invoke(str(shop), "--baseline", str(shop / "opsux-baseline.json"))
    assert result.exit_code == 0, result.stdout


def test_a_changed_line_is_no_longer_baselined(shop: Path) -> None:
    invoke("--write-baseline", "b.json")
    ops = shop / "src" / "shop" / "ops.py"
    ops.write_text(ops.read_text(encoding="utf-8").replace("orders.exprot", "orders.exprt"), encoding="utf-8")
    result = invoke("--baseline", "b.json")
    assert result.exit_code == 1
    assert result.stdout.startswith("src/shop/ops.py:15:")


def test_a_broken_baseline_is_a_usage_error(shop: Path) -> None:
    (shop / "b.json").write_text('{"version": 7}', encoding="utf-8")
    result = invoke("--baseline", "b.json")
    assert result.exit_code == 2 and "not an opsux-lint baseline" in result.stderr
