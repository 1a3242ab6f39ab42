"""README's quick start is code people paste: run it exactly as written."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from readme_support import README, blocks, section


def test_quick_start_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    quick = section("Quick start")
    [config] = blocks(quick, "yaml")
    scripts = blocks(quick, "python")
    assert len(scripts) == 2
    (tmp_path / "opsux.yaml").write_text(config, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__readme__"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for script in scripts:
            exec(compile(script, str(README), "exec"), namespace)
    printed = out.getvalue().splitlines()
    # The comments in the README promise these lines.
    assert printed == [
        "Inventory sync queued - Running in the background.",
        "Inventory sync already queued",
        "enqueued run 1",
        "Inventory sync Running 40% /admin/operations/1",
        "user-3 | Inventory sync completed | Total: 100 · Processed: 100 · Succeeded: 100",
        "partially_succeeded",
    ]


def test_configuration_reference_is_a_valid_config(tmp_path: Path) -> None:
    from opsux_core import load_policy
    from opsux_lint.settings import lint_settings

    [reference] = blocks(section("Configuration reference"), "yaml")
    (tmp_path / "opsux.yaml").write_text(reference, encoding="utf-8")
    policy = load_policy(tmp_path / "opsux.yaml")
    assert policy.catalog.label("inventory.sync") == "Inventory sync"
    assert dict(lint_settings(policy).severity) == {"OPS008": "error"}


def test_setup_commands_match_ci() -> None:
    setup = section("Set-up")
    commands = blocks(setup, "sh")
    assert len(commands) == 2
    ci_lines = (README.parent / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    test_commands = [
        part.strip().replace(".venv/bin/python", "python")
        for part in commands[1].split("&&")
        if "-m pytest" in part
    ]
    assert test_commands, commands[1]
    # .ci/run must run exactly README's test commands, in README's order.
    assert [line for line in ci_lines if "-m pytest" in line] == test_commands
    assert os.access(README.parent / ".ci" / "run", os.X_OK)


def test_main_job_output_is_what_readme_shows() -> None:
    console = blocks(section("Linting: `opsux-lint`"), "console")[0].splitlines()
    command = console[0].removeprefix("$ ")
    expected = console[1 : console.index("$ echo $?")]
    exe = Path(sys.executable).parent / "opsux-lint"
    result = subprocess.run([str(exe), *command.split()[1:], "--no-cache"], cwd=README.parent, capture_output=True, text=True)
    assert result.returncode == int(console[console.index("$ echo $?") + 1])
    assert result.stdout.splitlines() == expected


def test_testing_your_app_example_passes_under_the_plugin(tmp_path: Path) -> None:
    [config] = blocks(section("Quick start"), "yaml")
    example = blocks(section("Testing your app"), "python")[0]
    (tmp_path / "opsux.yaml").write_text(config, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_inventory.py").write_text(example, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPSUX_", "PYTEST_"))}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path, capture_output=True, text=True, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_library_example_prints_what_readme_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    linting = section("Linting: `opsux-lint`")
    [example] = [block for block in blocks(linting, "python") if "lint_paths" in block]
    promised = [line.removeprefix("# ") for line in example.splitlines() if line.startswith("# ")]
    monkeypatch.chdir(README.parent)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example, str(README), "exec"), {"__name__": "__readme__"})
    assert out.getvalue().splitlines() == promised
