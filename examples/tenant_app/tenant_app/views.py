"""Request handlers of the admin UI (framework-agnostic: plain functions returning toasts)."""

from __future__ import annotations

from opsux_core import Initiator, OperationRun, Toast

from tenant_app import jobs
from tenant_app.legacy import OperationRunQueued, mail
from tenant_app.operations import service_for, start_operation
from tenant_app.settings import new_session


def sync_inventory(tenant_id: str, user: Initiator) -> Toast:
    return start_operation(tenant_id, "inventory.sync", user=user, enqueue=jobs.enqueue_inventory_sync)


def run_backup_now(tenant_id: str, user: Initiator, schedule_id: int) -> Toast:
    return start_operation(
        tenant_id,
        operation_type="backup.schedule.execute",
        user=user,
        inputs={"schedule_id": schedule_id},
        enqueue=jobs.enqueue_backup,
    )


def bulk_delete(tenant_id: str, user: Initiator, record_ids: list[int]) -> Toast:
    toast = start_operation(
        tenant_id, "tenant.bulk_delete", user=user, inputs={"ids": sorted(record_ids)}, enqueue=jobs.enqueue_bulk_delete
    )
    # deliberate: OPS002 - a "we queued your delete" notification duplicates the toast above
    # and stays in the inbox after the run finished.
    mail(user.id, OperationRunQueued(tenant_id, "tenant.bulk_delete"))
    return toast


def resync_inventory(tenant_id: str, user: Initiator) -> Toast:
    with new_session() as session:
        # deliberate: OPS001 - a typo of inventory.sync; at runtime this raises, the linter
        # says so before the code ships (and suggests the registered type).
        result = service_for(session).start(tenant_id, "inventry.sync", initiator=user)
        return result.toast


def run_summary(run: OperationRun) -> dict[str, str]:
    """The row of the "recent operations" card on the tenant dashboard."""
    return {
        # deliberate: OPS006 - people read "inventory.sync"; the catalog's label is "Inventory sync".
        "title": f"{run.operation_type} ({run.status})",
        # deliberate: OPS007 - spelt by hand, this link breaks when links.run moves.
        "href": f"/admin/tenants/{run.tenant_id}/operations/{run.id}",
    }
