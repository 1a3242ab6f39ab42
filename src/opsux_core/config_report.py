"""Every error in a config, not just the first, for ``opsux check-config``.

The loader stops at the first problem (what the runtime and the linter need). To report them
all, this module re-validates the parsed document repeatedly, each time without the entry the
previous error named, until it validates. Line numbers come from the YAML node tree, kept in step
as entries are removed. Only the standard library, PyYAML and the policy module are imported.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from opsux_core.errors import ConfigError
from opsux_core.plain_yaml import PlainYamlError, read_plain_yaml
from opsux_core.policy import policy_from_mapping

Key = tuple[Any, ...]
_MAX_ERRORS = 200


def config_errors(path: Path | None, first: ConfigError) -> list[ConfigError]:
    """*first* (what loading raised) followed by every further error in the same file."""
    source = first.path
    document = _parse(source) if source is not None and source.is_file() else None
    if document is None:
        return [first]
    data, lines, prefix = document
    errors: list[ConfigError] = [first]
    seen = {str(first)}
    removed: list[Key] = []
    """Removed keys, each in the coordinates of the document at the time it was removed."""
    originals: list[Key] = []
    for _ in range(_MAX_ERRORS):
        try:
            policy_from_mapping(data, source=source, lines=lines, key_prefix=prefix)
            break
        except ConfigError as error:
            key = _resolve(data, _strip(error.key, prefix))
            original = _original(key, removed)
            if not key or original in originals:
                if str(error) not in seen:
                    errors.append(error)
                break
            # A container emptied by earlier removals may now be "empty": that is not another mistake.
            if not any(gone[: len(original)] == original for gone in originals):
                reported = ConfigError(error.problem, path=error.path, key=_render(original, prefix), line=error.line)
                if str(reported) not in seen:
                    errors.append(reported)
                    seen.add(str(reported))
            removed.append(key)
            originals.append(original)
            _remove(data, key)
            lines = _drop_lines(lines, key)
    return errors


def _original(key: Key, removed: list[Key]) -> Key:
    """*key* in the coordinates of the untouched document: list items after a removed one moved up."""
    path = list(key)
    for gone in reversed(removed):
        depth = len(gone) - 1
        if (
            isinstance(gone[-1], int)
            and len(path) > depth
            and tuple(path[:depth]) == gone[:-1]
            and isinstance(path[depth], int)
            and path[depth] >= gone[-1]
        ):
            path[depth] += 1
    return tuple(path)


def _render(key: Key, prefix: str) -> str | None:
    parts: list[str] = [prefix] if prefix else []
    for part in key:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(f".{part}" if parts else str(part))
    return "".join(parts) or None


def _parse(source: Path) -> tuple[dict[str, Any], dict[Key, int], str] | None:
    try:
        text = source.read_text(encoding="utf-8")
        if source.suffix == ".toml":
            section = tomllib.loads(text).get("tool", {}).get("opsux")
            return (section, {}, "tool.opsux") if isinstance(section, dict) else None
        # The same plain-data reader as the loader: aliases and foreign tags are refused here
        # too (a billion-laughs file must not be expanded to look for its second error).
        document = read_plain_yaml(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, PlainYamlError):
        return None
    if not isinstance(document.data, dict):
        return None
    return document.data, dict(document.lines), ""


def _strip(rendered: str | None, prefix: str) -> str:
    if not rendered:
        return ""
    if prefix and rendered.startswith(prefix):
        rendered = rendered[len(prefix) :]
    return rendered.lstrip(".")


def _resolve(data: Any, rendered: str) -> Key:
    """The key path that the rendered key ``a.b[0].c`` names in *data* (codes may contain dots)."""
    path: list[Any] = []
    node, rest = data, rendered
    while rest:
        if rest.startswith("["):
            end = rest.index("]")
            index = int(rest[1:end])
            if not isinstance(node, list) or index >= len(node):
                break
            path.append(index)
            node, rest = node[index], rest[end + 1 :]
            continue
        rest = rest.removeprefix(".")
        if not isinstance(node, dict):
            break
        names = [k for k in node if rest.startswith(str(k)) and rest[len(str(k)) : len(str(k)) + 1] in ("", ".", "[")]
        if not names:
            break
        name = max(names, key=lambda k: len(str(k)))
        path.append(name)
        node, rest = node[name], rest[len(str(name)) :]
    return tuple(path)


def _remove(data: Any, key: Key) -> None:
    parent = data
    for part in key[:-1]:
        parent = parent[part]
    del parent[key[-1]]


def _drop_lines(lines: dict[Key, int], key: Key) -> dict[Key, int]:
    """*lines* without *key*'s subtree; later items of the same list move up by one, as in the data."""
    parent, last, depth = key[:-1], key[-1], len(key) - 1
    kept: dict[Key, int] = {}
    for path, line in lines.items():
        if path[: len(key)] == key:
            continue
        if (
            isinstance(last, int)
            and len(path) > depth
            and path[:depth] == parent
            and isinstance(path[depth], int)
            and path[depth] > last
        ):
            path = (*parent, path[depth] - 1, *path[depth + 1 :])
        kept[path] = line
    return kept


__all__ = ["config_errors"]
