"""How the progress widget, the reaper and the runs list scale with the number of runs (PostgreSQL).

Fills a fresh schema with 10k, then 100k, then 1M runs over 10k tenants (1% active, spread over
the tenants; the rest completed; one tenant holds 1% of them), plus one busy tenant with 1,000
active runs (a bulk operation), vacuums and analyzes as autovacuum would, and after each step
measures:

- ``progress_widget`` through the API (session, query, presenter, links), against its peer: the
  same indexed SQL sent raw through the driver, no ORM - what the widget cannot beat; each call
  is one request, in its own transaction, for both; for random tenants that have an active run
  (the widget polls only while something is active), and for the busy tenant;
- ``list_runs`` (the operations index and ``opsux runs list``): the first page (50 runs) of a
  tenant that holds 1% of all runs, so its history grows with the table and the page does not;
- ``reap_stale(dry_run=True)`` (the reaper's search over all active runs);

and prints p50/p95 in milliseconds, the widget's ratio to the raw SQL, the growth from the
smallest to the largest size, the load average, and ``EXPLAIN`` of the widget query (it must use
the partial index ``ix_operation_runs_tenant_active``) and of ``list_runs`` (it must read
``ix_operation_runs_tenant_newest`` in order, without a sort); exit 1 if either does not.

    python benchmarks/widget_scale.py --db postgresql+psycopg://postgres@127.0.0.1/opsux [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from opsux_core import (
    OperationRunService,
    Viewer,
    list_runs,
    policy_from_mapping,
    progress_widget,
)
from opsux_core.models import ACTIVE_WHERE, Base, OperationRun
from opsux_core.queries import list_runs_statement
from opsux_core.widget import active_runs_statement

CONFIG = {"operation_types": {"inventory.sync": {"label": "Inventory sync", "expected_duration_seconds": 120}}}
FILL = """
INSERT INTO operation_runs (tenant_id, operation_type, status, outcome, initiator_id, initiator_name,
    identity_hash, summary_counts, context, created_at, updated_at, last_heartbeat_at)
SELECT CASE WHEN g % 100 = 50 THEN :long_tenant ELSE 'tenant-' || (g % CAST(:tenants AS bigint)) END, 'inventory.sync',
    CASE WHEN g % 101 = 0 THEN 'running' ELSE 'completed' END,
    CASE WHEN g % 101 = 0 THEN 'pending' ELSE 'succeeded' END,
    'user-' || (g % 50), 'User ' || (g % 50), md5(g::text),
    '{"total": 10, "processed": 5}'::jsonb, '{}'::jsonb,
    now() - make_interval(secs => g), now(), now()
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
"""
# Every 101st run is active: 101 and the tenant count share no factor, so the active runs spread
# over all tenants (every 100th would put them all in the tenants whose number ends in 00).
# One tenant holds 1% of all runs (100, 1k, 10k), so the runs list is timed on a page of the same
# 50 rows at every size while that tenant's history grows 100-fold.
LONG_TENANT = "tenant-long"
BUSY_TENANT = "tenant-busy"
PARTIAL_INDEXES = ("ix_operation_runs_tenant_active", "uq_operation_runs_active_identity")
BUSY = """
INSERT INTO operation_runs (tenant_id, operation_type, status, outcome, initiator_id, initiator_name,
    identity_hash, summary_counts, context, created_at, updated_at, last_heartbeat_at)
SELECT :tenant, 'inventory.sync', 'running', 'pending', 'user-1', 'User 1', md5('busy' || g),
    '{"total": 10, "processed": 5}'::jsonb, '{}'::jsonb, now() - make_interval(secs => g), now(), now()
