"""Matcher kind ``direct_notification``: a module that works with runs and notifies by itself.

SPEC.md: the terminal notification is written by the run service through the notifier, once.
A module outside ``lint.notifier_modules`` that uses opsux (imports from one of ``packages``)
and sends a notification itself - a call in ``lint.notification_calls``, or builds the
notification model - is reported. What OPS002 reports (a queued or running notification) is
left to it: one problem, one finding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsux_core.policy import Policy
from opsux_lint.callees import CallPattern
from opsux_lint.kinds import (
    Kind,
    NeedleContext,
    is_string,
    is_strings,
    param_strings,
)
from opsux_lint.prefilter import Needle, words
from opsux_lint.registry import RuleSpec
from opsux_lint.settings import NotificationCall, lint_settings

if TYPE_CHECKING:
    from opsux_lint.matchers import FileFacts
    from opsux_lint.matchers.direct_notification import DirectNotificationMatcher


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

    def matcher(self, facts: FileFacts) -> DirectNotificationMatcher:
        from opsux_lint.matchers.direct_notification import (
            DirectNotificationMatcher,  # libcst: only to parse
        )

        return DirectNotificationMatcher(self, facts)


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
