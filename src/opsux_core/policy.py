"""The project's opsux config, loaded and validated into a frozen :class:`Policy`.

The config is the single source of truth that the runtime, the linter and the pytest plugin all
read: the operation-type catalog, the summary_counts whitelist, the link templates and the lint
settings. It lives in ``opsux.yaml`` or in ``pyproject.toml`` under ``[tool.opsux]``.

This module imports only the standard library and PyYAML (through :mod:`opsux_core.plain_yaml`): the
linter imports it, and must not pay for SQLAlchemy at start-up.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from opsux_core.errors import ConfigError, ConfigNotFound
from opsux_core.plain_yaml import PlainYamlError, read_plain_yaml

if TYPE_CHECKING:
    from opsux_core.catalog import OperationCatalog

CONFIG_FILENAME = "opsux.yaml"
PYPROJECT_FILENAME = "pyproject.toml"
DEFAULT_OPERATION_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
DEFAULT_SUMMARY_KEYS: tuple[str, ...] = (
    "total",
    "processed",
    "succeeded",
    "failed",
    "skipped",
    "created",
    "updated",
    "deleted",
    "items",
)
DEFAULT_RUN_LINK = "/operations/{run_id}"
DEFAULT_INDEX_LINK = "/operations"
DEFAULT_STALE_FACTOR = 3.0
DEFAULT_STALE_AFTER_SECONDS = 3600

_SUMMARY_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class OperationType:
    """One registered operation type: a stable dotted code and its human label."""

    code: str
    label: str
    expected_duration_seconds: int | None = None
    description: str | None = None


@dataclass(frozen=True)
class Links:
    """URL templates for the run detail page and the operations index.

    ``run`` must contain ``{run_id}`` and may contain ``{tenant_id}``; ``index`` may contain
    ``{tenant_id}``. Values are URL-escaped by :class:`opsux_core.links.RunLinks`.
    """

    run: str = DEFAULT_RUN_LINK
    index: str = DEFAULT_INDEX_LINK


@dataclass(frozen=True)
class RunSettings:
    """The ``runs:`` table: when an active run without a heartbeat counts as crashed.

    A type's limit is its ``expected_duration_seconds`` x ``stale_factor``, or
    ``stale_after_seconds`` for types without an expected duration.
    """

    stale_factor: float = DEFAULT_STALE_FACTOR
    stale_after_seconds: int = DEFAULT_STALE_AFTER_SECONDS


@dataclass(frozen=True)
class ConfigSection:
    """A top-level table that another package owns and validates (``lint``: opsux_lint).

    The runtime reads none of it; the owner turns ``data`` into its settings and reports problems
    through ``context`` (file, line and key, like every other config error).
    """

    name: str
    data: Mapping[str, Any]
    context: ConfigContext = field(repr=False, compare=False)


SectionValidator = Callable[[ConfigSection], object]
SECTIONS_ENTRY_POINT_GROUP = "opsux.config_sections"
"""Entry points ``name = module:validator``: the package that owns the top-level table ``name``."""
OWNED_SECTIONS: tuple[str, ...] = ("lint",)
"""Top-level tables that other packages own: accepted here as a mapping even where the owner is
not installed, and validated by the owner (``opsux_lint.settings``)."""


@dataclass(frozen=True)
class Policy:
    """The validated project config. Build it with :func:`load_policy` or :func:`policy_from_mapping`."""

    operation_types: Mapping[str, OperationType]
    operation_type_pattern: str = DEFAULT_OPERATION_TYPE_PATTERN
    summary_keys: tuple[str, ...] = DEFAULT_SUMMARY_KEYS
    links: Links = field(default_factory=Links)
    runs: RunSettings = field(default_factory=RunSettings)
    source: Path | None = None
    """The file the policy was read from (``None`` when built from a mapping)."""
    root: Path = field(default_factory=Path.cwd)
    """The config file's directory: lint source roots and module names are relative to it."""
    fingerprint: str = ""
    """A digest of the validated config, for cache keys."""
    sections: Mapping[str, ConfigSection] = field(default_factory=lambda: MappingProxyType({}))
    """The tables other packages own, as written (``lint``)."""
    validated: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    """What each installed owner made of its table (``opsux_lint.settings.LintSettings``)."""

    @cached_property
    def catalog(self) -> OperationCatalog:
        from opsux_core.catalog import OperationCatalog

        return OperationCatalog(self.operation_types.values())


