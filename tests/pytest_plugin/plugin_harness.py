"""Shared helpers of the plugin tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CONFIG = """\
operation_types:
  inventory.sync: {label: Inventory sync, expected_duration_seconds: 120}
  backup.schedule.execute: Backup run
links:
  run: /admin/operations/{run_id}
  index: /admin/operations
"""

INI_FILTERS = "filterwarnings =\n    error::sqlalchemy.exc.SAWarning\n"

_IDS = re.compile(r"\b(Run|run) \d+\b")


def normalize_ids(text: str) -> str:
    """PostgreSQL sequences survive rollbacks, so run ids vary; everything else is compared exactly."""
    return _IDS.sub(lambda m: f"{m.group(1)} <id>", text)


class Project:
    """A generated project: its opsux.yaml, pytest.ini and tests, run in-process."""

    def __init__(self, pytester: pytest.Pytester, db_url: str) -> None:
        self.pytester = pytester
        self.db_url = db_url
        self.config(CONFIG)
        self.ini()

    @property
    def path(self) -> Path:
        return self.pytester.path

    def config(self, text: str) -> None:
        (self.path / "opsux.yaml").write_text(text, encoding="utf-8")

    def ini(self, **options: str) -> None:
        lines = ["[pytest]", *(f"{key} = {value}" for key, value in options.items()), INI_FILTERS]
        (self.path / "pytest.ini").write_text("\n".join(lines), encoding="utf-8")

    def tests(self, source: str, name: str = "test_app") -> None:
        self.pytester.makepyfile(**{name: source})

    def run(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest("-p", "no:cacheprovider", f"--opsux-db-url={self.db_url}", *args)

    def run_subprocess(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--opsux-db-url={self.db_url}", *args)

    def run_in(self, xdist: bool, *args: str) -> pytest.RunResult:
        """In-process, or under pytest-xdist with two workers (in a subprocess, as xdist's workers are)."""
        return self.run_subprocess("-n", "2", *args) if xdist else self.run(*args)


def output(result: pytest.RunResult, *, origins: bool = False) -> str:
    """The run's output with run ids normalised; without the "added at" lines unless *origins*.

    Where a stray notification was added is tested on its own (test_failures_point_at_user_code.py),
    so the message tests do not depend on the line numbers of their generated code.
    """
    lines = result.outlines if origins else [line for line in result.outlines if not line.startswith("  added at ")]
    return normalize_ids("\n".join(lines))


_FAILURE_HEADER = re.compile(r"^_{3,} (?P<name>.+?) _{3,}$", re.MULTILINE)


def failure_sections(text: str) -> dict[str, str]:
    """The body of each failure (or error) pytest reports, by its heading (``test_x``, ``ERROR at setup of test_x``).

    By name rather than position: under pytest-xdist failures are reported in the order they finish.
    """
    headers = list(_FAILURE_HEADER.finditer(text))
    sections: dict[str, str] = {}
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(text)
        body = text[header.end():end]
        sections[header["name"]] = body.split("\n=", 1)[0]
    return sections
