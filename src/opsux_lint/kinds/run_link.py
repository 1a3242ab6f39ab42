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
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsux_core.policy import Policy
from opsux_lint.kinds import (
    Kind,
    NeedleContext,
    is_strings,
    param_strings,
)
from opsux_lint.prefilter import Needle
from opsux_lint.registry import RuleSpec
from opsux_lint.settings import lint_settings

if TYPE_CHECKING:
    from opsux_lint.matchers import FileFacts
    from opsux_lint.matchers.run_link import RunLinkMatcher

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

    def matcher(self, facts: FileFacts) -> RunLinkMatcher:
        # The matcher walks libcst's tree: imported only for a file that is parsed.
        from opsux_lint.matchers.run_link import RunLinkMatcher

        return RunLinkMatcher(self, facts)

    def match(self, text: str) -> _Template | None:
        return next((t for t in self.templates if t.pattern.fullmatch(text)), None)


KINDS = (Kind("run_link", {"owners": is_strings, "route_calls": is_strings}, RunLinkRule.compile),)
