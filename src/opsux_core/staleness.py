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
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.sql.elements import ColumnElement

from opsux_core.models import OperationRun
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
    """SQL that holds for a run whose last heartbeat is older than ``now - (limit + grace)``.

    Types are grouped by limit (one OR term per distinct limit, not per type), and the loosest
    cutoff is repeated on its own so the planner can range-scan the partial heartbeat index.
    """
    by_limit: dict[int, list[str]] = defaultdict(list)
    for code in policy.operation_types:
        by_limit[stale_limit(policy, code)].append(code)
    heartbeat = OperationRun.last_heartbeat_at
    default_cutoff = now - timedelta(seconds=policy.runs.stale_after_seconds) - grace
    terms: list[ColumnElement[bool]] = [
        and_(OperationRun.operation_type.not_in(list(policy.operation_types)), heartbeat < default_cutoff)
    ]
    cutoffs = [default_cutoff]
    for limit, codes in by_limit.items():
        cutoff = now - timedelta(seconds=limit) - grace
        cutoffs.append(cutoff)
        terms.append(and_(OperationRun.operation_type.in_(codes), heartbeat < cutoff))
    return and_(heartbeat < max(cutoffs), or_(*terms))
