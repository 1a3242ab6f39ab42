"""What CI reads: GitHub annotations relative to the repository root, escaped file names, SARIF
help, GitLab Code Quality and JUnit."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from lint_support import REPO, SARIF_SCHEMA, copy_fixture

from opsux_lint.cli import main

CI_VARIABLES = ("GITHUB_WORKSPACE", "CI_PROJECT_DIR", "GITHUB_STEP_SUMMARY", "NO_COLOR", "FORCE_COLOR")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The golden project one directory below a repository root; the job runs inside it."""
    root = tmp_path / "repo"
    root.mkdir()
    project = copy_fixture("golden", root)
    for name in CI_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(project)
    return root


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--no-cache", *args], catch_exceptions=False)
    return result.exit_code, result.stdout


def annotated_files(out: str) -> list[str]:
    return [line.split("file=", 1)[1].split(",", 1)[0] for line in out.splitlines()]


def test_github_paths_are_relative_to_github_workspace(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, local = invoke(".", "--format", "github")
    assert set(annotated_files(local)) == {"app/jobs.py", "app/odd%2Cname.py"}  # no repository: as shown
    monkeypatch.setenv("GITHUB_WORKSPACE", str(repo))
    code, out = invoke(".", "--format", "github")
    assert code == 1
    assert set(annotated_files(out)) == {"golden/app/jobs.py", "golden/app/odd%2Cname.py"}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_github_paths_fall_back_to_the_git_top_level(repo: Path) -> None:
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    _, out = invoke(".", "--format", "github")
    assert set(annotated_files(out)) == {"golden/app/jobs.py", "golden/app/odd%2Cname.py"}


NEWLINE_NAME = "evil\n::error file=forged.py,line=1::forged.py"


def test_a_newline_in_a_file_name_cannot_forge_an_annotation(repo: Path) -> None:
    (Path("app") / NEWLINE_NAME).write_text('service.start(t, "inventry.sync")\n', encoding="utf-8")
    _, out = invoke(".", "--format", "github")
    lines = out.splitlines()
    assert all(line.startswith(("::error ", "::warning ")) for line in lines)
    assert not any(line.startswith("::error file=forged.py") for line in lines)
    assert any("evil%0A%3A%3Aerror file=forged.py%2Cline=1%3A%3Aforged.py" in line for line in lines)


def test_a_newline_in_a_file_name_is_escaped_in_text(repo: Path) -> None:
    (Path("app") / NEWLINE_NAME).write_text('service.start(t, "inventry.sync")\n', encoding="utf-8")
    _, out = invoke(".")
    assert "app/evil\\n::error file=forged.py,line=1::forged.py:1:18: OPS001" in out
    assert not any(line.startswith("::error") for line in out.splitlines())


def test_escape_colours_in_a_file_name_reach_no_terminal(repo: Path) -> None:
    (Path("app") / "red\x1b[31m.py").write_text('service.start(t, "inventry.sync")\n', encoding="utf-8")
    _, out = invoke(".")
    assert "\x1b" not in out and "app/red\\x1b[31m.py:1:18" in out


# ----------------------------------------------------------------------------------- SARIF


def test_sarif_has_information_and_help_uris_and_markdown_help(repo: Path) -> None:
    _, out = invoke(".", "--format", "sarif")
    document = json.loads(out)
    jsonschema.validate(document, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    driver = document["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://github.com/opsux/opsux"
    for rule in driver["rules"]:
        prefix = "https://github.com/opsux/opsux/blob/main/"
        assert rule["helpUri"].startswith(prefix)
        # The link names a file that exists in this repository.
        assert (REPO / rule["helpUri"].removeprefix(prefix)).is_file(), rule["helpUri"]
        markdown = rule["help"]["markdown"]
        assert markdown.startswith(f"**{rule['id']} {rule['name']}**")
        assert "```python\n" in markdown and f"# opsux: ignore[{rule['id']}]" in markdown


# ---------------------------------------------------------------------------------- GitLab


def test_gitlab_code_quality(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_PROJECT_DIR", str(repo))
    code, out = invoke(".", "--format", "gitlab")
    assert code == 1
    issues = json.loads(out)
    _, as_json = invoke(".", "--format", "json")
    findings = json.loads(as_json)["findings"]
    assert len(issues) == len(findings) > 1
    for issue, finding in zip(issues, findings, strict=True):
        assert issue["check_name"] == finding["code"]
        assert issue["description"] == f"{finding['code']} {finding['message']}"
        assert issue["severity"] == {"error": "major", "warning": "minor"}[finding["severity"]]
        assert issue["location"] == {
            "path": f"golden/{finding['path']}",
            "lines": {"begin": finding["line"], "end": finding["end_line"]},
        }
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)


def test_gitlab_without_findings_is_an_empty_list(repo: Path) -> None:
    assert invoke("app/clean.py", "--format", "gitlab") == (0, "[]\n")


# ----------------------------------------------------------------------------------- JUnit


def test_junit_one_suite_per_file_one_failure_per_finding(repo: Path) -> None:
    code, out = invoke(".", "--format", "junit")
    assert code == 1
    root = ET.fromstring(out)
    _, as_json = invoke(".", "--format", "json")
    findings = json.loads(as_json)["findings"]
    assert root.tag == "testsuites" and root.get("failures") == str(len(findings))
    suites = {suite.get("name"): suite for suite in root}
    assert set(suites) == {f["path"] for f in findings}
    cases = [case for suite in root for case in suite]
    assert sorted((c.get("classname"), c.get("line"), c.get("name")) for c in cases) == sorted(
        (f["path"], str(f["line"]), f"opsux-lint.{f['code']}") for f in findings
    )
    assert all(c.find("failure") is not None for c in cases)


def test_junit_clean_run_is_one_passing_case(repo: Path) -> None:
    code, out = invoke("app/clean.py", "--format", "junit")
    assert code == 0
    root = ET.fromstring(out)
    [case] = root.iter("testcase")
    assert case.get("name") == "No errors found" and case.find("failure") is None


def test_junit_escapes_control_characters_xml_cannot_carry(repo: Path) -> None:
    (Path("app") / "bell\x07.py").write_text('service.start(t, "inventry.sync")\n', encoding="utf-8")
    _, out = invoke(".", "--format", "junit")
    root = ET.fromstring(out)  # parses: no raw control character in the document
    assert "app/bell\\x07.py" in {suite.get("name") for suite in root}
