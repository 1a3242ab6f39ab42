"""A function that returns a class sink, called through its result: AWX's
``get_activity_stream_class()(operation=...)`` is a call of the class."""

from __future__ import annotations

from pathlib import Path

from lint_support import tiny_project

from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run

_FILES = {
    "models.py": "class AuditLog:\n    def __init__(self, action):\n        self.action = action\n\n\nclass Other:\n    def __init__(self, action):\n        pass\n",
    "factory.py": (
        "import sys\n\nfrom app.models import AuditLog, Other\n\n\n"
        "def audit_class():\n    if 'migrate' in sys.argv:\n        return None\n    return AuditLog\n\n\n"
        "def other_class():\n    return Other\n\n\n"
        # A migration's historical model on another branch: a library call's result.
        "def migrating_class():\n    from django.apps import apps\n\n    if 'migrate' in sys.argv:\n"
        "        return apps.get_model('app', 'AuditLog')\n    return AuditLog\n"
    ),
    "use.py": (
        "from app.factory import audit_class, migrating_class, other_class\n\n\n"
        "def log():\n"
        "    audit_class()(action='inventory.bogus')\n"  # 5
        "    audit_class()(action='inventory.sync')\n"
        "    klass = audit_class()\n"
        "    klass(action='inventory.bogus')\n"  # 8
        "    other_class()(action='inventory.bogus')\n"  # another class: no site
        "    migrating_class()(action='inventory.bogus')\n"  # 10
    ),
}


def test_a_class_a_function_returns_is_called_through_its_result(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.models.AuditLog, keyword: action}", _FILES)
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert [(f.path, f.line) for f in result.findings] == [("src/app/use.py", 5), ("src/app/use.py", 8), ("src/app/use.py", 10)]
    assert result.sites is not None
    assert {s.line: str(s.status) for s in result.sites if s.path == "src/app/use.py"} == {
        5: "unregistered", 6: "verified", 8: "unregistered", 10: "unregistered",
    }


def test_a_one_file_run_finds_the_factory_call_in_a_file_that_names_no_sink(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.models.AuditLog, keyword: action}", _FILES)
    result = run(resolve_targets([tmp_path / "src" / "app" / "use.py"], None), Selection(), tmp_path)
    assert [f.line for f in result.findings] == [5, 8, 10]
