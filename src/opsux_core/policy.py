"""The project's opsux config, loaded and validated into a frozen :class:`Policy`.

The config is the single source of truth that the runtime, the linter and the pytest plugin all
read: the operation-type catalog, the summary_counts whitelist, the link templates and the lint
settings. It lives in ``opsux.yaml`` or in ``pyproject.toml`` under ``[tool.opsux]``.

This module imports only the standard library and PyYAML (through :mod:`opsux_core.plain_yaml`): the
linter imports it, and must not pay for SQLAlchemy at start-up.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
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
DEFAULT_QUEUED_NOTIFICATION_CLASSES: tuple[str, ...] = ("*Queued*Notification*", "*RunQueued*")
DEFAULT_LINT_EXCLUDE: tuple[str, ...] = ("build/", "dist/", ".tox/", ".nox/")
"""Excluded when ``lint.exclude`` is not set (as ruff's defaults); ``lint.extend_exclude`` adds to it."""
DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024
"""Files larger than this are reported (OPS000) instead of read: generated code, not conventions."""
DEFAULT_RUN_LINK = "/operations/{run_id}"
DEFAULT_INDEX_LINK = "/operations"
DEFAULT_STALE_FACTOR = 3.0
DEFAULT_STALE_AFTER_SECONDS = 3600

_SUMMARY_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_RULE_SELECTOR_RE = re.compile(r"^OPS[0-9]{0,3}$")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CALL_RE = re.compile(r"^(\*\.[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)$")
_SEVERITIES = ("error", "warning")

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
class CallSink:
    """A call position that takes an operation type (``lint.operation_type_sinks``).

    ``call`` is a qualified name (``app.ops.start_operation``) or ``*.<method>`` for a method on
    any receiver; ``arg`` is the 0-based positional index, ``keyword`` the keyword name.
    """

    call: str
    arg: int | None = None
    keyword: str | None = None


@dataclass(frozen=True)
class NotificationCall:
    """A call that sends a database notification (``lint.notification_calls``)."""

    call: str
    status_arg: int | None = None
    status_keyword: str | None = None


@dataclass(frozen=True)
class LintSettings:
    """The ``lint:`` table: what opsux-lint checks and where."""

    src: tuple[str, ...] = (".", "src")
    select: tuple[str, ...] = ("OPS",)
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_LINT_EXCLUDE
    """The effective excludes: ``lint.exclude`` (or the defaults) followed by ``lint.extend_exclude``."""
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))
    """Glob (relative to the config's directory, as ``lint.exclude``) -> rule codes or prefixes."""
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    lifecycle_owners: tuple[str, ...] = ()
    notifier_modules: tuple[str, ...] = ()
    operation_type_sinks: tuple[CallSink, ...] = ()
    notification_calls: tuple[NotificationCall, ...] = ()
    queued_notification_classes: tuple[str, ...] = DEFAULT_QUEUED_NOTIFICATION_CLASSES
    severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Policy:
    """The validated project config. Build it with :func:`load_policy` or :func:`policy_from_mapping`."""

    operation_types: Mapping[str, OperationType]
    operation_type_pattern: str = DEFAULT_OPERATION_TYPE_PATTERN
    summary_keys: tuple[str, ...] = DEFAULT_SUMMARY_KEYS
    links: Links = field(default_factory=Links)
    lint: LintSettings = field(default_factory=LintSettings)
    runs: RunSettings = field(default_factory=RunSettings)
    source: Path | None = None
    """The file the policy was read from (``None`` when built from a mapping)."""
    root: Path = field(default_factory=Path.cwd)
    """The config file's directory: lint source roots and module names are relative to it."""
    fingerprint: str = ""
    """A digest of the validated config, for cache keys."""

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
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return True
    tool = data.get("tool")
    return isinstance(tool, dict) and "opsux" in tool


