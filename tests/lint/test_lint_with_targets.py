"""``with Manager() as status:``: what ``__enter__`` returns is what the name is. A context
manager of the project whose ``__enter__`` returns the object itself types the name as it."""

from __future__ import annotations

from pathlib import Path

import pytest
from lint_support import tiny_project

from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run

_PROGRESS = '''from typing import Self


class Base:
    def __enter__(self){annotation}:
        return {returned}

    def __exit__(self, *exc):
        pass


class Progress(Base):
    def report(self, message, current):
        print(message, current)


class Other:
    """A class with a method of the same name: a call on an object of unknown type may be either."""

    def report(self, message, current):
        pass
'''

_TASKS = '''from app.progress import Progress


def consume():
    with Progress() as status, open("log") as log:
        status.report("inventory.bogus", 0)
'''


@pytest.mark.parametrize(
    ("annotation", "returned", "status"),
    [
        (" -> Self", "self", "unregistered"),
        ("", "self", "unregistered"),  # returns its own object, not annotated
        (' -> "Base"', "self", "unregistered"),
        ("", "self.handle", "unknown-receiver"),  # returns something else: not the object
        (" -> Self", "self.handle", "unregistered"),  # the annotation says what it returns
    ],
)
def test_a_with_target_is_what_enter_returns(tmp_path: Path, annotation: str, returned: str, status: str) -> None:
    tiny_project(tmp_path, "{call: app.progress.Progress.report, arg: 0, keyword: message}", {
        "progress.py": _PROGRESS.format(annotation=annotation, returned=returned), "tasks.py": _TASKS,
    })
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert result.sites is not None
    assert [(s.line, str(s.status)) for s in result.sites if s.path == "src/app/tasks.py"] == [(6, status)]
