"""Issue 16: a project that has opsux installed but does not use it pays nothing at start-up.

Each probe is a real ``python -X importtime -m pytest`` process with a tiny plugin that writes
``sys.modules`` at the end of the run: ``-X importtime`` lists what the import statement loaded,
``sys.modules`` also what ``importlib.import_module`` (pytest's plugin loading) did. Compared with
the same run under ``-p no:opsux``, the difference is exactly what the plugin cost.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from plugin_harness import CONFIG

PLUGIN_MODULES = {"opsux_pytest", "opsux_pytest.plugin"}

PROBE = """\
import json
import os
import sys


def pytest_unconfigure(config):
    with open(os.environ["OPSUX_PROBE_OUT"], "w") as out:
        json.dump(sorted(sys.modules), out)
"""


@dataclass(frozen=True)
class Probe:
    completed: subprocess.CompletedProcess[str]
    imported: set[str]
    """Modules ``-X importtime`` reported."""
    loaded: set[str]
    """``sys.modules`` at the end of the run."""


def probe(directory: Path, *args: str) -> Probe:
    probe_dir = directory.parent / f"{directory.name}_probe"
    probe_dir.mkdir(exist_ok=True)
    (probe_dir / "opsux_modules_probe.py").write_text(PROBE, encoding="utf-8")
    out = probe_dir / "modules.json"
    env = {key: value for key, value in os.environ.items() if key != "OPSUX_DB_URL"}
    env["OPSUX_PROBE_OUT"] = str(out)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(probe_dir), env.get("PYTHONPATH")]))
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pytest", "-p", "no:cacheprovider", "-p", "opsux_modules_probe", "-q", *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in completed.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    loaded = set(json.loads(out.read_text(encoding="utf-8"))) if out.exists() else set()
    return Probe(completed, imported, loaded)


def sqlalchemy_modules(modules: set[str]) -> set[str]:
    return {name for name in modules if name == "sqlalchemy" or name.startswith("sqlalchemy.")}


def test_a_project_without_opsux_config_loads_the_plugin_module_and_nothing_else(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_one():\n    assert 1 + 1 == 2\n")
    without = probe(pytester.path, "-p", "no:opsux")
    with_plugin = probe(pytester.path)
    for run in (without, with_plugin):
        assert run.completed.returncode == 0, run.completed.stdout + run.completed.stderr[-2000:]
        assert "1 passed" in run.completed.stdout
    # Not one module more than the plugin's own: no SQLAlchemy, no opsux_core, no other module of
    # the plugin, and no module of the standard library that pytest does not load anyway.
    assert with_plugin.loaded - without.loaded == PLUGIN_MODULES
    assert sqlalchemy_modules(with_plugin.imported) == set()


def test_a_configured_project_imports_no_sqlalchemy_until_a_fixture_is_used(pytester: pytest.Pytester) -> None:
    (pytester.path / "opsux.yaml").write_text(CONFIG, encoding="utf-8")
    pytester.makepyfile(test_one="def test_one():\n    assert 1 + 1 == 2\n")
    run = probe(pytester.path)
    assert run.completed.returncode == 0, run.completed.stdout
    assert "opsux_core.policy" in run.loaded, "the config is read at start-up, so a typo stops the run"
    assert sqlalchemy_modules(run.imported) == set()
    assert sqlalchemy_modules(run.loaded) == set()
    assert "opsux_pytest.testrun" not in run.loaded


def test_the_first_opsux_fixture_brings_sqlalchemy_in(pytester: pytest.Pytester) -> None:
    # The other side of the boundary: the same probe does see SQLAlchemy once a test uses opsux.
    (pytester.path / "opsux.yaml").write_text(CONFIG, encoding="utf-8")
    pytester.makepyfile(test_one="def test_one(opsux_session):\n    pass\n")
    run = probe(pytester.path, "--opsux-db-url=sqlite://")
    assert run.completed.returncode == 0, run.completed.stdout
    assert "sqlalchemy.orm" in run.imported
    assert {"opsux_pytest.testrun", "opsux_pytest.database"} <= run.loaded


def test_an_unconfigured_project_uses_the_fixtures_with_the_default_settings(pytester: pytest.Pytester) -> None:
    # Where nothing configures opsux the settings are read when the first fixture needs them.
    pytester.makepyfile(
        test_one="""
def test_one(opsux_engine):
    assert str(opsux_engine.url) == "sqlite://"

