"""YAML read as plain data: mappings, lists, strings, numbers, booleans and null - nothing else.

PyYAML's SafeLoader never builds arbitrary Python objects, but a config file needs less than it
allows and some of what it allows is hostile: an alias makes the same node reachable twice, so nine
nested ones expand to gigabytes ("billion laughs"); tags like ``!!python/object/apply`` and
``!!binary`` fail (or succeed) with PyYAML's own exception types; nested collections recurse without
a bound. Here the document is composed once, and refused where it is written:

- aliases (``*name``): write the value out instead;
- explicit tags outside YAML's core schema (str, int, float, bool, null, seq, map);
- mapping keys that are not plain values, and nesting deeper than :data:`MAX_DEPTH`.

Plain scalars resolve with the core schema only: ``2026-01-01`` stays a string (no timestamps) and
``<<`` is an ordinary key (no merges). Every problem is a :class:`PlainYamlError` with the key path
and line, for the caller to word as its own error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

MAX_DEPTH = 64
"""Nesting deeper than any config needs, far below where composing would exhaust the stack."""

KeyPath = tuple[str | int, ...]

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(_CORE + name for name in ("str", "int", "float", "bool", "null", "seq", "map"))
_MAX_SHOWN_TAG = 60


class PlainYamlError(ValueError):
    """The text is not plain-data YAML: *problem*, at *key* (a path from the root) on *line*."""

    def __init__(self, problem: str, key: KeyPath = (), line: int | None = None) -> None:
        self.problem = problem
        self.key = key
        self.line = line
        super().__init__(problem)


@dataclass(frozen=True)
class PlainYaml:
    """A document's data and the 1-based line of every mapping key and sequence item."""

    data: Any
    """``None`` for an empty document."""
    lines: Mapping[KeyPath, int]


def read_plain_yaml(text: str) -> PlainYaml:
    """Compose *text* as one YAML document of plain data; raises :class:`PlainYamlError`."""
    return _read(text, _Loader)


def _read(text: str, loader_class: type[Any]) -> PlainYaml:
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:
        raise _invalid(exc, text) from None
    try:
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            if getattr(exc, "problem", None) == "exceeded maximum nesting depth" and loader_class is not _PyLoader:
                # libyaml's own limit, met while it scans ahead of the composer: the pure-Python
                # parser lets the composer refuse the nesting at its own depth, naming the key.
                return _read(text, _PyLoader)
            raise _invalid(exc, text) from None
        if node is None:
            return PlainYaml(None, {})
        lines: dict[KeyPath, int] = {}
        return PlainYaml(_build(loader, node, (), lines), lines)
    finally:
        loader.dispose()


def _invalid(exc: yaml.YAMLError, text: str) -> PlainYamlError:
    if isinstance(exc, yaml.reader.ReaderError):
        # Raised before scanning: it has a character offset, not a mark.
        line = text.count("\n", 0, exc.position) + 1
        return PlainYamlError(f"invalid YAML: unacceptable character #x{exc.character:04x}", line=line)
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    if context and problem.startswith("but "):
        problem = f"{context} {problem}"
    return PlainYamlError(f"invalid YAML: {problem}", line=mark.line + 1 if mark else None)


_PATTERNS = {
    tag: regexp
    for resolvers in yaml.SafeLoader.yaml_implicit_resolvers.values()
    for tag, regexp in resolvers
    if tag in _ALLOWED_TAGS
}


