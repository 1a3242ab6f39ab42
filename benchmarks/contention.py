"""Many worker processes racing on the same runs, on PostgreSQL: do the guarantees hold?

Each worker is its own process with its own engine (no shared Python state, as with Celery or RQ
workers on several machines). Released together by a barrier, every worker:

1. increments the counters of every shared run (in its own random order) and tries to complete
   some of them, then tries to complete all of them;
2. starts runs with the same identities as every other worker (dedupe);
3. tries to track() the same runs (one tracker per run);
4. reaps stale runs (seeded with a heartbeat two days old) twice;
5. as the peer, increments a separate set of runs the naive way (read the counts, add in Python,
   write them back), which is what the atomic UPDATE replaces.

Afterwards it checks: exactly one terminal notification per run with an initiator and none for
system runs; exactly one winner per completion, claim and reap; one active run per identity;
stored counters equal to the sum of the increments that succeeded. It prints the numbers, the
peer's lost updates, and exits 1 if any guarantee broke.

    python benchmarks/contention.py --db postgresql+psycopg://postgres@127.0.0.1/opsux [--workers 16] [--runs 1000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session

from opsux_core import Initiator, InvalidTransition, OperationRun, OperationRunService, RunNotification, policy_from_mapping
from opsux_core.errors import RunAlreadyClaimed
from opsux_core.models import Base

# Stale after 3 x 3600 s: only the runs seeded two days ago, however slow the machine makes the workers.
CONFIG = {"operation_types": {"inventory.sync": {"label": "Inventory sync", "expected_duration_seconds": 3600}}}
OUTCOMES = ["succeeded", "failed", "partially_succeeded", "cancelled"]


def engine_for(url: str, schema: str) -> Engine:
    return create_engine(url, connect_args={"options": f"-csearch_path={schema}"}, pool_size=2, max_overflow=0)


def seed(engine: Engine, runs: int, identities: int) -> dict[str, list[int]]:
    """The shared runs; every third is a system run (no initiator, so no notification)."""
    policy = policy_from_mapping(CONFIG)
    ids: dict[str, list[int]] = {"main": [], "track": [], "stale": [], "peer": []}
    long_ago = datetime.now(timezone.utc) - timedelta(days=2)
    with Session(engine) as session:
        service = OperationRunService(session, policy, autocommit=False)
        old = OperationRunService(session, policy, autocommit=False, clock=lambda: long_ago)
        for group, count in (("main", runs), ("track", max(1, runs // 10)), ("stale", max(1, runs // 10)), ("peer", max(1, runs // 10))):
            maker = old if group == "stale" else service
            for index in range(count):
                initiator = None if index % 3 == 2 else Initiator(f"user-{index % 7}", f"User {index % 7}")
                result = maker.start(f"tenant-{index % 10}", "inventory.sync", initiator=initiator, identity=f"{group}-{index}")
                ids[group].append(result.run.id)
        for run_id in ids["peer"]:
            service.mark_running(run_id)
        session.commit()
    return ids


def worker(index: int, url: str, schema: str, ids: dict[str, list[int]], identities: int, barrier: Any, results: Any) -> None:
    try:
        results.put(work(index, url, schema, ids, identities, barrier))
    except BaseException as exc:  # reported, so the parent never waits for a worker that died
        results.put({"error": f"worker {index}: {type(exc).__name__}: {exc}"})


def work(index: int, url: str, schema: str, ids: dict[str, list[int]], identities: int, barrier: Any) -> dict[str, Any]:
    rng = random.Random(index)
    engine = engine_for(url, schema)
    policy = policy_from_mapping(CONFIG)
    report: dict[str, Any] = {"increments": Counter(), "completed": [], "started": [], "tracked": [], "reaped": [], "peer": 0}
    try:
        with Session(engine) as session:
            service = OperationRunService(session, policy)
            barrier.wait(timeout=120)
            started = time.perf_counter()
            main = list(ids["main"])
            rng.shuffle(main)
            for run_id in main:
                try:
                    service.increment(run_id, processed=1, succeeded=1)
                    report["increments"][run_id] += 1
                except InvalidTransition:
                    pass
                if rng.random() < 0.25:
                    _complete(service, run_id, rng, report)
            for run_id in main:
                _complete(service, run_id, rng, report)
            for key in range(identities):
                initiator = Initiator(f"user-{index}", f"Worker {index}")
                result = service.start(f"tenant-{key % 10}", "inventory.sync", initiator=initiator, inputs={"key": key})
                report["started"].append((key, result.run.id, result.created))
            for run_id in rng.sample(ids["track"], len(ids["track"])):
                try:
                    with service.track(run_id) as job:
                        job.increment(processed=1)
                    report["tracked"].append(run_id)
                except (RunAlreadyClaimed, InvalidTransition):
                    pass
            for _ in range(2):
                report["reaped"] += [stale.run_id for stale in service.reap_stale()]
            for run_id in ids["peer"]:
                run = session.get(OperationRun, run_id, populate_existing=True)
                assert run is not None
                counts = dict(run.summary_counts)
                counts["processed"] = counts.get("processed", 0) + 1
                run.summary_counts = counts  # the naive read-modify-write
                session.commit()
                report["peer"] += 1
            report["seconds"] = time.perf_counter() - started
    finally:
        engine.dispose()
    report["increments"] = dict(report["increments"])
    return report


def _complete(service: OperationRunService, run_id: int, rng: random.Random, report: dict[str, Any]) -> None:
    try:
        service.complete(run_id, rng.choice(OUTCOMES))
        report["completed"].append(run_id)
    except InvalidTransition:
        pass


def verify(engine: Engine, ids: dict[str, list[int]], reports: list[dict[str, Any]], identities: int, workers: int) -> dict[str, Any]:
    problems: list[str] = []
    with Session(engine) as session:
        runs = {run.id: run for run in session.scalars(select(OperationRun))}
        notes = Counter(session.scalars(select(RunNotification.run_id)).all())
        active_per_identity = session.execute(
            select(OperationRun.tenant_id, OperationRun.identity_hash, func.count())
            .where(OperationRun.status.in_(["queued", "running"]))
            .group_by(OperationRun.tenant_id, OperationRun.identity_hash)
            .having(func.count() > 1)
        ).all()
    completed = Counter(run_id for r in reports for run_id in r["completed"])
    tracked = Counter(run_id for r in reports for run_id in r["tracked"])
    reaped = Counter(run_id for r in reports for run_id in r["reaped"])
    increments: Counter[int] = Counter()
    for r in reports:
        increments.update({int(k): v for k, v in r["increments"].items()})

    for run_id in ids["main"]:
        run = runs[run_id]
        if run.status != "completed" or completed[run_id] != 1:
            problems.append(f"run {run_id}: {run.status}, completed by {completed[run_id]} workers")
        if run.summary_counts.get("processed", 0) != increments[run_id]:
            problems.append(f"run {run_id}: processed {run.summary_counts.get('processed')} != {increments[run_id]} increments")
    for group, winners in (("track", tracked), ("stale", reaped)):
        for run_id in ids[group]:
            if winners[run_id] != 1:
                problems.append(f"{group} run {run_id}: won by {winners[run_id]} workers")
    for run_id in set(reaped) - set(ids["stale"]):
        problems.append(f"run {run_id} was reaped but had a recent heartbeat")
    for run_id in ids["stale"]:
        if (runs[run_id].failure_summary or {}).get("code") != "run.stale":
            problems.append(f"stale run {run_id}: {runs[run_id].failure_summary}")
    for run_id, run in runs.items():
        expected = 0 if run.initiator_id is None or run.status != "completed" else 1
        if notes[run_id] != expected:
            problems.append(f"run {run_id} ({'system' if run.initiator_id is None else 'initiator'}, {run.status}): {notes[run_id]} notifications")
    starts: dict[int, set[int]] = {}
    created = Counter()
    for r in reports:
        for key, run_id, was_created in r["started"]:
            starts.setdefault(key, set()).add(run_id)
            created[key] += int(was_created)
    for key in range(identities):
        if created[key] != 1 or len(starts[key]) != 1:
            problems.append(f"identity {key}: created {created[key]} times, {len(starts[key])} distinct runs")
    if active_per_identity:
        problems.append(f"{len(active_per_identity)} identities with more than one active run")
    peer_expected = workers * len(ids["peer"])
    peer_stored = sum(runs[run_id].summary_counts.get("processed", 0) for run_id in ids["peer"])
    with_initiator = sum(1 for run in runs.values() if run.initiator_id is not None and run.status == "completed")
    return {
        "workers": workers,
        "runs": len(ids["main"]),
        "completions_won": sum(completed.values()),
        "notifications": sum(notes.values()),
        "completed_runs_with_initiator": with_initiator,
        "notifications_to_system_runs": sum(notes[i] for i, run in runs.items() if run.initiator_id is None),
        "increments_applied": sum(increments.values()),
        "processed_stored": sum(runs[i].summary_counts.get("processed", 0) for i in ids["main"]),
        "identities": identities,
        "identity_runs_created": sum(created.values()),
        "tracked_runs": len(ids["track"]),
        "tracker_claims_won": sum(tracked.values()),
        "stale_runs": len(ids["stale"]),
        "reaped": sum(reaped.values()),
        "peer_increments": peer_expected,
        "peer_stored": peer_stored,
        "peer_lost": peer_expected - peer_stored,
        "seconds_max": round(max(r["seconds"] for r in reports), 2),
        "problems": problems,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=os.environ.get("OPSUX_DATABASE_URL") or os.environ.get("OPSUX_TEST_POSTGRES_URL"))
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--identities", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the workers")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if not args.db or not args.db.startswith("postgresql"):
        parser.error("--db must be a PostgreSQL URL (or set OPSUX_DATABASE_URL)")
    schema = f"opsux_contention_{os.getpid()}"
    admin = create_engine(args.db)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine = engine_for(args.db, schema)
    processes: list[Any] = []
    try:
        Base.metadata.create_all(engine)
        ids = seed(engine, args.runs, args.identities)
        ctx = multiprocessing.get_context("spawn")
        barrier, results = ctx.Barrier(args.workers), ctx.Queue()
        processes += [
            ctx.Process(target=worker, args=(i, args.db, schema, ids, args.identities, barrier, results))
            for i in range(args.workers)
        ]
        for process in processes:
            process.start()
        deadline = time.monotonic() + args.timeout
        reports = [results.get(timeout=max(1.0, deadline - time.monotonic())) for _ in processes]
        for process in processes:
            process.join(timeout=60)
        errors = [r["error"] for r in reports if "error" in r]
        if errors:
            print("\n".join(errors), file=sys.stderr)
            return 2
        summary = verify(engine, ids, reports, args.identities, args.workers)
    finally:
        for process in processes:
            if process.is_alive():  # only our own workers, by their handles
                process.terminate()
                process.join(timeout=10)
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()
    if args.json:
        print(json.dumps(summary))
    else:
        width = max(len(key) for key in summary)
        for key, value in summary.items():
            if key != "problems":
                print(f"{key.ljust(width)}  {value}")
        lost = summary["peer_lost"] / summary["peer_increments"] if summary["peer_increments"] else 0
        print(f"\nnaive read-modify-write lost {summary['peer_lost']} of {summary['peer_increments']} increments ({lost:.0%}); opsux lost 0")
        for problem in summary["problems"][:20]:
            print(f"PROBLEM: {problem}")
        print("all guarantees held" if not summary["problems"] else f"{len(summary['problems'])} problems")
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
