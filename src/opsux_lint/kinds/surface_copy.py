"""Matcher kind ``surface_copy``: user-facing text built from a raw operation type, and the
presenter's canonical phrases written by hand.

SPEC.md: people see the catalog's label, never the raw type string; all copy of the three
surfaces comes from one presenter. Reported outside ``lint.presenter_modules``:

- an f-string, ``%`` or ``.format`` that interpolates ``.operation_type`` of a known run
  (:mod:`.runs`), or a value that resolves to registered operation types only;
- a string literal equal to one of the presenter's phrases (``"View run"``), also the phrases
  made from a registered label (``"Inventory sync queued"``).

Text that is no copy is left alone: log calls, exceptions, asserts, docstrings, tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsux_core.catalog import OperationCatalog
from opsux_core.policy import Policy
from opsux_lint.analysis import Resolver
from opsux_lint.kinds import (
    Kind,
    NeedleContext,
    is_string,
    is_strings,
    param_strings,
)
from opsux_lint.prefilter import Needle, words
from opsux_lint.registry import RuleSpec
from opsux_lint.settings import lint_settings

if TYPE_CHECKING:
    from opsux_lint.matchers import FileFacts
    from opsux_lint.matchers.surface_copy import SurfaceCopyMatcher

@dataclass(frozen=True)
class SurfaceCopyRule:
    follows_names = True

    spec: RuleSpec
    attribute: str
    models: tuple[str, ...]
    phrases: frozenset[str]
    catalog: OperationCatalog
    not_copy: frozenset[str]
    owners: tuple[str, ...]
    types_receivers = True

    @classmethod
    def compile(cls, spec: RuleSpec, policy: Policy) -> SurfaceCopyRule:
        labels = [t.label for t in policy.catalog]
        phrases = set(param_strings(spec, "phrases"))
        for template in param_strings(spec, "label_phrases"):
            phrases.update(template.format(label=label) for label in labels)
        return cls(
            spec=spec,
            attribute=str(spec.params.get("attribute", "operation_type")),
            models=param_strings(spec, "models"),
            phrases=frozenset(phrases),
            catalog=policy.catalog,
            not_copy=frozenset(param_strings(spec, "not_copy")),
            owners=(*param_strings(spec, "owners"), *lint_settings(policy).presenter_modules),
        )

    def needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        # The attribute; a phrase as a whole literal, blanks around it allowed, or its first
        # words as the first piece of an implicit concatenation (``"Inventory sync " "queued"``:
        # split between words); a registered type's code as a whole literal (a constant the copy
        # interpolates). A type interpolated through a constant imported from another module is
        # found only in files that also hold one of these (the prefilter cannot follow imports);
        # --exhaustive finds the rest.
        pieces = {" ".join(p.split()[:n]) for p in self.phrases for n in range(1, len(p.split()) + 1)}
        return (
            words({self.attribute})
            | frozenset(Needle(t, whole_word=False, quoted="piece") for t in pieces)
            | frozenset(Needle(t.code, whole_word=False, quoted="whole") for t in self.catalog)
        )

    def statement_needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        # A phrase, the attribute or a type's code is written where it is reported, or in the
        # module-level constant the copy interpolates (followed); imported constants are
        # :meth:`module_needles`.
        return self.needles(context)

    def module_needles(self, resolver: Resolver, module: str) -> frozenset[str]:
        """The names ``module`` imports that hold registered types only (``SYNC``) or are
        classes with a member that holds one (``Kind`` of ``Kind.EXPORT``): the copy that
        interpolates them names no needle of its own."""
        found: set[str] = set()
        for name in resolver.imported_names(module):
            resolution = resolver.resolve(["n", name], module)
            if resolution.values and not resolution.unknowns:
                if all(v.pattern is None and v.text in self.catalog for v in resolution.values):
                    found.add(name)
            elif any(text in self.catalog for text in resolver.class_strings(["n", name], module)):
                found.add(name)
        return frozenset(found)

    def matcher(self, facts: FileFacts) -> SurfaceCopyMatcher:
        # The matcher walks libcst's tree: imported only for a file that is parsed.
        from opsux_lint.matchers.surface_copy import SurfaceCopyMatcher

        return SurfaceCopyMatcher(self, facts)


KINDS = (
    Kind(
        "surface_copy",
        {
            "attribute": is_string, "models": is_strings, "phrases": is_strings,
            "label_phrases": is_strings, "not_copy": is_strings, "owners": is_strings,
        },
        SurfaceCopyRule.compile,
    ),
)
