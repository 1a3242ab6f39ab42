"""Matcher kind ``summary_counts``: a summary_counts key outside the whitelist, or a value that
is no count.

SPEC.md: summary_counts is a flat map of whitelisted key -> non-negative integer. Written in:

- ``summary_counts={...}`` of the run model and of the service's methods that take it
  (``OperationRunService.complete``);
- the keywords of the counting methods (``service.increment(run, processed=1)``,
  ``tracker.set_counts(total=10)``, ``**counts`` of a dict literal in the same function);
- a dict assigned to a run's ``.summary_counts``, and ``run.summary_counts["key"] = ...``.

Keys are resolved like operation types (constants, imports, enum members); a key that cannot
be known (``{name: 1}`` of a parameter) is not checked. A value is reported only when it is a
literal that is no non-negative integer (a string, a float, a boolean, None, a container, -1).
A misspelt key with one close whitelisted key is respelled by ``--fix``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsux_core.policy import Policy
from opsux_lint.kinds import (
    Kind,
    NeedleContext,
    is_string,
    is_strings,
    param_strings,
)
from opsux_lint.prefilter import Needle, words
from opsux_lint.registry import RuleSpec

if TYPE_CHECKING:
    from opsux_lint.matchers import FileFacts
    from opsux_lint.matchers.summary_counts import SummaryCountsMatcher

@dataclass(frozen=True)
class SummaryCountsRule:
    follows_names = True

    spec: RuleSpec
    keys: tuple[str, ...]
    keyword: str
    models: tuple[str, ...]
    takes_counts: frozenset[str]
    """Methods with a ``summary_counts=`` parameter."""
    counting: frozenset[str]
    """Methods whose keywords are counts."""
    owners: tuple[str, ...]
    trackers: frozenset[str]
    """Context managers whose ``as`` target counts (``with service.track(run) as tracker``)."""
    types_receivers = True

    @classmethod
    def compile(cls, spec: RuleSpec, policy: Policy) -> SummaryCountsRule:
        return cls(
            spec=spec,
            keys=policy.summary_keys,
            keyword=str(spec.params.get("keyword", "summary_counts")),
            models=param_strings(spec, "models"),
            takes_counts=frozenset(param_strings(spec, "takes_counts")),
            counting=frozenset(param_strings(spec, "counting")),
            owners=param_strings(spec, "owners"),
            trackers=frozenset(param_strings(spec, "trackers")),
        )

    def needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        return words({self.keyword, *(m.rsplit(".", 1)[-1] for m in self.counting)})

    def statement_needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        # Every report is in a call or write that names the keyword or a counting method; the
        # mapping and the run may be module-level locals (followed).
        return self.needles(context)

    def matcher(self, facts: FileFacts) -> SummaryCountsMatcher:
        # The matcher walks libcst's tree: imported only for a file that is parsed.
        from opsux_lint.matchers.summary_counts import SummaryCountsMatcher

        return SummaryCountsMatcher(self, facts)

    def suggest(self, key: str) -> str | None:
        import difflib  # for a finding's hint only

        close = difflib.get_close_matches(key, self.keys, n=2, cutoff=0.8)
        return close[0] if len(close) == 1 else None


KINDS = (
    Kind(
        "summary_counts",
        {
            "keyword": is_string, "models": is_strings, "takes_counts": is_strings, "counting": is_strings,
            "owners": is_strings, "trackers": is_strings,
        },
        SummaryCountsRule.compile,
    ),
)
