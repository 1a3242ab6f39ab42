"""The built-in rules as data: ``rules/OPSnnn-<name>.yaml`` loaded into :class:`RuleSpec` values.

A rule file holds everything a person needs to understand the rule (id, name, severity, message
template, rationale, examples) and the parameters of the matcher kind that implements it. The
matcher kinds themselves live in :mod:`opsux_lint.kinds`, implemented once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from opsux_lint.findings import Severity

RULES_PACKAGE = "opsux_lint.rules"
_ID_RE = re.compile(r"^OPS[0-9]{3}$")
_NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_RULE_KEYS = ("id", "name", "severity", "summary", "message", "rationale", "matcher", "examples")
_EXAMPLE_KEYS = ("config", "valid", "invalid")
_INVALID_KEYS = ("code", "message_contains", "count", "fixed", "unsafe_fixed", "path")
_VALID_KEYS = ("code", "path")
_EXAMPLE_PATH_RE = re.compile(r"^[A-Za-z0-9_]+(/[A-Za-z0-9_]+)*\.py$")


# The kinds the engine implements itself (about the file, not its syntax tree): named here, not
# in opsux_lint.kinds, so a run that lints nothing (every file from the cache) need not import
# the kinds and libcst.
PARSE_ERROR_KIND = "parse_error"
UNUSED_SUPPRESSION_KIND = "unused_suppression"


class RuleDefinitionError(Exception):
    """A rule file is malformed: a bug in the shipped rules, never the user's fault."""


EXAMPLE_PATH = "app/example.py"
"""Where an example is linted (its module: ``app.example``) unless it gives its own ``path``."""


@dataclass(frozen=True)
class ValidExample:
    code: str
    path: str = EXAMPLE_PATH
    """The file the example is (a test file, an owner module: where the code is allowed)."""


@dataclass(frozen=True)
class InvalidExample:
    code: str
    message_contains: tuple[str, ...]
    count: int = 1
    fixed: str | None = None
    """The code after ``--fix``; None: the example has no safe fix."""
    unsafe_fixed: str | None = None
    """The code after ``--fix --unsafe-fixes``; None: the example has no unsafe fix."""
    path: str = EXAMPLE_PATH


@dataclass(frozen=True)
class Examples:
    valid: tuple[ValidExample, ...] = ()
    invalid: tuple[InvalidExample, ...] = ()
    config: Mapping[str, Any] | None = None
    """Config (the content of an ``opsux.yaml``) the examples run under; None: the default."""


@dataclass(frozen=True)
class RuleSpec:
    id: str
    name: str
    severity: Severity
    summary: str
    """One line: what the rule reports (``--list-rules``, SARIF ``shortDescription``)."""
    message: str
    rationale: str
    kind: str
    params: Mapping[str, Any] = field(default_factory=dict)
    examples: Examples = field(default_factory=Examples)
    source: str = ""

    def format(self, **values: object) -> str:
        return self.message.format(**values)


def parse_rule(data: Any, source: str) -> RuleSpec:
    """Validate one rule file's content; raises :class:`RuleDefinitionError`."""

    def fail(problem: str) -> RuleDefinitionError:
        return RuleDefinitionError(f"{source}: {problem}")

    if not isinstance(data, Mapping):
        raise fail("must be a mapping")
    unknown = sorted(set(data) - set(_RULE_KEYS))
    if unknown:
        raise fail(f"unknown keys {unknown}")
    for key in ("id", "name", "severity", "summary", "message", "rationale", "matcher"):
        if key not in data:
            raise fail(f"missing {key!r}")
    rule_id, name = data["id"], data["name"]
    if not isinstance(rule_id, str) or not _ID_RE.fullmatch(rule_id):
        raise fail(f"id {rule_id!r} is not like OPS001")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise fail(f"name {name!r} is not kebab-case")
    try:
        severity = Severity(data["severity"])
    except ValueError:
        raise fail(f"severity {data['severity']!r} is not error or warning") from None
    for key in ("summary", "message", "rationale"):
        if not isinstance(data[key], str) or not data[key].strip():
            raise fail(f"{key} must be a non-empty string")
    matcher = data["matcher"]
    if not isinstance(matcher, Mapping) or not isinstance(matcher.get("kind"), str):
        raise fail("matcher must be a mapping with a kind")
    params = {k: v for k, v in matcher.items() if k != "kind"}
    return RuleSpec(
        id=rule_id,
        name=name,
        severity=severity,
        summary=" ".join(data["summary"].split()),
        message=data["message"],
        rationale=" ".join(data["rationale"].split()),
        kind=matcher["kind"],
        params=params,
        examples=_examples(data.get("examples") or {}, fail),
        source=source,
    )


