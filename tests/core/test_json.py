"""The JSON surface: every value an endpoint returns serializes with json.dumps, datetimes in ISO 8601."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from sqlalchemy.orm import Session

from opsux_core import Initiator, OperationRunService, Policy, Viewer, progress_widget
from opsux_core.notifier import Delivery, Notifier

ADA = Initiator(id="user-3", name="Ada")
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def roundtrip(value: dict[str, object]) -> dict[str, object]:
    decoded: dict[str, object] = json.loads(json.dumps(value, allow_nan=False))
    assert decoded == value  # nothing lost or coerced on the way
    return decoded


def test_start_result_toast_and_run(session: Session, policy: Policy) -> None:
    service = OperationRunService(session, policy, clock=lambda: T0)
    result = service.start("acme", "inventory.sync", initiator=ADA, inputs={"scope": "all"})
    data = roundtrip(result.to_dict())
    assert data == {
        "created": True,
        "toast": {"title": "Inventory sync queued", "body": "Running in the background.", "already_queued": False},
        "run": {
            "id": result.run.id,
            "tenant_id": "acme",
            "operation_type": "inventory.sync",
            "status": "queued",
            "outcome": "pending",
            "ux_status": "queued",
            "initiator_id": "user-3",
            "initiator_name": "Ada",
            "summary_counts": {},
            "failure": None,
            "created_at": "2026-01-05T09:00:00+00:00",
            "started_at": None,
            "completed_at": None,
            "updated_at": "2026-01-05T09:00:00+00:00",
            "last_heartbeat_at": "2026-01-05T09:00:00+00:00",
        },
    }
    again = roundtrip(service.start("acme", "inventory.sync", initiator=ADA, inputs={"scope": "all"}).to_dict())
    assert again["created"] is False and again["toast"] == {
        "title": "Inventory sync already queued",
        "body": "Running in the background.",
        "already_queued": True,
    }


def test_a_failed_run_and_its_notification(session: Session, policy: Policy) -> None:
    service = OperationRunService(session, policy, clock=lambda: T0 + timedelta(seconds=90))
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    service.mark_running(run_id)
    note = service.fail(run_id, "sync.timeout", "upstream took too long")
    assert note is not None
    data = roundtrip(note.to_dict())
    assert data == {
        "id": note.id,
        "run_id": run_id,
        "tenant_id": "acme",
        "recipient_id": "user-3",
        "kind": "terminal",
        "title": "Inventory sync failed",
        "body": "The operation failed: upstream took too long.",
        "summary": None,
        "status": "failed",
        "url": f"/t/acme/operations/{run_id}",
        "created_at": data["created_at"],
        "read_at": None,
    }
    assert datetime.fromisoformat(str(data["created_at"])).tzinfo is not None
    run = roundtrip(note.run.to_dict())
    assert run["failure"] == {"code": "sync.timeout", "message": "upstream took too long"}
    assert run["ux_status"] == "failed" and run["completed_at"] == "2026-01-05T09:01:30+00:00"


def test_the_delivery_a_channel_gets(session: Session, policy: Policy) -> None:
    delivered: list[Delivery] = []
    service = OperationRunService(session, policy, notifier=Notifier([delivered.append]))
    run_id = service.start("acme", "inventory.sync", initiator=ADA).run.id
    service.complete(run_id, "succeeded", summary_counts={"total": 2, "succeeded": 2})
    [delivery] = delivered
    data = roundtrip(delivery.to_dict())
    assert data["status"] == "succeeded" and data["summary"] == "Total: 2 · Succeeded: 2"
    assert data["action_label"] == "View run" and data["run_id"] == run_id


def test_the_widget_for_the_polling_endpoint(session: Session, policy: Policy) -> None:
    service = OperationRunService(session, policy, clock=lambda: T0)
    ids = [service.start("acme", "inventory.sync", initiator=ADA, identity=str(i)).run.id for i in range(7)]
    service.mark_running(ids[-1])
    service.increment(ids[-1], total=4, processed=1)
    widget = roundtrip(progress_widget(session, "acme", Viewer("user-9", True), policy).to_dict())
    rows = widget.pop("rows")
    assert widget == {
        "visible": True,
        "active_count": 7,
        "more_count": 2,
        "more_label": "+2 more",
        "more_url": "/t/acme/operations",
        "poll_after_seconds": 2.0,
    }
    assert isinstance(rows, list) and len(rows) == 5
    assert rows[0] == {
        "run_id": ids[-1],
        "label": "Inventory sync",
        "status": "running",
        "status_label": "Running",
        "progress": 25,
        "url": f"/t/acme/operations/{ids[-1]}",
        "view_label": "View run",
        "initiator_name": "Ada",
        "created_at": "2026-01-05T09:00:00+00:00",
    }
    hidden = roundtrip(progress_widget(session, "acme", Viewer("user-9", False), policy).to_dict())
    assert hidden == {
        "visible": False,
        "rows": [],
        "active_count": 0,
        "more_count": 0,
        "more_label": None,
        "more_url": None,
        "poll_after_seconds": None,
    }
