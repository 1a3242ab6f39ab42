"""Suppressions: statement-wide, survive the formatter, malformed ones hide nothing, file-level
and per-file ignores."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from opsux_core import policy_from_mapping
from opsux_lint.engine import lint_source
from opsux_lint.findings import Finding
from opsux_lint.registry import builtin_rules
from opsux_lint.suppressions import Scope, find_suppressions

ROOT = Path("/nowhere")
# ``*.start`` on any receiver, as a project may configure: these tests are about comments, not types.
POLICY = policy_from_mapping(
    {
        "operation_types": {"inventory.sync": "Inventory sync"},
        "lint": {"operation_type_sinks": [{"call": "*.start", "arg": 1}]},
    },
    source=ROOT / "opsux.yaml",
    root=ROOT,
)


def lint(code: str) -> list[Finding]:
    return lint_source(ROOT / "app" / "m.py", textwrap.dedent(code).encode(), POLICY, builtin_rules(), display="app/m.py")


def codes(code: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in lint(code)]


# ------------------------------------------------------------------- any line of the statement


@pytest.mark.parametrize("line", [1, 2, 3, 4])
def test_a_suppression_on_any_line_of_the_statement_hides_its_finding(line: int) -> None:
    lines = ["service.start(", "    tenant_id,", '    "inventry.sync",', ")"]
    lines[line - 1] += "  # opsux: ignore[OPS001]"
    assert lint("\n".join(lines) + "\n") == []


def test_a_suppression_does_not_reach_the_next_statement() -> None:
    found = codes(
        """\
        service.start(tenant_id, "inventory.sync")  # opsux: ignore[OPS001]
        service.start(tenant_id, "inventry.sync")
        """
    )
    assert found == [(1, "OPS900"), (2, "OPS001")]


def test_a_comment_on_a_line_of_its_own_covers_only_that_line() -> None:
    found = codes(
        """\
        # opsux: ignore[OPS001]
        service.start(tenant_id, "inventry.sync")
        """
    )
    assert found == [(1, "OPS900"), (2, "OPS001")]


def test_a_compound_statement_header_does_not_cover_its_body() -> None:
    found = codes(
        """\
        if ready:  # opsux: ignore[OPS001]
            service.start(tenant_id, "inventry.sync")
        """
    )
    assert found == [(1, "OPS900"), (2, "OPS001")]


def test_an_unused_multi_line_suppression_names_the_statement() -> None:
    [finding] = lint('service.start(\n    tenant_id, "inventory.sync"\n)  # opsux: ignore[OPS001]\n')
    assert finding.code == "OPS900" and finding.line == 3
    assert "no OPS001 finding in this statement to ignore" in finding.message


# --------------------------------------------------------------------------- ruff format


FORMATTED_FIXTURE = '''\
from app.ops import service


def sync(tenant_id):
    service.start(tenant_id, "inventry.sync", initiator="a-rather-long-initiator-name", reason="nightly")  # opsux: ignore[OPS001]
    service.start(tenant_id, "inventry.snyc", initiator="another-long-initiator-name", reason="by hand")
    service.start(  # opsux: ignore[OPS001]
        tenant_id, "inventory.sync", initiator="an-initiator-name-that-is-long", reason="ok"
    )
'''


@pytest.mark.skipif(shutil.which("ruff") is None and not (Path(sys.executable).parent / "ruff").exists(), reason="needs ruff")
def test_ruff_format_moving_a_comment_to_the_closing_line_changes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "jobs.py"
    source.write_text(FORMATTED_FIXTURE, encoding="utf-8")
    before = lint(source.read_text(encoding="utf-8"))
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or "ruff"
    subprocess.run([ruff, "format", "--isolated", str(source)], check=True, capture_output=True)
    formatted = source.read_text(encoding="utf-8")
    # The formatter did what the fix is for: wrapped the calls, comments on the closing line.
    assert formatted != FORMATTED_FIXTURE
    assert formatted.count(")  # opsux: ignore[OPS001]") == 1, formatted
    after = lint(formatted)
    assert [(f.code, f.message) for f in after] == [(f.code, f.message) for f in before]
    # One real finding (the unsuppressed typo) and one stale suppression, before and after.
    assert [f.code for f in after] == ["OPS001", "OPS900"]


# ---------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    "comment",
    [
        "# opsux: ignore[OPS001",
        "# opsux: ignore(OPS001)",
        "# opsux: ignore:OPS001",
        "# opsux: ignore[",
        "# opsux: ignroe[OPS001]",
        "# opsux: ignore[OPS001]]",
        "# opsux: ignoreOPS001",
        "# opsux:",
    ],
)
def test_a_malformed_suppression_hides_nothing_and_is_reported(comment: str) -> None:
    findings = lint(f'service.start(tenant_id, "inventry.sync")  {comment}\n')
    assert sorted(f.code for f in findings) == ["OPS001", "OPS900"]
    [reported] = [f for f in findings if f.code == "OPS900"]
    assert "malformed suppression" in reported.message and "suppresses nothing" in reported.message
    assert reported.column == len('service.start(tenant_id, "inventry.sync")  ') + 1


@pytest.mark.parametrize(
    "comment",
    [
        "# opsux: ignore[OPS001]",
        "# opsux:ignore[OPS001]",
        "#opsux: ignore[ OPS001 , OPS002 ]  # why: legacy",
        "# OPSUX: IGNORE[OPS001]",
        "# Opsux: Ignore[ops001]",
        "# opsux: ignore",
        "# noqa: E501  # opsux: ignore[OPS001]",
    ],
)
def test_well_formed_suppressions_in_any_case_hide_the_finding(comment: str) -> None:
    findings = lint(f'service.start(tenant_id, "inventry.sync")  {comment}\n')
    assert [f.code for f in findings if f.code != "OPS900" or "OPS002" not in f.message] == []


def test_a_suppression_inside_a_string_is_no_suppression() -> None:
    assert find_suppressions('x = "# opsux: ignore[OPS001"\n') == []


# ---------------------------------------------------------------------------- file level


def test_ignore_file_hides_a_rule_everywhere_in_the_file() -> None:
    found = codes(
        """\
        # opsux: ignore-file[OPS001]
        service.start(tenant_id, "inventry.sync")
        service.start(tenant_id, "inventry.snyc")
        user.notify(OperationRunQueued(run))
        """
    )
    assert found == [(4, "OPS002")]


def test_bare_ignore_file_hides_every_rule_and_an_unused_one_is_reported() -> None:
    assert codes('# opsux: ignore-file\nservice.start(t, "inventry.sync")\nuser.notify(OperationRunQueued(run))\n') == []
    [unused] = lint('# opsux: ignore-file[OPS002]\nservice.start(t, "inventory.sync")\n')
    assert unused.code == "OPS900" and "no OPS002 finding in this file to ignore" in unused.message


def test_ignore_file_is_parsed_as_file_scope() -> None:
    [suppression] = find_suppressions("x = 1  # opsux: ignore-file[OPS001]\n")
    assert suppression.scope is Scope.FILE and suppression.codes == ("OPS001",)


# ------------------------------------------------------------------------ per_file_ignores


def run_cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "opsux_lint", "--no-cache", "--format", "json", *args],
        cwd=root, capture_output=True, text=True, check=False, timeout=120,
    )


def project(root: Path, per_file: str) -> None:
    (root / "opsux.yaml").write_text(
        "operation_types:\n  inventory.sync: Inventory sync\nlint:\n"
        "  operation_type_sinks: [{call: '*.start', arg: 1}]\n  per_file_ignores:\n" + per_file,
        encoding="utf-8",
    )
    for name in ("app/jobs.py", "tests/test_jobs.py", "tests/unit/test_deep.py", "scripts/test_tool.py"):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('service.start(t, "inventry.sync")\nuser.notify(OperationRunQueued(run))\n', encoding="utf-8")


@pytest.mark.parametrize(
    ("table", "hidden"),
    [
        ('    "tests/": [OPS001]\n', {("tests/test_jobs.py", "OPS001"), ("tests/unit/test_deep.py", "OPS001")}),
        ('    "test_*.py": [OPS0]\n', {(p, c) for p in ("tests/test_jobs.py", "tests/unit/test_deep.py", "scripts/test_tool.py") for c in ("OPS001", "OPS002")}),
        # As in lint.exclude, "*" also matches "/".
        ('    "tests/*.py": [OPS002]\n', {("tests/test_jobs.py", "OPS002"), ("tests/unit/test_deep.py", "OPS002")}),
        ('    "/scripts/*.py": [OPS001]\n', {("scripts/test_tool.py", "OPS001")}),
    ],
)
def test_per_file_ignores_hide_matching_codes_in_matching_files(tmp_path: Path, table: str, hidden: set[tuple[str, str]]) -> None:
    project(tmp_path, table)
    everything = {(p, c) for p in ("app/jobs.py", "tests/test_jobs.py", "tests/unit/test_deep.py", "scripts/test_tool.py") for c in ("OPS001", "OPS002")}
    completed = run_cli(tmp_path, ".")
    assert completed.returncode == 1, completed.stderr
    reported = {(f["path"], f["code"]) for f in json.loads(completed.stdout)["findings"]}
    assert reported == everything - hidden


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('    "tests/": OPS001\n', "must be a list of strings"),
        ('    "tests/": [E501]\n', "is not a rule code or prefix"),
        ('    "tests/": []\n', "must name at least one rule code"),
    ],
)
def test_bad_per_file_ignores_are_config_errors(tmp_path: Path, table: str, problem: str) -> None:
    project(tmp_path, table)
    completed = run_cli(tmp_path, ".")
    assert completed.returncode == 2
    assert "lint.per_file_ignores" in completed.stderr and problem in completed.stderr, completed.stderr
