"""ruff's CLI habits: option aliases, quiet, settings, rule lookup by name, empty selections,
protected output files, a full stdout, colour and code frames on a terminal."""

from __future__ import annotations

import errno
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lint_support import copy_fixture

from opsux_lint.cli import main
from opsux_lint.findings import Finding, Severity
from opsux_lint.report.text import code_frame


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_fixture("shop", tmp_path)
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return root


def test_output_format_is_an_alias_of_format(shop: Path) -> None:
    assert invoke(".", "--output-format", "json").stdout == invoke(".", "--format", "json").stdout
    assert invoke(".", "--output-format", "xml").exit_code == 2


def test_quiet_prints_findings_without_the_summary(shop: Path) -> None:
    loud, quiet = invoke("."), invoke(".", "-q")
    assert loud.exit_code == quiet.exit_code == 1
    # The summary, then the hint about the unsafe fixes the shop's constants allow: both left out.
    assert loud.stdout.splitlines()[:-2] == quiet.stdout.splitlines()
    assert loud.stdout.splitlines()[-2].startswith("Found ")
    assert loud.stdout.splitlines()[-1].startswith("[*] 4 fixable with the `--fix` option (3 hidden fixes")
    assert invoke("src/shop/clean.py", "--quiet").stdout == ""
    assert invoke("src/shop/clean.py").stdout.startswith("All checks passed")


def test_quiet_silences_the_baseline_note(shop: Path) -> None:
    assert "Recorded" in invoke(".", "--write-baseline", "b.json").stderr
    assert invoke(".", "--write-baseline", "b.json", "-q").stderr == ""


def test_show_settings_names_the_config_settings_and_files(shop: Path) -> None:
    (shop / "opsux.yaml").write_text(
        (shop / "opsux.yaml").read_text() + "  extend_exclude: [src/shop/views.py]\n  max_file_bytes: 100000\n", encoding="utf-8"
    )
    result = invoke(".", "--show-settings")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "Config file: opsux.yaml" in out
    assert "Catalog: 3 operation types" in out
    assert "Rules: OPS000, OPS001, OPS002, OPS003, OPS004, OPS005, OPS006, OPS007, OPS008, OPS900" in out
    assert 'exclude: ["migrations/", "*_pb2.py", "scripts/legacy/", "src/shop/views.py"]' in out
    assert "max_file_bytes: 100000" in out
    assert '"call": "shop.ops.start_operation"' in out  # the sinks
    assert "  src/shop/ops.py" in out and "src/shop/views.py" not in out.split("Files to lint")[1]
    document = json.loads(invoke(".", "--show-settings", "--format", "json").stdout)
    [entry] = document
    assert entry["config"] == "opsux.yaml" and entry["catalog_size"] == 3
    assert entry["lint"]["extend_exclude"] == ["src/shop/views.py"]
    assert "src/shop/ops.py" in entry["files"]


def test_show_settings_lists_files_that_are_not_read(shop: Path) -> None:
    (shop / "src" / "shop" / "gone.py").symlink_to(shop / "nowhere.py")
    [entry] = json.loads(invoke(".", "--show-settings", "--format", "json").stdout)
    assert [item["path"] for item in entry["not_read"]] == ["src/shop/gone.py"]


def test_list_rules_as_json(shop: Path) -> None:
    result = invoke("--list-rules", "--format", "json")
    assert result.exit_code == 0
    rules = json.loads(result.stdout)
    assert [r["code"] for r in rules] == ["OPS000", "OPS001", "OPS002", "OPS003", "OPS004", "OPS005", "OPS006", "OPS007", "OPS008", "OPS900"]
    assert rules[1]["name"] == "unregistered-operation-type" and rules[1]["severity"] == "error"
    assert invoke("--list-rules", "--format", "sarif").exit_code == 2


@pytest.mark.parametrize("name", ["unregistered-operation-type", "UNREGISTERED_OPERATION_TYPE", " ops001 "])
def test_explain_accepts_a_rule_name(shop: Path, name: str) -> None:
    result = invoke("--explain", name)
    assert result.exit_code == 0
    assert result.stdout == invoke("--explain", "OPS001").stdout


