"""The ``lint:`` table of the opsux config: what opsux-lint checks and where.

opsux_core reads the rest of the config and keeps this table as written; this module owns it
(the entry point ``lint`` of ``opsux.config_sections``), so a config is still checked whole when
it is loaded, and every problem names its file, line and key. Only the standard library and
``opsux_core.policy`` are imported: ``opsux-lint --version`` must not pay for libcst.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from opsux_core.policy import (
    ConfigContext,
    ConfigSection,
    Path_,
    Policy,
    SectionValidator,
    string_list,
    type_name,
)

DEFAULT_QUEUED_NOTIFICATION_CLASSES: tuple[str, ...] = ("*Queued*Notification*", "*RunQueued*")
DEFAULT_LINT_EXCLUDE: tuple[str, ...] = ("build/", "dist/", ".tox/", ".nox/")
"""Excluded when ``lint.exclude`` is not set (as ruff's defaults); ``lint.extend_exclude`` adds to it."""
DEFAULT_MAX_FILE_BYTES = 4 * 1024 * 1024
"""Files larger than this are reported (OPS000) instead of read: generated code, not conventions."""

_RULE_SELECTOR_RE = re.compile(r"^OPS[0-9]{0,3}$")
_IDENTIFIER_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CALL_RE = re.compile(r"^(\*\.[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)$")
_SEVERITIES = ("error", "warning")
_RULE_CODE = "a rule code or prefix like OPS001 or OPS"

LINT_KEYS = (
    "src",
    "select",
    "ignore",
    "exclude",
    "extend_exclude",
    "per_file_ignores",
    "max_file_bytes",
    "lifecycle_owners",
    "notifier_modules",
    "presenter_modules",
    "link_builders",
    "operation_type_sinks",
    "notification_calls",
    "queued_notification_classes",
    "severity",
)
SINK_KEYS = ("call", "arg", "keyword", "enum_members")
ENUM_MEMBERS = ("value", "name")
"""What a member of a plain ``Enum`` given at a sink stands for (``enum_members``)."""
NOTIFICATION_CALL_KEYS = ("call", "status_arg", "status_keyword")


@dataclass(frozen=True)
class CallSink:
    """A call position that takes an operation type (``lint.operation_type_sinks``).

    ``call`` is a qualified name (``app.ops.start_operation``) or ``*.<method>`` for a method on
    any receiver; ``arg`` is the 0-based positional index, ``keyword`` the keyword name.
    """

    call: str
    arg: int | None = None
    keyword: str | None = None
    enum_members: str | None = None
    """``value`` or ``name``: a member of a plain ``Enum`` given there stands for its ``.value``
    (or its ``.name``), which is checked (grafana/oncall's ``write_resource_insight_log(...,
    event=EntityEvent.CREATED)`` stores ``event.value``). None: a member is no string (OPS008)."""


@dataclass(frozen=True)
class NotificationCall:
    """A call that sends a database notification (``lint.notification_calls``)."""

    call: str
    status_arg: int | None = None
    status_keyword: str | None = None


@dataclass(frozen=True)
class LintSettings:
    """The validated ``lint:`` table."""

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
    """Files (globs relative to the config's directory) allowed to write a run's status/outcome."""
    notifier_modules: tuple[str, ...] = ()
    """Files allowed to send run notifications."""
    presenter_modules: tuple[str, ...] = ()
    """Files allowed to hold surface copy (the canonical phrases, labels of operation types)."""
    link_builders: tuple[str, ...] = ()
    """Files allowed to spell run URLs (the project's own link builder, URL routes)."""
    operation_type_sinks: tuple[CallSink, ...] = ()
    notification_calls: tuple[NotificationCall, ...] = ()
    queued_notification_classes: tuple[str, ...] = DEFAULT_QUEUED_NOTIFICATION_CLASSES
    severity: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


def lint_settings(policy: Policy) -> LintSettings:
    """The policy's lint settings (validated when the config was loaded, or now)."""
    validated = policy.validated.get("lint")
    if isinstance(validated, LintSettings):
        return validated
    section = policy.sections.get("lint")
    return validate_lint(section) if section is not None else LintSettings()


def validate_lint(section: ConfigSection) -> LintSettings:
    """The entry point opsux_core calls for the ``lint:`` table; raises ``ConfigError``."""
    ctx, value = section.context, section.data
    ctx.reject_unknown((), value, LINT_KEYS)
    defaults = LintSettings()

    def strings(name: str, default: tuple[str, ...], **kw: Any) -> tuple[str, ...]:
        if name not in value:
            return default
        return string_list(ctx, (name,), value[name], **kw)

    severity_raw = value.get("severity", {})
    if not isinstance(severity_raw, Mapping):
        raise ctx.error(("severity",), f"must be a mapping of rule code -> error|warning, not {type_name(severity_raw)}")
    severity: dict[str, str] = {}
    for code, level in severity_raw.items():
        if not isinstance(code, str) or not _RULE_SELECTOR_RE.fullmatch(code):
            raise ctx.error(("severity", str(code)), "is not a rule code like OPS008")
        if level not in _SEVERITIES:
            raise ctx.error(("severity", code), f"must be one of {', '.join(_SEVERITIES)}, not {level!r}")
        severity[code] = level

    per_file_raw = value.get("per_file_ignores", {})
    if not isinstance(per_file_raw, Mapping):
        raise ctx.error(("per_file_ignores",), f"must be a mapping of glob -> rule codes, not {type_name(per_file_raw)}")
    per_file: dict[str, tuple[str, ...]] = {}
    for glob, codes in per_file_raw.items():
        where: Path_ = ("per_file_ignores", str(glob))
        if not isinstance(glob, str) or not glob:
            raise ctx.error(where, "must be a non-empty glob like 'tests/*.py'")
        per_file[glob] = string_list(ctx, where, codes, check=_RULE_SELECTOR_RE, what=_RULE_CODE)
        if not per_file[glob]:
            raise ctx.error(where, "must name at least one rule code or prefix")

    max_file_bytes = value.get("max_file_bytes", defaults.max_file_bytes)
    if isinstance(max_file_bytes, bool) or not isinstance(max_file_bytes, int) or max_file_bytes < 1:
        raise ctx.error(("max_file_bytes",), f"must be a positive number of bytes, not {max_file_bytes!r}")
    extend_exclude = strings("extend_exclude", ())
    if "select" in value and value["select"] == []:
        # An empty selection runs no rule and passes every file: never what anyone meant.
        raise ctx.error(("select",), "must name at least one rule code or prefix (to lint nothing, do not run opsux-lint)")

    return LintSettings(
        src=strings("src", defaults.src),
        select=strings("select", defaults.select, check=_RULE_SELECTOR_RE, what=_RULE_CODE),
        ignore=strings("ignore", defaults.ignore, check=_RULE_SELECTOR_RE, what=_RULE_CODE),
        exclude=(*strings("exclude", defaults.exclude), *extend_exclude),
        extend_exclude=extend_exclude,
        per_file_ignores=MappingProxyType(per_file),
        max_file_bytes=max_file_bytes,
        lifecycle_owners=strings("lifecycle_owners", defaults.lifecycle_owners),
        notifier_modules=strings("notifier_modules", defaults.notifier_modules),
        presenter_modules=strings("presenter_modules", defaults.presenter_modules),
        link_builders=strings("link_builders", defaults.link_builders),
        operation_type_sinks=_sinks(ctx, value.get("operation_type_sinks", [])),
        notification_calls=_notification_calls(ctx, value.get("notification_calls", [])),
        queued_notification_classes=strings("queued_notification_classes", defaults.queued_notification_classes),
        severity=MappingProxyType(severity),
    )


def _call_entries(ctx: ConfigContext, name: str, value: Any, allowed: Sequence[str]) -> list[Mapping[str, Any]]:
    key: Path_ = (name,)
    if not isinstance(value, list):
        raise ctx.error(key, f"must be a list of mappings, not {type_name(value)}")
    entries = []
    for index, entry in enumerate(value):
        where = (*key, index)
        if not isinstance(entry, Mapping):
            raise ctx.error(where, f"must be a mapping like {{call: ..., {allowed[1]}: ...}}, not {type_name(entry)}")
        ctx.reject_unknown(where, entry, allowed)
        call = entry.get("call")
        if not isinstance(call, str) or not _CALL_RE.fullmatch(call):
            raise ctx.error((*where, "call"), "must be a qualified name like app.ops.start or '*.method'")
        if call.endswith(".__init__"):
            # Callers write the class, never its ``__init__``: such a sink would match nothing.
            cls = call.removesuffix(".__init__")
            raise ctx.error(
                (*where, "call"),
                f"names a constructor: configure the class, {cls!r} (a call {cls.rsplit('.', 1)[-1]}(...) runs it; "
                f"{allowed[1]} counts from the first argument after self)",
            )
        position, keyword = entry.get(allowed[1]), entry.get(allowed[2])
        if position is None and keyword is None:
            raise ctx.error(where, f"needs {allowed[1]} or {allowed[2]} (or both)")
        if position is not None and (isinstance(position, bool) or not isinstance(position, int) or position < 0):
            raise ctx.error((*where, allowed[1]), f"must be a 0-based position (an integer >= 0), not {position!r}")
        if keyword is not None and (not isinstance(keyword, str) or not _IDENTIFIER_RE.fullmatch(keyword)):
            raise ctx.error((*where, allowed[2]), f"must be a parameter name, not {keyword!r}")
        entries.append(entry)
    return entries


def _sinks(ctx: ConfigContext, value: Any) -> tuple[CallSink, ...]:
    sinks = []
    for index, entry in enumerate(_call_entries(ctx, "operation_type_sinks", value, SINK_KEYS)):
        members = entry.get("enum_members")
        if members is not None and members not in ENUM_MEMBERS:
            raise ctx.error(
                ("operation_type_sinks", index, "enum_members"),
                f"must be one of {', '.join(ENUM_MEMBERS)} (what a plain Enum's member given there stands for), not {members!r}",
            )
        sinks.append(CallSink(entry["call"], entry.get("arg"), entry.get("keyword"), members))
    return tuple(sinks)


def _notification_calls(ctx: ConfigContext, value: Any) -> tuple[NotificationCall, ...]:
    return tuple(
        NotificationCall(entry["call"], entry.get("status_arg"), entry.get("status_keyword"))
        for entry in _call_entries(ctx, "notification_calls", value, NOTIFICATION_CALL_KEYS)
    )


OWNERS: Mapping[str, SectionValidator] = MappingProxyType({"lint": validate_lint})
"""The config tables the linter reads, for ``load_policy(owners=...)``: a config with no other
table loads without scanning the installed packages for owners of tables."""
