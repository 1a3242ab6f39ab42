"""The pre-opsux notification code, still imported in places while it is phased out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OperationRunQueued:
    """The old "your operation was queued" notification (what opsux replaces with the toast)."""

    tenant_id: str
    operation_type: str


def mail(recipient_id: str, *parts: object) -> None:
    print(f"mail to {recipient_id}:", *parts)


def send_db_notification(recipient_id: str, run_id: int, status: str) -> None:
    print(f"legacy inbox row for {recipient_id}: run {run_id} {status}")
