"""Which rules run, and at what severity: ``select``/``ignore`` prefixes, most specific wins.

As in ruff: ``select: [OPS]`` with ``ignore: [OPS9]`` runs everything but OPS9xx, and
``select: [OPS001]`` with ``ignore: [OPS]`` still runs OPS001 (the longer prefix is more
specific). On a tie, ignore wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from opsux_lint.findings import Severity
from opsux_lint.registry import RuleSpec

SELECTOR_RE = re.compile(r"^OPS[0-9]{0,3}$")


class SelectorError(ValueError):
    """A ``--select``/``--ignore`` value that is not a rule code or prefix, or matches no rule."""


def parse_selectors(raw: str, rules: Sequence[RuleSpec], option: str, *, allow_empty: bool = True) -> tuple[str, ...]:
    """A comma list from the command line, checked against the known rules.

    ``allow_empty=False`` (``--select``): a list that names nothing (``""``, ``",,,"``) would run
    no rule and pass every file, so it is an error, not a silent green run.
    """
    selectors = tuple(part.strip().upper() for part in raw.split(",") if part.strip())
    if not selectors and not allow_empty:
        raise SelectorError(f"{option}: {raw!r} names no rule; give codes or prefixes like OPS001 or OPS")
    for selector in selectors:
        if not SELECTOR_RE.fullmatch(selector):
            raise SelectorError(f"{option}: {selector!r} is not a rule code or prefix like OPS001 or OPS")
        if not any(rule.id.startswith(selector) for rule in rules):
            raise SelectorError(f"{option}: {selector!r} matches no rule (see --list-rules)")
    return selectors


def is_selected(code: str, select: Iterable[str], ignore: Iterable[str]) -> bool:
    best_select = max((len(s) for s in select if code.startswith(s)), default=-1)
    best_ignore = max((len(s) for s in ignore if code.startswith(s)), default=-1)
    return best_select > best_ignore


def select_rules(rules: Sequence[RuleSpec], select: Iterable[str], ignore: Iterable[str]) -> tuple[RuleSpec, ...]:
    select, ignore = tuple(select), tuple(ignore)
    return tuple(rule for rule in rules if is_selected(rule.id, select, ignore))


def unparsable_rule(rules: Sequence[RuleSpec], selected: Sequence[RuleSpec], ignore: Iterable[str], kind: str) -> RuleSpec | None:
    """The rule of ``kind`` (the parse-error rule) when ``selected`` leaves it out and no
    ``ignore`` selector names it: a file that holds a selected rule's needle but cannot be parsed
    is still reported with it (as ruff reports syntax errors whatever is selected), or the sink
    calls in it would pass unchecked and unmentioned."""
    rule = next((r for r in rules if r.kind == kind), None)
    if rule is None or rule in selected or any(rule.id.startswith(i) for i in ignore):
        return None
    return rule


def severity_for(rule: RuleSpec, overrides: Mapping[str, str]) -> Severity:
    """The rule's severity after the project's ``lint.severity`` (most specific key wins)."""
    matching = [key for key in overrides if rule.id.startswith(key)]
    if not matching:
        return rule.severity
    return Severity(overrides[max(matching, key=len)])
