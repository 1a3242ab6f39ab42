"""--unsafe-fixes: a misspelt type literal -> the project's own name for the registered type."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst
import pytest
from click.testing import CliRunner, Result

from opsux_lint import constant_fix
from opsux_lint.cli import main

CONFIG = "operation_types:\n  groups.sync: Groups sync\n  inventory.sync: Inventory sync\n"
TYPES = (
    "from enum import StrEnum\n"
    "\n"
    "\n"
    "class OpType(StrEnum):\n"
    '    GROUPS = "groups.sync"\n'
)
JOBS = (
    '"""Jobs."""\n'
    "from __future__ import annotations\n"
    "\n"
    "from opsux_core import OperationRunService\n"
    "\n"
    "\n"
    "def sync(service: OperationRunService, tenant_id):\n"
    '    service.start(tenant_id, "groups.synk")  # a comment stays\n'
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "opsux.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "app" / "types.py").write_text(TYPES, encoding="utf-8")
    (tmp_path / "app" / "jobs.py").write_text(JOBS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--no-cache"])


def jobs(project: Path) -> str:
    return (project / "app" / "jobs.py").read_text(encoding="utf-8")


def test_without_the_flag_the_text_output_says_a_hidden_fix_exists(project: Path) -> None:
    result = invoke("app")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == (
        "[*] 1 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option)."
    )
    assert "hidden" not in invoke("app", "--unsafe-fixes").stdout  # enabled: nothing is hidden
    assert "hidden" not in invoke("app", "-q").stdout


def test_diff_shows_the_name_and_the_import_and_changes_nothing(project: Path) -> None:
    result = invoke("app", "--diff", "--unsafe-fixes")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[2:] == [
        "@@ -2,7 +2,8 @@",
        " from __future__ import annotations",
        " ",
        " from opsux_core import OperationRunService",
        "+from app.types import OpType",
        " ",
        " ",
        " def sync(service: OperationRunService, tenant_id):",
        '-    service.start(tenant_id, "groups.synk")  # a comment stays',
        "+    service.start(tenant_id, OpType.GROUPS)  # a comment stays",
    ]
    assert jobs(project) == JOBS
    # Without the flag --diff shows the safe fix only: the respelt literal.
    assert '+    service.start(tenant_id, "groups.sync")' in invoke("app", "--diff").stdout


def test_fix_applies_the_unsafe_fix_once(project: Path) -> None:
    result = invoke("app", "--fix", "--unsafe-fixes")
    assert result.exit_code == 0, result.output
    assert "Fixed 1 findings in 1 files." in result.stderr
    fixed = jobs(project)
    assert fixed == JOBS.replace(
        "from opsux_core import OperationRunService\n",
        "from opsux_core import OperationRunService\nfrom app.types import OpType\n",
    ).replace('"groups.synk"', "OpType.GROUPS")
    again = invoke("app", "--fix", "--unsafe-fixes")
    assert again.exit_code == 0 and "Fixed 0 findings in 0 files." in again.stderr
    assert jobs(project) == fixed
    assert invoke("app").stdout.startswith("All checks passed")


def test_fix_without_the_flag_makes_the_safe_fix(project: Path) -> None:
    assert invoke("app", "--fix").exit_code == 0
    assert jobs(project) == JOBS.replace('"groups.synk"', '"groups.sync"')


def test_an_existing_relative_import_from_the_module_is_extended(project: Path) -> None:
    (project / "app" / "jobs.py").write_text(
        "from .types import StrEnum\n"
        "from opsux_core import OperationRun\n"
        'OperationRun(operation_type="groups.synk")\n',
        encoding="utf-8",
    )
    assert invoke("app", "--fix", "--unsafe-fixes").exit_code == 0
    assert jobs(project) == (
        "from .types import OpType, StrEnum\n"
        "from opsux_core import OperationRun\n"
        "OperationRun(operation_type=OpType.GROUPS)\n"
    )


def test_a_name_already_imported_is_used_without_a_second_import(project: Path) -> None:
    source = "from app.types import OpType\nfrom opsux_core import OperationRun\nOperationRun(operation_type='groups.synk')\n"
    (project / "app" / "jobs.py").write_text(source, encoding="utf-8")
    assert invoke("app", "--fix", "--unsafe-fixes").exit_code == 0
    assert jobs(project) == source.replace("'groups.synk'", "OpType.GROUPS")


@pytest.mark.parametrize(
    "source",
    [
        # OpType means something else in this file: importing it would change that.
        "from app.models import OpType\nfrom opsux_core import OperationRun\nOperationRun(operation_type='groups.synk')\n",
        "from opsux_core import OperationRun\n\ndef f(OpType):\n    OperationRun(operation_type='groups.synk')\n",
    ],
)
def test_a_name_the_file_binds_otherwise_is_never_shadowed(project: Path, source: str) -> None:
    (project / "app" / "jobs.py").write_text(source, encoding="utf-8")
    assert "hidden" not in invoke("app").stdout
    assert invoke("app", "--fix", "--unsafe-fixes").exit_code == 0
    assert jobs(project) == source.replace("'groups.synk'", "'groups.sync'")  # the safe fix instead


def test_two_names_for_the_type_are_a_choice_left_to_a_person(project: Path) -> None:
    (project / "app" / "constants.py").write_text('GROUPS_SYNC = "groups.sync"\n', encoding="utf-8")
    assert "hidden" not in invoke("app").stdout
    invoke("app", "--fix", "--unsafe-fixes")
    assert "OpType" not in jobs(project)


def test_test_modules_and_lower_case_module_names_are_not_constants(project: Path) -> None:
    (project / "app" / "types.py").write_text('kind = "groups.sync"\n', encoding="utf-8")
    (project / "tests").mkdir()
    (project / "tests" / "test_jobs.py").write_text('EXPECTED = "groups.sync"\n', encoding="utf-8")
    assert "hidden" not in invoke("app").stdout


def test_a_module_constant_and_a_plain_enum_member(project: Path) -> None:
    (project / "app" / "types.py").write_text(
        'from enum import Enum\n\nGROUPS = "groups.sync"\n\nclass Legacy(Enum):\n    INVENTORY = "inventory.sync"\n',
        encoding="utf-8",
    )
    (project / "app" / "jobs.py").write_text(
        "from opsux_core import OperationRun\n"
        "OperationRun(operation_type='groups.synk')\n"
        "OperationRun(operation_type='inventry.sync')\n",
        encoding="utf-8",
    )
    assert invoke("app", "--fix", "--unsafe-fixes").exit_code == 0
    # A plain Enum's member is no string: its value is.
    assert jobs(project) == (
        "from opsux_core import OperationRun\n"
        "from app.types import GROUPS, Legacy\n"
        "\n"
        "OperationRun(operation_type=GROUPS)\n"
        "OperationRun(operation_type=Legacy.INVENTORY.value)\n"
    )
    assert invoke("app").exit_code == 0


def test_a_constant_of_the_same_module_is_used_only_below_its_definition(project: Path) -> None:
    source = (
        "from opsux_core import OperationRun\n"
        "OperationRun(operation_type='groups.synk')\n"
        'LATER = "inventory.sync"\n'
        "def f():\n"
        "    OperationRun(operation_type='inventry.sync')\n"
    )
    (project / "app" / "types.py").write_text("", encoding="utf-8")
    (project / "app" / "jobs.py").write_text(source, encoding="utf-8")
    assert invoke("app", "--fix", "--unsafe-fixes").exit_code == 0
    # In a function the name exists when it runs; at module level above it, it would not.
    assert jobs(project) == source.replace("'groups.synk'", "'groups.sync'").replace("'inventry.sync'", "LATER")


def test_a_file_whose_round_trip_is_not_exact_is_left_alone(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from opsux_core.policy import load_policy
    from opsux_lint.engine import Linter
    from opsux_lint.registry import builtin_rules
    from opsux_lint.runner import project_index

    policy = load_policy(project / "opsux.yaml")
    linter = Linter(policy, builtin_rules(), project_index(policy, cache=False))
    path = project / "app" / "jobs.py"
    findings = linter.lint(path, JOBS.encode(), "app/jobs.py")
    fixes = constant_fix.ConstantFinder(linter).fixes(path, JOBS, findings)
    assert [f.constant.expression for f in fixes] == ["OpType.GROUPS"]
    assert constant_fix.apply_constant_fixes(JOBS, fixes, findings)[0] != JOBS

    real = libcst.parse_module

    def drifting(text: str) -> libcst.Module:  # a printer that would not give the text back
        return real(text.replace("  # a comment stays", "  # a comment moved"))

    monkeypatch.setattr(constant_fix.cst, "parse_module", drifting)
    assert constant_fix.apply_constant_fixes(JOBS, fixes, findings) == (JOBS, [])
    assert constant_fix.ConstantFinder(linter).fixes(path, JOBS, findings) == []


def test_the_fixed_file_is_valid_python_with_the_same_structure(project: Path) -> None:
    invoke("app", "--fix", "--unsafe-fixes")
    tree = ast.parse(jobs(project))
    imported = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "app.types"]
    assert [a.name for a in imported[0].names] == ["OpType"]


def test_the_hint_counts_the_same_hidden_fix_when_the_findings_come_from_the_cache(project: Path) -> None:
    """Whether a finding has an unsafe fix is cached with it, and depends on the project's names
    as the finding does on its values: the name going away takes the hidden fix with it."""
    hint = "[*] 1 fixable with the `--fix` option (1 hidden fix can be enabled with the `--unsafe-fixes` option)."
    cold = CliRunner().invoke(main, ["app"])
    warm = CliRunner().invoke(main, ["app"])
    assert (project / ".opsux_cache").is_dir()
    assert cold.stdout.splitlines()[-1] == warm.stdout.splitlines()[-1] == hint
    (project / "app" / "types.py").write_text(TYPES.replace("GROUPS", "OTHER").replace("groups.sync", "other"), encoding="utf-8")
    gone = CliRunner().invoke(main, ["app"])
    assert "hidden" not in gone.stdout
    assert gone.stdout == CliRunner().invoke(main, ["app", "--no-cache"]).stdout
    (project / "app" / "types.py").write_text(TYPES, encoding="utf-8")
    assert CliRunner().invoke(main, ["app"]).stdout.splitlines()[-1] == hint


_IMPORTS_LIBCST = """
import sys
from opsux_lint.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("libcst" in sys.modules, file=sys.stderr)
"""


def test_libcst_is_imported_to_find_a_fix_not_to_report_a_cached_one(project: Path) -> None:
    import subprocess
    import sys

    def libcst_imported(*args: str) -> tuple[str, str]:
        done = subprocess.run([sys.executable, "-c", _IMPORTS_LIBCST, *args], cwd=project, capture_output=True, text=True, check=False)
        return done.stdout, done.stderr.strip().splitlines()[-1]

    (project / "app" / "jobs.py").write_text(JOBS.replace("groups.synk", "groups.sync"), encoding="utf-8")
    assert libcst_imported("app")[1] == "True"  # cold: the file is parsed
    output, warm = libcst_imported("app")
    assert warm == "False" and output.startswith("All checks passed")
    (project / "app" / "jobs.py").write_text(JOBS, encoding="utf-8")
    libcst_imported("app")
    output, warm = libcst_imported("app")
    assert warm == "False" and "1 hidden fix" in output  # the finding and its fix, from the cache
    (project / "app" / "jobs.py").write_text(JOBS + "# changed\n", encoding="utf-8")
    output, changed = libcst_imported("app")
    assert changed == "True" and "1 hidden fix" in output  # linted again: the file is parsed for its fix
