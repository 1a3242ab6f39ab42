"""The command line contract: options, exit codes (0/1/2), config discovery and errors."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lint_support import REPO, copy_fixture, tiny_project
from opsux_lint import runner as runner_module
from opsux_lint.cli import main

PYTHON = sys.executable


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_fixture("shop", tmp_path)
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return root


def codes(result: Result) -> set[str]:
    return {f["code"] for f in json.loads(result.stdout)["findings"]}


def test_exit_codes_clean_findings_usage(shop: Path) -> None:
    assert invoke("src/shop/clean.py").exit_code == 0
    assert invoke("src/shop/ops.py").exit_code == 1
    assert invoke("--format", "xml").exit_code == 2
    assert invoke("does-not-exist").exit_code == 2


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github", "gitlab", "junit"])
def test_format_never_changes_the_exit_code(shop: Path, fmt: str) -> None:
    assert invoke(".", "--format", fmt).exit_code == 1
    assert invoke("src/shop/clean.py", "--format", fmt).exit_code == 0
    zero = invoke(".", "--format", fmt, "--exit-zero")
    assert zero.exit_code == 0 and "OPS001" in zero.stdout


def test_default_path_is_the_working_directory(shop: Path) -> None:
    assert invoke().stdout == invoke(".").stdout


def test_select_and_ignore_take_prefixes(shop: Path) -> None:
    assert codes(invoke("--format", "json", "--select", "OPS002")) == {"OPS002"}
    assert codes(invoke("--format", "json", "--select", "OPS0")) == {"OPS001", "OPS002"}
    assert codes(invoke("--format", "json", "--ignore", "OPS0")) == {"OPS900"}
    assert codes(invoke("--format", "json", "--select", "ops001, OPS9")) == {"OPS001", "OPS900"}
    # The more specific selector wins, as in ruff.
    assert codes(invoke("--format", "json", "--select", "OPS001", "--ignore", "OPS")) == {"OPS001"}


def test_config_select_and_ignore_apply_and_cli_select_replaces_them(shop: Path) -> None:
    config = shop / "opsux.yaml"
    config.write_text(config.read_text() + "  ignore: [OPS002]\n", encoding="utf-8")
    assert codes(invoke("--format", "json")) == {"OPS001", "OPS900"}
    assert codes(invoke("--format", "json", "--select", "OPS002")) == set()  # config ignore still applies
    assert codes(invoke("--format", "json", "--ignore", "OPS001")) == {"OPS900"}


@pytest.mark.parametrize("bad", ["XYZ", "OPS1234", "OPS7"])
def test_bad_selectors_are_usage_errors(shop: Path, bad: str) -> None:
    result = invoke("--select", bad)
    assert result.exit_code == 2
    assert "--select" in result.stderr and bad in result.stderr


def test_explain(shop: Path) -> None:
    result = invoke("--explain", "ops001")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("OPS001 unregistered-operation-type (error)")
    assert "single source of truth" in out
    # Examples appear with the message the engine really produces for them.
    assert 'service.start(tenant_id, "inventry.sync")' in out
    assert "# -> 4:30: Operation type 'inventry.sync' is not registered in the catalog; did you mean 'inventory.sync'?" in out
    assert "Not reported:" in out and "# opsux: ignore[OPS001]" in out
    unknown = invoke("--explain", "OPS123")
    assert unknown.exit_code == 2 and "no rule 'OPS123'" in unknown.stderr


def test_explain_and_list_rules_need_no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    listing = invoke("--list-rules")
    assert listing.exit_code == 0
    assert [line.split()[0] for line in listing.stdout.splitlines()] == ["OPS000", "OPS001", "OPS002", "OPS003", "OPS004", "OPS005", "OPS006", "OPS007", "OPS008", "OPS900"]
    assert "unregistered-operation-type  error" in listing.stdout
    assert invoke("--explain", "OPS900").exit_code == 0


def test_version() -> None:
    result = invoke("--version")
    assert (result.exit_code, result.stdout) == (0, f"opsux-lint {version('opsux')}\n")


def test_statistics_counts_per_rule(shop: Path) -> None:
    result = invoke("--statistics")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0].split() == ["10", "OPS001", "unregistered-operation-type"]
    assert "src/shop" not in result.stdout
    refused = invoke("--statistics", "--format", "sarif")
    assert refused.exit_code == 2 and "--statistics" in refused.stderr


def test_output_file(shop: Path) -> None:
    result = invoke(".", "--format", "json", "--output-file", "report.json")
    assert (result.exit_code, result.stdout) == (1, "")
    assert json.loads((shop / "report.json").read_text(encoding="utf-8"))["summary"]["findings"] == 19
    unwritable = invoke(".", "--output-file", "no/such/dir/report.txt")
    assert unwritable.exit_code == 2 and "--output-file" in unwritable.stderr


def test_paths_are_relative_to_the_working_directory(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(shop / "src")
    out = invoke(str(shop / "src" / "shop" / "ops.py")).stdout
    assert out.startswith("shop/ops.py:14:32: OPS001 ")
    monkeypatch.chdir(shop / "migrations")
    assert invoke("../src/shop/ops.py").stdout.startswith("../src/shop/ops.py:14:32: ")


def test_no_config_is_exit_2_with_a_clear_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.py").write_text("service.start(t, 'x.y')\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = invoke("a.py")
    assert result.exit_code == 2
    assert "no opsux.yaml and no pyproject.toml with [tool.opsux]" in result.stderr
    assert "--config" in result.stderr


def test_config_option_overrides_discovery(shop: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text("operation_types:\n  inventory.full: Full inventory\n", encoding="utf-8")

    def values(*extra: str) -> set[str]:
        result = invoke("src/shop/views.py", "--format", "json", "--select", "OPS001", *extra)
        return {f["message"].split("'")[1] for f in json.loads(result.stdout)["findings"]}

    assert {"inventory.full", "orders.exports"} <= values()
    overridden = values("--config", str(other))
    assert "inventory.full" not in overridden and "orders.exports" in overridden


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "opsux_lint", *args], cwd=cwd, capture_output=True, text=True, check=False)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("operation_types:\n  inventory.sync: [unclosed\n", "opsux.yaml:3: invalid YAML"),
        ("operation_types:\n  inventory.sync: Sync\nlint:\n  selct: [OPS]\n", "opsux.yaml:4: lint.selct: unknown key; did you mean 'select'?"),
        ("operation_types:\n  Inventory Sync: Sync\n", "opsux.yaml:2: operation_types.Inventory Sync: malformed operation type code"),
    ],
)
def test_bad_config_names_file_line_and_key_without_traceback(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "opsux.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    result = _cli(".", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_internal_errors_are_exit_2_without_traceback(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(runner_module.Linter, "check", explode)
    result = invoke(".")
    assert result.exit_code == 2
    assert "internal error: RuntimeError: boom" in result.stderr


def test_python_dash_m_and_the_console_script(tmp_path: Path) -> None:
    project = copy_fixture("shop", tmp_path)
    module = _cli("src/shop/ops.py", cwd=project)
    assert module.returncode == 1 and module.stdout.startswith("src/shop/ops.py:14:32: OPS001")
    script = Path(PYTHON).parent / "opsux-lint"
    if not script.exists():
        pytest.skip("console script not installed in this environment")
    scripted = subprocess.run([str(script), "src/shop/ops.py"], cwd=project, capture_output=True, text=True, check=False)
    assert (scripted.returncode, scripted.stdout) == (module.returncode, module.stdout)


def test_linting_never_imports_sqlalchemy(tmp_path: Path) -> None:
    # opsux_lint must start fast: SQLAlchemy is the runtime's business (DESIGN.md).
    code = (
        "import sys\n"
        "from opsux_lint.cli import main\n"
        "try:\n"
        f"    main([{str(REPO / 'examples' / 'tenant_app')!r}, '--format', 'json', '--no-cache'], standalone_mode=False)\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 1, exc.code\n"
        "loaded = sorted(m for m in sys.modules if m == 'sqlalchemy' or m.startswith('sqlalchemy.'))\n"
        "assert 'libcst' in sys.modules\n"
        "print('LOADED', loaded)\n"
    )
    result = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path,
                            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout


def test_a_lint_run_collects_garbage_rarely_and_other_commands_leave_it_alone(shop: Path) -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        invoke("--version")
        assert gc.get_threshold() == (700, 10, 10)
        invoke(str(shop))
        assert gc.get_threshold() == (100_000, 50, 100)
    finally:
        gc.set_threshold(*before)


def test_a_warm_run_imports_only_what_it_reads(tmp_path: Path) -> None:
    # Every file from the cache: no parser, no analysis, no process pool, no runtime modules.
    project = copy_fixture("shop", tmp_path)
    code = (
        "import sys\n"
        "from opsux_lint.cli import main\n"
        "try:\n"
        "    main(['src', '--format', 'json'], standalone_mode=False)\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 1, exc.code\n"
        "heavy = ['libcst', 'opsux_lint.analysis.resolver', 'opsux_lint.engine', 'concurrent.futures',\n"
        "         'multiprocessing', 'opsux_core.presenter', 'sqlalchemy']\n"
        "print('LOADED', [m for m in heavy if m in sys.modules])\n"
    )
    cold = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=False, cwd=project)
    assert cold.returncode == 0, cold.stderr
    assert "'libcst'" in cold.stdout  # the first run parses: the check below can tell
    warm = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=False, cwd=project)
    assert warm.returncode == 0, warm.stderr
    assert "LOADED []" in warm.stdout


@pytest.mark.parametrize(("src", "warned"), [(".", True), ("src", False)])
def test_a_sink_module_that_lint_src_names_differently_is_warned_about(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, src: str, warned: bool
) -> None:
    # A src/ layout with lint.src: [.]: every module is ``src.app...`` while the code imports
    # ``app...``, and nothing resolves into the sink's module.
    sinks = ["{call: app.events.emit, arg: 0}", "{call: '*.record', arg: 0}", "{call: opsux_core.start, arg: 0}"]
    tiny_project(tmp_path, sinks, {"events.py": "def emit(kind):\n    return kind\n"}, src=src)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [".", "--no-cache"])
    assert result.exit_code == 0
    warning = "opsux-lint: warning: the sink `app.events.emit` is in the module `app.events`, but lint.src makes that file `src.app.events`"
    assert (warning in result.stderr) is warned
    assert result.stderr.count("warning:") == int(warned)  # a library's sink and `*.` are never warned about
    assert "add `src` (the directory that holds `app`) to lint.src" in result.stderr or not warned
    quiet = CliRunner().invoke(main, [".", "--no-cache", "--quiet"])
    assert "warning:" not in quiet.stderr
