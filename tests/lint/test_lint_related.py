"""Related managers: ``item.logs.create(action=...)`` makes a row of the model configured as a
sink through the reverse side of its foreign key (fixture project ``related``; its findings are
checked with every fixture project's, cache, pool and prefilter included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lint_support import copy_fixture, site_expectations
from opsux_lint.analysis.index import build_index
from opsux_lint.analysis.related import related_sinks
from opsux_lint.analysis.resolver import Resolver
from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, RunResult, Selection, run


def _run(project: Path, **options: object) -> RunResult:
    return run(resolve_targets([project], None), Selection(), project, RunOptions(**options))  # type: ignore[arg-type]


def test_each_related_call_has_its_status(tmp_path: Path) -> None:
    project = copy_fixture("related", tmp_path)
    result = _run(project, coverage=True)
    assert result.sites is not None
    statuses = {(s.path, s.line, str(s.status)) for s in result.sites}
    assert site_expectations(project) <= statuses
    views = {s.line: s for s in result.sites if s.path == "src/app/views.py"}
    # Another model's relation of the same name, a lookup, a call of the manager itself and a
    # class without that relation: no site.
    assert not {11, 12, 13, 14} & set(views)
    assert views[10].reason == (
        "`mystery.logs` makes `AuditLog` rows when `mystery` is of class `Item`, "
        "and parameter `mystery` of `view` has no type annotation"
    )
    # Two models' relations of one name: the receiver may be either target.
    assert views[32].reason == (
        "`thing.entries` makes `AuditLog` rows when `thing` is of class `Bin` or `Shelf`, "
        "and parameter `thing` of `either` has no type annotation"
    )
    assert views[34].reason.endswith(", and `things[0]` is not typed")
    # A row the manager returns is of its model: ``Item.objects.get(...)`` types the receiver.
    assert views[33].status == "unregistered"


def test_a_renamed_relation_is_seen_by_a_cached_run(tmp_path: Path) -> None:
    project = copy_fixture("related", tmp_path)
    before = {(f.path, f.line) for f in _run(project, cache=True).findings}
    assert ("src/app/views.py", 5) in before
    models = project / "src" / "app" / "audit" / "models.py"
    models.write_text(models.read_text(encoding="utf-8").replace('related_name="logs"', 'related_name="entries"'), encoding="utf-8")
    after = {(f.path, f.line) for f in _run(project, cache=True).findings}
    assert after == {(f.path, f.line) for f in _run(project).findings}
    assert ("src/app/views.py", 5) not in after and ("src/app/views.py", 8) in after


def test_the_related_sinks_of_a_model(tmp_path: Path) -> None:
    project = copy_fixture("related", tmp_path)
    resolver = Resolver(build_index(project, ["src"], [], cache_dir=None))
    assert related_sinks(resolver, "app.audit.models.AuditLog") == [
        ("*.audit_entries", "app.audit.models.AuditLog.user"),  # settings.AUTH_USER_MODEL: any receiver
        ("app.audit.models.AuditLog.auditlog_set", "app.audit.models.AuditLog.parent"),  # "self", the default name
        # Another model's own fields to it, by name: a ManyToManyField, a GenericRelation.
        ("app.models.Bin.entries", "app.models.Bin.entries"),
        ("app.models.Bin.history", "app.models.Bin.history"),
        ("app.models.Bin.trail", "app.models.Bin.trail"),
        ("app.models.Item.logs", "app.audit.models.AuditLog.item"),
        # "app.Shelf" by its app's label, %(class)s filled in, from an abstract base.
        ("app.models.Shelf.auditlog_entries", "app.audit.models.Stamped.shelf"),
        ("app.models.Shelf.entries", "app.audit.models.AuditLog.place"),
        # ``hidden``'s related_name ends in "+": no reverse side.
    ]
    assert related_sinks(resolver, "app.models.Note") == [("app.models.Item.notes", "app.models.Note.item")]
    assert related_sinks(resolver, "app.models.Item") == []


@pytest.mark.parametrize(
    ("written", "found"),
    [
        ("Shelf", "app.models.Shelf"),  # the model's own app
        ("other.Shelf", "*"),  # no such app
        ("Missing", "*"),
        ("app.Shelf-", "*"),
    ],
)
def test_a_model_named_by_a_string(tmp_path: Path, written: str, found: str) -> None:
    project = copy_fixture("related", tmp_path)
    models = project / "src" / "app" / "models.py"
    models.write_text(
        models.read_text(encoding="utf-8") + f"\n\nclass Log(models.Model):\n    shelf = models.ForeignKey({written!r})\n",
        encoding="utf-8",
    )
    resolver = Resolver(build_index(project, ["src"], [], cache_dir=None))
    assert related_sinks(resolver, "app.models.Log") == [(f"{found}.log_set", "app.models.Log.shelf")]