# --------------------------------------------------------------------------- discovery


def find_config(start: Path | str | None = None) -> Path | None:
    """The first ``opsux.yaml``, or ``pyproject.toml`` with ``[tool.opsux]``, from *start* upwards.

    A ``pyproject.toml`` that cannot be read or parsed is returned too: whether it configures opsux
    is unknowable, and searching on past it would check the code against a parent's catalog.
    Loading it (:func:`load_policy`) reports what is wrong with it.
    """
    here = Path(start) if start is not None else Path.cwd()
    here = here.resolve()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / CONFIG_FILENAME
        if candidate.is_file():
            return candidate
        pyproject = directory / PYPROJECT_FILENAME
        if pyproject.is_file() and _pyproject_has_opsux(pyproject):
            return pyproject
    return None


def _pyproject_has_opsux(path: Path) -> bool:
    """Whether *path* has ``[tool.opsux]``; true when it cannot be read or parsed (see find_config)."""
    import tomllib  # only where a pyproject.toml is met: the linter starts on every commit

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    tool = data.get("tool")
    return isinstance(tool, dict) and "opsux" in tool


def load_policy(path: Path | str | None = None, *, owners: Mapping[str, SectionValidator] | None = None) -> Policy:
    """Load and validate the project's config.

    *path* may be a config file (``opsux.yaml``, any ``.yaml``/``.yml``, or a ``pyproject.toml``),
    a directory to search upwards from, or ``None`` for the working directory. *owners*: see
    :func:`policy_from_mapping`. Raises :class:`ConfigNotFound` or :class:`ConfigError`.
    """
    target = Path(path) if path is not None else Path.cwd()
    if target.is_dir() or path is None:
        found = find_config(target)
        if found is None:
            raise ConfigNotFound(
                f"no {CONFIG_FILENAME} and no {PYPROJECT_FILENAME} with [tool.opsux] "
                "in this directory or any parent",
                path=target.resolve(),
            )
        target = found
    elif not target.exists():
        raise ConfigNotFound("config file does not exist", path=target)
    return _load_file(target, owners)


def _load_file(path: Path, owners: Mapping[str, SectionValidator] | None) -> Policy:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 (byte {exc.start})", path=path) from None
    if path.suffix == ".toml":
        return _load_toml(path, text, owners)
    return _load_yaml(path, text, owners)


def _load_toml(path: Path, text: str, owners: Mapping[str, SectionValidator] | None) -> Policy:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=path) from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict) or "opsux" not in tool:
        raise ConfigError("has no [tool.opsux] table", path=path)
    section = tool["opsux"]
    if not isinstance(section, dict):
        raise ConfigError("must be a table", path=path, key="tool.opsux")
    return policy_from_mapping(section, source=path, key_prefix="tool.opsux", owners=owners)


def _load_yaml(path: Path, text: str, owners: Mapping[str, SectionValidator] | None) -> Policy:
    try:
        document = read_plain_yaml(text)
    except PlainYamlError as exc:
        raise ConfigError(exc.problem, path=path, key=_render_key(exc.key) or None, line=exc.line) from None
    data: Any = {} if document.data is None else document.data
    if not isinstance(data, dict):
        raise ConfigError(
            f"the top level must be a mapping, not {type_name(data)}", path=path, line=1
        )
    return policy_from_mapping(data, source=path, lines=document.lines, owners=owners)


# --------------------------------------------------------------------------- validation


