"""The CI snippets in README are configuration people paste: they must parse and name things
that exist (the hook id, the cache directory, the formats and the report file)."""

from __future__ import annotations

import re
import shlex

import yaml

from lint_support import REPO
from opsux_lint.cache import CACHE_DIRNAME
from opsux_lint.report import OutputFormat

README = (REPO / "README.md").read_text(encoding="utf-8")


def section(title: str) -> str:
    start = README.index(f"### {title}\n")
    end = README.find("\n##", start + 1)
    return README[start:end]


def yaml_blocks(text: str) -> list[object]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)]


def lint_commands(lines: list[str]) -> list[list[str]]:
    return [shlex.split(line) for line in lines if line.startswith("opsux-lint ")]


def check_formats(commands: list[list[str]]) -> None:
    for command in commands:
        if "--format" in command:
            assert command[command.index("--format") + 1] in {f.value for f in OutputFormat}


def test_the_pre_commit_snippet_names_the_shipped_hook() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    remote, local = yaml_blocks(section("pre-commit"))
    assert remote["repos"][0]["hooks"][0]["id"] in {hook["id"] for hook in hooks}
    assert {"repo", "rev"} <= remote["repos"][0].keys()
    assert local["repos"][0]["hooks"][0]["files"] == hooks[0]["files"]


def test_the_github_job_caches_the_cache_directory_and_uploads_what_it_writes() -> None:
    [workflow] = yaml_blocks(section("GitHub Actions"))
    steps = workflow["jobs"]["opsux-lint"]["steps"]
    [cache] = [s for s in steps if str(s.get("uses", "")).startswith("actions/cache@")]
    assert cache["with"]["path"] == CACHE_DIRNAME
    commands = lint_commands([s["run"] for s in steps if "run" in s])
    check_formats(commands)
    [sarif] = [c for c in commands if "sarif" in c]
    [upload] = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif")]
    assert upload["with"]["sarif_file"] == sarif[sarif.index("--output-file") + 1]


def test_the_gitlab_job_reports_the_file_it_writes() -> None:
    [pipeline] = yaml_blocks(section("GitLab CI"))
    job = pipeline["opsux-lint"]
    assert job["cache"]["paths"] == [f"{CACHE_DIRNAME}/"]
    commands = lint_commands(job["script"])
    check_formats(commands)
    [report] = [c for c in commands if "gitlab" in c]
    assert job["artifacts"]["reports"]["codequality"] == report[report.index("--output-file") + 1]
