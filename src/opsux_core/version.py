"""The installed distribution's version: one place for ``__version__`` and ``--version``."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def installed_version() -> str:
    # A source tree on sys.path without an installed distribution (vendored, zipapp) has no
    # metadata; a version that says so beats a crash in ``--version``.
    try:
        return version("opsux")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = installed_version()
