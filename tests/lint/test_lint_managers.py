"""A model configured as a sink (its constructor, by keyword) is made by Django's manager too:
``Model.objects.create(action=...)`` is ``Model(action=...)``, and so are ``get_or_create`` and
``update_or_create``, their ``defaults`` included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lint_support import tiny_project
from opsux_lint.analysis.managers import managed
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run

_MODELS = """\
from django.db import models


class AuditLog(models.Model):
    action = models.CharField(max_length=100)


class Other(models.Model):
    action = models.CharField(max_length=100)
"""

_VIEWS = """\
from app.models import AuditLog, Other


def view(rows, compute):
    AuditLog.objects.create(action="inventory.bogus")
    AuditLog.objects.create(action="inventory.sync")
    AuditLog.objects.get_or_create(action="inventory.bogus")
    AuditLog.objects.update_or_create(pk=1, defaults={"action": "inventory.bogus"})
    AuditLog.objects.update_or_create(pk=1, defaults=rows)
    AuditLog.objects.using("other").create(action="inventory.bogus")
    AuditLog._default_manager.create(action="inventory.bogus")
    Other.objects.create(action="inventory.bogus")
    AuditLog.objects.filter(action="inventory.bogus").count()


def log(action):
    AuditLog.objects.create(action=action)


def use():
    log("inventory.bogus")
"""


def test_a_manager_makes_the_model_it_belongs_to(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.models.AuditLog, keyword: action}", {"models.py": _MODELS, "views.py": _VIEWS})
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert [(f.line, f.code) for f in result.findings] == [
        (5, "OPS001"), (7, "OPS001"), (8, "OPS001"), (9, "OPS008"), (10, "OPS001"), (11, "OPS001"), (21, "OPS001"),
    ]
    assert result.sites is not None
    statuses = {s.line: str(s.status) for s in result.sites if s.path == "src/app/views.py"}
    assert statuses[6] == "verified" and statuses[17] == "delegated"
    assert 12 not in statuses and 13 not in statuses  # another model; a lookup, not a row made


@pytest.mark.parametrize(
    ("source", "model"),
    [
        ("AuditLog.objects.create(action=a)", "AuditLog"),
        ("models.AuditLog.objects.get_or_create(action=a)", "models.AuditLog"),
        ("AuditLog.objects.using('x').filter(b=1).update_or_create(action=a)", "AuditLog"),
        ("AuditLog.objects.filter(action=a)", None),
        ("AuditLog.create(action=a)", None),
        ("registry.entries.create(action=a)", None),
        # A custom manager of a class: ``events = AuditManager()``.
        ("AuditLog.events.create(action=a)", "AuditLog"),
        ("models.AuditLog.events.filter(b=1).create(action=a)", "models.AuditLog"),
        ("AuditLog.Meta.create(action=a)", None),  # a nested class, not a manager
    ],
)
def test_the_outline_sees_the_model_a_manager_makes(source: str, model: str | None) -> None:
    node = ast.parse(source, mode="eval").body
    assert isinstance(node, ast.Call)
    found = managed(node)
    assert (ast.unparse(found) if found is not None else None) == model


def test_a_custom_manager_makes_the_model_it_belongs_to(tmp_path: Path) -> None:
    models = _MODELS.replace(
        "class AuditLog(models.Model):\n", "class AuditLog(models.Model):\n    events = models.Manager()\n"
    )
    views = (
        "from app.models import AuditLog, Other\n\n\n"
        "def view(entry):\n"
        "    AuditLog.events.create(action='inventory.bogus')\n"  # 5
        "    AuditLog.events.create(action='inventory.sync')\n"
        "    Other.events.create(action='inventory.bogus')\n"  # another model
        "    entry.children.create(action='inventory.bogus')\n\n\n"  # an instance's related rows: unknown model
        "def log(action):\n    AuditLog.events.create(action=action)\n\n\n"
        "log('inventory.bogus')\n"  # 15: the wrapper's caller
    )
    tiny_project(tmp_path, "{call: app.models.AuditLog, keyword: action}", {"models.py": models, "views.py": views})
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path)
    assert [(f.path, f.line, f.code) for f in result.findings] == [
        ("src/app/views.py", 5, "OPS001"), ("src/app/views.py", 15, "OPS001"),
    ]
