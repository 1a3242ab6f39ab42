"""Golden output of every format, the SARIF schema, and GitHub's escaping and step summary."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from lint_support import SARIF_SCHEMA, check_golden, copy_fixture
from opsux_lint.cli import main, tool_version
from opsux_lint.report.github import escape_data, escape_property


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_fixture("golden", tmp_path)
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return root


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def normalize(text: str, root: Path) -> str:
    return text.replace(root.resolve().as_uri(), "file:///PROJECT").replace(tool_version(), "VERSION")


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_golden_output(project: Path, fmt: str) -> None:
    code, out = invoke(".", "--format", fmt)
    assert code == 1  # the format never changes the exit code
    check_golden(f"golden.{fmt}", normalize(out, project))


def test_golden_statistics(project: Path) -> None:
    code, out = invoke(".", "--statistics")
    assert code == 1
    check_golden("statistics.text", out)
    code, out = invoke(".", "--statistics", "--format", "json")
    assert code == 1
    assert json.loads(out)["statistics"] == [
        {"code": "OPS001", "name": "unregistered-operation-type", "count": 2},
        {"code": "OPS002", "name": "queued-notification", "count": 2},
        {"code": "OPS900", "name": "unused-suppression", "count": 1},
    ]


def test_json_findings_have_the_documented_fields(project: Path) -> None:
    _, out = invoke(".", "--format", "json")
    document = json.loads(out)
    assert document["version"] == 1
    assert set(document["summary"]) >= {"files", "findings", "errors", "warnings"}
    assert document["summary"]["files"] == 3
    for finding in document["findings"]:
        assert set(finding) >= {"code", "name", "severity", "path", "line", "column", "end_line", "end_column", "message"}
        assert "\\" not in finding["path"] and not finding["path"].startswith("/")
    assert {f["severity"] for f in document["findings"]} == {"error", "warning"}


def test_sarif_validates_against_the_official_schema(project: Path) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    _, out = invoke(".", "--format", "sarif")
    document = json.loads(out)
    jsonschema.Draft4Validator(schema).validate(document)
    run = document["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rules == ["OPS000", "OPS001", "OPS002", "OPS003", "OPS004", "OPS005", "OPS006", "OPS007", "OPS008", "OPS900"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert location["uriBaseId"] == "%SRCROOT%" and location["uri"].startswith("app/")
    assert run["results"][0]["level"] == "error"


def test_sarif_fingerprints_survive_moved_lines(project: Path) -> None:
    _, before = invoke(".", "--format", "sarif")
    jobs = project / "app" / "jobs.py"
    jobs.write_text("\n\n# two lines moved everything down\n" + jobs.read_text(), encoding="utf-8")
    _, after = invoke(".", "--format", "sarif")

    def prints(text: str) -> list[str]:
        return [r["partialFingerprints"]["opsuxFindingHash/v1"] for r in json.loads(text)["runs"][0]["results"]]

    def lines(text: str) -> list[int]:
        return [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in json.loads(text)["runs"][0]["results"]]

    assert prints(before) == prints(after)
    assert lines(before) != lines(after)
    assert len(set(prints(before))) == len(prints(before))


def test_sarif_uris_are_relative_to_the_repository_root(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / ".git").mkdir()
    monkeypatch.chdir(project / "app")
    _, out = invoke(".", "--format", "sarif")
    run = json.loads(out)["runs"][0]
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]} == {"app/jobs.py", "app/odd%2Cname.py"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"


def test_github_escaping() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_github_step_summary_lists_every_finding(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step output\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out = invoke(".", "--format", "github")
    assert code == 1
    assert [line.split(" ", 1)[0] for line in out.splitlines()] == ["::error"] * 2 + ["::warning"] * 2 + ["::error"]
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step output\n"), "the summary file is appended to, never replaced"
    check_golden("step-summary.md", text.removeprefix("earlier step output\n"))


def test_github_step_summary_without_findings(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code, out = invoke("app/clean.py", "--format", "github")
    assert (code, out) == (0, "")
    assert summary.read_text(encoding="utf-8") == "### opsux-lint: no findings\n\n1 file checked.\n\n"


def test_text_without_findings(project: Path) -> None:
    assert invoke("app/clean.py") == (0, "All checks passed (1 file checked).\n")


def test_an_unwritable_step_summary_warns_but_keeps_the_exit_code(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "no" / "such" / "dir" / "summary.md"))
    result = CliRunner().invoke(main, [".", "--format", "github"])
    assert result.exit_code == 1
    assert "cannot write $GITHUB_STEP_SUMMARY" in result.stderr
    assert result.stdout.startswith("::error file=app/jobs.py,line=6,")


@pytest.mark.parametrize("name", ["shop", "broken", "pyproject_app"])
def test_sarif_of_every_fixture_project_validates(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    root = copy_fixture(name, tmp_path)
    monkeypatch.chdir(root)
    for args in ([], ["--select", "OPS002"], ["--exit-zero", "--ignore", "OPS"]):
        code, out = invoke(".", "--format", "sarif", "--no-cache", *args)
        document = json.loads(out)
        jsonschema.Draft4Validator(schema).validate(document)
        # Only error-level results fail the run (pyproject_app lowers OPS002 to a warning).
        errors = [r for r in document["runs"][0]["results"] if r["level"] == "error"]
        assert code == (1 if errors and "--exit-zero" not in args else 0)