def policy_from_mapping(
    data: Mapping[str, Any],
    *,
    source: Path | str | None = None,
    root: Path | str | None = None,
    lines: Mapping[Path_, int] | None = None,
    key_prefix: str = "",
    owners: Mapping[str, SectionValidator] | None = None,
) -> Policy:
    """Validate a config mapping (the content of ``opsux.yaml``) into a :class:`Policy`.

    *owners*: the validators of the top-level tables the caller reads (``{"lint": validate_lint}``),
    for :attr:`Policy.validated`. Without them, every installed owner (:func:`section_validators`)
    validates its table; with them, the installed owners are looked up only when the config has a
    top-level key that is neither opsux's nor one of *owners* (so an installed package's table is
    still accepted, and an unknown key still refused), which spares a tool that starts on every
    commit the scan of the installed packages.
    """
    src = Path(source) if source is not None else None
    ctx = ConfigContext(src, lines or {}, key_prefix)
    if not isinstance(data, Mapping):
        raise ctx.error((), f"must be a mapping, not {type_name(data)}")
    validators = _owners(data, owners)
    owned = (*OWNED_SECTIONS, *(name for name in validators if name not in OWNED_SECTIONS))
    ctx.reject_unknown((), data, (*_TOP_LEVEL_KEYS, *(name for name in owned if name not in _TOP_LEVEL_KEYS)))

    pattern = data.get("operation_type_pattern", DEFAULT_OPERATION_TYPE_PATTERN)
    if not isinstance(pattern, str) or not pattern:
        raise ctx.error(("operation_type_pattern",), "must be a non-empty string (a regular expression)")
    try:
        compiled = re.compile(pattern)
    except (re.error, OverflowError) as exc:
        # OverflowError: a repeat count past what re supports ("a{4294967296}").
        raise ctx.error(("operation_type_pattern",), f"is not a valid regular expression: {exc}") from None
    except RecursionError:
        # re's parser recurses once per group: "((((...))))" a thousand deep exhausts the stack.
        raise ctx.error(
            ("operation_type_pattern",), "is not a valid regular expression: nested too deeply"
        ) from None

    types = _operation_types(ctx, data.get("operation_types", {}), compiled)
    summary_keys = _summary_keys(ctx, data.get("summary_keys", list(DEFAULT_SUMMARY_KEYS)))
    links = _links(ctx, data.get("links", {}))
    sections: dict[str, ConfigSection] = {}
    validated: dict[str, object] = {}
    for name in owned:
        section = _section(ctx, name, data.get(name))
        sections[name] = section
        if name in validators:
            validated[name] = validators[name](section)
    runs = _runs(ctx, data.get("runs", {}))

    if root is not None:
        root_path = Path(root)
    elif src is not None:
        root_path = src.resolve().parent
    else:
        root_path = Path.cwd()
    canonical = json.dumps(
        {
            "types": [[t.code, t.label, t.expected_duration_seconds, t.description] for t in types.values()],
            "runs": [runs.stale_factor, runs.stale_after_seconds],
            "pattern": pattern,
            "summary_keys": summary_keys,
            "links": [links.run, links.index],
            "sections": {name: section.data for name, section in sections.items()},
        },
        sort_keys=True,
        default=repr,
    )
    return Policy(
        operation_types=MappingProxyType(types),
        operation_type_pattern=pattern,
        summary_keys=summary_keys,
        links=links,
        runs=runs,
        source=src,
        root=root_path,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
        sections=MappingProxyType(sections),
        validated=MappingProxyType(validated),
    )


def _owners(data: Mapping[str, Any], given: Mapping[str, SectionValidator] | None) -> Mapping[str, SectionValidator]:
    if given is None:
        return section_validators()
    known = {*_TOP_LEVEL_KEYS, *OWNED_SECTIONS, *given}
    if all(key in known for key in data):
        return given
    return {**section_validators(), **given}


