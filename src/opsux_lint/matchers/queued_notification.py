"""The file matcher of :mod:`opsux_lint.kinds.queued_notification` (libcst's half of the kind)."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from opsux_lint.callees import CallPattern
from opsux_lint.kinds.queued_notification import (
    FAMILY,
    QueuedNotificationRule,
    _NotificationCall,
)
from opsux_lint.matchers import (
    CallCollector,
    FileFacts,
    Report,
)
from opsux_lint.matchers.calls import argument
from opsux_lint.names import last_segments

_TYPE_CHECKS = frozenset({"isinstance", "issubclass"})


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


class QueuedNotificationMatcher(CallCollector):
    def __init__(self, rule: QueuedNotificationRule, facts: FileFacts) -> None:
        super().__init__(facts)
        self.rule = rule

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
