"""opsux_pytest: the pytest plugin that checks the notification conventions at test time.

The plugin itself is ``opsux_pytest.plugin`` (loaded through the ``pytest11`` entry point); the
names here are for type hints in a project's tests and conftest. They are imported lazily, like
opsux_core's, so that importing the package (which pytest does in every run) loads no SQLAlchemy.

PYTEST_DONT_REWRITE: nothing to rewrite here (see plugin.py).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opsux_core.version import __version__
    from opsux_pytest.factory import RunFactory
    from opsux_pytest.messages import RunFacts
    from opsux_pytest.recorder import NotificationRecorder, SentNotification

_LAZY = {
    # opsux_core's package init loads its config code (PyYAML): not for every pytest start-up.
    "__version__": "opsux_core.version",
    "RunFacts": "opsux_pytest.messages",
    "RunFactory": "opsux_pytest.factory",
    "NotificationRecorder": "opsux_pytest.recorder",
    "SentNotification": "opsux_pytest.recorder",
}


# Not opsux_core.lazy: a pytest start-up in a project without opsux loads this package and
# nothing else of opsux (tests/pytest_plugin/test_startup_cost.py).
def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'opsux_pytest' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["NotificationRecorder", "RunFactory", "RunFacts", "SentNotification", "__version__"]
