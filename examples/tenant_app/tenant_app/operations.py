"""Starting operations: every feature goes through :func:`start_operation`.

It starts (or reuses) the run, enqueues the job, and returns the toast the page shows. The
operation type is the second argument; opsux.yaml declares that position as an operation-type
sink, so the linter checks every caller's literal against the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from opsux_core import Initiator, OperationRun, OperationRunService, Toast
from sqlalchemy.orm import Session

from tenant_app import settings
from tenant_app.notifier import notifier

Enqueue = Callable[[OperationRun], object]


def service_for(session: Session) -> OperationRunService:
    # The notifier carries the e-mail channel; the terminal notification itself is the service's.
    return OperationRunService(session, settings.policy(), notifier=notifier())


def start_operation(
    tenant_id: str,
    operation_type: str,
    *,
    user: Initiator | None,
    inputs: Mapping[str, Any] | None = None,
    enqueue: Enqueue,
) -> Toast:
    with settings.new_session() as session:
        service = service_for(session)
        result = service.start(tenant_id, operation_type, initiator=user, inputs=inputs)
        if result.created:
            # Reusing an active run must not enqueue its job a second time.
            service.dispatch(result.run, enqueue)
        return result.toast
