"""Property tests (hypothesis): the widget over random runs, and what summary_counts writes accept."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from opsux_core import (
    InvalidSummaryCounts,
    OperationRun,
    OperationRunService,
    Policy,
    RunNotification,
    Viewer,
    progress_widget,
    validate_summary_counts,
)
from opsux_core.policy import DEFAULT_SUMMARY_KEYS
from opsux_core.summary import MAX_COUNT
from opsux_core.widget import MAX_ROWS

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
# Look-alikes of acme too: another case, a trailing space, LIKE wildcards, a path separator; each is
# another tenant, and none may see acme's runs or be seen by it.
TENANTS = ["acme", "globex", "initech", "ACME", "acme ", "acm_", "acme%", "acme/x"]
LABELS = {"inventory.sync": "Inventory sync", "directory.import": "Directory import"}
# Every (status, outcome) pair the schema allows.
STATES = [("queued", "pending"), ("running", "pending")] + [
    ("completed", outcome) for outcome in ("succeeded", "partially_succeeded", "failed", "cancelled")
]
DB_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

run_rows = st.lists(
    st.tuples(
        st.sampled_from(TENANTS),
        st.sampled_from(STATES),
        st.one_of(st.none(), st.sampled_from(["user-1", "user-2", "user-3"])),
        st.integers(min_value=0, max_value=3600),  # created this many seconds after T0
        st.sampled_from(["inventory.sync", "directory.import", "legacy.unknown"]),
        st.one_of(
            st.just({}),
            st.fixed_dictionaries({"total": st.integers(0, 50), "processed": st.integers(0, 60)}),
            st.fixed_dictionaries({"processed": st.integers(0, 5), "succeeded": st.integers(0, 5)}),
        ),
    ),
    max_size=30,
)


def expected_progress(status: str, counts: dict[str, int]) -> int | None:
    if status != "running" or not counts.get("total") or "processed" not in counts:
        return None
    return min(100, counts["processed"] * 100 // counts["total"])


@DB_SETTINGS
@given(rows=run_rows, tenant=st.sampled_from(TENANTS), can_monitor=st.booleans())
def test_the_widget_shows_only_the_tenants_active_runs_at_most_five_and_counts_the_rest(
    engine: Engine, policy: Policy, rows: list[tuple[Any, ...]], tenant: str, can_monitor: bool
) -> None:
    with Session(engine) as session:
        session.execute(delete(RunNotification))
        session.execute(delete(OperationRun))
        runs = [
            OperationRun(
                tenant_id=row_tenant,
                operation_type=operation_type,
                status=status,
                outcome=outcome,
                initiator_id=initiator,
                initiator_name=initiator or "System",
                identity_hash=f"h{index}",
                summary_counts=counts,
                context={},
                created_at=T0 + timedelta(seconds=offset),
                updated_at=T0,
            )
            for index, (row_tenant, (status, outcome), initiator, offset, operation_type, counts) in enumerate(rows)
        ]
        session.add_all(runs)
        session.commit()
        widget = progress_widget(session, tenant, Viewer("user-9", can_monitor), policy)

        if not can_monitor:
            assert not widget.visible and widget.rows == () and widget.more_count == 0
            return
        active = sorted(
            (run for run in runs if run.tenant_id == tenant and run.status in ("queued", "running")),
            key=lambda run: (run.created_at, run.id),
            reverse=True,
        )
        shown = [row.run_id for row in widget.rows]
        assert shown == [run.id for run in active[:MAX_ROWS]]  # the tenant's newest active runs, nobody else's
        escaped = quote(tenant, safe="")
        assert [
            (row.label, row.status.value, row.status_label, row.progress, row.url, row.initiator_name, row.created_at)
            for row in widget.rows
        ] == [
            (
                LABELS.get(run.operation_type, "Unknown operation"),
                run.status,
                run.status.capitalize(),
                expected_progress(run.status, run.summary_counts),
                f"/t/{escaped}/operations/{run.id}",
                run.initiator_name,
                run.created_at,
            )
            for run in active[:MAX_ROWS]
        ]
        assert len(widget.rows) <= MAX_ROWS
        assert {row.status.value for row in widget.rows} <= {"queued", "running"}
        assert widget.more_count == max(0, len(active) - MAX_ROWS)
        assert widget.more_label == (f"+{widget.more_count} more" if widget.more_count else None)
        assert (widget.poll_after_seconds is None) == (not active)
        assert widget.more_url == (f"/t/{escaped}/operations" if widget.more_count else None)


# ----------------------------------------------------------------------------- summary_counts writes

whitelisted = st.sampled_from(DEFAULT_SUMMARY_KEYS)
any_value = st.one_of(
    st.integers(min_value=-(2**64), max_value=2**64),
    st.integers(min_value=MAX_COUNT - 2, max_value=MAX_COUNT + 2),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=5),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
any_key = st.one_of(whitelisted, st.text(max_size=10), st.integers())


def acceptable(counts: dict[Any, Any]) -> bool:
    return all(
        key in DEFAULT_SUMMARY_KEYS and type(value) is int and 0 <= value <= MAX_COUNT for key, value in counts.items()
    )


@settings(max_examples=400, deadline=None)
@given(counts=st.dictionaries(any_key, any_value, max_size=4))
def test_writes_accept_exactly_whitelisted_non_negative_integers_up_to_the_cap(counts: dict[Any, Any]) -> None:
    if acceptable(counts):
        assert validate_summary_counts(counts) == counts
    else:
        with pytest.raises(InvalidSummaryCounts):
            validate_summary_counts(counts)


@DB_SETTINGS
@given(counts=st.dictionaries(any_key, any_value, min_size=1, max_size=3))
def test_the_service_stores_accepted_counts_exactly_and_nothing_of_refused_ones(
    engine: Engine, policy: Policy, counts: dict[Any, Any]
) -> None:
    with Session(engine) as session:
        service = OperationRunService(session, policy)
        run_id = service.start("acme", "inventory.sync", identity=repr(counts)).run.id
        service.mark_running(run_id)
        service.set_counts(run_id, processed=1)
        if acceptable(counts):
            service.set_counts(run_id, **counts)
            stored = service.increment(run_id, processed=0).summary_counts
            assert stored == {"processed": 1, **counts}
            assert all(type(value) is int and not math.isnan(value) for value in stored.values())
        else:
            with pytest.raises((InvalidSummaryCounts, TypeError)):
                service.set_counts(run_id, **counts)
            assert service.increment(run_id, processed=0).summary_counts == {"processed": 1}
        service.cancel(run_id)
