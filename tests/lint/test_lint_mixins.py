"""A mixin reads ``self.status`` that another base of the classes mixing it in gives: the
attribute is what those bases give it (paperless-ngx's ConsumerPluginMixin)."""

from __future__ import annotations

from pathlib import Path

from lint_support import tiny_project

from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run

_FILES = {
    "progress.py": "class Progress:\n    def report(self, message, current):\n        print(message, current)\n",
    "base.py": (
        "from app.progress import Progress\n\n\n"
        "class BasePlugin:\n    def __init__(self, status: Progress):\n        self.status = status\n"
    ),
    "plugins.py": (
        "from app.base import BasePlugin\n\n\n"
        "class ProgressMixin:\n    def _send(self, message):\n        self.status.report(message, 0)\n\n\n"  # 6
        "class Consumer(ProgressMixin, BasePlugin):\n    def run(self):\n        self._send('inventory.bogus')\n\n\n"  # 11
        "class Lonely(ProgressMixin):\n    pass\n"
    ),
    # Another class with a method of that name: a receiver of unknown type may be either.
    "doubles.py": "class Recording:\n    def report(self, message, current):\n        pass\n",
}


def test_a_mixin_s_attribute_is_what_the_classes_mixing_it_in_give(tmp_path: Path) -> None:
    tiny_project(tmp_path, "{call: app.progress.Progress.report, arg: 0, keyword: message}", _FILES)
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert [(f.path, f.line) for f in result.findings] == [("src/app/plugins.py", 11)]
    assert result.sites is not None
    assert {(s.path, s.line): str(s.status) for s in result.sites}[("src/app/plugins.py", 6)] == "delegated"


def test_a_mixin_s_attribute_no_class_gives_stays_unknown(tmp_path: Path) -> None:
    files = {**_FILES, "plugins.py": _FILES["plugins.py"].replace("class Consumer(ProgressMixin, BasePlugin)", "class Consumer(ProgressMixin)")}
    tiny_project(tmp_path, "{call: app.progress.Progress.report, arg: 0, keyword: message}", files)
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert result.sites is not None
    site = {(s.path, s.line): s for s in result.sites}[("src/app/plugins.py", 6)]
    assert str(site.status) == "unknown-receiver"
    assert "`status` of app.plugins.ProgressMixin is not assigned a value the index can see" in site.reason


_JOBS = {
    "notify.py": "class NotifyMixin:\n    def notify(self, status):\n        print(status)\n",
    "jobs.py": (
        "from app.notify import NotifyMixin\n\n\n"
        "class Unified:\n    pass\n\n\n"
        "class Job(Unified, NotifyMixin):\n    pass\n\n\n"
        "class Quiet(Unified):\n    def notify(self, status):\n        pass\n"
    ),
    "worker.py": (
        "from app.jobs import Unified\n\n\n"
        "def finished(job: Unified):\n    job.notify('inventory.bogus')\n"
    ),
}


def test_a_mixin_s_method_is_called_on_an_object_typed_by_the_base_of_its_classes(tmp_path: Path) -> None:
    # Only subclasses of ``Unified`` have ``notify``: the object is one of them, maybe a ``Job``.
    tiny_project(tmp_path, "{call: app.notify.NotifyMixin.notify, arg: 0, keyword: status}", _JOBS)
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path)
    assert [(f.path, f.line) for f in result.findings] == [("src/app/worker.py", 5)]


def test_a_base_whose_subclasses_never_run_the_mixin_s_method_is_not_its_site(tmp_path: Path) -> None:
    files = {**_JOBS, "jobs.py": _JOBS["jobs.py"].replace("class Job(Unified, NotifyMixin)", "class Job(NotifyMixin)")}
    tiny_project(tmp_path, "{call: app.notify.NotifyMixin.notify, arg: 0, keyword: status}", files)
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert not result.findings
    assert result.sites is not None
    assert [str(s.status) for s in result.sites if s.path == "src/app/worker.py"] == ["not-a-sink"]
