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
from typing import TYPE_CHECKING

from opsux_core.policy import Policy
from opsux_lint.analysis import SinkSpec
from opsux_lint.callees import CallPattern
from opsux_lint.kinds import (
    Kind,
    NeedleContext,
    is_string,
    is_strings,
    param_mapping,
    param_strings,
)
from opsux_lint.prefilter import Needle, words
from opsux_lint.registry import RuleSpec
from opsux_lint.settings import lint_settings

if TYPE_CHECKING:
    from opsux_lint.matchers import FileFacts
    from opsux_lint.matchers.queued_notification import QueuedNotificationMatcher

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

    def matcher(self, facts: FileFacts) -> QueuedNotificationMatcher:
        # The matcher walks libcst's tree: imported only for a file that is parsed.
        from opsux_lint.matchers.queued_notification import QueuedNotificationMatcher

        return QueuedNotificationMatcher(self, facts)

    def queued_class(self, names: Iterable[str]) -> str | None:
        for name in sorted(names):
            if any(fnmatchcase(name, glob) for glob in self.class_globs):
                return name
        return None


KINDS = (
    Kind(
        "queued_notification",
        {"models": is_strings, "kind_keyword": is_string, "terminal_kinds": is_strings, "active_statuses": is_strings},
        QueuedNotificationRule.compile,
    ),
)