FROM generate_series(1, 1000) AS g
"""


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def timed(action: Callable[[], Any], calls: int) -> list[float]:
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(engine: Engine, tenants: int, calls: int, rng: random.Random) -> dict[str, tuple[float, float]]:
    policy = policy_from_mapping(CONFIG)
    viewer = Viewer("user-1", True)
    compiled = active_runs_statement("T").compile(dialect=postgresql.dialect())
    raw_sql, raw_params = str(compiled), dict(compiled.params)
    runs = OperationRun.__table__
    with engine.connect() as conn:
        busy_tenants = list(
            conn.scalars(select(runs.c.tenant_id).where(ACTIVE_WHERE, runs.c.tenant_id.not_in([BUSY_TENANT, LONG_TENANT])).distinct())
        )
    picks = [rng.choice(busy_tenants) for _ in range(calls)]
    results: dict[str, list[float]] = {key: [] for key in ("widget", "raw_sql", "busy_widget", "busy_raw_sql", "list_runs", "reap_dry_run")}
    with Session(engine) as session, engine.raw_connection() as raw:  # type: ignore[attr-defined]
        cursor = raw.cursor()
        service = OperationRunService(session, policy)

        def widget(tenant: str) -> None:
            progress_widget(session, tenant, viewer, policy)
            session.rollback()

        def raw_widget(tenant: str) -> None:
            cursor.execute(raw_sql, {**raw_params, "tenant_id": tenant})
            cursor.fetchall()
            raw.rollback()

        for round_ in range(2):  # the first round warms caches and is thrown away
            for key in results:
                results[key].clear()
            for tenant in picks:
                # Each call is one request: its own transaction, ended inside the timing, for the
                # API and its peer alike; interleaved, so machine noise hits both the same.
                results["widget"] += timed(lambda: widget(tenant), 1)
                results["raw_sql"] += timed(lambda: raw_widget(tenant), 1)
                results["list_runs"] += timed(lambda: (list_runs(session, LONG_TENANT, limit=50), session.rollback()), 1)
            for _ in range(max(5, calls // 10)):
                results["busy_widget"] += timed(lambda: widget(BUSY_TENANT), 1)
                results["busy_raw_sql"] += timed(lambda: raw_widget(BUSY_TENANT), 1)
            results["reap_dry_run"] += timed(lambda: service.reap_stale(dry_run=True), max(5, calls // 20))
    return {key: percentiles(values) for key, values in results.items()}


def explain(engine: Engine, statement: Any) -> str:
    sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {sql}"))


def reads_only_active_indexes(plan: str) -> bool:
    """The rows come from ix_operation_runs_tenant_active, the count from any partial index on active runs."""
    scans = re.findall(r"(Seq Scan|Index (?:Only )?Scan(?: Backward)? using \w+)", plan)
    return any("ix_operation_runs_tenant_active" in scan for scan in scans) and all(
        scan.endswith(PARTIAL_INDEXES) for scan in scans
    )


def fill(engine: Engine, tenants: int, first: int, last: int) -> None:
    with engine.begin() as conn:
        conn.execute(text(FILL), {"tenants": tenants, "first": first, "last": last, "long_tenant": LONG_TENANT})
        if first == 1:
            conn.execute(text(BUSY), {"tenant": BUSY_TENANT})
    # As autovacuum would after a bulk load: fresh statistics, and a visibility map, so the
    # measurement is not of a table in the middle of being vacuumed.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE operation_runs")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("OPSUX_DATABASE_URL") or os.environ.get("OPSUX_TEST_POSTGRES_URL"))
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    if not args.db or not args.db.startswith("postgresql"):
        parser.error("--db must be a PostgreSQL URL (or set OPSUX_DATABASE_URL)")
    sizes = [int(size) for size in args.sizes.split(",")]
    schema = f"opsux_widget_scale_{os.getpid()}"
    admin = create_engine(args.db)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = create_engine(args.db, connect_args={"options": f"-csearch_path={schema}"})
    rng = random.Random(7)
    rows: list[tuple[int, float, dict[str, tuple[float, float]]]] = []
    plans: dict[str, str] = {}
    try:
        Base.metadata.create_all(engine)
        filled = 0
        for size in sizes:
            started = time.perf_counter()
            fill(engine, args.tenants, filled + 1, size)
            filled = size
            print(f"{size:>9,} runs loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            rows.append((size, os.getloadavg()[0], measure(engine, args.tenants, args.calls, rng)))
        with engine.connect() as conn:
            # Page 101 of the long tenant's runs: a keyset page deep into its history.
            deep = conn.scalar(
                select(OperationRun.id).where(OperationRun.tenant_id == LONG_TENANT).order_by(OperationRun.id.desc()).offset(4999).limit(1)
            )
        plans = {
            "widget query, a tenant with one active run": explain(engine, active_runs_statement("tenant-7")),
            "widget query, the busy tenant (1,000 active runs)": explain(engine, active_runs_statement(BUSY_TENANT)),
            "list_runs, the long tenant's first page": explain(engine, list_runs_statement(LONG_TENANT, 50)),
            "list_runs, the long tenant's page 101 (before_id)": explain(engine, list_runs_statement(LONG_TENANT, 50, before_id=deep)),
        }
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    print(
        f"| runs ({args.tenants:,} tenants, 1% active) | load avg | widget p50 / p95 ms | raw SQL p50 / p95 ms "
        "| widget / raw (p50) | list_runs, 50 of 1% of runs, p50 / p95 ms | reap dry run p50 / p95 ms |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, load, m in rows:
        print(
            f"| {size:,} | {load:.1f} | {m['widget'][0]:.2f} / {m['widget'][1]:.2f} | {m['raw_sql'][0]:.2f} / {m['raw_sql'][1]:.2f} "
            f"| {m['widget'][0] / m['raw_sql'][0]:.1f}x | {m['list_runs'][0]:.2f} / {m['list_runs'][1]:.2f} "
            f"| {m['reap_dry_run'][0]:.2f} / {m['reap_dry_run'][1]:.2f} |"
        )
    print("\n| runs | busy tenant (1,000 active): widget p50 / p95 ms | raw SQL p50 / p95 ms | widget / raw (p50) |")
    print("| ---: | ---: | ---: | ---: |")
    for size, _, m in rows:
        print(
            f"| {size:,} | {m['busy_widget'][0]:.2f} / {m['busy_widget'][1]:.2f} "
            f"| {m['busy_raw_sql'][0]:.2f} / {m['busy_raw_sql'][1]:.2f} | {m['busy_widget'][0] / m['busy_raw_sql'][0]:.1f}x |"
        )
    first, last = rows[0][2], rows[-1][2]
    print()
    for key in ("widget", "raw_sql", "list_runs", "reap_dry_run"):
        print(
            f"growth {rows[0][0]:,} -> {rows[-1][0]:,}: {key} p50 x{last[key][0] / first[key][0]:.2f}, "
            f"p95 x{last[key][1] / first[key][1]:.2f}"
        )
    for title, plan in plans.items():
        print(f"\nEXPLAIN ANALYZE ({title}):\n{plan}")
    widget_plans = [plan for title, plan in plans.items() if title.startswith("widget")]
    list_plans = [plan for title, plan in plans.items() if title.startswith("list_runs")]
    problems = []
    if not all(reads_only_active_indexes(plan) for plan in widget_plans):
        problems.append("the widget query does not read its rows and its count from the partial indexes")
    if not all("ix_operation_runs_tenant_newest" in plan and "Sort" not in plan for plan in list_plans):
        problems.append("list_runs does not read ix_operation_runs_tenant_newest in order")
    print()
    print("\n".join(f"WARNING: {problem}" for problem in problems) or "the widget query reads partial indexes only; list_runs reads (tenant_id, id) in order")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
