"""Matcher kind ``lifecycle_write``: a run's lifecycle columns written outside the run service.

SPEC.md: only the run service changes ``status`` and ``outcome``. The writes, on receivers known
to be runs (:mod:`.runs`) or on the run model:

- ``run.status = ...`` (also augmented, annotated and tuple targets) and ``setattr(run, "status", ...)``;
- ``update(OperationRun).values(status=...)`` (SQLAlchemy's ``update``, or ``OperationRun.__table__.update()``);
- ``session.query(OperationRun)....update({"status": ...})`` (keys as strings or ``OperationRun.status``);
- ``OperationRun(status="completed", ...)``: a run built in another state than the initial one;
- a string of SQL that updates the run table's lifecycle columns.

Files in ``lint.lifecycle_owners`` (and the rule's own ``owners``) and tests are exempt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from opsux_core.policy import Policy
from opsux_lint.kinds import (
    Kind,
    NeedleContext,
    is_string,
    is_string_mapping,
    is_strings,
    param_mapping,
    param_strings,
)
from opsux_lint.prefilter import Needle, words
from opsux_lint.registry import RuleSpec
from opsux_lint.settings import lint_settings

if TYPE_CHECKING:
    from opsux_lint.matchers import FileFacts
    from opsux_lint.matchers.lifecycle_write import LifecycleMatcher

# The calls that take a run's field as a string (``setattr(run, "status", ...)``, the keys of
# ``query(Run).update({...})`` and ``update(Run).values({...})``).
_STRING_FIELD_CALLS = ("setattr", "update", "values")


@dataclass(frozen=True)
class LifecycleRule:
    follows_names = True

    spec: RuleSpec
    fields: tuple[str, ...]
    models: tuple[str, ...]
    update_functions: frozenset[str]
    initial: Mapping[str, str]
    instead: Mapping[str, str]
    owners: tuple[str, ...]
    sql: re.Pattern[str]
    table: str
    types_receivers = True
    """Its needles are the names that type receivers (the engine computes them when asked)."""

    @classmethod
    def compile(cls, spec: RuleSpec, policy: Policy) -> LifecycleRule:
        fields = param_strings(spec, "fields")
        table = str(spec.params.get("table", "operation_runs"))
        columns = "|".join(re.escape(f) for f in fields)
        sql = re.compile(
            rf"\bUPDATE\s+[\"`\[]?(?:\w+[\"`\]]?\.[\"`\[]?)?{re.escape(table)}[\"`\]]?\s+SET\b[^;]*?[\s,\"`\[]({columns})[\"`\]]?\s*=",
            re.IGNORECASE | re.DOTALL,
        )
        return cls(
            spec=spec,
            fields=fields,
            models=param_strings(spec, "models"),
            update_functions=frozenset(param_strings(spec, "update_functions")),
            initial=param_mapping(spec, "initial"),
            instead=param_mapping(spec, "instead"),
            owners=(*param_strings(spec, "owners"), *lint_settings(policy).lifecycle_owners),
            sql=sql,
            table=table,
        )

    def needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        # A file can only know a run through names that type one (the model, the service, the
        # project's functions returning them: the receivers), and SQL names the table. A project
        # that names nothing of opsux has no receivers: its SQL still names the table.
        return words({*context.receivers, *(m.rsplit(".", 1)[-1] for m in self.models), self.table})

    def statement_needles(self, context: NeedleContext) -> frozenset[Needle] | None:
        # Every reported write names the field as code (``run.status =``, ``values(status=...)``)
        # or is a call that takes it as a string (``setattr``, ``.update({...})``, ``.values({...})``,
        # whose strings the resolver reads wherever they are written); SQL names the table. A
        # field written as data (``name='status'`` in a migration) keeps nothing.
        return words({*self.fields, *_STRING_FIELD_CALLS}) | words({self.table}, in_strings=True)

    def matcher(self, facts: FileFacts) -> LifecycleMatcher:
        # The matcher walks libcst's tree: imported only for a file that is parsed.
        from opsux_lint.matchers.lifecycle_write import LifecycleMatcher

        return LifecycleMatcher(self, facts)


KINDS = (
    Kind(
        "lifecycle_write",
        {
            "fields": is_strings,
            "models": is_strings,
            "table": is_string,
            "update_functions": is_strings,
            "initial": is_string_mapping,
            "instead": is_string_mapping,
            "owners": is_strings,
        },
        LifecycleRule.compile,
    ),
)