@cache
def section_validators() -> Mapping[str, SectionValidator]:
    """The installed owners of top-level tables (entry points of ``opsux.config_sections``)."""
    # Imported here: importlib.metadata (and the email package it brings) is a fifth of the
    # linter's start-up, and a caller that names its owners (policy_from_mapping) rarely needs it.
    from importlib.metadata import entry_points

    found: dict[str, SectionValidator] = {}
    for point in entry_points(group=SECTIONS_ENTRY_POINT_GROUP):
        try:
            found[point.name] = point.load()
        except ImportError:
            continue  # an owner that is not importable cannot check its table; its own tool will say so
    return MappingProxyType(found)


def _section(ctx: ConfigContext, name: str, value: Any) -> ConfigSection:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ctx.error((name,), f"must be a mapping, not {type_name(value)}")
    return ConfigSection(name, MappingProxyType(dict(value)), ctx.at((name,)))


_TOP_LEVEL_KEYS = ("operation_types", "operation_type_pattern", "summary_keys", "links", "lint", "runs")
_TYPE_KEYS = ("label", "expected_duration_seconds", "description")
_RUNS_KEYS = ("stale_factor", "stale_after_seconds")
_LINK_KEYS = ("run", "index")


class ConfigContext:
    """Where validation is: turns a key path into an error with file, key and line.

    ``base`` is the path of the table being validated (``("lint",)``): an owner of a section
    names keys inside its table and gets errors that name the whole path.
    """

    def __init__(self, source: Path | None, lines: Mapping[Path_, int], prefix: str, base: Path_ = ()) -> None:
        self.source = source
        self.lines = lines
        self.prefix = prefix
        self.base = base

    def at(self, key: Path_) -> ConfigContext:
        """The context of the table at ``key`` (relative to this one)."""
        return ConfigContext(self.source, self.lines, self.prefix, (*self.base, *key))

    def error(self, key: Path_, problem: str) -> ConfigError:
        key = (*self.base, *key)
        line = None
        for cut in range(len(key), -1, -1):
            if key[:cut] in self.lines:
                line = self.lines[key[:cut]]
                break
        rendered = _render_key(key)
        if self.prefix:
            rendered = f"{self.prefix}.{rendered}" if rendered else self.prefix
        return ConfigError(problem, path=self.source, key=rendered or None, line=line)

    def reject_unknown(self, key: Path_, value: Mapping[str, Any], allowed: Sequence[str]) -> None:
        for name in value:
            if name not in allowed:
                import difflib  # only for this error

                close = difflib.get_close_matches(str(name), allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(allowed)}"
                raise self.error((*key, name), f"unknown key{hint}")


def _render_key(key: Path_) -> str:
    parts: list[str] = []
    for part in key:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        else:
            parts.append(f".{part}" if parts else str(part))
    return "".join(parts)


def type_name(value: object) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "empty",
    }.get(type(value), type(value).__name__)


def _operation_types(ctx: ConfigContext, value: Any, pattern: re.Pattern[str]) -> dict[str, OperationType]:
    key: Path_ = ("operation_types",)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ctx.error(key, f"must be a mapping of code -> label, not {type_name(value)}")
    types: dict[str, OperationType] = {}
    for code, entry in value.items():
        where = (*key, code)
        if not isinstance(code, str):
            raise ctx.error(where, f"operation type codes must be strings, not {type_name(code)}")
        if not pattern.fullmatch(code):
            raise ctx.error(
                where,
                f"malformed operation type code {code!r}: it must match operation_type_pattern "
                f"{pattern.pattern!r}",
            )
        if isinstance(entry, str):
            label, expected, description = entry, None, None
        elif isinstance(entry, Mapping):
            ctx.reject_unknown(where, entry, _TYPE_KEYS)
            if "label" not in entry:
                raise ctx.error(where, "needs a label")
            label = entry["label"]
            expected = entry.get("expected_duration_seconds")
            description = entry.get("description")
            if expected is not None and (
                isinstance(expected, bool) or not isinstance(expected, int) or expected <= 0
            ):
                raise ctx.error(
                    (*where, "expected_duration_seconds"), f"must be a positive integer, not {expected!r}"
                )
            if description is not None and not isinstance(description, str):
                raise ctx.error((*where, "description"), f"must be a string, not {type_name(description)}")
        else:
            raise ctx.error(where, f"must be a label or a mapping with a label, not {type_name(entry)}")
        if not isinstance(label, str) or not label.strip():
            raise ctx.error((*where, "label") if isinstance(entry, Mapping) else where, "the label must be a non-empty string")
        types[code] = OperationType(code, label.strip(), expected, description)
    return types


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _runs(ctx: ConfigContext, value: Any) -> RunSettings:
    key: Path_ = ("runs",)
    if value is None:
        return RunSettings()
    if not isinstance(value, Mapping):
        raise ctx.error(key, f"must be a mapping, not {type_name(value)}")
    ctx.reject_unknown(key, value, _RUNS_KEYS)
    factor = value.get("stale_factor", DEFAULT_STALE_FACTOR)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 1 <= factor <= 1000:
        raise ctx.error((*key, "stale_factor"), f"must be a number from 1 to 1000, not {factor!r}")
    after = value.get("stale_after_seconds", DEFAULT_STALE_AFTER_SECONDS)
    if not _positive_int(after):
        raise ctx.error((*key, "stale_after_seconds"), f"must be a positive integer, not {after!r}")
    return RunSettings(stale_factor=float(factor), stale_after_seconds=after)


