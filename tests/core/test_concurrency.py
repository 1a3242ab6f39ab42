"""Real concurrency: threads, each with its own connection, racing on one run.

On PostgreSQL these show the guarantees come from the database (row locks, the partial unique
index, arithmetic inside the UPDATE); SQLite runs them too, serialized by its write lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from opsux_core import Initiator, InvalidTransition, OperationRun, OperationRunService, Policy, RunNotification

WORKERS = 8
T = TypeVar("T")


def race(engine: Engine, policy: Policy, action: Callable[[OperationRunService, int], T]) -> list[T | BaseException]:
    """Run *action* in WORKERS threads released together by a barrier; collect results or errors."""
    barrier = threading.Barrier(WORKERS)

    def worker(index: int) -> T | BaseException:
        with Session(engine) as session:
            service = OperationRunService(session, policy)
            barrier.wait(timeout=30)
            try:
                return action(service, index)
            except Exception as exc:  # collected: the assertions say which errors are expected
                return exc

    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(worker, range(WORKERS)))


def test_concurrent_completes_write_exactly_one_notification(engine: Engine, policy: Policy) -> None:
    with Session(engine) as session:
        run_id = OperationRunService(session, policy).start("acme", "inventory.sync", initiator=Initiator("user-3", "Ada")).run.id

    outcomes = ["succeeded", "failed", "cancelled", "partially_succeeded"]
    results = race(engine, policy, lambda service, i: service.complete(run_id, outcomes[i % 4]))

    winners = [r for r in results if isinstance(r, RunNotification)]
    losers = [r for r in results if isinstance(r, InvalidTransition)]
    assert len(winners) == 1 and len(losers) == WORKERS - 1, results
    with Session(engine) as session:
        notes = session.scalars(select(RunNotification).where(RunNotification.run_id == run_id)).all()
        run = session.get(OperationRun, run_id)
        assert run is not None
        assert len(notes) == 1 and notes[0].recipient_id == "user-3"
        assert notes[0].ux_status == {"partially_succeeded": "partial"}.get(run.outcome, run.outcome)


def test_concurrent_identical_starts_create_one_run(engine: Engine, policy: Policy) -> None:
    def start(service: OperationRunService, i: int) -> tuple[bool, int, str | None]:
        result = service.start("acme", "inventory.sync", initiator=Initiator(f"user-{i}", f"User {i}"), inputs={"scope": "all"})
        return result.created, result.run.id, result.run.initiator_id

    results = race(engine, policy, start)
    assert not [r for r in results if isinstance(r, BaseException)], results
    created = [r for r in results if r[0]]  # type: ignore[index]
    assert len(created) == 1
    assert len({r[1] for r in results}) == 1  # type: ignore[index]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(OperationRun)) == 1
        run = session.scalars(select(OperationRun)).one()
        # Whoever won the insert is the initiator, and nobody replaced them afterwards.
        assert run.initiator_id == created[0][2]  # type: ignore[index]
        assert {r[2] for r in results} == {run.initiator_id}  # type: ignore[index]


def test_concurrent_increments_lose_nothing(engine: Engine, policy: Policy) -> None:
    with Session(engine) as session:
        service = OperationRunService(session, policy)
        run_id = service.start("acme", "inventory.sync", initiator=Initiator("user-3", "Ada")).run.id
        service.mark_running(run_id)

    per_worker = 25

    def bump(service: OperationRunService, index: int) -> int:
        for _ in range(per_worker):
            service.increment(run_id, processed=1, succeeded=index % 2, failed=1 - index % 2)
        return index

    results = race(engine, policy, bump)
    assert sorted(results) == list(range(WORKERS))  # type: ignore[type-var]
    with Session(engine) as session:
        run = session.get(OperationRun, run_id)
        assert run is not None
        assert run.summary_counts == {
            "processed": WORKERS * per_worker,
            "succeeded": WORKERS // 2 * per_worker,
            "failed": WORKERS // 2 * per_worker,
        }
