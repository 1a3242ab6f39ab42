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


_QUERYSETS = """\
from django.db import models


class NoticeQuerySet(models.QuerySet):
    def add(self, *args, **kwargs):
        return super().create(*args, **kwargs)


class Notice(models.Model):
    message_id = models.CharField(max_length=128)
    objects = NoticeQuerySet.as_manager()


class Alert(models.Model):
    message_id = models.CharField(max_length=128)
    objects = models.Manager.from_queryset(NoticeQuerySet)()


class AlertManager(models.Manager.from_queryset(NoticeQuerySet)):
    pass


class Memo(models.Model):
    message_id = models.CharField(max_length=128)
    objects = AlertManager()


class Inbox:
    # Another method of that name taking the keyword: a receiver of unknown type may be either.
    def add(self, message_id, attached_to=None):
        return message_id
"""

_NOTIFY = """\
from app.models import Alert, Memo, Notice


def notify(data):
    Notice.objects.add(message_id="inventory.bogus")
    Alert.objects.add(message_id="inventory.bogus")
    Memo.objects.add(message_id="inventory.bogus")
    Notice.objects.add(message_id="inventory.sync")
    Notice.objects.add(**data)
"""


def test_a_manager_made_of_a_queryset_has_its_methods(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.models.NoticeQuerySet.add, keyword: message_id}", {"models.py": _QUERYSETS, "notify.py": _NOTIFY})
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert [(f.line, f.code) for f in result.findings if f.path == "src/app/notify.py"] == [
        (5, "OPS001"), (6, "OPS001"), (7, "OPS001"), (9, "OPS008"),
    ]
    assert result.sites is not None
    assert {s.line: str(s.status) for s in result.sites if s.path == "src/app/notify.py"}[8] == "verified"


_AUDIT = """\
from django.db import models


class AuditManager(models.Manager):
    def new(self, action, user=None, **kwargs):
        return self.create(user=user, action=action, **kwargs)

    def draft(self, action):
        return self.model(action=action)

    def login(self):
        return self.create(action="inventory.bogus")


class AuditLog(models.Model):
    action = models.CharField(max_length=50)
    objects = AuditManager()


class Unrelated(models.Manager):
    def new(self, action):
        return self.create(action=action)
"""

_AUDITING = """\
from app.models import AuditLog, Unrelated


def audit(user):
    AuditLog.objects.new(action="inventory.bogus", user=user)
    AuditLog.objects.new(action="inventory.sync", user=user)
    AuditLog.objects.draft("inventory.bogus")
    Unrelated().new("inventory.bogus")
"""


def test_a_method_of_the_model_s_manager_that_makes_a_row_is_a_wrapper(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.models.AuditLog, keyword: action}", {"models.py": _AUDIT, "auditing.py": _AUDITING})
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert [(f.path, f.line, f.code) for f in result.findings] == [
        ("src/app/auditing.py", 5, "OPS001"), ("src/app/auditing.py", 7, "OPS001"),
        ("src/app/models.py", 12, "OPS001"),  # ``self.create(action=...)`` written out in the manager
    ]
    assert result.sites is not None
    models = {s.line: str(s.status) for s in result.sites if s.path == "src/app/models.py"}
    assert models == {6: "delegated", 9: "delegated", 12: "unregistered"}  # not the unrelated manager's


def test_a_manager_in_a_module_that_names_no_sink_is_read(tmp_path: Path) -> None:
    managers = "from django.db import models\n\n\nclass QuietManager(models.Manager):\n    def login(self):\n        return self.create(action='inventory.bogus')\n"
    models = _AUDIT.replace("from django.db import models\n", "from django.db import models\n\nfrom app.managers import QuietManager\n")
    models = models.replace("    objects = AuditManager()\n", "    objects = AuditManager()\n    quiet = QuietManager()\n")
    tiny_project(tmp_path, "{call: app.models.AuditLog, keyword: action}", {"models.py": models, "managers.py": managers})
    result = run(resolve_targets([tmp_path / "src" / "app" / "managers.py"], None), Selection(), tmp_path)
    assert [(f.path, f.line, f.code) for f in result.findings] == [("src/app/managers.py", 6, "OPS001")]