class _PlainComposer(yaml.composer.Composer):
    """A composer that refuses aliases, foreign tags, collection keys and deep nesting."""

    # The core schema's implicit types only: no timestamps, merge keys or value keys.
    yaml_implicit_resolvers = {  # noqa: RUF012 - PyYAML declares it an instance variable, reads it per class
        first: [(tag, regexp) for tag, regexp in resolvers if tag in _ALLOWED_TAGS]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    _path: list[str | int]

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # index is the key node for a mapping value, the position for a sequence item, and None
        # for a mapping key (or the root): only values and items extend the key path.
        step: str | int | None = None
        if isinstance(index, yaml.Node):
            step = str(index.value) if isinstance(index, yaml.ScalarNode) else "?"
        elif isinstance(index, int):
            step = index
        if step is not None:
            self._path.append(step)
        try:
            self._refuse_what_is_not_plain_data(parent, index)
            return super().compose_node(parent, index)
        finally:
            if step is not None:
                self._path.pop()

    def _refuse_what_is_not_plain_data(self, parent: yaml.Node | None, index: Any) -> None:
        event = self.peek_event()  # type: ignore[attr-defined]  # the parser's, beside this class
        line = event.start_mark.line + 1
        where = tuple(self._path)
        if isinstance(event, yaml.AliasEvent):
            anchor = _shorten(str(event.anchor))
            raise PlainYamlError(f"YAML aliases are not allowed (*{anchor}): write the value out", where, line)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and tag not in _ALLOWED_TAGS:
            raise PlainYamlError(f"YAML tag {_shown_tag(tag)} is not allowed", where, line)
        if isinstance(parent, yaml.MappingNode) and index is None and not isinstance(event, yaml.ScalarEvent):
            raise PlainYamlError("mapping keys must be plain values, not a list or a mapping", where, line)
        if len(self._path) > MAX_DEPTH:
            raise PlainYamlError(f"nested more than {MAX_DEPTH} levels deep", where[:MAX_DEPTH], line)


class _PyLoader(_PlainComposer, yaml.SafeLoader):
    """PyYAML's pure-Python reader, scanner and parser under the plain composer."""

    def __init__(self, stream: str) -> None:
        yaml.SafeLoader.__init__(self, stream)
        self._path = []


_Loader: type[Any] = _PyLoader
try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml
    pass
else:

    class _CLoader(_PlainComposer, CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml's scanner and parser (PyYAML's wheels have it) under the plain composer: the
        pure-Python ones were a tenth of a cached lint run, which loads the config every time."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._path = []

    _Loader = _CLoader


def _shown_tag(tag: str) -> str:
    shown = "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag if tag.startswith("!") else f"!<{tag}>"
    return shown if len(shown) <= _MAX_SHOWN_TAG else shown[: _MAX_SHOWN_TAG - 1] + "…"


_KINDS: Mapping[object, str] = {
    yaml.MappingNode: "mapping",
    yaml.SequenceNode: "list",
    _CORE + "map": "mapping",
    _CORE + "seq": "list",
}


def _build(loader: yaml.constructor.SafeConstructor, node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> Any:
    """The node's data (a tree: aliases were refused), recording lines; refuses duplicate keys.

    PyYAML silently keeps the last of two equal keys, which would hide a duplicated operation type.
    """
    lines.setdefault(path, node.start_mark.line + 1)
    _check_kind(node, path)
    if isinstance(node, yaml.MappingNode):
        mapping: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = _scalar(loader, key_node, path)
            line = key_node.start_mark.line + 1
            step = key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)
            if key in first_line:
                problem = f"duplicate key (first defined on line {first_line[key]})"
                raise PlainYamlError(problem, (*path, step), line)
            first_line[key] = line
            lines[(*path, step)] = line
            mapping[key] = _build(loader, value_node, (*path, step), lines)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        items = []
        for position, item in enumerate(node.value):
            lines[(*path, position)] = item.start_mark.line + 1
            items.append(_build(loader, item, (*path, position), lines))
        return items
    return _scalar(loader, node, path)


def _check_kind(node: yaml.Node, path: KeyPath) -> None:
    kind = _KINDS.get(type(node), "scalar")
    if _KINDS.get(node.tag, "scalar") != kind:
        problem = f"YAML tag {_shown_tag(node.tag)} does not fit a {kind}"
        raise PlainYamlError(problem, path, node.start_mark.line + 1)


def _scalar(loader: yaml.constructor.SafeConstructor, node: yaml.Node, path: KeyPath) -> Any:
    _check_kind(node, path)
    # A plain scalar resolved to int/float/bool/null matches that type's pattern; an explicitly
    # tagged one may not ("!!int abc", "!!bool maybe"), and PyYAML's constructors then fail in
    # assorted ways (IndexError, KeyError, ValueError): check it against the same pattern first.
    pattern = _PATTERNS.get(node.tag)
    if pattern is not None and not pattern.match(node.value):
        problem = f"{_shorten(node.value)!r} is not a {_shown_tag(node.tag)}"
        raise PlainYamlError(f"invalid YAML value: {problem}", path, node.start_mark.line + 1)
    try:
        return loader.construct_object(node)
    except ValueError as exc:
        # An integer of more digits than Python converts.
        raise PlainYamlError(f"invalid YAML value: {exc}", path, node.start_mark.line + 1) from None


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_SHOWN_TAG else text[: _MAX_SHOWN_TAG - 1] + "…"