def string_list(ctx: ConfigContext, key: Path_, value: Any, *, check: re.Pattern[str] | None = None, what: str = "") -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ctx.error(key, f"must be a list of strings, not {type_name(value)}")
    items: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise ctx.error((*key, index), f"must be a non-empty string, not {type_name(item)}")
        if check is not None and not check.fullmatch(item):
            raise ctx.error((*key, index), f"{item!r} is not {what}")
        items.append(item)
    return tuple(items)


def _summary_keys(ctx: ConfigContext, value: Any) -> tuple[str, ...]:
    key: Path_ = ("summary_keys",)
    keys = string_list(ctx, key, value, check=_SUMMARY_KEY_RE, what="a lower-case identifier")
    if not keys:
        raise ctx.error(key, "must name at least one key")
    seen: set[str] = set()
    for index, name in enumerate(keys):
        if name in seen:
            raise ctx.error((*key, index), f"{name!r} is listed twice")
        seen.add(name)
    return keys


def _links(ctx: ConfigContext, value: Any) -> Links:
    key: Path_ = ("links",)
    if not isinstance(value, Mapping):
        raise ctx.error(key, f"must be a mapping with run and index, not {type_name(value)}")
    ctx.reject_unknown(key, value, _LINK_KEYS)
    run = value.get("run", DEFAULT_RUN_LINK)
    index = value.get("index", DEFAULT_INDEX_LINK)
    _check_template(ctx, (*key, "run"), run, allowed={"run_id", "tenant_id"}, required="run_id")
    _check_template(ctx, (*key, "index"), index, allowed={"tenant_id"}, required=None)
    return Links(run=run, index=index)


def _check_template(ctx: ConfigContext, key: Path_, value: Any, *, allowed: set[str], required: str | None) -> None:
    if not isinstance(value, str) or not value:
        raise ctx.error(key, f"must be a non-empty URL template, not {type_name(value)}")
    try:
        parsed = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(value)
            if name is not None
        ]
    except ValueError as exc:
        raise ctx.error(key, f"is not a valid template: {exc}") from None
    fields = {name for name, _, _ in parsed}
    unknown = fields - allowed
    if unknown:
        raise ctx.error(
            key,
            f"unknown placeholder {{{min(unknown)}}}; allowed: "
            + ", ".join(f"{{{name}}}" for name in sorted(allowed)),
        )
    for name, spec, conversion in parsed:
        # Values are URL-escaped strings: a spec like {run_id:d} or {run_id:{x}} would fail when a
        # link is built, and !r would put quotes in the URL.
        if spec or conversion:
            raise ctx.error(key, f"placeholders take no format spec or conversion: write {{{name}}}")
    if required and required not in fields:
        raise ctx.error(key, f"must contain {{{required}}}")
