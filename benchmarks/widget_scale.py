"""How the progress widget, the reaper and the runs list scale with the number of runs (PostgreSQL).

Fills a fresh schema with 10k, then 100k, then 1M runs over 10k tenants (1% active, the rest
completed), and after each step measures, for random tenants:

- ``progress_widget`` through the API (session, query, presenter, links), against its peer: the
  same indexed SQL sent raw through the driver, no ORM - what the widget cannot beat; each call
  is one request, in its own transaction, for both;
- ``list_runs`` (the operations index and ``opsux runs list``);
- ``reap_stale(dry_run=True)`` (the reaper's search over all active runs);

and prints p50/p95 in milliseconds, the widget's ratio to the raw SQL, the growth from the
smallest to the largest size, and ``EXPLAIN`` of the widget query (it must use the partial index
``ix_operation_runs_tenant_active``).

    python benchmarks/widget_scale.py --db postgresql+psycopg://postgres@127.0.0.1/opsux [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from opsux_core import OperationRunService, Viewer, list_runs, policy_from_mapping, progress_widget
from opsux_core.models import Base
from opsux_core.widget import active_runs_statement

CONFIG = {"operation_types": {"inventory.sync": {"label": "Inventory sync", "expected_duration_seconds": 120}}}
FILL = """
INSERT INTO operation_runs (tenant_id, operation_type, status, outcome, initiator_id, initiator_name,
    identity_hash, summary_counts, context, created_at, updated_at, last_heartbeat_at)
SELECT 'tenant-' || (g % CAST(:tenants AS bigint)), 'inventory.sync',
    CASE WHEN g % 100 = 0 THEN 'running' ELSE 'completed' END,
    CASE WHEN g % 100 = 0 THEN 'pending' ELSE 'succeeded' END,
    'user-' || (g % 50), 'User ' || (g % 50), md5(g::text),
    '{"total": 10, "processed": 5}'::jsonb, '{}'::jsonb,
    now() - make_interval(secs => g), now(), now()
FROM generate_series(CAST(:first AS bigint), CAST(:last AS bigint)) AS g
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
    picks = [f"tenant-{rng.randrange(tenants)}" for _ in range(calls)]
    results: dict[str, list[float]] = {"widget": [], "raw_sql": [], "list_runs": [], "reap_dry_run": []}
    with Session(engine) as session, engine.raw_connection() as raw:  # type: ignore[attr-defined]
        cursor = raw.cursor()
        service = OperationRunService(session, policy)
        for round_ in range(2):  # the first round warms caches and is thrown away
            for key in results:
                results[key].clear()
            for tenant in picks:
                # Each call is one request: its own transaction, ended inside the timing, for the
                # API and its peer alike; interleaved, so machine noise hits both the same.
                results["widget"] += timed(lambda: (progress_widget(session, tenant, viewer, policy), session.rollback()), 1)
                results["raw_sql"] += timed(
                    lambda: (cursor.execute(raw_sql, {**raw_params, "tenant_id": tenant}), cursor.fetchall(), raw.rollback()), 1
                )
                results["list_runs"] += timed(lambda: (list_runs(session, tenant, limit=50), session.rollback()), 1)
            results["reap_dry_run"] += timed(lambda: service.reap_stale(dry_run=True), max(5, calls // 20))
    return {key: percentiles(values) for key, values in results.items()}


def explain(engine: Engine) -> str:
    statement = active_runs_statement("tenant-7")
    sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))


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
    rows: list[tuple[int, dict[str, tuple[float, float]]]] = []
    plan = ""
    try:
        Base.metadata.create_all(engine)
        filled = 0
        for size in sizes:
            started = time.perf_counter()
            with engine.begin() as conn:
                conn.execute(text(FILL), {"tenants": args.tenants, "first": filled + 1, "last": size})
                conn.exec_driver_sql("ANALYZE operation_runs")
            filled = size
            print(f"{size:>9,} runs loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
            rows.append((size, measure(engine, args.tenants, args.calls, rng)))
        plan = explain(engine)
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()

    print(f"| runs ({args.tenants:,} tenants, 1% active) | widget p50 / p95 ms | raw SQL p50 / p95 ms | widget / raw (p50) | list_runs p50 / p95 ms | reap dry run p50 / p95 ms |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, m in rows:
        print(
            f"| {size:,} | {m['widget'][0]:.2f} / {m['widget'][1]:.2f} | {m['raw_sql'][0]:.2f} / {m['raw_sql'][1]:.2f} "
            f"| {m['widget'][0] / m['raw_sql'][0]:.1f}x | {m['list_runs'][0]:.2f} / {m['list_runs'][1]:.2f} "
            f"| {m['reap_dry_run'][0]:.2f} / {m['reap_dry_run'][1]:.2f} |"
        )
    first, last = rows[0][1], rows[-1][1]
    for key in ("widget", "list_runs", "reap_dry_run"):
        print(f"growth {rows[0][0]:,} -> {rows[-1][0]:,}: {key} p95 x{last[key][1] / first[key][1]:.2f}")
    print("\nEXPLAIN (widget query):\n" + plan)
    uses_index = "ix_operation_runs_tenant_active" in plan
    print("\nthe widget query uses the partial index" if uses_index else "\nWARNING: the widget query does not use the partial index")
    return 0 if uses_index else 1


if __name__ == "__main__":
    sys.exit(main())
