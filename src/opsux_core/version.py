"""The distribution's version: one place for ``__version__``, ``--version`` and the package
metadata (``pyproject.toml`` reads it from here), so that no run pays for a metadata lookup."""

from __future__ import annotations

__version__ = "0.1.0"
