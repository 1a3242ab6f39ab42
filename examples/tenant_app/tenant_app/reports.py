"""Read-side reports over runs: reads are soft, but filters still name registered types."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from opsux_core import OperationRun
from sqlalchemy import func, select
from sqlalchemy.orm import Session


class Kind(str, Enum):
    INVENTORY = "inventory.sync"
    BACKUP = "backup.schedule.execute"
    EXPORT = "tenant.export"  # deliberate: OPS001 below - this type was never registered


def runs_of_kind(session: Session, tenant_id: str, kind: Kind) -> Sequence[OperationRun]:
    return session.scalars(
        select(OperationRun).where(OperationRun.tenant_id == tenant_id, OperationRun.operation_type == kind.value)
    ).all()


def export_history(session: Session, tenant_id: str) -> Sequence[OperationRun]:
    return session.query(OperationRun).filter_by(tenant_id=tenant_id, operation_type=Kind.EXPORT).all()


def backup_counts(session: Session, tenant_id: str) -> dict[str, int]:
    rows = session.execute(
        select(OperationRun.operation_type, func.count())
        .where(OperationRun.tenant_id == tenant_id)
        .where(OperationRun.operation_type.in_([Kind.INVENTORY, Kind.BACKUP]))
        .group_by(OperationRun.operation_type)
    )
    return {operation_type: count for operation_type, count in rows}


def imported_from_the_old_system(session: Session) -> int:
    # The migration tool wrote these with the old type name; read-only, kept for the audit.
    legacy = session.query(OperationRun).filter_by(operation_type="import.legacy")  # opsux: ignore[OPS001]
    return legacy.count()
