"""When an active run counts as crashed: no sign of life for longer than its type allows.

A worker killed mid-run (SIGKILL, OOM, a deploy) leaves its run active, and the active-run unique
index would then answer every later start of that operation with "already queued", forever. The
reaper (:meth:`OperationRunService.reap_stale`) fails such runs; this module says which they are.

A type's limit is its ``expected_duration_seconds`` x ``runs.stale_factor``, or
``runs.stale_after_seconds`` when it has no expected duration (types the catalog does not know too).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, literal, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from opsux_core.models import ACTIVE_WHERE, OperationRun
from opsux_core.policy import Policy

STALE = "run.stale"
"""The failure code of a run the reaper failed."""


@dataclass(frozen=True)
class StaleRun:
    """An active run without a heartbeat for longer than its limit (reaped, or found by a dry run)."""

    run_id: int
    tenant_id: str
    operation_type: str
    status: str
    last_heartbeat_at: datetime
    silent_seconds: int
    limit_seconds: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "tenant_id": self.tenant_id,
            "operation_type": self.operation_type,
            "status": self.status,
            "last_heartbeat_at": self.last_heartbeat_at.isoformat(),
            "silent_seconds": self.silent_seconds,
            "limit_seconds": self.limit_seconds,
        }

    @property
    def failure_message(self) -> str:
        return (
            f"no heartbeat for {self.silent_seconds} s (limit {self.limit_seconds} s); "
            "the worker stopped or crashed"
        )


def stale_limit(policy: Policy, operation_type: str) -> int:
    """Seconds without a heartbeat after which a run of *operation_type* counts as crashed."""
    entry = policy.operation_types.get(operation_type)
    if entry is not None and entry.expected_duration_seconds is not None:
        return math.ceil(entry.expected_duration_seconds * policy.runs.stale_factor)
    return policy.runs.stale_after_seconds


def stale_condition(policy: Policy, now: datetime, grace: timedelta) -> ColumnElement[bool]:
    """SQL that holds for a run whose last heartbeat is older than ``now - (limit + grace)``."""
    search = stale_search(policy)
    return _condition(search.groups, search.values(now, grace))


@dataclass(frozen=True)
class StaleSearch:
    """The reaper's search for one set of type limits: built once, the cutoffs bound per call.

    Types are grouped by limit (one OR term per distinct limit, not per type), and the loosest
    cutoff is repeated on its own so the planner can range-scan the partial heartbeat index.
    """

    groups: tuple[tuple[int, tuple[str, ...]], ...]
    """(limit in seconds, the registered types with that limit), in a stable order."""
    default_limit: int
    """``runs.stale_after_seconds``: the limit of types the catalog does not know."""
    statement: Select[Any]
    """The active runs past their limit, oldest heartbeat first, ``limit`` at most."""

    def values(self, now: datetime, grace: timedelta, limit: int | None = None) -> dict[str, Any]:
        default_cutoff = now - timedelta(seconds=self.default_limit) - grace
        values: dict[str, Any] = {"stale_cutoff_default": default_cutoff}
        for index, (seconds, _) in enumerate(self.groups):
            values[f"stale_cutoff_{index}"] = now - timedelta(seconds=seconds) - grace
        values["stale_cutoff_loosest"] = max(values.values())
        if limit is not None:
            values["stale_limit"] = limit
        return values


def stale_search(policy: Policy) -> StaleSearch:
    """The search for *policy*'s limits (the same statement object for the same limits)."""
    by_limit: dict[int, list[str]] = defaultdict(list)
    for code in policy.operation_types:
        by_limit[stale_limit(policy, code)].append(code)
    groups = tuple(sorted((seconds, tuple(sorted(codes))) for seconds, codes in by_limit.items()))
    return _build_search(groups, policy.runs.stale_after_seconds)


@lru_cache(maxsize=32)
def _build_search(groups: tuple[tuple[int, tuple[str, ...]], ...], default_limit: int) -> StaleSearch:
    # Built once per set of limits, not per call: constructing the statement and its cache key
    # cost several times the indexed query. The type codes are bound as plain parameters, not an
    # expanding IN, so the SQL text is the same on every call and is compiled (and prepared by
    # psycopg) once.
    runs = OperationRun.__table__
    heartbeat = runs.c.last_heartbeat_at
    statement = (
        select(runs.c.id, runs.c.tenant_id, runs.c.operation_type, runs.c.status, heartbeat)
        # The literal predicate of the partial heartbeat index, so a prepared (generic) plan can use it.
        .where(ACTIVE_WHERE, _condition(groups))
        .order_by(heartbeat, runs.c.id)
        .limit(bindparam("stale_limit", type_=Integer))
    )
    return StaleSearch(groups, default_limit, statement)


def _condition(
    groups: tuple[tuple[int, tuple[str, ...]], ...], values: dict[str, Any] | None = None
) -> ColumnElement[bool]:
    """The stale test; its cutoffs bound at execution, or to *values* (for a conditional UPDATE)."""
    runs = OperationRun.__table__
    heartbeat, operation_type = runs.c.last_heartbeat_at, runs.c.operation_type

    def cutoff(name: str) -> Any:
        return bindparam(name) if values is None else bindparam(name, values[name])

    known = [literal(code) for _, codes in groups for code in codes]
    unknown_type = operation_type.not_in(known) if known else true()
    terms: list[ColumnElement[bool]] = [and_(unknown_type, heartbeat < cutoff("stale_cutoff_default"))]
    for index, (_, codes) in enumerate(groups):
        terms.append(and_(operation_type.in_([literal(code) for code in codes]), heartbeat < cutoff(f"stale_cutoff_{index}")))
    return and_(heartbeat < cutoff("stale_cutoff_loosest"), or_(*terms))