def test_two(opsux_policy):
    pass
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    # ([...] is a character class to fnmatch.)
    assert "opsux: no opsux.yaml and no pyproject.toml with [tool.opsux] in " in result.stdout.str()


def test_the_unconfigured_header_is_what_the_settings_say(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    from opsux_pytest.plugin import UNCONFIGURED_HEADER, configures_opsux
    from opsux_pytest.settings import read_settings

    monkeypatch.delenv("OPSUX_DB_URL", raising=False)
    config = pytester.parseconfigure()
    assert not configures_opsux(config)
    assert read_settings(config).header() == UNCONFIGURED_HEADER
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines([UNCONFIGURED_HEADER])


@pytest.mark.parametrize(
    ("ini", "args", "env", "message"),
    [
        ("", ["--opsux-db-url=mysql://db/app"], None, "ERROR: --opsux-db-url: database 'mysql' is not supported*"),
        ("", [], "mysql://db/app", "ERROR: $OPSUX_DB_URL: database 'mysql' is not supported*"),
        ("opsux_db_url = mysql://db/app", [], None, "ERROR: ini opsux_db_url: database 'mysql' is not supported*"),
        ("opsux_verify = maybe", [], None, "ERROR: ini opsux_verify: *expected true or false"),
        ("opsux_strict_catalog = maybe", [], None, "ERROR: ini opsux_strict_catalog: *expected true or false"),
        ("opsux_metadata = not a spec", [], None, "ERROR: ini opsux_metadata: 'not a spec' is not module:attribute*"),
        ("opsux_config = missing.yaml", [], None, "ERROR: ini opsux_config: *missing.yaml does not exist"),
    ],
    ids=["option", "environment", "ini-url", "ini-verify", "ini-strict-catalog", "ini-metadata", "ini-config"],
)
def test_any_opsux_setting_is_checked_at_start_up_without_a_config_file(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str, args: list[str], env: str | None, message: str
) -> None:
    # The start-up check is skipped only where nothing configures opsux; each way of configuring it
    # must still stop the run before any test.
    if env is None:
        monkeypatch.delenv("OPSUX_DB_URL", raising=False)
    else:
        monkeypatch.setenv("OPSUX_DB_URL", env)
    pytester.makeini(f"[pytest]\n{ini}\n")
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


@pytest.mark.parametrize("filename", ["opsux.yaml", "pyproject.toml"])
def test_a_broken_config_file_alone_stops_the_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, filename: str) -> None:
    monkeypatch.delenv("OPSUX_DB_URL", raising=False)
    text = "operation_types: [\n" if filename == "opsux.yaml" else "[tool.opsux]\noperation_types = 3\n"
    (pytester.path / filename).write_text(text, encoding="utf-8")
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: discovered config: *{filename}*"])


def test_reuse_db_alone_shows_in_the_header(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPSUX_DB_URL", raising=False)
    pytester.makepyfile(test_one="def test_one():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--opsux-reuse-db")
    result.stdout.fnmatch_lines(["opsux: db=sqlite:// (from sqlite://, default, kept between runs (--opsux-reuse-db)), *"])


def test_the_plugin_finds_the_config_as_opsux_core_does(tmp_path: Path) -> None:
    from opsux_core.policy import find_config as core_find_config
    from opsux_pytest.plugin import find_config

    (tmp_path / "plain" / "sub").mkdir(parents=True)
    (tmp_path / "plain" / "pyproject.toml").write_text("[tool.black]\n", encoding="utf-8")
    (tmp_path / "toml" / "sub").mkdir(parents=True)
    (tmp_path / "toml" / "pyproject.toml").write_text("[tool.opsux]\noperation_types = {}\n", encoding="utf-8")
    (tmp_path / "yaml" / "sub").mkdir(parents=True)
    (tmp_path / "yaml" / "opsux.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "yaml" / "pyproject.toml").write_text("[tool.opsux]\n", encoding="utf-8")
    (tmp_path / "broken" / "sub").mkdir(parents=True)
    (tmp_path / "broken" / "pyproject.toml").write_text("[tool.opsux\n", encoding="utf-8")
    for case in ("plain", "toml", "yaml", "broken"):
        start = tmp_path / case / "sub"
        assert find_config(start) == core_find_config(start), case
    assert find_config(tmp_path / "toml" / "sub") == tmp_path / "toml" / "pyproject.toml"
    assert find_config(tmp_path / "yaml" / "sub") == tmp_path / "yaml" / "opsux.yaml"