def test_explain_an_unknown_name_is_a_usage_error(shop: Path) -> None:
    result = invoke("--explain", "unregistered-operation")
    assert result.exit_code == 2 and "no rule 'unregistered-operation'" in result.stderr


@pytest.mark.parametrize("empty", ["", ",,,", " , "])
def test_an_empty_select_is_a_usage_error(shop: Path, empty: str) -> None:
    result = invoke(".", "--select", empty)
    assert result.exit_code == 2
    assert "--select" in result.stderr and "names no rule" in result.stderr


def test_an_empty_ignore_ignores_nothing(shop: Path) -> None:
    assert invoke(".", "--ignore", "").stdout == invoke(".").stdout


@pytest.mark.parametrize("target", ["opsux.yaml", "src/shop/ops.py", "pyproject.toml"])
def test_output_file_never_overwrites_the_config_or_a_source(shop: Path, target: str) -> None:
    path = shop / target
    if not path.exists():
        path.write_text("[tool.other]\n", encoding="utf-8")
    before = path.read_bytes()
    result = invoke(".", "--output-file", target)
    assert result.exit_code == 2 and "refusing to overwrite" in result.stderr
    assert path.read_bytes() == before
    assert invoke("--explain", "OPS001", "-o", target).exit_code == 2
    assert path.read_bytes() == before


def test_output_file_writes_a_new_report_file(shop: Path) -> None:
    assert invoke(".", "--output-file", "report.txt").exit_code == 1
    assert (shop / "report.txt").read_text(encoding="utf-8").startswith("src/shop/")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["."], ["--list-rules"], ["--explain", "OPS001"]])
