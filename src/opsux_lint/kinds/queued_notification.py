"""Matcher kind ``queued_notification``: calls that would create a queued or running notification.

Three shapes, all from SPEC.md's "no queued (or running) database notifications, ever":

- constructing (``OperationRunQueued(run)``), passing (``notify(user, OperationRunQueued)``) or
  calling a class method of (``OperationRunQueued.dispatch(run)``) a class whose name matches ``lint.queued_notification_classes`` (fnmatch globs, case-sensitive,
  matched against the name as written and the last segment of every qualified name, so an
  import alias does not hide it);
- the persisted notification model built with a non-terminal ``kind``;
- a call from ``lint.notification_calls`` whose status argument is ``queued`` or ``running``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

import libcst as cst

from opsux_core.policy import Policy
from opsux_lint.analysis import SinkSpec
from opsux_lint.callees import CallPattern, argument
from opsux_lint.kinds import (
    FileFacts,
    Handler,
    Kind,
    NeedleContext,
    Report,
    is_string,
    is_strings,
    param_mapping,
    param_strings,
)
from opsux_lint.names import last_segments
from opsux_lint.prefilter import Needle, words
from opsux_lint.registry import RuleSpec
from opsux_lint.settings import lint_settings

_TYPE_CHECKS = frozenset({"isinstance", "issubclass"})
_GLOB_LITERAL = re.compile(r"[^*?\[\]]+")
_GLOB_BRACKET = re.compile(r"\[!?\]?[^\]]*\]")


FAMILY = "notification_status"
"""The status positions of notification calls: a function that passes its parameter on there
is a notification call too."""


@dataclass(frozen=True)
class _NotificationCall:
    pattern: CallPattern
    status_arg: int | None
    status_keyword: str | None


@dataclass(frozen=True)
class QueuedNotificationRule:
    follows_names = False

    spec: RuleSpec
    class_globs: tuple[str, ...]
    models: tuple[CallPattern, ...]
    kind_keyword: str
    terminal_kinds: frozenset[str]
    active_statuses: frozenset[str]
    calls: tuple[_NotificationCall, ...]
    known: Mapping[str, str]

    @classmethod
    def compile(cls, spec: RuleSpec, policy: Policy) -> QueuedNotificationRule:
        return cls(
            spec=spec,
            class_globs=lint_settings(policy).queued_notification_classes,
            models=tuple(CallPattern(name) for name in param_strings(spec, "models")),
            kind_keyword=str(spec.params.get("kind_keyword", "kind")),
            terminal_kinds=frozenset(param_strings(spec, "terminal_kinds")),
            active_statuses=frozenset(param_strings(spec, "active_statuses")),
            calls=tuple(
                _NotificationCall(CallPattern(c.call), c.status_arg, c.status_keyword)
                for c in lint_settings(policy).notification_calls
            ),
            known=param_mapping(spec, "known_constants"),
        )

    def needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        found: set[Needle] = set()
        for glob in self.class_globs:
            # A bracket expression is one character of a set, not text that must occur.
            literals = _GLOB_LITERAL.findall(_GLOB_BRACKET.sub("*", glob))
            if not literals:
                return None  # a glob like "*" matches any name: no text to look for
            # The class's name (or the imported name behind an alias) contains every literal
            # part of the glob; the longest is the most selective.
            found.add(Needle(max(literals, key=len), whole_word=glob == max(literals, key=len)))
        found |= words(m.last_segment for m in self.models)
        found |= words(c.pattern.last_segment for c in self.calls)
        return frozenset(found)

    def sink_family(self) -> tuple[str, tuple[SinkSpec, ...]] | None:
        return FAMILY, tuple(SinkSpec(c.pattern.call, c.status_arg, c.status_keyword) for c in self.calls)

    def statement_needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        return self.needles(context)

    def matcher(self, facts: FileFacts) -> _FileMatcher:
        return _FileMatcher(self, facts)

    def queued_class(self, names: Iterable[str]) -> str | None:
        for name in sorted(names):
            if any(fnmatchcase(name, glob) for glob in self.class_globs):
                return name
        return None


def _status_word(class_name: str) -> str:
    if "Queued" in class_name:
        return "queued"
    if any(word in class_name for word in ("Running", "Started", "Progress")):
        return "running"
    return "non-terminal"


def _written_name(expr: cst.BaseExpression) -> str | None:
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    return None


class _FileMatcher:
    def __init__(self, rule: QueuedNotificationRule, facts: FileFacts) -> None:
        self.rule = rule
        self.facts = facts
        self.calls: list[tuple[cst.Call, str | None]] = []

    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]:
        return {cst.Call: self._call}

    def _call(self, node: cst.Call) -> None:
        self.calls.append((node, self.facts.scope_key()))

    def _strings(self, expr: cst.BaseExpression, scope: str | None) -> list[str]:
        _, resolution = self.facts.resolve(expr, scope)
        return [value.text for value in resolution.values if value.pattern is None]

    def _class_name(self, expr: cst.BaseExpression, facts: FileFacts) -> str | None:
        written = _written_name(expr)
        if written is None:
            return None
        return self.rule.queued_class({written, *last_segments(facts.imports.qualified_names(expr))})

    def finish(self, facts: FileFacts) -> Iterable[Report]:
        rule = self.rule
        # Wrappers of a notification call are notification calls too (their callers are checked).
        senders = [
            *rule.calls,
            *(_NotificationCall(CallPattern(w.spec.call), w.spec.arg, w.spec.keyword) for w in facts.wrappers.get(FAMILY, ())),
        ]
        for call, scope in self.calls:
            name = self._class_name(call.func, facts)
            receiver = call.func.value if isinstance(call.func, cst.Attribute) else None
            sending_class = self._class_name(receiver, facts) if receiver is not None else None
            if name is not None:
                subject = f"{_written_name(call.func)}(...)"
                yield Report(call, rule.spec.format(subject=subject, status=_status_word(name)))
            elif sending_class is not None and receiver is not None and isinstance(call.func, cst.Attribute):
                # ``OperationRunQueued.dispatch(run)``: a class method that sends itself.
                subject = f"{_written_name(receiver)}.{call.func.attr.value}(...)"
                yield Report(call, rule.spec.format(subject=subject, status=_status_word(sending_class)))
            elif _written_name(call.func) not in _TYPE_CHECKS:
                for arg in call.args:
                    passed = self._class_name(arg.value, facts)
                    if passed is not None and not isinstance(arg.value, cst.Call):
                        subject = f"Passing {_written_name(arg.value)}"
                        yield Report(arg.value, rule.spec.format(subject=subject, status=_status_word(passed)))
            if any(facts.calls(model, call.func, scope) for model in rule.models):
                kind = argument(call, None, rule.kind_keyword)
                if kind is not None:
                    for value in self._strings(kind, scope):
                        if value not in rule.terminal_kinds:
                            subject = f"{_written_name(call.func)}({rule.kind_keyword}={value!r})"
                            yield Report(kind, rule.spec.format(subject=subject, status=value))
            for sender in senders:
                if facts.calls(sender.pattern, call.func, scope):
                    status = argument(call, sender.status_arg, sender.status_keyword)
                    if status is None:
                        continue
                    for value in self._strings(status, scope):
                        if value.lower() in rule.active_statuses:
                            subject = f"{_written_name(call.func)}(... {value!r})"
                            yield Report(status, rule.spec.format(subject=subject, status=value.lower()))
                    break


KINDS = (
    Kind(
        "queued_notification",
        {"models": is_strings, "kind_keyword": is_string, "terminal_kinds": is_strings, "active_statuses": is_strings},
        QueuedNotificationRule.compile,
    ),
)
