"""What a user gets from ``pip install opsux``: the wheel, installed into a fresh environment.

Everything else in the suite runs against the editable checkout, where a module left out of the
wheel still imports. These tests build the wheel once, install it (not editable) into a new
virtual environment with its dependencies from the package index, and run the commands a user
and a pre-commit hook run, from outside the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_APP = ROOT / "examples" / "tenant_app"


def _run(*args: str | Path, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    # A clean environment: nothing from the checkout may leak in through PYTHONPATH.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "OPSUX_"))}
    result = subprocess.run([str(arg) for arg in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"{args} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", out, ROOT, cwd=out)
    [built] = out.glob("opsux-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The ``bin`` directory of a fresh virtual environment with only the wheel installed."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    bin_dir = env_dir / "bin"
    _run(bin_dir / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel, cwd=env_dir)
    yield bin_dir


def test_the_wheel_holds_every_module_and_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = [path for path in (ROOT / "src").iterdir() if (path / "__init__.py").is_file()]
    expected = {
        path.relative_to(ROOT / "src").as_posix()
        for package in packages
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert expected - names == set()
    assert {"opsux_core/py.typed", "opsux_lint/py.typed", "opsux_pytest/py.typed"} <= names
    assert any(name.startswith("opsux_lint/rules/OPS001-") for name in names)
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Classifier: Typing :: Typed" in metadata
    assert "Classifier: Framework :: Pytest" in metadata
    assert "License-Expression: MIT" in metadata


def test_the_installed_commands_run_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    version = _run(installed / "opsux-lint", "--version", cwd=tmp_path).stdout
    dist_version = _run(installed / "python", "-c", "import opsux_lint; print(opsux_lint.__version__)", cwd=tmp_path)
    assert version == f"opsux-lint {dist_version.stdout.strip()}\n"
    assert version != "opsux-lint 0+unknown\n"

    rules = _run(installed / "opsux-lint", "--list-rules", cwd=tmp_path).stdout
    assert "OPS001" in rules and "OPS002" in rules
    explained = _run(installed / "opsux-lint", "--explain", "OPS001", cwd=tmp_path).stdout
    assert "unregistered-operation-type" in explained

    demo = _run(installed / "opsux", "demo", cwd=tmp_path).stdout
    assert "Inventory sync queued" in demo


def test_the_installed_linter_checks_the_example_app(installed: Path, tmp_path: Path) -> None:
    result = _run(installed / "opsux-lint", EXAMPLE_APP, "--no-cache", cwd=tmp_path, check=False)
    assert result.returncode == 1, result.stderr
    assert "OPS001" in result.stdout and "OPS002" in result.stdout
    assert "internal error" not in result.stderr


def test_the_installed_plugin_runs_its_fixtures_and_check(installed: Path, tmp_path: Path) -> None:
    (tmp_path / "opsux.yaml").write_text("operation_types:\n  inventory.sync: Inventory sync\n", encoding="utf-8")
    (tmp_path / "test_app.py").write_text(
        "from opsux_core import Initiator\n"
        "\n"
        "def test_conventions_hold(opsux_service, opsux_notifications):\n"
        "    run = opsux_service.start('acme', 'inventory.sync', initiator=Initiator('u-1', 'Ada')).run\n"
        "    opsux_service.complete(run, 'succeeded')\n"
        "    opsux_notifications.assert_terminal_once(run)\n"
        "\n"
        "def test_a_stray_notification_fails(opsux_service, opsux_session):\n"
        "    from opsux_core import RunNotification\n"
        "    run = opsux_service.start('acme', 'inventory.sync', initiator=Initiator('u-1', 'Ada')).run\n"
        "    opsux_service.complete(run, 'succeeded')\n"
        "    opsux_session.add(RunNotification(run_id=run.id, tenant_id='acme', recipient_id='u-9',\n"
        "                                      kind='terminal', ux_status='succeeded', title='t', body='b',\n"
        "                                      url='/admin/operations/1'))\n"
        "    opsux_session.commit()\n",
        encoding="utf-8",
    )
    result = _run(installed / "python", "-m", "pytest", "-p", "no:cacheprovider", cwd=tmp_path, check=False)
    assert "opsux: db=sqlite://" in result.stdout
    assert "1 failed, 1 passed" in result.stdout, result.stdout
    assert "- terminal -> u-9" in result.stdout
