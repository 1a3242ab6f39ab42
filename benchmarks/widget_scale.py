"""How the progress widget, the reaper and the runs list scale with the number of runs (PostgreSQL).

Fills one schema per size with 10k, 100k and 1M runs over 10k tenants (1% active, spread over the
tenants; the rest completed; one tenant holds 1% of them), plus one busy tenant with 1,000 active
runs (a bulk operation), and vacuums and analyzes as autovacuum would (``--keep`` keeps the
schemas and reuses them on the next run). Then, the sizes in turn in ``--blocks`` blocks (so
machine noise hits every size alike), it times each API call against its peer - the exact
statement the API emitted, sent raw through the same pooled psycopg connection, interleaved call
by call - what the API cannot beat:

- ``progress_widget`` for random tenants that have an active run (the widget polls only while
  something is active): each call one request (its own transaction, ended inside the timing, for
  both, with ROLLBACK; and, in a loop of their own, with COMMIT, which keeps psycopg's prepared
  statements where ROLLBACK discards them), and in a request that already holds its connection;
  and for the busy tenant;
- ``list_runs`` (the operations index and ``opsux runs list``): the first page (50 runs) of a
  tenant that holds 1% of all runs, so its history grows with the table and the page does not;
  requests ending with ROLLBACK, and with COMMIT;
- ``reap_stale(dry_run=True)`` (the reaper's search over all active runs, as of the fill);

and prints p50/p95 in milliseconds, the ratios to the raw SQL, the client's CPU time per call,
the growth from size to size, the load average, and ``EXPLAIN (ANALYZE, BUFFERS)`` of each query,
with its values and as the generic plan a prepared statement runs. The widget must read the
partial indexes (``ix_operation_runs_tenant_active``) and ``list_runs`` must read
``ix_operation_runs_tenant_newest`` in order, without a sort; exit 1 if either does not.

    python benchmarks/widget_scale.py --db postgresql+psycopg://postgres@127.0.0.1/opsux [--sizes 10000,100000,1000000] [--keep]
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
from dataclasses import dataclass, field
from typing import Any

from psycopg import sql as psycopg_sql
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.orm import Session

from opsux_core import (
    OperationRunService,
    Viewer,
    list_runs,
    policy_from_mapping,
    progress_widget,
)
from opsux_core.models import ACTIVE_WHERE, Base, OperationRun

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
BUSY_RUNS = 1000
BUSY = """
INSERT INTO operation_runs (tenant_id, operation_type, status, outcome, initiator_id, initiator_name,
    identity_hash, summary_counts, context, created_at, updated_at, last_heartbeat_at)
SELECT :tenant, 'inventory.sync', 'running', 'pending', 'user-1', 'User 1', md5('busy' || g),
    '{"total": 10, "processed": 5}'::jsonb, '{}'::jsonb, now() - make_interval(secs => g), now(), now()
FROM generate_series(1, 1000) AS g
"""


@dataclass
class Samples:
    """Wall-clock and client-CPU milliseconds of each call of one operation."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def p50(self) -> float:
        return statistics.median(self.wall)

    def p95(self) -> float:
        ordered = sorted(self.wall)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]

    def cpu_mean(self) -> float:
        return statistics.fmean(self.cpu)


def timed(samples: Samples, action: Callable[[], Any]) -> None:
    cpu, wall = time.process_time(), time.perf_counter()
    action()
    samples.wall.append((time.perf_counter() - wall) * 1000)
    samples.cpu.append((time.process_time() - cpu) * 1000)


@dataclass(frozen=True)
class Emitted:
    """One statement exactly as the API sent it to the driver."""

    sql: str
    params: dict[str, Any]


def emitted(engine: Engine, action: Callable[[Session], Any]) -> list[Emitted]:
    """The statements *action* sends on a session of *engine* (BEGIN/ROLLBACK are not statements), with their parameters.

    Recorded on a copy of *engine* (``execution_options()``: the same pool, so the same connection
    and dialect, hence the same SQL text) that alone carries the listener. Once an engine has had a
    listener, SQLAlchemy dispatches events on every later connection, transaction and execution of
    it, even after the listener is removed: recording on the measured engine billed each API call
    for event dispatch that an app without listeners never pays, and the raw peer never pays.
    """
    probe = engine.execution_options()
    sent: list[Emitted] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append(Emitted(statement, dict(parameters or {})))

    event.listen(probe, "before_cursor_execute", record)
    with Session(probe) as session:
        action(session)
        session.rollback()
    return sent


