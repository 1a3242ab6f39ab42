"""Issue 16: a project that has opsux installed but does not use it pays nothing at start-up.

``python -X importtime`` lists every module the interpreter imported; the plugin must load no
SQLAlchemy (nor opsux_core's runtime) until a test asks for an ``opsux_*`` fixture.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from plugin_harness import CONFIG


def imported_modules(directory: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    env = {key: value for key, value in os.environ.items() if key != "OPSUX_DB_URL"}
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in completed.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    return completed, modules


def sqlalchemy_modules(modules: set[str]) -> set[str]:
    return {name for name in modules if name == "sqlalchemy" or name.startswith("sqlalchemy.")}


def test_a_project_without_opsux_config_imports_no_sqlalchemy(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_one="def test_one():\n    assert 1 + 1 == 2\n")
    completed, modules = imported_modules(pytester.path)
    assert completed.returncode == 0, completed.stdout
    assert "1 passed" in completed.stdout
    # (pytest loads the plugin module itself through its assertion rewriter, which importtime does
    # not list; its imports show it was loaded.)
    assert "opsux_pytest.settings" in modules, "the plugin must have been loaded for this to mean anything"
    assert sqlalchemy_modules(modules) == set()
    # Not even opsux_core's config code: nothing here is an opsux project.
    assert not {name for name in modules if name.startswith("opsux_core")}


def test_a_configured_project_imports_no_sqlalchemy_until_a_fixture_is_used(pytester: pytest.Pytester) -> None:
    (pytester.path / "opsux.yaml").write_text(CONFIG, encoding="utf-8")
    pytester.makepyfile(test_one="def test_one():\n    assert 1 + 1 == 2\n")
    completed, modules = imported_modules(pytester.path)
    assert completed.returncode == 0, completed.stdout
    assert "opsux_core.policy" in modules, "the config is read at start-up, so a typo stops the run"
    assert sqlalchemy_modules(modules) == set()


def test_the_first_opsux_fixture_brings_sqlalchemy_in(pytester: pytest.Pytester) -> None:
    # The other side of the boundary: the same probe does see SQLAlchemy once a test uses opsux.
    (pytester.path / "opsux.yaml").write_text(CONFIG, encoding="utf-8")
    pytester.makepyfile(test_one="def test_one(opsux_session):\n    pass\n")
    completed, modules = imported_modules(pytester.path, "--opsux-db-url=sqlite://")
    assert completed.returncode == 0, completed.stdout
    assert "sqlalchemy.orm" in modules


def test_the_plugin_finds_the_config_as_opsux_core_does(tmp_path: Path) -> None:
    from opsux_core.policy import find_config as core_find_config
    from opsux_pytest.settings import find_config

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
