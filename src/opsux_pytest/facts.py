"""A run's facts as the messages use them, read straight from the database."""

from __future__ import annotations

from typing import Any

from opsux_core import OperationRun
from opsux_pytest.messages import RunFacts

RUN_FACT_COLUMNS = (
    OperationRun.id,
    OperationRun.operation_type,
    OperationRun.tenant_id,
    OperationRun.status,
    OperationRun.outcome,
    OperationRun.initiator_id,
)
"""Select these (first, in this order) to build :class:`RunFacts` with :func:`facts_from_row`."""


def facts_from_row(row: Any) -> RunFacts:
    return RunFacts(row.id, row.operation_type, row.tenant_id, row.status, row.outcome, row.initiator_id)