def only(statements: list[Emitted], what: str) -> Emitted:
    if len(statements) != 1:
        raise SystemExit(f"{what} sent {len(statements)} statements, expected one")
    return statements[0]


KEYS = (
    "widget", "raw_sql", "commit_widget", "commit_raw_sql", "held_widget", "held_raw_sql",
    "busy_widget", "busy_raw_sql", "list_runs", "list_raw", "commit_list_runs", "commit_list_raw",
    "reap_dry_run", "reap_raw",
)  # fmt: skip


class SizeBench:
    """One table size: its engine, a session like a request's, and the raw peer on the same connection."""

    def __init__(self, engine: Engine, calls: int, rng: random.Random) -> None:
        self.engine = engine
        self.policy = policy_from_mapping(CONFIG)
        self.viewer = Viewer("user-1", True)
        runs = OperationRun.__table__
        with engine.connect() as conn:
            active_tenants = list(
                conn.scalars(select(runs.c.tenant_id).where(ACTIVE_WHERE, runs.c.tenant_id.not_in([BUSY_TENANT, LONG_TENANT])).distinct())
            )
            # The pool holds exactly this connection: the session checks it out for each API call,
            # and the raw peer sends the same SQL through the same psycopg connection in between
            # (sharing psycopg's prepared statements, as the same server process).
            self.pg = conn.connection.driver_connection
            # The reaper looks at the table as right after the fill (nothing stale: the common
            # case), whenever the schema was filled, so a kept schema measures the same search.
            self.now = conn.scalar(select(func.max(runs.c.last_heartbeat_at)))
        self.picks = [rng.choice(active_tenants) for _ in range(calls)]
        self.session = Session(engine)
        self.service = OperationRunService(self.session, self.policy)
        self.sql = {
            "widget": only(
                emitted(engine, lambda session: progress_widget(session, self.picks[0], self.viewer, self.policy)),
                "progress_widget",
            ),
            "list_runs": only(emitted(engine, lambda session: list_runs(session, LONG_TENANT, limit=50)), "list_runs"),
            "reap_dry_run": only(
                emitted(engine, lambda session: OperationRunService(session, self.policy).reap_stale(now=self.now, dry_run=True)),
                "reap_stale(dry_run=True)",
            ),
        }
        self.cursor = self.pg.cursor()
        self.results = {key: Samples() for key in KEYS}

    def close(self) -> None:
        self.cursor.close()
        self.session.close()
        self.engine.dispose()

    def widget(self, tenant: str, end: str = "rollback") -> None:
        progress_widget(self.session, tenant, self.viewer, self.policy)
        getattr(self.session, end)()

    def runs_list(self, end: str = "rollback") -> None:
        list_runs(self.session, LONG_TENANT, limit=50)
        getattr(self.session, end)()

    def reap(self) -> None:
        self.service.reap_stale(now=self.now, dry_run=True)  # an autocommit service ends its transaction itself

    def raw(self, statement: Emitted, end: str | None = "rollback", **params: Any) -> Callable[[], None]:
        def run() -> None:
            self.cursor.execute(statement.sql, {**statement.params, **params})
            self.cursor.fetchall()
            if end is not None:
                getattr(self.pg, end)()

        return run

    def run(self, picks: list[str]) -> None:
        """Time the API and its raw peer, interleaved call by call, for *picks* tenants."""
        r, sql = self.results, self.sql
        for tenant in picks:
            # Each call is one request: its own transaction, ended inside the timing, for the
            # API and its peer alike.
            timed(r["widget"], lambda: self.widget(tenant))
            timed(r["raw_sql"], self.raw(sql["widget"], tenant_id=tenant))
            timed(r["list_runs"], self.runs_list)
            timed(r["list_raw"], self.raw(sql["list_runs"]))
        # Inside a request that already holds its connection and transaction (it read the user,
        # say): what the widget call itself costs, without BEGIN and ROLLBACK.
        self.session.connection()
        for tenant in picks:
            timed(r["held_widget"], lambda: progress_widget(self.session, tenant, self.viewer, self.policy))
            timed(r["held_raw_sql"], self.raw(sql["widget"], end=None, tenant_id=tenant))
        self.session.rollback()
        # Requests that end their read-only transaction with COMMIT (it wrote nothing, so that
        # ends it as ROLLBACK would): psycopg discards its prepared statements at every ROLLBACK
        # of an open transaction, so a request ending in ROLLBACK has its query parsed and
        # planned by the server every time; one ending in COMMIT runs the prepared statement.
        # A loop of their own: a ROLLBACK in between would discard the statements again.
        for tenant in picks:
            timed(r["commit_widget"], lambda: self.widget(tenant, end="commit"))
            timed(r["commit_raw_sql"], self.raw(sql["widget"], end="commit", tenant_id=tenant))
            timed(r["commit_list_runs"], lambda: self.runs_list(end="commit"))
            timed(r["commit_list_raw"], self.raw(sql["list_runs"], end="commit"))
        for _ in range(max(1, len(picks) // 10)):
            timed(r["busy_widget"], lambda: self.widget(BUSY_TENANT))
            timed(r["busy_raw_sql"], self.raw(sql["widget"], tenant_id=BUSY_TENANT))
            timed(r["reap_dry_run"], self.reap)
            timed(r["reap_raw"], self.raw(sql["reap_dry_run"]))


def measure(benches: list[SizeBench], calls: int, blocks: int) -> None:
    """Warm every size up, then measure them in turn, a block of calls each, *blocks* times.

    Interleaving the sizes makes the growth from the smallest to the largest a comparison under
    the same machine conditions (a shared machine's load changes over minutes).
    """
    for bench in benches:
        bench.run(bench.picks[: max(50, calls // 5)])  # warms caches and psycopg's prepared statements
        bench.results = {key: Samples() for key in KEYS}
    step = max(1, calls // blocks)
    for block in range(blocks):
        order = benches[block % len(benches) :] + benches[: block % len(benches)]
        for bench in order:
            bench.run(bench.picks[block * step : (block + 1) * step])


def explain(engine: Engine, statement: Emitted, **params: Any) -> str:
    """EXPLAIN ANALYZE of the statement exactly as the API sent it (same text, same parameters)."""
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) {statement.sql}", {**statement.params, **params})
        plan = "\n".join(row[0] for row in cursor.fetchall())
        conn.rollback()
    return plan


def explain_generic(engine: Engine, statement: Emitted, **params: Any) -> str:
    """EXPLAIN ANALYZE of the generic plan: what runs once psycopg has prepared the statement
    (after five executions) and the server has switched to a plan made without the values."""
    names: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    prepared = re.sub(r"%\((\w+)\)s", placeholder, statement.sql)
    values = {**statement.params, **params}
    with engine.connect() as conn:
        cursor = conn.connection.driver_connection.cursor()
        cursor.execute("SET plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE opsux_explained AS {prepared}")
        arguments = psycopg_sql.SQL(", ").join(psycopg_sql.Literal(values[name]) for name in names)
        cursor.execute(psycopg_sql.SQL("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF) EXECUTE opsux_explained ({})").format(arguments))
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE opsux_explained")
        cursor.execute("RESET plan_cache_mode")
        conn.rollback()
    return plan


def reads_only_active_indexes(plan: str) -> bool:
    """The rows come from ix_operation_runs_tenant_active, the count from any partial index on active runs."""
    scans = re.findall(r"(Seq Scan|Index (?:Only )?Scan(?: Backward)? using \w+)", plan)
    return any("ix_operation_runs_tenant_active" in scan for scan in scans) and all(
        scan.endswith(PARTIAL_INDEXES) for scan in scans
    )


def fill(engine: Engine, tenants: int, size: int) -> None:
    with engine.begin() as conn:
        conn.execute(text(FILL), {"tenants": tenants, "first": 1, "last": size, "long_tenant": LONG_TENANT})
        conn.execute(text(BUSY), {"tenant": BUSY_TENANT})
    # As autovacuum would after a bulk load: fresh statistics, and a visibility map, so the
    # measurement is not of a table in the middle of being vacuumed.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE operation_runs")


def schema_engine(db: str, schema: str) -> Engine:
    # One pooled connection: the API's session and the raw peer share it (see measure).
    return create_engine(db, connect_args={"options": f"-csearch_path={schema}"}, pool_size=1, max_overflow=0)


def prepare(admin: Engine, db: str, schema: str, tenants: int, size: int) -> Engine:
    """An engine on *schema* holding *size* runs (+ the busy tenant's); a kept schema of that size is reused."""
    with admin.begin() as conn:
        exists = conn.scalar(text("SELECT to_regclass(:table)"), {"table": f"{schema}.operation_runs"}) is not None
        held = conn.scalar(text(f"SELECT count(*) FROM {schema}.operation_runs")) if exists else None
        if held == size + BUSY_RUNS:
            print(f"{size:>9,} runs: reusing schema {schema}", file=sys.stderr)
            return schema_engine(db, schema)
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = schema_engine(db, schema)
    Base.metadata.create_all(engine)
    started = time.perf_counter()
    fill(engine, tenants, size)
    print(f"{size:>9,} runs loaded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return engine


ROWS = (
    # title, API key, raw key
    ("progress_widget, a random tenant with an active run", "widget", "raw_sql"),
    ("progress_widget, a request ending with COMMIT (keeps psycopg's prepared statement)", "commit_widget", "commit_raw_sql"),
    ("progress_widget inside a request that already holds its connection (no BEGIN/ROLLBACK)", "held_widget", "held_raw_sql"),
    ("progress_widget, the busy tenant (1,000 active runs)", "busy_widget", "busy_raw_sql"),
    ("list_runs (runs list), a 50-run page of the tenant holding 1% of all runs", "list_runs", "list_raw"),
    ("list_runs, a request ending with COMMIT", "commit_list_runs", "commit_list_raw"),
    ("reap_stale(dry_run=True) over all active runs", "reap_dry_run", "reap_raw"),
)
GOAL_P95_MS = 1.0
GOAL_GROWTH = 1.5


def report(tenants: int, rows: list[tuple[int, dict[str, Samples]]]) -> list[str]:
    """Print the tables; return what misses the goals."""
    misses = []
    for title, api, raw in ROWS:
        print(f"\n{title} ({tenants:,} tenants, 1% of runs active)\n")
        print("| runs | API p50 / p95 ms | raw SQL p50 / p95 ms | API / raw p50, p95 | client CPU per call, API / raw ms |")
        print("| ---: | ---: | ---: | ---: | ---: |")
        for size, m in rows:
            a, r = m[api], m[raw]
            print(
                f"| {size:,} | {a.p50():.3f} / {a.p95():.3f} | {r.p50():.3f} / {r.p95():.3f} "
                f"| {a.p50() / r.p50():.2f}x, {a.p95() / r.p95():.2f}x | {a.cpu_mean():.3f} / {r.cpu_mean():.3f} |"
            )
        steps = " -> ".join(f"{size:,}" for size, _ in rows)
        for key in (api, raw):
            p50s = " -> ".join(f"x{m[key].p50() / rows[0][1][key].p50():.2f}" for _, m in rows)
            p95s = " -> ".join(f"x{m[key].p95() / rows[0][1][key].p95():.2f}" for _, m in rows)
            cpus = " -> ".join(f"x{m[key].cpu_mean() / rows[0][1][key].cpu_mean():.2f}" for _, m in rows)
            print(f"growth {steps}: {key} p50 {p50s}; p95 {p95s}; CPU {cpus}")
        last = rows[-1][1][api]
        if last.p95() > GOAL_P95_MS:
            misses.append(f"{api}: p95 {last.p95():.3f} ms at {rows[-1][0]:,} runs (goal <= {GOAL_P95_MS} ms)")
        growth = last.p95() / rows[0][1][api].p95()
        if len(rows) > 1 and growth > GOAL_GROWTH:
            misses.append(f"{api}: p95 grows x{growth:.2f} from {rows[0][0]:,} to {rows[-1][0]:,} runs (goal <= x{GOAL_GROWTH})")
    return misses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("OPSUX_DATABASE_URL") or os.environ.get("OPSUX_TEST_POSTGRES_URL"))
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--blocks", type=int, default=10, help="measure the sizes in turn, this many times")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the filled schemas (opsux_widget_scale_<size>) and reuse them on the next run instead of filling again",
    )
    args = parser.parse_args(argv)
    if not args.db or not args.db.startswith("postgresql"):
        parser.error("--db must be a PostgreSQL URL (or set OPSUX_DATABASE_URL)")
    sizes = [int(size) for size in args.sizes.split(",")]
    prefix = "opsux_widget_scale" if args.keep else f"opsux_widget_scale_{os.getpid()}"
    admin = create_engine(args.db)
    rng = random.Random(7)
    benches: list[SizeBench] = []
    try:
        for size in sizes:
            benches.append(SizeBench(prepare(admin, args.db, f"{prefix}_{size}", args.tenants, size), args.calls, rng))
        loads = [os.getloadavg()]
        measure(benches, args.calls, args.blocks)
        loads.append(os.getloadavg())
        rows = [(size, bench.results) for size, bench in zip(sizes, benches)]
        largest = benches[-1]
        with largest.engine.connect() as conn:
            # Page 101 of the long tenant's runs: a keyset page deep into its history.
            deep = conn.scalar(
                select(OperationRun.id).where(OperationRun.tenant_id == LONG_TENANT).order_by(OperationRun.id.desc()).offset(4999).limit(1)
            )
        page_101 = only(
            emitted(largest.engine, lambda session: list_runs(session, LONG_TENANT, limit=50, before_id=deep)), "list_runs"
        )
        sql = largest.sql
        tenant = sql["widget"].params["tenant_id"]
        plans = {
            f"progress_widget, {tenant} (one active run)": explain(largest.engine, sql["widget"]),
            "progress_widget, the busy tenant (1,000 active runs)": explain(largest.engine, sql["widget"], tenant_id=BUSY_TENANT),
            "list_runs, the long tenant's first page": explain(largest.engine, sql["list_runs"]),
            "list_runs, the long tenant's page 101 (before_id)": explain(largest.engine, page_101),
            "reap_stale(dry_run=True)": explain(largest.engine, sql["reap_dry_run"]),
        }
        # What the prepared statements run: the same indexes without the values at planning time.
        plans.update(
            {
                f"{title} - generic plan": explain_generic(largest.engine, statement)
                for title, statement in (
                    (f"progress_widget, {tenant} (one active run)", sql["widget"]),
                    ("list_runs, the long tenant's first page", sql["list_runs"]),
                    ("reap_stale(dry_run=True)", sql["reap_dry_run"]),
                )
            }
        )
        print(f"progress_widget sends, for each call:\n{sql['widget'].sql}\n", file=sys.stderr)
    finally:
        for bench in benches:
            bench.close()
        if not args.keep:
            with admin.begin() as conn:
                for size in sizes:
                    conn.execute(text(f"DROP SCHEMA IF EXISTS {prefix}_{size} CASCADE"))
        admin.dispose()

    print(
        f"cpus: {os.cpu_count()}; {args.calls} calls per size and query, the sizes interleaved in {args.blocks} blocks; "
        f"load average (1/5/15 min) {' / '.join(f'{value:.1f}' for value in loads[0])} before, "
        f"{' / '.join(f'{value:.1f}' for value in loads[1])} after; times in ms; CPU is the client process's (time.process_time)"
    )
    misses = report(args.tenants, rows)
    for title, plan in plans.items():
        print(f"\nEXPLAIN (ANALYZE, BUFFERS) {title}, at {sizes[-1]:,} runs:\n{plan}")
    widget_plans = [plan for title, plan in plans.items() if title.startswith("progress_widget")]
    list_plans = [plan for title, plan in plans.items() if title.startswith("list_runs")]
    problems = []
    if not all(reads_only_active_indexes(plan) for plan in widget_plans):
        problems.append("the widget query does not read its rows and its count from the partial indexes")
    if not all("ix_operation_runs_tenant_newest" in plan and "Sort" not in plan for plan in list_plans):
        problems.append("list_runs does not read ix_operation_runs_tenant_newest in order")
    print()
    print("\n".join(f"WARNING: {problem}" for problem in problems) or "the widget query reads partial indexes only; list_runs reads (tenant_id, id) in order")
    print("\n".join(f"goal missed: {miss}" for miss in misses) or "goals met: p95 <= 1 ms at the largest size, growth <= x1.5")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
