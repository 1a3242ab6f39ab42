"""README's runtime sections are code people paste: run them as written."""

from __future__ import annotations

import ast
import contextlib
import io
from pathlib import Path

import pytest

from readme_support import README, blocks, section


def test_crashed_workers_example_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = section("Crashed workers: heartbeats and the reaper")
    [config] = blocks(text, "yaml")
    [script] = blocks(text, "python")
    (tmp_path / "opsux.yaml").write_text(config, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(script, str(README), "exec"), {"__name__": "__readme__"})
    assert out.getvalue().splitlines() == [
        "[]",
        "no heartbeat for 361 s (limit 360 s); the worker stopped or crashed",
        "Inventory sync failed",
        "[]",
    ]


def test_migration_snippets_are_valid_python() -> None:
    for snippet in blocks(section("Schema migrations (Alembic)"), "python"):
        ast.parse(snippet)