def test_a_full_stdout_is_an_io_error_not_a_bug(shop: Path, args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        completed = subprocess.run(
            [sys.executable, "-m", "opsux_lint", "--no-cache", *args], stdout=full, stderr=subprocess.PIPE,
            text=True, check=False, timeout=120,
        )
    assert completed.returncode == 2
    assert completed.stderr.startswith("opsux-lint: I/O error: cannot write the report to standard output: No space left")
    assert "internal error" not in completed.stderr and "Traceback" not in completed.stderr
    assert "Exception ignored" not in completed.stderr


def test_a_reader_that_stops_early_gets_no_noise(shop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # `opsux-lint | head -1`: the pipe closes under the writer (EPIPE). Exit 2, nothing printed.
    def closed_pipe(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(errno.EPIPE, "Broken pipe")

    monkeypatch.setattr("opsux_lint.cli._silence_stdout", lambda: None)  # CliRunner's stdout has no fd
    monkeypatch.setattr("opsux_lint.cli.click.echo", closed_pipe)
    result = invoke(".")
    assert (result.exit_code, result.stderr) == (2, "")


# ------------------------------------------------------------------------ terminal output


def run_in_terminal(cwd: Path, env: dict[str, str], *args: str) -> str:
    """opsux-lint with its stdout on a pseudo-terminal; what the terminal received."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "opsux_lint", "--no-cache", *args], cwd=cwd, stdout=follower,
        stderr=subprocess.PIPE, env=env,
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 1)
        if ready:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    process.wait(timeout=10)
    os.close(leader)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    return {**env, **extra}


ESC = "\x1b["


def test_a_terminal_gets_colour_and_a_code_frame(shop: Path) -> None:
    out = run_in_terminal(shop, clean_env(), "src/shop/ops.py")
    assert ESC in out
    plain = out.replace(ESC, "")
    assert "^^^" in out and "|" in plain


def test_no_color_keeps_the_frame_without_escapes(shop: Path) -> None:
    out = run_in_terminal(shop, clean_env(NO_COLOR="1"), "src/shop/ops.py")
    assert ESC not in out
    assert "^^^" in out


def test_piped_output_is_plain_lines(shop: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "opsux_lint", "--no-cache", "src/shop/ops.py"], cwd=shop, capture_output=True,
        text=True, env=clean_env(), check=False,
    )
    assert ESC not in completed.stdout and "^" not in completed.stdout
    *findings, summary, hint = completed.stdout.splitlines()
    assert all(line.startswith("src/shop/ops.py:") for line in findings)
    assert summary.startswith("Found ") and hint.startswith("[*] ")


def test_force_color_colours_piped_output_and_no_color_wins(shop: Path) -> None:
    forced = subprocess.run(
        [sys.executable, "-m", "opsux_lint", "--no-cache", "src/shop/ops.py"], cwd=shop, capture_output=True,
        text=True, env=clean_env(FORCE_COLOR="1"), check=False,
    )
    assert ESC in forced.stdout and "^^^" in forced.stdout
    both = subprocess.run(
        [sys.executable, "-m", "opsux_lint", "--no-cache", "src/shop/ops.py"], cwd=shop, capture_output=True,
        text=True, env=clean_env(FORCE_COLOR="1", NO_COLOR="1"), check=False,
    )
    assert ESC not in both.stdout


def finding(line: int, column: int, end_line: int, end_column: int) -> Finding:
    return Finding("m.py", line, column, "OPS001", end_line, end_column, "msg", "name", Severity.ERROR)


def test_code_frame_underlines_the_span() -> None:
    source = ["x = 1", 'service.start(t, "inventry.sync")']
    frame = code_frame(finding(2, 18, 2, 33), source)
    assert frame == [
        "  |",
        '2 | service.start(t, "inventry.sync")',
        "  |                  ^^^^^^^^^^^^^^^",
        "  |",
        "",
    ]


def test_code_frame_widens_tabs_and_runs_a_multi_line_span_to_the_end_of_its_first_line() -> None:
    frame = code_frame(finding(1, 2, 3, 2), ["\tcall(", "  x,", ")"])
    assert frame[1] == "1 |     call("
    assert frame[2] == "  |     ^^^^^"


def test_code_frame_needs_the_source_line() -> None:
    assert code_frame(finding(5, 1, 5, 2), ["only one line"]) == []
    assert code_frame(finding(1, 1, 1, 2), None) == []


def test_an_empty_select_in_the_config_is_a_config_error(shop: Path) -> None:
    config = shop / "opsux.yaml"
    config.write_text(config.read_text() + "  select: []\n", encoding="utf-8")
    result = invoke(".")
    assert result.exit_code == 2
    assert "lint.select: must name at least one rule code or prefix" in result.stderr
    config.write_text(config.read_text().replace("select: []", "select: [OPS001]"), encoding="utf-8")
    assert invoke(".").exit_code == 1


@pytest.mark.parametrize("length", [160, 161])
def test_code_frame_of_a_long_line_is_a_window_around_the_span(length: int) -> None:
    prefix = "x" * (length - len('f("inventry.sync")'))
    line = prefix + 'f("inventry.sync")'
    assert len(line) == length
    column = len(prefix) + 3
    frame = code_frame(finding(1, column, 1, column + 15), [line])
    shown, carets = frame[1].removeprefix("1 | "), frame[2].removeprefix("  | ")
    if length <= 160:
        assert shown == line
    else:
        assert shown.startswith("…") and len(shown) == 161 and shown.endswith('f("inventry.sync")')
    # The carets stand under the literal either way.
    assert shown[carets.index("^"): carets.index("^") + 15] == '"inventry.sync"'
    assert carets.count("^") == 15


def test_code_frame_window_in_the_middle_of_a_long_line_is_cut_on_both_sides() -> None:
    line = "a" * 500 + '"inventry.sync"' + "b" * 500
    frame = code_frame(finding(1, 501, 1, 516), [line])
    shown, carets = frame[1].removeprefix("1 | "), frame[2].removeprefix("  | ")
    assert shown.startswith("…") and shown.endswith("…") and len(shown) == 162
    assert shown[carets.index("^"): carets.index("^") + 15] == '"inventry.sync"'


def test_write_baseline_never_overwrites_the_config_either(shop: Path) -> None:
    before = (shop / "opsux.yaml").read_bytes()
    result = invoke(".", "--write-baseline", "opsux.yaml")
    assert result.exit_code == 2 and "--write-baseline: opsux.yaml is the config file" in result.stderr
    assert (shop / "opsux.yaml").read_bytes() == before
