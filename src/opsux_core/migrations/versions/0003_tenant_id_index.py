"""The operations index pages a tenant's runs by id: an index on (tenant_id, id) serves that order.

``list_runs`` (the operations index, ``opsux runs list``) orders a tenant's runs by id, newest
first, and pages with ``id < before_id``. The ``(tenant_id, created_at)`` index it replaces could
find the tenant's runs but not in that order, so every page sorted all of them: the cost grew with
the tenant's history. Nothing in opsux orders a tenant's runs by ``created_at`` over all runs (the
widget uses the partial index on active runs), so the old index is dropped rather than kept for
every insert to maintain. The new index is built before the old one goes, so tenant lists are
never left without one.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_operation_runs_tenant_newest", "operation_runs", ["tenant_id", "id"])
    op.drop_index("ix_operation_runs_tenant_created", table_name="operation_runs")


def downgrade() -> None:
    op.create_index("ix_operation_runs_tenant_created", "operation_runs", ["tenant_id", "created_at"])
    op.drop_index("ix_operation_runs_tenant_newest", table_name="operation_runs")
