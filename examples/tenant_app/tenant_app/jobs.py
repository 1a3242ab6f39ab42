"""The worker side: jobs report progress through ``service.track(run)``.

``track`` marks the run running, lets the job count what it did, and completes the run from what
happened (an exception fails it). The terminal notification to the initiator is written by the
service in the same transaction; jobs never notify anyone themselves.
"""

from __future__ import annotations

import queue

from opsux_core import OperationRun

from tenant_app.legacy import send_db_notification
from tenant_app.operations import service_for
from tenant_app.settings import new_session

# Stands in for Celery/RQ: the app only needs "put the run id somewhere a worker picks it up".
_QUEUE: queue.Queue[tuple[str, int]] = queue.Queue()


def enqueue_inventory_sync(run: OperationRun) -> None:
    _QUEUE.put(("inventory_sync", run.id))


def enqueue_backup(run: OperationRun) -> None:
    _QUEUE.put(("backup", run.id))


def enqueue_bulk_delete(run: OperationRun) -> None:
    _QUEUE.put(("bulk_delete", run.id))


def inventory_sync(run_id: int, items: list[dict[str, object]]) -> None:
    with new_session() as session:
        service = service_for(session)
        with service.track(run_id) as tracker:
            tracker.set_counts(total=len(items))
            for item in items:
                if item.get("sku"):
                    tracker.increment(processed=1, succeeded=1)
                else:
                    tracker.increment(processed=1, failed=1)


def bulk_delete(run_id: int, record_ids: list[int], delete: object) -> None:
    with new_session() as session:
        service = service_for(session)
        with service.track(run_id) as tracker:
            tracker.set_counts(total=len(record_ids))
            for record_id in record_ids:
                if callable(delete) and delete(record_id):
                    tracker.increment(processed=1, deleted=1)
                else:
                    tracker.increment(processed=1, skipped=1)


def abandon(run_id: int) -> None:
    """An admin's "give up on this run" button, written before the service had ``cancel``."""
    with new_session() as session:
        run = session.get(OperationRun, run_id)
        if run is None:
            return
        # deliberate: OPS003 - a hand-set status skips the terminal transition (no notification,
        # no completed_at); OperationRunService.cancel(run) is the one way to do this.
        run.status = "completed"
        # deliberate: OPS004 - the service already notifies the initiator when the run completes.
        send_db_notification(run.initiator_id or "", run.id, "completed")
        session.commit()


def import_rows(run_id: int, rows: list[dict[str, object]]) -> None:
    with new_session() as session:
        service = service_for(session)
        with service.track(run_id) as tracker:
            # deliberate: OPS005 - "rows" is no summary key; nobody would ever see this count.
            tracker.set_counts(total=len(rows), rows=len(rows))
