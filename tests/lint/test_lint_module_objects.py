"""A sink that is a method of an object a module of the project holds, configured by its path
(``app.signals.changed.send`` of ``changed = Signal()``), as one of a library module's is."""

from __future__ import annotations

from pathlib import Path

from lint_support import tiny_project

from opsux_lint.project import resolve_targets
from opsux_lint.runner import RunOptions, Selection, run

_FILES = {
    "signals.py": "from django.dispatch import Signal\n\nchanged = Signal()\n",
    "bus.py": "class Bus:\n    def emit(self, kind):\n        pass\n\n\nbus = Bus()\nother = Bus()\n",
    "use.py": (
        "from app import signals\nfrom app.bus import bus, other\nfrom app.signals import changed\n\n\n"
        "def save(config, changed_here):\n"
        "    changed.send(sender=None, action='inventory.bogus')\n"  # 7
        "    signals.changed.send(sender=None, action='inventory.bogus')\n"
        "    changed.send(sender=None, action='inventory.sync')\n"
        "    bus.emit('inventory.bogus')\n"  # 10
        "    other.emit('inventory.bogus')\n"  # another object of that class
        "    changed_here.send(sender=None, action='inventory.bogus')\n\n\n"
        "def shadowed(changed):\n"
        "    changed.send(sender=None, action='inventory.bogus')\n"  # 16: the parameter, not the module's
    ),
}


def test_a_method_of_a_module_s_object_is_a_sink_by_its_path(tmp_path: Path) -> None:
    tiny_project(tmp_path, ["{call: app.signals.changed.send, keyword: action}", "{call: app.bus.bus.emit, arg: 0}"], _FILES)
    result = run(resolve_targets([tmp_path], None), Selection(), tmp_path, RunOptions(coverage=True))
    assert [f.line for f in result.findings] == [7, 8, 10]
    assert result.sites is not None
    assert {s.line: str(s.status) for s in result.sites}[9] == "verified"
