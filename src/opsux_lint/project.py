"""Config glue: which opsux config governs each linted path, loaded once per config file.

Without ``--config`` every path looks up its own config from where it is upwards (the first
``opsux.yaml``, or ``pyproject.toml`` with ``[tool.opsux]``); with ``--config`` that file governs
every path. A config file given as a path means "lint that project": pre-commit passes the
config file when only it changed, and a changed catalog can break code that did not change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from opsux_core.errors import ConfigNotFound
from opsux_core.policy import (
    CONFIG_FILENAME,
    PYPROJECT_FILENAME,
    Policy,
    find_config,
    load_policy,
)
from opsux_lint.settings import OWNERS


@dataclass(frozen=True)
class Target:
    """A path to lint and the policy that governs it."""

    path: Path
    policy: Policy


def _config_file_as_project(path: Path) -> Path | None:
    if path.is_file() and path.name in (CONFIG_FILENAME, PYPROJECT_FILENAME):
        found = find_config(path.parent)
        if found is not None and found.resolve() == path.resolve():
            return path.parent
    return None


def resolve_targets(paths: Sequence[Path], config: Path | None) -> list[Target]:
    """Raises :class:`opsux_core.errors.ConfigError` (or ``ConfigNotFound``)."""
    loaded: dict[Path, Policy] = {}

    def load(file: Path) -> Policy:
        key = file.resolve()
        if key not in loaded:
            loaded[key] = load_policy(file, owners=OWNERS)
        return loaded[key]

    found_in: dict[Path, Path | None] = {}
    targets: list[Target] = []
    for path in paths:
        project = _config_file_as_project(path)
        lint_path = project if project is not None else path
        if config is not None:
            targets.append(Target(lint_path, load(config)))
            continue
        # pre-commit passes hundreds of files from a handful of directories: look each up once.
        directory = lint_path.resolve() if lint_path.is_dir() else lint_path.resolve().parent
        if directory not in found_in:
            found_in[directory] = find_config(directory)
        found = found_in[directory]
        if found is None:
            raise ConfigNotFound(
                f"no {CONFIG_FILENAME} and no {PYPROJECT_FILENAME} with [tool.opsux] in this "
                "directory or any parent; create one or pass --config PATH",
                path=lint_path,
            )
        targets.append(Target(lint_path, load(found)))
    return targets
