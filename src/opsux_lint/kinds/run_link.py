"""Matcher kind ``run_link``: a run URL spelt by hand instead of built by the link builder.

SPEC.md: run links come from one link builder, never hand-built URLs. The configured templates
(``links.run``, ``links.index``) become patterns: their literal text must appear as written and
each placeholder stands for one path segment. A string literal, or an f-string whose text and
placeholders line up with a template (``f"/admin/operations/{run.id}"``), is reported; so is one
used with ``%`` or ``.format``. An optional scheme and host (or a leading placeholder: a base
URL), a trailing slash, query or fragment are allowed around it.

Not reported: the link builders (``lint.link_builders``, opsux's ``RunLinks``), tests,
docstrings, and URL routes (strings in decorators and in the calls that declare routes, e.g.
Django's ``path``, Flask's ``add_url_rule``): the page's own address is no link to it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import libcst as cst

from opsux_core.policy import Policy
from opsux_lint.kinds import (
    FileFacts,
    Handler,
    Kind,
    NeedleContext,
    Report,
    is_strings,
    param_strings,
)
from opsux_lint.kinds.runs import (
    bare_string,
    exempt,
    last_name,
    literal_text,
    subtree_ids,
    whole_strings,
)
from opsux_lint.prefilter import Needle
from opsux_lint.registry import RuleSpec
from opsux_lint.settings import lint_settings

_HOLE = "\x00"
"""Stands for an f-string placeholder in the text that is matched."""
_SEGMENT = r"(?:\x00|[^/?#\x00\s]+)"
_AROUND_START = r"(?:\x00|[a-z][a-z0-9+.-]*://[^/\s]+)?"
_AROUND_END = r"/?(?:[?#][^\s]*)?"


@dataclass(frozen=True)
class _Template:
    which: str
    """``run`` or ``index``."""
    template: str
    pattern: re.Pattern[str]
    needle: str


def _compile(which: str, template: str) -> _Template | None:
    parts: list[str] = []
    literal = ""
    for text, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(text))
        literal += text
        if name is not None:
            parts.append(_SEGMENT)
            literal += "/"
    body = "".join(parts).rstrip("/") if template.endswith("/") else "".join(parts)
    segments = [s for s in literal.split("/") if s]
    if not segments:
        return None  # a template of placeholders and slashes matches any path: nothing to tell by
    return _Template(which, template, re.compile(f"{_AROUND_START}{body}{_AROUND_END}", re.IGNORECASE), max(segments, key=len))


@dataclass(frozen=True)
class RunLinkRule:
    follows_names = False

    spec: RuleSpec
    templates: tuple[_Template, ...]
    owners: tuple[str, ...]
    route_calls: frozenset[str]

    @classmethod
    def compile(cls, spec: RuleSpec, policy: Policy) -> RunLinkRule:
        templates = [_compile("run", policy.links.run), _compile("index", policy.links.index)]
        return cls(
            spec=spec,
            templates=tuple(t for t in templates if t is not None),
            owners=(*param_strings(spec, "owners"), *lint_settings(policy).link_builders),
            route_calls=frozenset(param_strings(spec, "route_calls")),
        )

    def needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        # The longest literal segment of each template is in every string that matches it.
        return frozenset(Needle(t.needle, whole_word=False) for t in self.templates)

    def statement_needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        return self.needles(context)  # the reported string holds the template's literal segment

    def matcher(self, facts: FileFacts) -> _Matcher:
        return _Matcher(self, facts)

    def match(self, text: str) -> _Template | None:
        return next((t for t in self.templates if t.pattern.fullmatch(text)), None)


def _shape(node: cst.CSTNode) -> str | None:
    """The text of a string literal or f-string, placeholders as one character."""
    text = literal_text(node)
    if text is not None:
        return text
    if isinstance(node, cst.FormattedString):
        return "".join(p.value if isinstance(p, cst.FormattedStringText) else _HOLE for p in node.parts)
    return None


class _Matcher:
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

    def _expr(self, node: cst.Expr) -> None:
        string = bare_string(node)
        if string is not None:
            self.skip_roots.append(string)

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


KINDS = (Kind("run_link", {"owners": is_strings, "route_calls": is_strings}, RunLinkRule.compile),)
