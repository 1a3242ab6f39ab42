"""The file matcher of :mod:`opsux_lint.kinds.run_link` (libcst's half of the kind)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import libcst as cst

from opsux_lint.kinds.run_link import RunLinkRule
from opsux_lint.matchers import (
    FileFacts,
    Handler,
    Report,
)
from opsux_lint.matchers.runs import (
    SkipsBareStrings,
    exempt,
    last_name,
    literal_text,
    subtree_ids,
    whole_strings,
)

_HOLE = "\x00"
"""Stands for an f-string placeholder in the text that is matched."""


def _shape(node: cst.CSTNode) -> str | None:
    """The text of a string literal or f-string, placeholders as one character."""
    text = literal_text(node)
    if text is not None:
        return text
    if isinstance(node, cst.FormattedString):
        return "".join(p.value if isinstance(p, cst.FormattedStringText) else _HOLE for p in node.parts)
    return None


class RunLinkMatcher(SkipsBareStrings):
    def __init__(self, rule: RunLinkRule, facts: FileFacts) -> None:
        self.rule = rule
        self.facts = facts
        self.strings: list[cst.CSTNode] = []
        self.skip_roots: list[cst.CSTNode] = []

    def handlers(self) -> Mapping[type[cst.CSTNode], Handler]:
        return {
            cst.SimpleString: self.strings.append,
            cst.FormattedString: self.strings.append,
            cst.ConcatenatedString: self.strings.append,
            cst.Decorator: self.skip_roots.append,
            cst.Call: self._call,
            cst.Expr: self._expr,
        }

    def _call(self, node: cst.Call) -> None:
        if last_name(node.func) in self.rule.route_calls:
            self.skip_roots.append(node)

    def finish(self, facts: FileFacts) -> Iterable[Report]:
        rule = self.rule
        if exempt(facts, rule.owners):
            return
        skipped = subtree_ids(self.skip_roots)
        for node in whole_strings(self.strings, skipped):
            text = _shape(node)
            matched = rule.match(text) if text else None
            if matched is None:
                continue
            instead = "RunLinks.run_url(run_id, tenant_id)" if matched.which == "run" else "RunLinks.index_url(tenant_id)"
            shown = " ".join(facts.tree.code_for_node(node).split())
            yield Report(node, rule.spec.format(
                code=shown if len(shown) <= 60 else shown[:57] + "...", which=matched.which,
                template=matched.template, instead=instead,
            ))
