"""opsux_pytest: the pytest plugin that checks the notification conventions at test time.

The plugin itself is ``opsux_pytest.plugin`` (loaded through the ``pytest11`` entry point); the
names here are for type hints in a project's tests and conftest.
"""

from opsux_core.version import __version__
from opsux_pytest.factory import RunFactory
from opsux_pytest.messages import RunFacts
from opsux_pytest.recorder import NotificationRecorder, SentNotification

__all__ = ["__version__", "NotificationRecorder", "RunFactory", "RunFacts", "SentNotification"]
