"""Matcher kind ``direct_notification``: a module that works with runs and notifies by itself.

SPEC.md: the terminal notification is written by the run service through the notifier, once.
A module outside ``lint.notifier_modules`` that uses opsux (imports from one of ``packages``)
and sends a notification itself - a call in ``lint.notification_calls``, or builds the
notification model - is reported. What OPS002 reports (a queued or running notification) is
left to it: one problem, one finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import libcst as cst

from opsux_core.policy import Policy
from opsux_lint.callees import CallPattern, argument
from opsux_lint.kinds import (
    FileFacts,
    Handler,
    Kind,
    NeedleContext,
    Report,
    is_string,
    is_strings,
    param_strings,
)
from opsux_lint.kinds.runs import exempt, last_name, strings_of
from opsux_lint.prefilter import Needle, words
from opsux_lint.registry import RuleSpec
from opsux_lint.settings import NotificationCall, lint_settings


@dataclass(frozen=True)
class DirectNotificationRule:
    follows_names = False

    spec: RuleSpec
    packages: tuple[str, ...]
    models: tuple[CallPattern, ...]
    kind_keyword: str
    terminal_kinds: frozenset[str]
    active_statuses: frozenset[str]
    calls: tuple[NotificationCall, ...]
    owners: tuple[str, ...]

    @classmethod
    def compile(cls, spec: RuleSpec, policy: Policy) -> DirectNotificationRule:
        settings = lint_settings(policy)
        return cls(
            spec=spec,
            packages=param_strings(spec, "packages"),
            models=tuple(CallPattern(m) for m in param_strings(spec, "models")),
            kind_keyword=str(spec.params.get("kind_keyword", "kind")),
            terminal_kinds=frozenset(param_strings(spec, "terminal_kinds")),
            active_statuses=frozenset(param_strings(spec, "active_statuses")),
            calls=settings.notification_calls,
            owners=(*param_strings(spec, "owners"), *settings.notifier_modules),
        )

    def needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        # Both halves must be there: opsux is imported, and a sender is named.
        return words({m.last_segment for m in self.models} | {c.call.rsplit(".", 1)[-1] for c in self.calls})

    def statement_needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        return self.needles(context)  # the reported call names the sender or the model

    def matcher(self, facts: FileFacts) -> _Matcher:
        return _Matcher(self, facts)


class _Matcher:
    def __init__(self, rule: DirectNotificationRule, facts: FileFacts) -> None:
        self.rule = rule
        self.facts = facts
        self.calls: list[tuple[cst.Call, str | None]] = []

    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]:
        return {cst.Call: self._call}

    def _call(self, node: cst.Call) -> None:
        self.calls.append((node, self.facts.scope_key()))

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


KINDS = (
    Kind(
        "direct_notification",
        {
            "packages": is_strings,
            "models": is_strings,
            "kind_keyword": is_string,
            "terminal_kinds": is_strings,
            "active_statuses": is_strings,
            "owners": is_strings,
        },
        DirectNotificationRule.compile,
    ),
)