def _examples(data: Any, fail: Any) -> Examples:
    if not isinstance(data, Mapping) or set(data) - set(_EXAMPLE_KEYS):
        raise fail(f"examples must be a mapping with {', '.join(_EXAMPLE_KEYS)}")
    valid: list[ValidExample] = []
    for item in data.get("valid") or ():
        if isinstance(item, Mapping) and set(item) - set(_VALID_KEYS):
            raise fail(f"a valid example must be code or {{code, path}}, not {item!r}")
        code = item.get("code") if isinstance(item, Mapping) else item
        if not isinstance(code, str):
            raise fail(f"a valid example must be code or {{code, path}}, not {item!r}")
        path = item.get("path", EXAMPLE_PATH) if isinstance(item, Mapping) else EXAMPLE_PATH
        valid.append(ValidExample(code, _example_path(path, fail)))
    invalid: list[InvalidExample] = []
    for item in data.get("invalid") or ():
        if not isinstance(item, Mapping) or set(item) - set(_INVALID_KEYS) or "code" not in item:
            raise fail(f"an invalid example must be {{{', '.join(_INVALID_KEYS)}}}, not {item!r}")
        fragments = item.get("message_contains", ())
        if isinstance(fragments, str):
            fragments = (fragments,)
        if not fragments:
            # An example without an expected message would pass on any finding of the rule.
            raise fail(f"invalid example {item['code']!r} needs message_contains")
        fixed, unsafe_fixed = item.get("fixed"), item.get("unsafe_fixed")
        if fixed is not None and not isinstance(fixed, str):
            raise fail(f"invalid example {item['code']!r}: fixed must be the code after --fix")
        if unsafe_fixed is not None and not isinstance(unsafe_fixed, str):
            raise fail(f"invalid example {item['code']!r}: unsafe_fixed must be the code after --fix --unsafe-fixes")
        path = _example_path(item.get("path", EXAMPLE_PATH), fail)
        invalid.append(
            InvalidExample(item["code"], tuple(fragments), int(item.get("count", 1)), fixed, unsafe_fixed, path)
        )
    config = data.get("config")
    if config is not None and not isinstance(config, Mapping):
        raise fail("examples.config must be a mapping (an opsux.yaml)")
    return Examples(tuple(valid), tuple(invalid), config)


# The shipped rules are read by every run: libyaml's safe loader, where PyYAML was built with
# it, reads them in a tenth of the pure-Python one's time.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _example_path(path: Any, fail: Any) -> str:
    if not isinstance(path, str) or not _EXAMPLE_PATH_RE.fullmatch(path):
        raise fail(f"an example's path must be a relative .py path like tests/test_x.py, not {path!r}")
    return path


@cache
def builtin_rules() -> tuple[RuleSpec, ...]:
    """Every shipped rule, sorted by id."""
    rules: list[RuleSpec] = []
    for entry in files(RULES_PACKAGE).iterdir():
        if entry.name.startswith("OPS") and entry.name.endswith(".yaml"):
            data = yaml.load(entry.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
            rule = parse_rule(data, entry.name)
            if not entry.name.startswith(f"{rule.id}-"):
                raise RuleDefinitionError(f"{entry.name}: file name must start with {rule.id}-")
            rules.append(rule)
    rules.sort(key=lambda r: r.id)
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleDefinitionError(f"rule {rule.id} is defined twice")
        seen.add(rule.id)
    return tuple(rules)


def rules_by_id(rules: Sequence[RuleSpec] | None = None) -> dict[str, RuleSpec]:
    return {rule.id: rule for rule in (builtin_rules() if rules is None else rules)}


EXAMPLE_CONFIG: Mapping[str, Any] = {
    "operation_types": {
        "inventory.sync": "Inventory sync",
        "backup.schedule.execute": "Backup run",
    },
    "lint": {
        "operation_type_sinks": [
            {"call": "app.ops.start_operation", "arg": 1, "keyword": "operation_type"},
            {"call": "*.enqueue_operation", "keyword": "op"},
        ],
        "notification_calls": [
            {"call": "app.notify.send_db_notification", "status_arg": 2, "status_keyword": "status"},
        ],
        "lifecycle_owners": ["app/ops/service.py"],
        "notifier_modules": ["app/notifier.py"],
        "presenter_modules": ["app/presenter.py"],
        "link_builders": ["app/links.py"],
    },
    "links": {"run": "/admin/operations/{run_id}", "index": "/admin/operations"},
}
"""The project rule examples run in (unless a rule gives ``examples.config``): two registered
types, one sink and one notification call from the config, an owner module for each concern
(``app/ops/service.py``, ``app/notifier.py``, ``app/presenter.py``, ``app/links.py``) and the
link templates. Examples are linted as
``app/example.py`` (module ``app.example``, or the example's own ``path``) under this config."""