def load_policy(path: Path | str | None = None) -> Policy:
    """Load and validate the project's config.

    *path* may be a config file (``opsux.yaml``, any ``.yaml``/``.yml``, or a ``pyproject.toml``),
    a directory to search upwards from, or ``None`` for the working directory.
    Raises :class:`ConfigNotFound` or :class:`ConfigError`.
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
    return _load_file(target)


def _load_file(path: Path) -> Policy:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", path=path) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not valid UTF-8 (byte {exc.start})", path=path) from None
    if path.suffix == ".toml":
        return _load_toml(path, text)
    return _load_yaml(path, text)


def _load_toml(path: Path, text: str) -> Policy:
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
    return policy_from_mapping(section, source=path, key_prefix="tool.opsux")


def _load_yaml(path: Path, text: str) -> Policy:
    try:
        document = read_plain_yaml(text)
    except PlainYamlError as exc:
        raise ConfigError(exc.problem, path=path, key=_render_key(exc.key) or None, line=exc.line) from None
    data: Any = {} if document.data is None else document.data
    if not isinstance(data, dict):
        raise ConfigError(
            f"the top level must be a mapping, not {_type_name(data)}", path=path, line=1
        )
    return policy_from_mapping(data, source=path, lines=document.lines)


# --------------------------------------------------------------------------- validation


def policy_from_mapping(
    data: Mapping[str, Any],
    *,
    source: Path | str | None = None,
    root: Path | str | None = None,
    lines: Mapping[Path_, int] | None = None,
    key_prefix: str = "",
) -> Policy:
    """Validate a config mapping (the content of ``opsux.yaml``) into a :class:`Policy`."""
    src = Path(source) if source is not None else None
    ctx = _Context(src, lines or {}, key_prefix)
    if not isinstance(data, Mapping):
        raise ctx.error((), f"must be a mapping, not {_type_name(data)}")
    ctx.reject_unknown((), data, _TOP_LEVEL_KEYS)

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
    lint = _lint(ctx, data.get("lint", {}))
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
            "lint": repr(lint),
        },
        sort_keys=True,
    )
    return Policy(
        operation_types=MappingProxyType(types),
        operation_type_pattern=pattern,
        summary_keys=summary_keys,
        links=links,
        lint=lint,
        runs=runs,
        source=src,
        root=root_path,
        fingerprint=hashlib.sha256(canonical.encode()).hexdigest(),
    )


_TOP_LEVEL_KEYS = ("operation_types", "operation_type_pattern", "summary_keys", "links", "lint", "runs")
_TYPE_KEYS = ("label", "expected_duration_seconds", "description")
_RUNS_KEYS = ("stale_factor", "stale_after_seconds")
_LINK_KEYS = ("run", "index")
_LINT_KEYS = (
    "src",
    "select",
    "ignore",
    "exclude",
    "extend_exclude",
    "per_file_ignores",
    "max_file_bytes",
    "lifecycle_owners",
    "notifier_modules",
    "operation_type_sinks",
    "notification_calls",
    "queued_notification_classes",
    "severity",
)
_SINK_KEYS = ("call", "arg", "keyword")
_NOTIFICATION_CALL_KEYS = ("call", "status_arg", "status_keyword")


class _Context:
    """Where validation is: turns a key path into an error with file, key and line."""

    def __init__(self, source: Path | None, lines: Mapping[Path_, int], prefix: str) -> None:
        self.source = source
        self.lines = lines
        self.prefix = prefix

    def error(self, key: Path_, problem: str) -> ConfigError:
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


def _type_name(value: object) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "empty",
    }.get(type(value), type(value).__name__)


def _operation_types(ctx: _Context, value: Any, pattern: re.Pattern[str]) -> dict[str, OperationType]:
    key: Path_ = ("operation_types",)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ctx.error(key, f"must be a mapping of code -> label, not {_type_name(value)}")
    types: dict[str, OperationType] = {}
    for code, entry in value.items():
        where = (*key, code)
        if not isinstance(code, str):
            raise ctx.error(where, f"operation type codes must be strings, not {_type_name(code)}")
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
                raise ctx.error((*where, "description"), f"must be a string, not {_type_name(description)}")
        else:
            raise ctx.error(where, f"must be a label or a mapping with a label, not {_type_name(entry)}")
        if not isinstance(label, str) or not label.strip():
            raise ctx.error((*where, "label") if isinstance(entry, Mapping) else where, "the label must be a non-empty string")
        types[code] = OperationType(code, label.strip(), expected, description)
    return types


def _positive_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _runs(ctx: _Context, value: Any) -> RunSettings:
    key: Path_ = ("runs",)
    if value is None:
        return RunSettings()
    if not isinstance(value, Mapping):
        raise ctx.error(key, f"must be a mapping, not {_type_name(value)}")
    ctx.reject_unknown(key, value, _RUNS_KEYS)
    factor = value.get("stale_factor", DEFAULT_STALE_FACTOR)
    if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 1 <= factor <= 1000:
        raise ctx.error((*key, "stale_factor"), f"must be a number from 1 to 1000, not {factor!r}")
    after = value.get("stale_after_seconds", DEFAULT_STALE_AFTER_SECONDS)
    if not _positive_int(after):
        raise ctx.error((*key, "stale_after_seconds"), f"must be a positive integer, not {after!r}")
    return RunSettings(stale_factor=float(factor), stale_after_seconds=after)


def _string_list(ctx: _Context, key: Path_, value: Any, *, check: re.Pattern[str] | None = None, what: str = "") -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ctx.error(key, f"must be a list of strings, not {_type_name(value)}")
    items: list[str] = []
    for index, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise ctx.error((*key, index), f"must be a non-empty string, not {_type_name(item)}")
        if check is not None and not check.fullmatch(item):
            raise ctx.error((*key, index), f"{item!r} is not {what}")
        items.append(item)
    return tuple(items)


def _summary_keys(ctx: _Context, value: Any) -> tuple[str, ...]:
    key: Path_ = ("summary_keys",)
    keys = _string_list(ctx, key, value, check=_SUMMARY_KEY_RE, what="a lower-case identifier")
    if not keys:
        raise ctx.error(key, "must name at least one key")
    seen: set[str] = set()
    for index, name in enumerate(keys):
        if name in seen:
            raise ctx.error((*key, index), f"{name!r} is listed twice")
        seen.add(name)
    return keys


def _links(ctx: _Context, value: Any) -> Links:
    key: Path_ = ("links",)
    if not isinstance(value, Mapping):
        raise ctx.error(key, f"must be a mapping with run and index, not {_type_name(value)}")
    ctx.reject_unknown(key, value, _LINK_KEYS)
    run = value.get("run", DEFAULT_RUN_LINK)
    index = value.get("index", DEFAULT_INDEX_LINK)
    _check_template(ctx, (*key, "run"), run, allowed={"run_id", "tenant_id"}, required="run_id")
    _check_template(ctx, (*key, "index"), index, allowed={"tenant_id"}, required=None)
    return Links(run=run, index=index)


def _check_template(ctx: _Context, key: Path_, value: Any, *, allowed: set[str], required: str | None) -> None:
    if not isinstance(value, str) or not value:
        raise ctx.error(key, f"must be a non-empty URL template, not {_type_name(value)}")
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
            f"unknown placeholder {{{sorted(unknown)[0]}}}; allowed: "
            + ", ".join(f"{{{name}}}" for name in sorted(allowed)),
        )
    for name, spec, conversion in parsed:
        # Values are URL-escaped strings: a spec like {run_id:d} or {run_id:{x}} would fail when a
        # link is built, and !r would put quotes in the URL.
        if spec or conversion:
            raise ctx.error(key, f"placeholders take no format spec or conversion: write {{{name}}}")
    if required and required not in fields:
        raise ctx.error(key, f"must contain {{{required}}}")


def _lint(ctx: _Context, value: Any) -> LintSettings:
    key: Path_ = ("lint",)
    if value is None:
        return LintSettings()
    if not isinstance(value, Mapping):
        raise ctx.error(key, f"must be a mapping, not {_type_name(value)}")
    ctx.reject_unknown(key, value, _LINT_KEYS)
    defaults = LintSettings()

    def strings(name: str, default: tuple[str, ...], **kw: Any) -> tuple[str, ...]:
        if name not in value:
            return default
        return _string_list(ctx, (*key, name), value[name], **kw)

    severity_raw = value.get("severity", {})
    if not isinstance(severity_raw, Mapping):
        raise ctx.error((*key, "severity"), f"must be a mapping of rule code -> error|warning, not {_type_name(severity_raw)}")
    severity: dict[str, str] = {}
    for code, level in severity_raw.items():
        if not isinstance(code, str) or not _RULE_SELECTOR_RE.fullmatch(code):
            raise ctx.error((*key, "severity", str(code)), "is not a rule code like OPS008")
        if level not in _SEVERITIES:
            raise ctx.error((*key, "severity", code), f"must be one of {', '.join(_SEVERITIES)}, not {level!r}")
        severity[code] = level

    per_file_raw = value.get("per_file_ignores", {})
    if not isinstance(per_file_raw, Mapping):
        raise ctx.error((*key, "per_file_ignores"), f"must be a mapping of glob -> rule codes, not {_type_name(per_file_raw)}")
    per_file: dict[str, tuple[str, ...]] = {}
    for glob, codes in per_file_raw.items():
        where: Path_ = (*key, "per_file_ignores", str(glob))
        if not isinstance(glob, str) or not glob:
            raise ctx.error(where, "must be a non-empty glob like 'tests/*.py'")
        per_file[glob] = _string_list(ctx, where, codes, check=_RULE_SELECTOR_RE, what="a rule code or prefix like OPS001 or OPS")
        if not per_file[glob]:
            raise ctx.error(where, "must name at least one rule code or prefix")

    max_file_bytes = value.get("max_file_bytes", defaults.max_file_bytes)
    if isinstance(max_file_bytes, bool) or not isinstance(max_file_bytes, int) or max_file_bytes < 1:
        raise ctx.error((*key, "max_file_bytes"), f"must be a positive number of bytes, not {max_file_bytes!r}")
    extend_exclude = strings("extend_exclude", ())
    if "select" in value and value["select"] == []:
        # An empty selection runs no rule and passes every file: never what anyone meant.
        raise ctx.error((*key, "select"), "must name at least one rule code or prefix (to lint nothing, do not run opsux-lint)")

    return LintSettings(
        src=strings("src", defaults.src),
        select=strings("select", defaults.select, check=_RULE_SELECTOR_RE, what="a rule code or prefix like OPS001 or OPS"),
        ignore=strings("ignore", defaults.ignore, check=_RULE_SELECTOR_RE, what="a rule code or prefix like OPS001 or OPS"),
        exclude=(*strings("exclude", defaults.exclude), *extend_exclude),
        extend_exclude=extend_exclude,
        per_file_ignores=MappingProxyType(per_file),
        max_file_bytes=max_file_bytes,
        lifecycle_owners=strings("lifecycle_owners", defaults.lifecycle_owners),
        notifier_modules=strings("notifier_modules", defaults.notifier_modules),
        operation_type_sinks=_sinks(ctx, value.get("operation_type_sinks", [])),
        notification_calls=_notification_calls(ctx, value.get("notification_calls", [])),
        queued_notification_classes=strings("queued_notification_classes", defaults.queued_notification_classes),
        severity=MappingProxyType(severity),
    )


def _call_entries(ctx: _Context, name: str, value: Any, allowed: Sequence[str]) -> list[tuple[Path_, Mapping[str, Any]]]:
    key: Path_ = ("lint", name)
    if not isinstance(value, list):
        raise ctx.error(key, f"must be a list of mappings, not {_type_name(value)}")
    entries = []
    for index, entry in enumerate(value):
        where = (*key, index)
        if not isinstance(entry, Mapping):
            raise ctx.error(where, f"must be a mapping like {{call: ..., {allowed[1]}: ...}}, not {_type_name(entry)}")
        ctx.reject_unknown(where, entry, allowed)
        call = entry.get("call")
        if not isinstance(call, str) or not _CALL_RE.fullmatch(call):
            raise ctx.error((*where, "call"), "must be a qualified name like app.ops.start or '*.method'")
        position, keyword = entry.get(allowed[1]), entry.get(allowed[2])
        if position is None and keyword is None:
            raise ctx.error(where, f"needs {allowed[1]} or {allowed[2]} (or both)")
        if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 0):
            raise ctx.error((*where, allowed[1]), f"must be a 0-based position (an integer >= 0), not {position!r}")
        if keyword is not None and (not isinstance(keyword, str) or not _IDENTIFIER_RE.fullmatch(keyword)):
            raise ctx.error((*where, allowed[2]), f"must be a parameter name, not {keyword!r}")
        entries.append((where, entry))
    return entries


def _sinks(ctx: _Context, value: Any) -> tuple[CallSink, ...]:
    return tuple(
        CallSink(entry["call"], entry.get("arg"), entry.get("keyword"))
        for _, entry in _call_entries(ctx, "operation_type_sinks", value, _SINK_KEYS)
    )


def _notification_calls(ctx: _Context, value: Any) -> tuple[NotificationCall, ...]:
    return tuple(
        NotificationCall(entry["call"], entry.get("status_arg"), entry.get("status_keyword"))
        for _, entry in _call_entries(ctx, "notification_calls", value, _NOTIFICATION_CALL_KEYS)
    )
