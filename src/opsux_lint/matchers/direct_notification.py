"""The file matcher of :mod:`opsux_lint.kinds.direct_notification` (libcst's half of the kind)."""

from __future__ import annotations

from collections.abc import Iterable

from opsux_lint.callees import CallPattern
from opsux_lint.kinds.direct_notification import DirectNotificationRule
from opsux_lint.matchers import CallCollector, FileFacts, Report
from opsux_lint.matchers.calls import argument
from opsux_lint.matchers.runs import exempt, last_name, strings_of


class DirectNotificationMatcher(CallCollector):
    def __init__(self, rule: DirectNotificationRule, facts: FileFacts) -> None:
        super().__init__(facts)
        self.rule = rule

    def _uses_opsux(self) -> bool:
        return any(
            name == package or name.startswith(f"{package}.")
            for name in self.facts.imports.imported_names()
            for package in self.rule.packages
        )

    def finish(self, facts: FileFacts) -> Iterable[Report]:
        rule = self.rule
        if not self.calls or exempt(facts, rule.owners) or not self._uses_opsux():
            return
        senders = [(CallPattern(c.call), c) for c in rule.calls]
        for call, scope in self.calls:
            name = last_name(call.func) or "this call"
            if any(facts.calls(model, call.func, scope) for model in rule.models):
                kind = argument(call, None, rule.kind_keyword)
                kinds = strings_of(facts, kind, scope) if kind is not None else None
                if kinds is not None and not set(kinds) <= rule.terminal_kinds:
                    continue  # a non-terminal notification: OPS002's finding
                yield Report(call, rule.spec.format(subject=f"Building {name}(...)"))
                continue
            for pattern, sender in senders:
                if not facts.calls(pattern, call.func, scope):
                    continue
                status = argument(call, sender.status_arg, sender.status_keyword)
                statuses = strings_of(facts, status, scope) if status is not None else None
                if statuses is not None and {s.lower() for s in statuses} & rule.active_statuses:
                    break  # a queued or running notification: OPS002's finding
                yield Report(call, rule.spec.format(subject=f"Calling {name}(...)"))
                break
