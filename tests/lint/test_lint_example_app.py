"""``opsux-lint examples/tenant_app``: the README's demo shows exactly its deliberate violations."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from lint_support import REPO

APP = REPO / "examples" / "tenant_app"


def test_the_example_app_shows_its_deliberate_violations() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "opsux_lint", "examples/tenant_app", "--no-cache"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1, result.stderr
    reported = re.findall(r"^(\S+?):(\d+):\d+: (OPS\d{3}) ", result.stdout, re.MULTILINE)
    deliberate = []
    for file in sorted((APP / "tenant_app").glob("*.py")):
        lines = file.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            match = re.search(r"deliberate: (OPS\d{3})", line)
            if match:
                deliberate.append((file.relative_to(REPO).as_posix(), match.group(1)))
    assert sorted((path, code) for path, _, code in reported) == sorted(deliberate)
    assert len(reported) == 9
    assert {code for _, _, code in reported} == {f"OPS00{n}" for n in range(1, 8)}  # every guard shown
    assert "did you mean 'inventory.sync'?" in result.stdout
    assert "migrations" not in result.stdout  # excluded by the app's lint.exclude


def test_pre_commit_hook_definition() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook] = hooks
    assert hook["id"] == "opsux-lint" and hook["entry"] == "opsux-lint" and hook["language"] == "python"
    files = re.compile(hook["files"])
    for name in ("app/views.py", "opsux.yaml", "sub/opsux.yaml", "pyproject.toml"):
        assert files.search(name), name
    for name in ("README.md", "my-opsux.yaml", "setup.cfg"):
        assert not files.search(name), name


@pytest.mark.parametrize("name", ["python", "yaml", "toml"])
def test_pre_commit_types_cover_code_and_config(name: str) -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert name in hooks[0]["types_or"]


def test_the_example_app_really_runs(tmp_path, monkeypatch, capsys) -> None:
    # The demo target is real code: its conforming paths work end to end on SQLite.
    monkeypatch.setenv("TENANT_APP_DATABASE_URL", f"sqlite+pysqlite:///{tmp_path / 'app.db'}")
    monkeypatch.syspath_prepend(str(APP))
    for name in [m for m in sys.modules if m == "tenant_app" or m.startswith("tenant_app.")]:
        monkeypatch.delitem(sys.modules, name)
    from opsux_core import Initiator, create_schema
    from opsux_core.models import OperationRun, RunNotification
    from sqlalchemy import select
    from tenant_app import jobs, settings, views

    settings.engine.cache_clear()
    create_schema(settings.engine())
    ada = Initiator("user-1", "Ada")
    first = views.sync_inventory("acme", ada)
    again = views.sync_inventory("acme", Initiator("user-2", "Bob"))
    assert (first.title, again.title) == ("Inventory sync queued", "Inventory sync already queued")
    kind, run_id = jobs._QUEUE.get_nowait()
    assert kind == "inventory_sync" and jobs._QUEUE.empty(), "a reused run must not be enqueued twice"

    jobs.inventory_sync(run_id, [{"sku": "a-1"}, {"sku": ""}])
    with settings.new_session() as session:
        run = session.get(OperationRun, run_id)
        assert run is not None and (run.status, run.outcome) == ("completed", "partially_succeeded")
        notes = session.scalars(select(RunNotification)).all()
        assert [(n.recipient_id, n.kind) for n in notes] == [("user-1", "terminal")]
    assert "mail to user-1: " in capsys.readouterr().out
    settings.engine().dispose()
